#!/usr/bin/env python3
"""Lay out ./lab like an RDO controller and run the two daemons from it.

lab/etc/glance          glance-api.conf, glance-registry.conf, paste ini files,
                        metadefs/ (the metadata definitions catalog)
lab/var/lib/glance      glance.sqlite, images/, staging/, image-cache/
lab/var/log/glance      api.log, registry.log
lab/run/glance          pid files

GLANCE_LAB_TLS=1 serves both daemons over HTTPS with a CA and certificates
made in lab/etc/glance/pki by openssl (glance-api reaches the registry over
https with a client certificate).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.environ.get('GLANCE_LAB', os.path.join(REPO, 'lab'))
ETC = os.path.join(LAB, 'etc', 'glance')
LIB = os.path.join(LAB, 'var', 'lib', 'glance')
LOG = os.path.join(LAB, 'var', 'log', 'glance')
RUN = os.path.join(LAB, 'run', 'glance')
BIN = os.environ.get('GLANCE_LAB_BIN', os.path.join(REPO, '.venv', 'bin'))
HOST = os.environ.get('GLANCE_LAB_HOST', '127.0.0.1')
API_PORT = int(os.environ.get('GLANCE_LAB_API_PORT', 9292))
REGISTRY_PORT = int(os.environ.get('GLANCE_LAB_REGISTRY_PORT', 9191))
TLS = os.environ.get('GLANCE_LAB_TLS') == '1'
PKI = os.path.join(ETC, 'pki')
SCHEME = 'https' if TLS else 'http'

COPIED = ['glance-api-paste.ini', 'glance-registry-paste.ini',
          'schema-image.json', 'api_audit_map.conf']


def set_options(path, values):
    """Set section/option values in an ini file, keeping its comments.

    An existing (or commented-out ``#key =``) line is replaced in place;
    a missing option is added at the top of its section.
    """
    with open(path) as f:
        lines = f.read().splitlines()
    for section, options in values.items():
        header = '[%s]' % section
        if header not in lines:
            lines += ['', header]
        for key, value in options.items():
            start = lines.index(header) + 1
            end = next((i for i in range(start, len(lines))
                        if lines[i].startswith('[')), len(lines))
            pattern = re.compile(r'^#?\s*%s\s*=' % re.escape(key))
            new = '%s = %s' % (key, value)
            for i in range(start, end):
                if pattern.match(lines[i]):
                    lines[i] = new
                    break
            else:
                lines.insert(start, new)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def openssl(*args):
    subprocess.run(('openssl',) + args, check=True, cwd=PKI,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certificates():
    """A self-signed CA (made once) and, signed by it, a certificate for
    HOST per daemon and glance-api's client certificate for the registry.
    Returns {name: (cert, key)} with 'ca' -> (cert, key) too."""
    os.makedirs(PKI, exist_ok=True)
    files = {}
    if not os.path.exists(os.path.join(PKI, 'ca.crt')):
        openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days',
                '3650', '-subj', '/CN=glance-lab-ca', '-keyout', 'ca.key',
                '-out', 'ca.crt')
    files['ca'] = (os.path.join(PKI, 'ca.crt'), os.path.join(PKI, 'ca.key'))
    kind = 'IP' if re.match(r'^[0-9.]+$|:', HOST) else 'DNS'
    for name, usage in (('glance-api', 'serverAuth'),
                        ('glance-registry', 'serverAuth'),
                        ('glance-api-client', 'clientAuth')):
        if not os.path.exists(os.path.join(PKI, name + '.crt')):
            with open(os.path.join(PKI, name + '.ext'), 'w') as f:
                f.write('subjectAltName = %s:%s, DNS:localhost\n'
                        'extendedKeyUsage = %s\n' % (kind, HOST, usage))
            openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj',
                    '/CN=%s' % name, '-keyout', name + '.key',
                    '-out', name + '.csr')
            openssl('x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt',
                    '-CAkey', 'ca.key', '-CAcreateserial', '-days', '825',
                    '-extfile', name + '.ext', '-out', name + '.crt')
        files[name] = (os.path.join(PKI, name + '.crt'),
                       os.path.join(PKI, name + '.key'))
    return files


def tls_options():
    """{conf file: {section: {option: value}}} of GLANCE_LAB_TLS: on
    with GLANCE_LAB_TLS=1, else every TLS option back to unset."""
    if not TLS:
        off = {'cert_file': '', 'key_file': '', 'ca_file': ''}
        return {'glance-registry.conf': {'DEFAULT': dict(off)},
                'glance-api.conf': {'DEFAULT': dict(
                    off, registry_client_protocol='http')}}
    files = make_certificates()
    return {
        'glance-registry.conf': {'DEFAULT': {
            'cert_file': files['glance-registry'][0],
            'key_file': files['glance-registry'][1],
            'ca_file': files['ca'][0]}},
        'glance-api.conf': {'DEFAULT': {
            'cert_file': files['glance-api'][0],
            'key_file': files['glance-api'][1],
            'ca_file': '',
            'registry_client_protocol': 'https',
            'registry_client_ca_file': files['ca'][0],
            'registry_client_cert_file': files['glance-api-client'][0],
            'registry_client_key_file': files['glance-api-client'][1]}},
    }


def write_configs():
    for d in (ETC, os.path.join(LIB, 'images'), LOG, RUN):
        os.makedirs(d, exist_ok=True)
    for name in COPIED:
        shutil.copy(os.path.join(REPO, 'etc', name), os.path.join(ETC, name))
    for name in ('glance-registry.conf', 'glance-api.conf'):
        target = os.path.join(ETC, name)
        if not os.path.exists(target):
            shutil.copy(os.path.join(REPO, 'etc', name), target)
    set_options(os.path.join(ETC, 'glance-registry.conf'), {
        'DEFAULT': {'bind_host': HOST, 'bind_port': REGISTRY_PORT,
                    'log_file': os.path.join(LOG, 'registry.log'),
                    'state_path': LIB},
        'database': {'connection': 'sqlite:///%s'
                     % os.path.join(LIB, 'glance.sqlite')},
    })
    set_options(os.path.join(ETC, 'glance-api.conf'), {
        'DEFAULT': {'bind_host': HOST, 'bind_port': API_PORT,
                    'registry_host': HOST,
                    'registry_port': REGISTRY_PORT,
                    'log_file': os.path.join(LOG, 'api.log'),
                    'image_cache_dir': os.path.join(LIB, 'image-cache')},
        'glance_store': {'filesystem_store_datadir':
                         os.path.join(LIB, 'images')},
        'os_glance_staging_store': {'filesystem_store_datadir':
                                    os.path.join(LIB, 'staging')},
    })
    for name, values in tls_options().items():
        set_options(os.path.join(ETC, name), values)


def manage(*args):
    """Run glance-manage against the lab registry config; returns stdout."""
    return subprocess.run(
        [os.path.join(BIN, 'glance-manage'), '--config-file',
         os.path.join(ETC, 'glance-registry.conf')] + list(args),
        check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout


def load_metadefs():
    """Copy the shipped catalog to etc/glance/metadefs, as a controller has
    it, and load it; namespaces already in the database are skipped, so a
    restart neither fails nor duplicates them."""
    target = os.path.join(ETC, 'metadefs')
    shutil.copytree(os.path.join(REPO, 'etc', 'metadefs'), target,
                    dirs_exist_ok=True)
    lines = manage('db_load_metadefs', target).splitlines()
    print('metadefs: %d namespaces loaded, %d already there (%s)'
          % (sum(line.startswith('loaded ') for line in lines),
             sum(line.startswith('skipped ') for line in lines), target))


def pid_of(name):
    path = os.path.join(RUN, '%s.pid' % name)
    try:
        with open(path) as f:
            pid = int(f.read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def wait_port(port, proc, name, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit('%s exited; see %s' % (name, LOG))
        try:
            with socket.create_connection((HOST, port), 0.2):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit('%s did not listen on %s:%d; see %s' % (name, HOST, port, LOG))


def start_daemon(name, conf, port):
    if pid_of(name):
        print('%s already running (pid %d)' % (name, pid_of(name)))
        return
    out = open(os.path.join(LOG, '%s.out' % name), 'ab')
    proc = subprocess.Popen([os.path.join(BIN, name), '--config-file',
                             os.path.join(ETC, conf)],
                            stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(RUN, '%s.pid' % name), 'w') as f:
        f.write(str(proc.pid))
    wait_port(port, proc, name)
    print('%s running on %s://%s:%d (pid %d)'
          % (name, SCHEME, HOST, port, proc.pid))


def start():
    write_configs()
    print(manage('db_sync'), end='')
    load_metadefs()
    start_daemon('glance-registry', 'glance-registry.conf', REGISTRY_PORT)
    start_daemon('glance-api', 'glance-api.conf', API_PORT)
    print("""
Config in %(etc)s, images in %(lib)s/images, logs in %(log)s.
Use it (no auth):
  export OS_AUTH_TYPE=none OS_ENDPOINT=%(scheme)s://%(host)s:%(port)d%(ca)s
  %(bin)s/openstack image list
  curl%(curl_ca)s %(scheme)s://%(host)s:%(port)d/v2/images
Stop it: tools/lab stop""" % dict(
        etc=ETC, lib=LIB, log=LOG, host=HOST, port=API_PORT, bin=BIN,
        scheme=SCHEME,
        ca=' OS_CACERT=%s/ca.crt' % PKI if TLS else '',
        curl_ca=' --cacert %s/ca.crt' % PKI if TLS else ''))


def stop():
    for name in ('glance-api', 'glance-registry'):
        pid = pid_of(name)
        if not pid:
            continue
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            if not pid_of(name):
                break
            time.sleep(0.1)
        os.unlink(os.path.join(RUN, '%s.pid' % name))
        print('%s stopped' % name)


def status():
    for name in ('glance-registry', 'glance-api'):
        pid = pid_of(name)
        print('%s: %s' % (name, 'running (pid %d)' % pid if pid
                          else 'stopped'))


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else 'start'
    if command == 'start':
        start()
    elif command == 'stop':
        stop()
    elif command == 'restart':
        stop()
        start()
    elif command == 'status':
        status()
    else:
        sys.exit('usage: tools/lab start|stop|status|restart')


if __name__ == '__main__':
    main()
