"""``glance-api``: the process is patched for eventlet before the API's
libraries are imported (see :mod:`glance_registry.cmd`)."""

from glance_registry import cmd  # noqa: F401 (patches the process)
from glance_api.server import main  # noqa: E402

__all__ = ['main']
