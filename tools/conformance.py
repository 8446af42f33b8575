"""Run Tempest's Image API tests and glance-tempest-plugin against us.

Started by ``tools/conformance`` (which installs Tempest in its own
virtualenv). Lays out ``.conformance/`` (kept after the run for reading the
logs): a real Keystone (tests/integration/keystone_fixture.py), one
glance-registry and one glance-api with two workers in the keystone flavor,
three stores (``cheap`` and ``robust`` file stores, ``web`` http), a small
HTTP server for the image Tempest adds as an http location, and a
tempest.conf with dynamic credentials; then runs ``tempest run`` and prints
``N passed, N failed, N skipped`` as its last line.
"""

import argparse
import configparser
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests import disk_images  # noqa: E402
from tests.functional import daemons  # noqa: E402
from tests.integration import keystone_fixture  # noqa: E402

WORKSPACE = os.path.join(REPO, '.conformance')
DEFAULT_REGEX = r'(^tempest\.api\.image|^glance_tempest_plugin)'
HTTP_IMAGE = 'cirros.qcow2'
STORES = {'cheap': 'file', 'robust': 'file', 'web': 'http'}
IMPORT_METHODS = ('glance-direct', 'web-download', 'copy-image',
                  'glance-download')

# What we serve today, flag by flag ([image-feature-enabled] and friends);
# README "Conformance" says why each is set so.
FEATURES = {
    'image-feature-enabled': {
        'api_v2': True,
        # Interoperable import with every method, and the image_conversion
        # plugin on glance-direct and web-download (qemu-img).
        'import_image': True,
        'image_conversion': True,
        'os_glance_reserved': True,
        # show_multiple_locations is served (turned on below) and the web
        # store is http.
        'manage_locations': True,
        'http_store_enabled': True,
        # Every upload passes the format inspectors.
        'image_format_enforcement': True,
        'do_secure_hash': True,
        # cheap weighs more than robust (api_overrides): Tempest's other
        # import waiters compare the stores with their sorted ids, which
        # this order matches.
        'store_weight_enabled': True,
    },
    'image': {
        # glance-api runs the keystone+cachemanagement flavor.
        'image_caching_enabled': True,
        # A second glance-api, its own staging and cache folders, listed in
        # the catalog as image_remote: imports and deletes of images staged
        # on the first are passed on, each node caches on its own.
        'alternate_image_endpoint': 'image_remote',
    },
    'glance_api': {'system_scope_supported': False},
    # Secure RBAC is served: the plugin's RBAC tests (project admin, member
    # and reader personas) run unless --no-enforce-scope is given.
    'enforce_scope': {'glance': True},
    'service_available': {'glance': True, 'nova': False, 'cinder': False,
                          'neutron': False, 'swift': False},
}

