"""Reading JSON patch request bodies of PATCH /v2/images/{image_id}.

Two media types carry a list of changes: the deprecated
``application/openstack-images-v2.0-json-patch`` (draft 4 of JSON patch:
``{"replace": "/name", "value": ...}``) and
``application/openstack-images-v2.1-json-patch`` (RFC 6902:
``{"op": "replace", "path": "/name", "value": ...}``). Both become a list of
``{"op", "path": [segments], "value", "json_schema_version"}``.
"""

from glance_registry.common import exception

MEDIA_TYPE_V20 = 'application/openstack-images-v2.0-json-patch'
MEDIA_TYPE_V21 = 'application/openstack-images-v2.1-json-patch'
MEDIA_TYPES = {MEDIA_TYPE_V20: 4, MEDIA_TYPE_V21: 10}

OPERATIONS = ('add', 'replace', 'remove')


def _bad(reason):
    return exception.InvalidRequest(reason=reason)


def parse_pointer(pointer):
    """'/a/b~1c' -> ['a', 'b/c'] (RFC 6901 escapes)."""
    if not isinstance(pointer, str) or not pointer.startswith('/'):
        raise _bad("JSON pointer %r does not start with '/'" % (pointer,))
    segments = []
    for raw in pointer[1:].split('/'):
        if '~' in raw.replace('~0', '').replace('~1', ''):
            raise _bad('Invalid escape sequence in JSON pointer %r'
                       % pointer)
        segments.append(raw.replace('~1', '/').replace('~0', '~'))
    if not segments[0]:
        raise _bad('JSON pointer %r names no attribute' % pointer)
    if len(segments) == 1:
        return segments
    if (segments[0] == 'locations' and len(segments) == 2 and
            (segments[1] == '-' or segments[1].isdigit())):
        return segments
    raise _bad('Invalid JSON pointer for this resource: %r' % pointer)


def _parse_v21(raw):
    op = raw.get('op')
    if op not in OPERATIONS:
        raise _bad('Operation %r is not supported; use one of %s'
                   % (op, ', '.join(OPERATIONS)))
    if 'path' not in raw:
        raise _bad("Unable to find 'path' in change %r" % (raw,))
    return op, raw['path']


def _parse_v20(raw):
    ops = [op for op in OPERATIONS if op in raw]
    if len(ops) != 1:
        raise _bad('Change %r must name exactly one of %s'
                   % (raw, ', '.join(OPERATIONS)))
    return ops[0], raw[ops[0]]


def parse_changes(content_type, body):
    """The changes of a PATCH body already decoded from JSON."""
    version = MEDIA_TYPES.get(content_type)
    if version is None:
        raise exception.UnsupportedMediaType(content_type=content_type)
    if not isinstance(body, list):
        raise _bad('A JSON patch body must be a list of changes')
    changes = []
    for raw in body:
        if not isinstance(raw, dict):
            raise _bad('A change must be a JSON object, not %r' % (raw,))
        if version == 10:
            op, pointer = _parse_v21(raw)
        else:
            op, pointer = _parse_v20(raw)
        change = {'op': op, 'path': parse_pointer(pointer),
                  'json_schema_version': version}
        if op != 'remove':
            if 'value' not in raw:
                raise _bad("Unable to find 'value' in change %r" % (raw,))
            change['value'] = raw['value']
        changes.append(change)
    return changes
