"""glance_store.blocking keeps blocking calls off eventlet's hub thread."""

import subprocess
import sys

import testtools

from glance_store import blocking

SCRIPT = '''
import eventlet
eventlet.monkey_patch()
from eventlet import patcher
from glance_store import blocking
native = patcher.original('threading').get_native_id
hub_thread = native()
print(blocking.call(native) != hub_thread)
print(blocking.call(divmod, 7, 2))
'''


class BlockingCallTest(testtools.TestCase):

    def test_without_eventlet_patching_the_call_runs_here(self):
        import threading
        self.assertEqual(threading.get_native_id(),
                         blocking.call(threading.get_native_id))

    def test_under_monkey_patching_the_call_runs_on_another_os_thread(self):
        out = subprocess.run([sys.executable, '-W', 'ignore', '-c', SCRIPT],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(0, out.returncode, out.stderr)
        self.assertEqual(['True', '(3, 1)'], out.stdout.splitlines())