# Runs in Tempest's virtualenv: reads the last stestr run (subunit v2 on
# stdin) and prints {test id: [status, reason]} as JSON.
RESULTS_SCRIPT = """\
import json, sys
import subunit, testtools
results = {}
def record(test):
    details = test['details']
    reason = details.get('reason') or details.get('traceback')
    text = reason.as_text() if reason is not None else ''
    results[test['id']] = [test['status'], text[-2000:]]
stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer)
result = testtools.StreamToDict(record)
result.startTestRun()
stream.run(result)
result.stopTestRun()
json.dump(results, sys.stdout)
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tempest-venv', required=True,
                        help='virtualenv with tempest and the plugin')
    parser.add_argument('--regex', default=DEFAULT_REGEX,
                        help='tests to run (default %(default)s)')
    parser.add_argument('--list', action='store_true',
                        help='list the selected tests; start nothing')
    parser.add_argument('--no-enforce-scope', dest='enforce_scope',
                        action='store_false',
                        help='set [enforce_scope] glance = false, which '
                             "skips the plugin's RBAC tests")
    parser.add_argument('--concurrency', type=int, default=int(
        os.environ.get('CONFORMANCE_CONCURRENCY', '2')))
    return parser.parse_args()


def serve_http_image(folder):
    """Serve ``folder`` on a free loopback port; the image Tempest adds as
    an http location is a small qcow2 there. Returns the server."""
    os.makedirs(folder)
    disk_images.qemu_img_create(folder, HTTP_IMAGE, 'qcow2', 1024 * 1024)
    handler = functools.partial(QuietHandler, directory=folder)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def start_glance(keystone, root, http_port):
    """glance-registry, glance-api (two workers, three stores, every import
    method, the image cache) and a second glance-api beside it, both in the
    keystone+cachemanagement flavor; returns (registry, api, remote_api),
    all started."""
    auth = {'paste_deploy': {'flavor': 'keystone'},
            'keystone_authtoken': keystone.authtoken_conf}
    registry = daemons.Registry(root=os.path.join(root, 'registry'),
                                overrides=auth)
    registry.setUp()
    apis = []
    try:
        # As a deployment does (devstack too): Tempest's metadefs tests
        # take the first resource type the catalog has.
        subprocess.run([os.path.join(daemons.BIN, 'glance-manage'),
                        '--config-file', registry.conf_path,
                        'db_load_metadefs', os.path.join(REPO, 'etc',
                                                         'metadefs')],
                       check=True, capture_output=True)
        ports = [daemons.free_port(), daemons.free_port()]
        for name, port, workers in (('api', ports[0], 2),
                                    ('remote-api', ports[1], 1)):
            api = daemons.Api(registry, root=os.path.join(root, name),
                              port=port, overrides=api_overrides(
                                  auth, root, port, workers,
                                  [http_port] + ports))
            api.setUp()
            apis.append(api)
    except Exception:
        for daemon in apis + [registry]:
            daemon.cleanUp()
        raise
    return registry, apis[0], apis[1]


def api_overrides(auth, root, port, workers, fetched_ports):
    """glance-api.conf of one node: its own staging and cache folders, the
    image stores shared with the other node."""
    images = os.path.join(root, 'images')
    node = os.path.join(root, 'node-%d' % port)
    overrides = dict(auth)
    overrides['paste_deploy'] = {'flavor': 'keystone+cachemanagement'}
    overrides.update({
        'DEFAULT': {
            'workers': workers,
            'use_user_token': True,
            'show_multiple_locations': True,
            'enabled_backends': ', '.join(
                '%s:%s' % item for item in STORES.items()),
            'enabled_import_methods': ', '.join(IMPORT_METHODS),
            # Names this node to the other one (staged data is passed on
            # to the node that holds it) and in the cache records.
            'worker_self_reference_url': 'http://127.0.0.1:%d' % port,
            'image_cache_dir': os.path.join(node, 'image-cache'),
            # Tempest waits build_timeout for a queued image to be cached.
            'cache_prefetcher_interval': 2,
        },
        'os_glance_staging_store': {
            'filesystem_store_datadir': os.path.join(node, 'staging')},
        'glance_store': {'default_backend': 'cheap'},
        'cheap': {'filesystem_store_datadir': os.path.join(images, 'cheap'),
                  'store_description': 'Cheap file store', 'weight': 100},
        'robust': {'filesystem_store_datadir':
                   os.path.join(images, 'robust'),
                   'store_description': 'Robust file store', 'weight': 50},
        'web': {'store_description': 'Read-only http store'},
        'image_import_opts': {'image_import_plugins': 'image_conversion'},
        'image_conversion': {'output_format': 'raw'},
        # The http image and both nodes (glance-download reads the image
        # API named in the catalog) are on loopback, which the URL filter
        # refuses unless named.
        'import_filtering_opts': {
            'allowed_hosts': '[127.0.0.1]',
            'allowed_ports': '[80, 443, %s]' % ', '.join(
                str(p) for p in fetched_ports)},
    })
    return overrides


def write_tempest_conf(path, keystone, http_url, enforce_scope):
    """tempest.conf: identity v3 at ``keystone`` (None when only listing),
    dynamic credentials from its admin, and the feature flags."""
    auth_url = keystone.auth_url if keystone else 'http://127.0.0.1:5000/v3'
    values = {
        'DEFAULT': {'log_file': os.path.join(WORKSPACE, 'tempest.log'),
                    'use_stderr': 'false'},
        'auth': {'use_dynamic_credentials': True,
                 'create_isolated_networks': False,
                 'admin_username': 'admin',
                 'admin_password': keystone_fixture.ADMIN_PASSWORD,
                 'admin_project_name': 'admin',
                 'admin_domain_name': keystone_fixture.DOMAIN,
                 'default_credentials_domain_name':
                     keystone_fixture.DOMAIN},
        'identity': {'uri_v3': auth_url, 'auth_version': 'v3',
                     'region': keystone_fixture.REGION,
                     'disable_ssl_certificate_validation': True},
        'image': {'http_image': http_url, 'http_qcow2_image': http_url,
                  'build_timeout': 120},
    }
    for section, options in FEATURES.items():
        values.setdefault(section, {}).update(options)
    values['enforce_scope']['glance'] = enforce_scope
    parser = configparser.RawConfigParser()
    for section, options in values.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in options.items():
            if isinstance(value, bool):
                value = str(value).lower()
            parser.set(section, key, str(value))
    with open(path, 'w') as f:
        parser.write(f)


def save_keystone_logs(keystone):
    """Copy Keystone's logs into the workspace before its folder goes."""
    target = os.path.join(WORKSPACE, 'keystone')
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(keystone.root or ''):
        if name.endswith('.log'):
            shutil.copy(os.path.join(keystone.root, name), target)


