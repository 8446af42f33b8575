"""Console scripts of the daemons that serve with eventlet.

Importing this package patches the process for eventlet before anything
else is imported. The order matters: urllib3 binds ``ssl.SSLContext`` when
it is imported (oslo.policy brings it in through requests), and a context
of that unpatched class recurses forever in the green ``ssl`` module the
first time its options are set, which botocore's S3 client does. So this
module imports eventlet only, and ``glance-api``/``glance-registry`` start
here instead of in their server modules.
"""

import warnings

with warnings.catch_warnings():
    # eventlet warns on import that it is deprecated: known (PLATFORM.md).
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import eventlet

eventlet.monkey_patch()
