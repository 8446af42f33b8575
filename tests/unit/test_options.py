"""Every option is declared once: all modules of the three packages import
in one process (a second declaration of an option raises DuplicateOptError),
glance-api's process registers none of the registry's own options, and the
sample configs in etc/ are what oslo-config-generator writes today."""

import json
import os
import subprocess
import sys
import tempfile

import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# Imports every module of the named packages; prints the ones that fail.
# The migration environment runs only inside alembic.
IMPORT_ALL = '''
import importlib, pkgutil, sys
failed = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(package.__path__, name + '.'):
        if module.name == 'glance_registry.db.migrations.env':
            continue
        try:
            importlib.import_module(module.name)
        except Exception as e:
            failed.append('%s: %s: %s' % (module.name, type(e).__name__, e))
print('\\n'.join(failed))
sys.exit(1 if failed else 0)
'''

# After glance-api's modules are imported, prints which of the options
# given as JSON [[group, name], ...] are registered.
REGISTERED = '''
import importlib, json, pkgutil, sys
import glance_api.cmd
import glance_api
from oslo_config import cfg
for module in pkgutil.walk_packages(glance_api.__path__, 'glance_api.'):
    importlib.import_module(module.name)
found = []
for group, name in json.loads(sys.argv[1]):
    if group == 'DEFAULT':
        if name in cfg.CONF and not isinstance(cfg.CONF[name],
                                               cfg.ConfigOpts.GroupAttr):
            found.append(name)
    elif group in cfg.CONF:
        found.append('[%s]' % group)
print(json.dumps(sorted(set(found))))
'''


def run_python(*args):
    return subprocess.run([sys.executable] + list(args), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def option_names(lists):
    return {(group or 'DEFAULT', opt.dest)
            for group, opts in lists for opt in opts}


class OptionsDeclaredOnceTest(testtools.TestCase):

    def test_every_module_of_every_package_imports_in_one_process(self):
        proc = run_python('-c', IMPORT_ALL, 'glance_api', 'glance_registry',
                          'glance_store')
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)

    def test_glance_api_registers_none_of_the_registry_only_options(self):
        from glance_api import opts as api_opts
        from glance_registry import opts as registry_opts
        registry_only = (option_names(registry_opts.list_registry_opts())
                         - option_names(api_opts.list_api_opts()))
        self.assertIn(('DEFAULT', 'trusted_caller_roles'), registry_only)
        proc = run_python('-c', REGISTERED,
                          json.dumps(sorted(registry_only)))
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual([], json.loads(proc.stdout))

    def test_sample_configs_are_what_the_generator_writes(self):
        generator_dir = os.path.join(ROOT, 'etc', 'oslo-config-generator')
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(os.listdir(generator_dir)):
                output = os.path.join(tmp, name)
                proc = run_python(
                    '-m', 'oslo_config.generator', '--config-file',
                    os.path.join(generator_dir, name),
                    '--output-file', output)
                self.assertEqual(0, proc.returncode, proc.stderr)
                with open(output) as generated, open(
                        os.path.join(ROOT, 'etc', name)) as sample:
                    self.assertEqual(
                        sample.read(), generated.read(),
                        'etc/%s differs from what the generator writes: '
                        'regenerate it with oslo-config-generator '
                        '--config-file etc/oslo-config-generator/%s'
                        % (name, name))
