"""Config and filesystem fixtures for the store tests."""

import os
import subprocess
import tempfile

import fixtures
from oslo_config import cfg

import glance_store


def make_conf(overrides=None, default=None, groups=None):
    """A private ConfigOpts with glance_store's options registered.

    ``overrides`` sets [glance_store] options, ``default`` [DEFAULT] ones,
    ``groups`` maps a backend group -> {option: value} (set after the
    Stores facade registers the group, so it is applied lazily: see
    :func:`make_stores`).
    """
    conf = cfg.ConfigOpts()
    glance_store.register_opts(conf)
    conf([], project='glance-store-test', default_config_files=[])
    for name, value in (overrides or {}).items():
        conf.set_override(name, value, group='glance_store')
    for name, value in (default or {}).items():
        conf.set_override(name, value)
    return conf


def write_config_file(directory, sections):
    """Write an ini file from {section: {option: value}}; return its path."""
    path = os.path.join(directory, 'glance-api.conf')
    with open(path, 'w') as f:
        for section, values in sections.items():
            f.write('[%s]\n' % section)
            for name, value in values.items():
                f.write('%s = %s\n' % (name, value))
    return path


def conf_from_file(path):
    conf = cfg.ConfigOpts()
    glance_store.register_opts(conf)
    conf([], project='glance-store-test', default_config_files=[path])
    return conf


class Tmpfs(fixtures.Fixture):
    """A tmpfs of ``size`` mounted on a temp dir (root only); skips the test
    when mounting is not permitted."""

    def __init__(self, test, size='2m'):
        super().__init__()
        self.test = test
        self.size = size

    def _setUp(self):
        self.path = tempfile.mkdtemp(prefix='glance-store-tmpfs-')
        self.addCleanup(os.rmdir, self.path)
        result = subprocess.run(
            ['mount', '-t', 'tmpfs', '-o', 'size=%s,mode=0755' % self.size,
             'tmpfs', self.path], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError('cannot mount a tmpfs (run the tests as '
                               'root): %s' % result.stderr.strip())
        self.addCleanup(subprocess.run, ['umount', self.path], check=True)
