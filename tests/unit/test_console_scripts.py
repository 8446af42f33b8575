"""The daemons' console scripts patch the process for eventlet before any
library binds a stdlib class: checked in a fresh interpreter, as the
console script starts, by building the S3 client glance-api builds."""

import subprocess
import sys

import testtools

# Importing the console script's module, then creating a botocore client
# (which configures an SSLContext) must work; with urllib3 imported before
# the patch it raised RecursionError in the green ssl module.
PROBE = '''
import importlib, ssl, sys
importlib.import_module(sys.argv[1])
import boto3
from urllib3.util import ssl_
assert ssl_.SSLContext is ssl.SSLContext, (ssl_.SSLContext, ssl.SSLContext)
boto3.session.Session().client(
    's3', endpoint_url='http://127.0.0.1:9', region_name='us-east-1',
    aws_access_key_id='a', aws_secret_access_key='b')
print('ok')
'''


class ConsoleScriptTests(testtools.TestCase):

    def probe(self, module):
        proc = subprocess.run([sys.executable, '-c', PROBE, module],
                              capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr

    def test_glance_api_is_patched_before_its_libraries(self):
        rc, out = self.probe('glance_api.cmd')
        self.assertEqual(0, rc, out)
        self.assertTrue(out.endswith('ok\n'), out)

    def test_glance_registry_is_patched_before_its_libraries(self):
        rc, out = self.probe('glance_registry.cmd.registry')
        self.assertEqual(0, rc, out)
        self.assertTrue(out.endswith('ok\n'), out)
