"""What every metadef controller shares: reading requests, the views of
registry rows in upstream's shapes, and the named policy step."""

import re

from glance_api import http_helpers
from glance_api.v2.metadefs import policy
from glance_api.v2.metadefs import schemas
from glance_registry.common import exception


NAMESPACES_PATH = '/v2/metadefs/namespaces'


def read_body(req, schema):
    """The JSON object of the request, validated against ``schema`` after
    dropping the read-only attributes a client may echo back."""
    body = http_helpers.read_json(req)
    if not isinstance(body, dict):
        raise exception.SchemaValidationError(
            reason="Provided object does not match schema '%s': the body "
                   "must be a JSON object" % schema['name'])
    for name, attribute in schema.get('properties', {}).items():
        if attribute.get('readOnly'):
            body.pop(name, None)
    schemas.validate(schema, body)
    return body


def check_property_definition(name, definition):
    """Checks JSON schema cannot express: a usable pattern, limits in order,
    a default of the declared type."""
    pattern = definition.get('pattern')
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as e:
            raise exception.SchemaValidationError(
                reason='%s: pattern is not a regular expression: %s'
                       % (name, e))
    for low, high in (('minimum', 'maximum'), ('minLength', 'maxLength'),
                      ('minItems', 'maxItems')):
        if (definition.get(low) is not None and
                definition.get(high) is not None and
                definition[low] > definition[high]):
            raise exception.SchemaValidationError(
                reason='%s: %s %s is greater than %s %s'
                       % (name, low, definition[low], high,
                          definition[high]))


def enforce(conf, req, action, namespace=None):
    policy.enforce(conf, http_helpers.request_context(req), action,
                   namespace)


def namespace_path(namespace_name):
    return '%s/%s' % (NAMESPACES_PATH, namespace_name)


def _times(row, view):
    for key in ('created_at', 'updated_at'):
        if row.get(key):
            view[key] = http_helpers.isotime(row[key])
    return view


def drop_none(values):
    return {k: v for k, v in values.items() if v is not None}


def association_view(association):
    return _times(association, drop_none({
        'name': association['name'],
        'prefix': association.get('prefix'),
        'properties_target': association.get('properties_target')}))


def resource_type_view(resource_type):
    return _times(resource_type, {'name': resource_type['name']})


def property_view(row, prefix=None):
    """A property definition: its JSON schema plus its (prefixed) name."""
    view = dict(row.get('json_schema') or {})
    view['name'] = (prefix or '') + row['name']
    return view


def properties_dict(properties, prefix=None):
    """{name: definition} as namespaces and objects show properties."""
    result = {}
    for name, definition in (properties or {}).items():
        definition = dict(definition)
        definition.pop('name', None)
        result[(prefix or '') + name] = definition
    return result


def object_view(row, prefix=None):
    schema = row.get('json_schema') or {}
    view = {'name': row['name'],
            'required': list(row.get('required') or []),
            'properties': properties_dict(schema, prefix),
            'schema': '/v2/schemas/metadefs/object',
            'self': '%s/objects/%s' % (namespace_path(row['namespace']),
                                       row['name'])}
    if row.get('description') is not None:
        view['description'] = row['description']
    return _times(row, view)


def tag_view(row):
    return _times(row, {'name': row['name']})


def namespace_view(namespace, associations=None):
    view = drop_none({
        'namespace': namespace['namespace'],
        'display_name': namespace.get('display_name'),
        'description': namespace.get('description'),
        'visibility': namespace['visibility'],
        'protected': bool(namespace.get('protected')),
        'owner': namespace.get('owner'),
    })
    if associations:
        view['resource_type_associations'] = [association_view(a)
                                              for a in associations]
    view['schema'] = '/v2/schemas/metadefs/namespace'
    view['self'] = namespace_path(namespace['namespace'])
    return _times(namespace, view)
