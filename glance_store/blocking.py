"""Run a call that blocks in the kernel or in C without stalling eventlet.

glance-api serves requests from green threads: a long fdatasync or a
librados call made directly would stop every other request. When eventlet
has monkey-patched threads, such calls go to one of its OS threads;
otherwise (tests, scripts) they run directly. The only place glance_store
knows about eventlet.
"""

import sys


def call(func, *args, **kwargs):
    eventlet = sys.modules.get('eventlet')
    if eventlet is not None:
        from eventlet import patcher
        if patcher.is_monkey_patched('thread'):
            from eventlet import tpool
            return tpool.execute(func, *args, **kwargs)
    return func(*args, **kwargs)
