"""Image data stores for glance: the driver interface, location URIs and
the file and http drivers. Imports nothing of glance's own packages."""

from glance_store import exceptions  # noqa: F401
from glance_store.backend import register_opts  # noqa: F401
from glance_store.backend import Stores  # noqa: F401
from glance_store.driver import AddResult  # noqa: F401
from glance_store.opts import list_opts  # noqa: F401
