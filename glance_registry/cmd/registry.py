"""``glance-registry``: the process is patched (package import) first."""

from glance_registry.server import main

__all__ = ['main']
