"""Options of glance_store for oslo-config-generator."""

from glance_store import backend


def list_opts():
    return [
        (backend.STORE_GROUP, backend.STORE_OPTS + backend.driver_options()),
        ('DEFAULT', list(backend.BACKEND_OPTS)),
    ]
