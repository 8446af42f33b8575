"""Image API v1 metadata: ``x-image-meta-*`` headers in, the v1 image
shape (``is_public``, ``properties``) and headers out.

v1 carries image metadata in headers; the registry speaks the contract's
shape (``visibility``, ``locations``). Converting between the two happens
here and nowhere else.
"""

from oslo_utils import uuidutils

from glance_registry.common import exception
from glance_registry.common import inputs

META_PREFIX = 'x-image-meta-'
PROPERTY_PREFIX = 'x-image-meta-property-'
COPY_FROM_HEADER = 'x-glance-api-copy-from'
PURGE_PROPS_HEADER = 'x-glance-registry-purge-props'

# The v1 image as upstream answers it in JSON and in headers.
IMAGE_FIELDS = ('id', 'name', 'status', 'size', 'virtual_size',
                'disk_format', 'container_format', 'checksum', 'min_disk',
                'min_ram', 'owner', 'protected', 'is_public', 'created_at',
                'updated_at', 'deleted', 'deleted_at')
INDEX_FIELDS = ('id', 'name', 'size', 'disk_format', 'container_format',
                'checksum')

# Headers only the server sets; clients often echo them back, so they are
# ignored rather than refused (status is refused: it cannot be set).
IGNORED_FIELDS = ('created_at', 'updated_at', 'deleted', 'deleted_at',
                  'virtual_size')


def _header(name):
    return META_PREFIX + name


# The most each integer header may say: what the database column holds.
INTEGER_LIMITS = {'size': inputs.MAX_BIGINT, 'min_disk': inputs.MAX_INT,
                  'min_ram': inputs.MAX_INT}


def _integer(name, value):
    return inputs.integer_param(_header(name), value, INTEGER_LIMITS[name])


def _boolean(name, value):
    return inputs.boolean_param(_header(name), value)


def _one_of(name, value, allowed):
    if value not in allowed:
        raise exception.InvalidParameterValue(
            value=value, param=_header(name),
            extra='expected one of %s' % ', '.join(allowed))
    return value


def request_headers(req):
    """``[(name, value)]`` of the request as the client sent them.

    v1 names fields with underscores (``x-image-meta-disk_format``), and
    eventlet's WSGI server drops such headers from the environ (two names
    would map to one variable); it keeps the raw list in ``headers_raw``.
    """
    raw = req.environ.get('headers_raw')
    if raw is not None:
        return list(raw)
    return list(req.headers.items())


def parse_image_meta(headers, conf, creating):
    """The image metadata in ``headers`` (``[(name, value)]``) as a dict of
    v1 fields (``properties`` holds the custom ones). Raises 400 naming the
    header at fault."""
    meta = {}
    properties = {}
    formats = conf.image_format
    for raw_name, value in headers:
        name = raw_name.lower()
        if name.startswith(META_PREFIX) and '\x00' in value:
            raise exception.InvalidParameterValue(
                value=value.replace('\x00', '\\x00'), param=raw_name,
                extra='NUL characters are not allowed')
        if name.startswith(PROPERTY_PREFIX):
            key = name[len(PROPERTY_PREFIX):]
            if not key:
                raise exception.InvalidParameterValue(
                    value=raw_name, param=raw_name,
                    extra='a property needs a name')
            properties[key] = value
            continue
        if not name.startswith(META_PREFIX):
            continue
        # Servers that keep no raw headers give underscores back as dashes.
        field = name[len(META_PREFIX):].replace('-', '_')
        if field in ('size', 'min_disk', 'min_ram'):
            meta[field] = _integer(field, value)
        elif field in ('is_public', 'protected'):
            # python-glanceclient 2.x sends the string None for a flag the
            # user did not give.
            if value.strip().lower() != 'none':
                meta[field] = _boolean(field, value)
        elif field == 'disk_format':
            meta[field] = _one_of(field, value, formats.disk_formats)
        elif field == 'container_format':
            meta[field] = _one_of(field, value, formats.container_formats)
        elif field == 'id':
            if not creating:
                continue
            if not uuidutils.is_uuid_like(value):
                raise exception.InvalidParameterValue(
                    value=value, param=_header(field),
                    extra='expected a UUID')
            meta[field] = value
        elif field == 'checksum':
            if len(value) != 32 or not all(
                    c in '0123456789abcdefABCDEF' for c in value):
                raise exception.InvalidParameterValue(
                    value=value, param=_header(field),
                    extra='expected an md5 hex digest')
            meta[field] = value.lower()
        elif field in ('name', 'owner', 'location', 'store'):
            if field == 'name' and len(value) > 255:
                raise exception.InvalidParameterValue(
                    value=value[:20] + '...', param=_header(field),
                    extra='longer than 255 characters')
            meta[field] = value
        elif field == 'status':
            raise exception.Forbidden('x-image-meta-status cannot be set; '
                                      'the status follows the image data.')
        elif field in IGNORED_FIELDS:
            continue
        else:
            raise exception.InvalidParameterValue(
                value=raw_name, param=raw_name,
                extra='unknown image metadata header')
    meta['properties'] = properties
    return meta


def contract_values(meta):
    """Registry ``values`` for the v1 fields in ``meta`` (no data
    fields: size, checksum, location and store are handled by the
    controller)."""
    values = {}
    for field in ('id', 'name', 'disk_format', 'container_format',
                  'min_disk', 'min_ram', 'owner', 'protected'):
        if field in meta:
            values[field] = meta[field]
    if 'is_public' in meta:
        # A v1 image that is not public may still have members.
        values['visibility'] = 'public' if meta['is_public'] else 'shared'
    return values


def image_view(image):
    """The v1 JSON shape of a contract image."""
    view = {field: image.get(field) for field in IMAGE_FIELDS
            if field != 'is_public'}
    view['is_public'] = image.get('visibility') == 'public'
    view['deleted'] = bool(image.get('deleted'))
    view['protected'] = bool(image.get('protected'))
    view['properties'] = dict(image.get('properties') or {})
    return view


def summary_view(image):
    return {field: image.get(field) for field in INDEX_FIELDS}


def _header_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    text = str(value)
    # WSGI headers are latin-1: other characters travel as their UTF-8
    # bytes, as upstream's clients expect.
    return text.encode('utf-8').decode('latin-1')


def image_headers(image):
    """``[(name, value)]`` for a contract image: ``x-image-meta-<field>``
    for every field set, ``x-image-meta-property-<key>`` per property."""
    view = image_view(image)
    headers = []
    for field in IMAGE_FIELDS:
        value = view.get(field)
        if value is not None:
            headers.append((_header(field), _header_value(value)))
    for key, value in sorted(view['properties'].items()):
        if value is not None:
            headers.append((PROPERTY_PREFIX + key, _header_value(value)))
    return headers
