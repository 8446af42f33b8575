"""One exception hierarchy for both daemons.

Every class carries the HTTP status it maps to and a stable ``code``. Errors
cross the registry wire as ``{"code": ..., "message": ...}`` and are turned
back into the same class with :func:`from_wire`, never by importing a path
the peer sent.
"""

import re


class GlanceException(Exception):
    """Base class; ``message`` may use %(name)s fields filled from kwargs."""

    code = 'internal_error'
    http_status = 500
    message = 'An unknown error occurred'

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

    def to_wire(self):
        return {'code': self.code, 'message': self.msg}


# 400
class Invalid(GlanceException):
    code = 'invalid'
    http_status = 400
    message = 'Invalid input: %(reason)s'


class InvalidParameterValue(Invalid):
    code = 'invalid_parameter_value'
    message = "Invalid value '%(value)s' for parameter '%(param)s': %(extra)s"


class InvalidFilter(Invalid):
    code = 'invalid_filter'
    message = 'Invalid filter: %(reason)s'


class InvalidSortKey(Invalid):
    code = 'invalid_sort_key'
    message = 'Invalid sort key: %(key)s'


class InvalidSortDir(Invalid):
    code = 'invalid_sort_dir'
    message = 'Invalid sort direction: %(sort_dir)s'


class InvalidMarker(Invalid):
    code = 'invalid_marker'
    message = 'Marker %(marker)s not found'


class InvalidRequest(Invalid):
    code = 'invalid_request'
    message = 'Malformed request: %(reason)s'


class LocationInUse(Invalid):
    """A location URL another image already records: two images sharing
    one piece of data could read and delete each other's."""
    code = 'location_in_use'
    message = ('The location is already a location of another image; a '
               'location can belong to one image only.')


class UnknownCommand(Invalid):
    code = 'unknown_command'
    message = 'Unknown registry command: %(command)s'


class SchemaValidationError(Invalid):
    code = 'schema_validation_error'
    message = '%(reason)s'


class URLRefused(Invalid):
    """A URL glance-api was asked to fetch from is not allowed; the message
    never says why, so that it tells nothing about internal networks.
    "does not pass filtering" is upstream's wording, which clients
    (Tempest among them) look for."""

    code = 'url_refused'
    message = ('The URL %(url)s does not pass filtering (refused by '
               'policy)')


class LocationUnreadable(Invalid):
    """The data at an external location could not be read; the same text
    whatever failed (refused connection, timeout, error status)."""

    code = 'location_unreadable'
    message = 'The data at %(url)s cannot be read'


class ImageFormatCheckFailed(Invalid):
    code = 'image_format_check_failed'
    message = 'Image format check failed: %(check)s: %(reason)s'


# 401 / 403
class NotAuthenticated(GlanceException):
    code = 'not_authenticated'
    http_status = 401
    message = 'You are not authenticated.'


class Forbidden(GlanceException):
    code = 'forbidden'
    http_status = 403
    message = 'You are not authorized to complete this action.'


class ProtectedImageDelete(Forbidden):
    code = 'protected_image_delete'
    message = 'Image %(image_id)s is protected and cannot be deleted.'


class ImageDeactivated(Forbidden):
    code = 'image_deactivated'
    message = 'Image %(image_id)s is deactivated; its data cannot be read.'


# 404
class NotFound(GlanceException):
    code = 'not_found'
    http_status = 404
    message = 'An object with the specified identifier was not found.'


class ImageNotFound(NotFound):
    code = 'image_not_found'
    message = 'No image found with ID %(image_id)s'


class MemberNotFound(NotFound):
    code = 'member_not_found'
    message = 'Member %(member_id)s not found for image %(image_id)s'


class TagNotFound(NotFound):
    code = 'tag_not_found'
    message = 'Tag %(tag)s not found for image %(image_id)s'


class LocationNotFound(NotFound):
    code = 'location_not_found'
    message = 'Location %(location_id)s not found'


class TaskNotFound(NotFound):
    code = 'task_not_found'
    message = 'No task found with ID %(task_id)s'


class MetadefNotFound(NotFound):
    code = 'metadef_not_found'
    message = 'Metadata definition %(name)s not found'


class ImageDataNotFound(NotFound):
    code = 'image_data_not_found'
    message = 'Image %(image_id)s has no data'


# 405 / 409
class MethodNotAllowed(GlanceException):
    code = 'method_not_allowed'
    http_status = 405
    message = 'Method %(method)s not allowed'


class Conflict(GlanceException):
    code = 'conflict'
    http_status = 409
    message = 'The request conflicts with the current state: %(reason)s'


