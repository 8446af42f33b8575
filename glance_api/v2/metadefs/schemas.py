"""JSON schemas of the metadata definitions API, served under
/v2/schemas/metadefs/..., and request validation against them.

A property definition is a subset of JSON schema (type, enum, limits,
pattern, items...) plus Glance's ``readonly`` and ``operators``.
"""

import copy

from glance_api import http_helpers
from glance_api.v2 import schemas as image_schemas

PROPERTY_TYPES = ['array', 'boolean', 'integer', 'number', 'object',
                  'string', None]

DEFINITIONS = {
    'positiveInteger': {'type': 'integer', 'minimum': 0},
    'positiveIntegerDefault0': {
        'allOf': [{'$ref': '#/definitions/positiveInteger'},
                  {'default': 0}]},
    'stringArray': {'type': 'array', 'items': {'type': 'string'},
                    'uniqueItems': True},
}


def _property_attributes():
    """The attributes a property definition may have (without its name)."""
    return {
        'title': {'type': 'string'},
        'description': {'type': 'string'},
        'type': {'type': 'string', 'enum': PROPERTY_TYPES},
        'enum': {'type': 'array'},
        'default': {},
        'readonly': {'type': 'boolean'},
        'operators': {'type': 'array', 'items': {'type': 'string'}},
        'minimum': {'type': 'number'},
        'maximum': {'type': 'number'},
        'minLength': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'maxLength': {'$ref': '#/definitions/positiveInteger'},
        'pattern': {'type': 'string', 'format': 'regex'},
        'items': {'type': 'object', 'properties': {
            'type': {'type': 'string', 'enum': PROPERTY_TYPES},
            'enum': {'type': 'array'}}},
        'minItems': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'maxItems': {'$ref': '#/definitions/positiveInteger'},
        'uniqueItems': {'type': 'boolean', 'default': False},
        'additionalItems': {'type': 'boolean'},
        'required': {'$ref': '#/definitions/stringArray'},
    }


PROPERTY_KEYS = tuple(_property_attributes()) + ('name',)


def _definitions():
    definitions = copy.deepcopy(DEFINITIONS)
    attributes = _property_attributes()
    attributes['name'] = {'type': 'string', 'maxLength': 80}
    definitions['property'] = {
        'type': 'object',
        'additionalProperties': {
            'type': 'object',
            'required': ['title', 'type'],
            'properties': attributes,
            # Unknown attributes of a property are refused, as upstream.
            'additionalProperties': False,
        },
    }
    return definitions


def _time(description):
    return {'type': 'string', 'readOnly': True, 'format': 'date-time',
            'description': description}


READ_ONLY = {'schema': {'type': 'string', 'readOnly': True},
             'self': {'type': 'string', 'readOnly': True}}


def namespace_schema():
    properties = {
        'namespace': {'type': 'string', 'maxLength': 80,
                      'description': 'The unique name of the namespace.'},
        'display_name': {'type': 'string', 'maxLength': 80,
                         'description': 'Name shown by user interfaces.'},
        'description': {'type': 'string', 'maxLength': 500,
                        'description': 'What the namespace is about.'},
        'visibility': {'type': 'string', 'enum': ['public', 'private'],
                       'description': 'Who may see the namespace.'},
        'protected': {'type': 'boolean',
                      'description': 'If true, the namespace cannot be '
                                     'deleted.'},
        'owner': {'type': 'string', 'maxLength': 255,
                  'description': 'Project owning the namespace.'},
        'created_at': _time('When the namespace was created.'),
        'updated_at': _time('When the namespace last changed.'),
        'resource_type_associations': {'type': 'array', 'items': {
            'type': 'object', 'properties': {
                'name': {'type': 'string'},
                'prefix': {'type': 'string'},
                'properties_target': {'type': 'string'}}}},
        'properties': {'$ref': '#/definitions/property'},
        'objects': {'type': 'array', 'items': {
            'type': 'object', 'properties': {
                'name': {'type': 'string'},
                'description': {'type': 'string'},
                'required': {'$ref': '#/definitions/stringArray'},
                'properties': {'$ref': '#/definitions/property'}}}},
        'tags': {'type': 'array', 'items': {
            'type': 'object', 'properties': {'name': {'type': 'string'}}}},
    }
    properties.update(copy.deepcopy(READ_ONLY))
    return {'name': 'namespace', 'properties': properties,
            'additionalProperties': False, 'required': ['namespace'],
            'definitions': _definitions()}