def tempest_env():
    """The environment without OS_* variables (Tempest reads some)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith('OS_') and k != 'PYTHONPATH'}


def run_tempest(venv, conf, args):
    cmd = [os.path.join(venv, 'bin', 'tempest'), 'run',
           '--config-file', conf, '--regex', args.regex]
    if args.list:
        # stestr lists only in a workspace with a repository.
        subprocess.run([os.path.join(venv, 'bin', 'stestr'), 'init'],
                       cwd=WORKSPACE, env=tempest_env(), check=True,
                       capture_output=True)
        cmd.append('--list-tests')
    else:
        cmd += ['--concurrency', str(args.concurrency)]
    return subprocess.run(cmd, cwd=WORKSPACE, env=tempest_env()).returncode


def read_results(venv):
    """{test id: [status, reason]} of the last run, also saved as
    results.json in the workspace."""
    subunit = subprocess.run(
        [os.path.join(venv, 'bin', 'stestr'), 'last', '--subunit'],
        cwd=WORKSPACE, env=tempest_env(), capture_output=True).stdout
    out = subprocess.run(
        [os.path.join(venv, 'bin', 'python'), '-c', RESULTS_SCRIPT],
        input=subunit, capture_output=True, check=True).stdout
    results = json.loads(out)
    with open(os.path.join(WORKSPACE, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1, sort_keys=True)
    return results


def summary_line(results):
    counts = {'success': 0, 'fail': 0, 'skip': 0}
    for status, _ in results.values():
        if status in counts:
            counts[status] += 1
        elif status == 'uxsuccess':
            counts['fail'] += 1
    return '%(success)d passed, %(fail)d failed, %(skip)d skipped' % counts


def main():
    args = parse_args()
    # tools/run-tests stops a run past its time with SIGTERM: leave through
    # the finally blocks, which stop the daemons and Keystone.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    venv = os.path.abspath(args.tempest_venv)
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    os.makedirs(WORKSPACE)
    conf = os.path.join(WORKSPACE, 'tempest.conf')
    if args.list:
        write_tempest_conf(conf, None, 'http://127.0.0.1/' + HTTP_IMAGE,
                           args.enforce_scope)
        sys.exit(run_tempest(venv, conf, args))

    started = time.time()
    http_server = serve_http_image(os.path.join(WORKSPACE, 'http'))
    http_url = 'http://127.0.0.1:%d/%s' % (http_server.server_port,
                                           HTTP_IMAGE)
    # Tempest's workers create and delete users and projects at once.
    keystone = keystone_fixture.KeystoneFixture(serial=True)
    keystone.setUp()
    try:
        registry, api, remote_api = start_glance(
            keystone, os.path.join(WORKSPACE, 'glance'),
            http_server.server_port)
        try:
            keystone.set_image_url(api.url)
            keystone.add_service('image_remote', 'glance-remote',
                                 remote_api.url)
            write_tempest_conf(conf, keystone, http_url, args.enforce_scope)
            print('Keystone %s, glance-api %s and %s, glance-registry %s; '
                  'logs in %s' % (keystone.base_url, api.url,
                                  remote_api.url, registry.url, WORKSPACE),
                  flush=True)
            rc = run_tempest(venv, conf, args)
        finally:
            remote_api.cleanUp()
            api.cleanUp()
            registry.cleanUp()
    finally:
        save_keystone_logs(keystone)
        keystone.cleanUp()
        http_server.shutdown()
    results = read_results(venv)
    print('wall time %d s' % (time.time() - started))
    line = summary_line(results)
    print(line)
    failed = not line.split(', ')[1].startswith('0 ')
    sys.exit(1 if failed or (rc and not results) else 0)


if __name__ == '__main__':
    main()