class Duplicate(Conflict):
    code = 'duplicate'
    message = 'An object with the same identifier already exists: %(reason)s'


class InvalidStatusTransition(Conflict):
    code = 'invalid_status_transition'
    message = ('Image %(image_id)s is %(actual)s, expected %(expected)s; '
               'cannot move it to %(new)s')


class InUse(Conflict):
    code = 'in_use'
    message = '%(what)s is in use: %(reason)s'


class PropertyConflict(Conflict):
    code = 'property_conflict'
    message = ('Image %(image_id)s: property %(name)s is not %(expected)s '
               'any more')


class LeaseLost(Conflict):
    code = 'lease_lost'
    message = ('Image %(image_id)s is no longer held by this upload (its '
               'lease expired or the image left %(status)s)')


# 408
class UploadTimeout(GlanceException):
    code = 'upload_timeout'
    http_status = 408
    message = ('No image data arrived for %(seconds)s seconds; the upload '
               'was stopped')


# 410
class ImageDeletedDuringUpload(GlanceException):
    code = 'image_deleted_during_upload'
    http_status = 410
    message = ('Image %(image_id)s was deleted while its data was being '
               'uploaded; the uploaded data was removed')


# 413 / 415 / 416
class RequestEntityTooLarge(GlanceException):
    code = 'request_entity_too_large'
    http_status = 413
    message = 'The request is too large: %(reason)s'


class ImageSizeLimitExceeded(RequestEntityTooLarge):
    code = 'image_size_limit_exceeded'
    message = 'Image exceeds image_size_cap of %(limit)d bytes'


class StorageQuotaFull(RequestEntityTooLarge):
    code = 'storage_quota_full'
    message = ('Image upload would exceed user_storage_quota: %(remaining)d '
               'bytes remaining')


class StorageFull(RequestEntityTooLarge):
    code = 'storage_full'
    message = 'There is not enough space left in the image store.'


class LimitExceeded(RequestEntityTooLarge):
    code = 'limit_exceeded'
    message = 'Limit %(limit_name)s of %(limit)d exceeded'


class UnsupportedMediaType(GlanceException):
    code = 'unsupported_media_type'
    http_status = 415
    message = 'Unsupported media type %(content_type)s'


class RangeNotSatisfiable(GlanceException):
    code = 'range_not_satisfiable'
    http_status = 416
    message = 'Requested range not satisfiable'


# 5xx
class ServiceUnavailable(GlanceException):
    code = 'service_unavailable'
    http_status = 503
    message = 'Service unavailable: %(reason)s'


class DatabaseUnavailable(ServiceUnavailable):
    code = 'database_unavailable'
    message = 'The image database is unavailable: %(reason)s'


class RegistryUnavailable(ServiceUnavailable):
    code = 'registry_unavailable'
    message = 'The image registry is unavailable: %(reason)s'


class RegistryNoAnswer(RegistryUnavailable):
    """The call reached the registry (or may have) and no answer came: it
    may have been applied, or be applied later."""
    code = 'registry_no_answer'


class StoreUnavailable(ServiceUnavailable):
    code = 'store_unavailable'
    message = 'The image store is unavailable: %(reason)s'


def _all_classes(base=GlanceException):
    yield base
    for sub in base.__subclasses__():
        yield from _all_classes(sub)


def _build_table():
    table = {}
    for cls in _all_classes():
        if cls.code in table and table[cls.code] is not cls:
            raise RuntimeError('duplicate exception code %s' % cls.code)
        table[cls.code] = cls
    return table


CODE_TABLE = _build_table()


def from_wire(error):
    """Rebuild the exception a peer sent as ``{"code", "message"}``."""
    cls = CODE_TABLE.get(error.get('code'), GlanceException)
    return cls(error.get('message') or cls.message)


# Messages quote request input. An answer quotes at most this many
# characters of any one word of it, and the whole message is cut to
# MAX_MESSAGE, so a 1 MB name is never echoed back whole.
MAX_QUOTED = 200
MAX_MESSAGE = 500
_LONG_WORD = re.compile(r'\S{%d,}' % (MAX_QUOTED + 1))


def shorten(message):
    """``message`` with each word longer than MAX_QUOTED characters cut,
    then its middle cut if it is still longer than MAX_MESSAGE (the reason
    is at either end, the quoted input in between)."""
    message = _LONG_WORD.sub(lambda m: m.group()[:MAX_QUOTED] + '...',
                             message)
    if len(message) > MAX_MESSAGE:
        tail = 100
        message = '%s ... %s' % (message[:MAX_MESSAGE - tail - 5],
                                 message[-tail:])
    return message