def object_schema():
    properties = {
        'name': {'type': 'string', 'maxLength': 80},
        'description': {'type': 'string'},
        'required': {'$ref': '#/definitions/stringArray'},
        'properties': {'$ref': '#/definitions/property'},
        'created_at': _time('When the object was created.'),
        'updated_at': _time('When the object last changed.'),
    }
    properties.update(copy.deepcopy(READ_ONLY))
    return {'name': 'object', 'properties': properties,
            'additionalProperties': False, 'required': ['name'],
            'definitions': _definitions()}


def property_schema():
    properties = _property_attributes()
    properties['name'] = {'type': 'string', 'maxLength': 80}
    definitions = copy.deepcopy(DEFINITIONS)
    definitions['stringArray']['minItems'] = 1
    return {'name': 'property', 'properties': properties,
            'additionalProperties': False,
            'required': ['type', 'title', 'name'],
            'definitions': definitions}


def tag_schema():
    return {'name': 'tag', 'additionalProperties': False,
            'required': ['name'], 'properties': {
                'name': {'type': 'string', 'maxLength': 80},
                'created_at': _time('When the tag was created.'),
                'updated_at': _time('When the tag last changed.')}}


def resource_type_association_schema():
    return {'name': 'resource_type_association',
            'additionalProperties': False, 'required': ['name'],
            'properties': {
                'name': {'type': 'string', 'maxLength': 80,
                         'description': 'Resource type name, e.g. '
                                        'OS::Glance::Image.'},
                'prefix': {'type': 'string', 'maxLength': 80,
                           'description': 'Prefix of the namespace\'s '
                                          'property names on this '
                                          'resource type.'},
                'properties_target': {
                    'type': 'string', 'maxLength': 80,
                    'description': 'Part of the resource the properties '
                                   'apply to (e.g. image for a volume).'},
                'created_at': _time('When the association was created.'),
                'updated_at': _time('When the association last changed.'),
            }}


def _collection(name, item, key, links=True):
    schema = {'name': name, 'properties': {
        key: {'type': 'array', 'items': item},
        'schema': {'type': 'string'}}}
    if links:
        schema['properties'].update(first={'type': 'string'},
                                    next={'type': 'string'})
        schema['links'] = [{'rel': 'first', 'href': '{first}'},
                           {'rel': 'next', 'href': '{next}'},
                           {'rel': 'describedby', 'href': '{schema}'}]
    return schema


def _without_definitions(schema):
    schema = copy.deepcopy(schema)
    definitions = schema.pop('definitions', None)
    return schema, definitions


def namespaces_schema():
    item, definitions = _without_definitions(namespace_schema())
    schema = _collection('namespaces', item, 'namespaces')
    schema['definitions'] = definitions
    return schema


def objects_schema():
    item, definitions = _without_definitions(object_schema())
    schema = _collection('objects', item, 'objects')
    schema['definitions'] = definitions
    return schema


def properties_schema():
    item, definitions = _without_definitions(property_schema())
    item.pop('name')
    item['required'] = ['type', 'title']
    item['properties'].pop('name')
    return {'name': 'properties', 'definitions': definitions,
            'properties': {'properties': {'type': 'object',
                                          'additionalProperties': item}},
            'links': [{'rel': 'first', 'href': '{first}'},
                      {'rel': 'next', 'href': '{next}'},
                      {'rel': 'describedby', 'href': '{schema}'}]}


def tags_schema():
    return _collection('tags', tag_schema(), 'tags')


def resource_type_associations_schema():
    return _collection('resource_type_associations',
                       resource_type_association_schema(),
                       'resource_type_associations')


def validate(schema, body):
    """SchemaValidationError (400) naming the field that does not fit."""
    image_schemas.validate(schema, body)


class SchemasController:
    """GET /v2/schemas/metadefs/{namespace, namespaces, object, ...}."""

    def __init__(self, registry=None, stores=None, conf=None):
        pass

    def namespace(self, req):
        return http_helpers.json_response(namespace_schema())

    def namespaces(self, req):
        return http_helpers.json_response(namespaces_schema())

    def object(self, req):
        return http_helpers.json_response(object_schema())

    def objects(self, req):
        return http_helpers.json_response(objects_schema())

    def property(self, req):
        return http_helpers.json_response(property_schema())

    def properties(self, req):
        return http_helpers.json_response(properties_schema())

    def tag(self, req):
        return http_helpers.json_response(tag_schema())

    def tags(self, req):
        return http_helpers.json_response(tags_schema())

    def resource_type(self, req):
        return http_helpers.json_response(resource_type_association_schema())

    def resource_types(self, req):
        return http_helpers.json_response(resource_type_associations_schema())
