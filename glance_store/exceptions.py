"""Errors raised by glance_store.

Every class carries the HTTP status the API should answer with and a stable
``code``. glance_store imports nothing of glance's, so this hierarchy is its
own; glance-api translates these in its one fault-translation place.
"""


class StoreError(Exception):
    """Base class; ``message`` may use %(name)s fields filled from kwargs."""

    code = 'store_error'
    http_status = 500
    message = 'An unknown store error occurred'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.message % kwargs
            except (KeyError, TypeError, ValueError):
                message = self.message
        self.msg = str(message)
        super().__init__(self.msg)

    def __str__(self):
        return self.msg


# 400
class UnknownScheme(StoreError):
    code = 'unknown_scheme'
    http_status = 400
    message = 'Unknown scheme %(scheme)r found in location'


class BadStoreUri(StoreError):
    code = 'bad_store_uri'
    http_status = 400
    message = 'Invalid store location %(uri)s: %(reason)s'


class StoreRandomGetNotSupported(StoreError):
    code = 'store_random_get_not_supported'
    http_status = 400
    message = 'Store %(store)s does not support reading a byte range'


class UnknownStore(StoreError):
    code = 'unknown_store'
    http_status = 400
    message = 'Store %(store)r is not enabled'


# 403
class Forbidden(StoreError):
    code = 'store_forbidden'
    http_status = 403
    message = 'Access to %(uri)s is forbidden: %(reason)s'


# 404
class NotFound(StoreError):
    code = 'store_not_found'
    http_status = 404
    message = 'Image data not found at %(uri)s'


# 409
class Duplicate(StoreError):
    code = 'store_duplicate'
    http_status = 409
    message = 'Image data for %(image_id)s already exists at %(uri)s'


class InUse(StoreError):
    """The data cannot be deleted while something depends on it (e.g. an
    RBD snapshot with copy-on-write clones)."""

    code = 'store_in_use'
    http_status = 409
    message = 'Image data at %(uri)s is in use: %(reason)s'


# 501
class StoreListNotSupported(StoreError):
    """The driver cannot list the data it holds (the store audit skips
    its orphan check)."""

    code = 'store_list_not_supported'
    http_status = 501
    message = 'Store %(store)s cannot list the image data it holds'


# 410: upstream glance answers an upload to a read-only store with 410 Gone.
class StoreAddDisabled(StoreError):
    code = 'store_add_disabled'
    http_status = 410
    message = 'Store %(store)s is read-only: adding image data is disabled'


class StoreDeleteNotSupported(StoreAddDisabled):
    """Deleting from a read-only store; a StoreAddDisabled so one except
    clause covers every write to a read-only store."""

    code = 'store_delete_not_supported'
    message = 'Store %(store)s is read-only: deleting image data is disabled'


# 413
class StorageFull(StoreError):
    code = 'storage_full'
    http_status = 413
    message = 'There is not enough free space in store %(store)s'


# 416
class RangeNotSatisfiable(StoreError):
    code = 'range_not_satisfiable'
    http_status = 416
    message = ('Requested range offset=%(offset)s length=%(length)s is '
               'outside the %(size)s bytes of image data')


# 500
class BadStoreConfiguration(StoreError):
    code = 'bad_store_configuration'
    http_status = 500
    message = 'Store %(store)s is not configured correctly: %(reason)s'


# 503
class BackendUnavailable(StoreError):
    code = 'backend_unavailable'
    http_status = 503
    message = 'Store %(store)s is unavailable: %(reason)s'
