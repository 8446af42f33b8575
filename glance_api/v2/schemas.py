"""JSON schemas of Image API v2 images, request validation against them,
and the /v2/schemas controller.

The image schema is the base attributes below plus the operator's custom
properties from ``schema-image.json`` (found beside the config files), with
``additionalProperties`` of type string for everything else.
"""

import copy
import json
import os

import jsonschema
from oslo_config import cfg
from oslo_log import log as logging

from glance_api import http_helpers
from glance_registry.common import exception

LOG = logging.getLogger(__name__)

CONF = cfg.CONF
# The schema's format enums are the service's [image_format] options.
CONF.import_opt('disk_formats', 'glance_api.images', group='image_format')

UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')

STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted',
            'pending_delete', 'deactivated', 'uploading', 'importing']
VISIBILITIES = ['community', 'public', 'private', 'shared']

# Attributes the service manages; a request may not set them.
READ_ONLY = ('checksum', 'created_at', 'direct_url', 'file',
             'os_hash_algo', 'os_hash_value', 'schema', 'self', 'size',
             'status', 'stores', 'updated_at', 'virtual_size')
# Names kept for the service; never properties of an image.
RESERVED = ('deleted', 'deleted_at', 'location')
RESERVED_PREFIX = 'os_glance'


def _base_properties(conf):
    def nullable(description, **extra):
        return dict(type=['null', 'string'], description=description,
                    **extra)

    def read_only(description, type_='string', **extra):
        return dict(type=type_, readOnly=True, description=description,
                    **extra)

    return {
        'id': {'type': 'string', 'pattern': UUID_PATTERN,
               'description': 'An identifier for the image'},
        'name': nullable('Descriptive name for the image', maxLength=255),
        'status': read_only('Status of the image', enum=STATUSES),
        'visibility': {'type': 'string', 'enum': VISIBILITIES,
                       'description': 'Scope of image accessibility'},
        'protected': {'type': 'boolean',
                      'description': 'If true, image will not be deletable.'},
        'os_hidden': {'type': 'boolean',
                      'description': 'If true, image will not appear in '
                                     'default image list response.'},
        'checksum': read_only('md5 hash of image contents.',
                              ['null', 'string'], maxLength=32),
        'os_hash_algo': read_only('Algorithm to calculate the '
                                  'os_hash_value', ['null', 'string'],
                                  maxLength=64),
        'os_hash_value': read_only('Hexdigest of the image contents using '
                                   'the algorithm specified by the '
                                   'os_hash_algo', ['null', 'string'],
                                   maxLength=128),
        'owner': nullable('Owner of the image', maxLength=255),
        'size': read_only('Size of image file in bytes',
                          ['null', 'integer']),
        'virtual_size': read_only('Virtual size of image in bytes',
                                  ['null', 'integer']),
        'container_format': nullable(
            'Format of the container',
            enum=[None] + list(conf.image_format.container_formats)),
        'disk_format': nullable(
            'Format of the disk',
            enum=[None] + list(conf.image_format.disk_formats)),
        'created_at': read_only('Date and time of image registration'),
        'updated_at': read_only('Date and time of the last image '
                                'modification'),
        'tags': {'type': 'array', 'description': 'List of strings related '
                                                 'to the image',
                 'items': {'type': 'string', 'maxLength': 255}},
        'direct_url': read_only('URL to access the image file kept in '
                                'external store'),
        'stores': read_only('Ids of the stores holding the image data, '
                            'comma-separated.'),
        'min_ram': {'type': 'integer', 'minimum': 0,
                    'maximum': 2 ** 31 - 1,
                    'description': 'Amount of ram (in MB) required to boot '
                                   'image.'},
        'min_disk': {'type': 'integer', 'minimum': 0,
                     'maximum': 2 ** 31 - 1,
                     'description': 'Amount of disk space (in GB) required '
                                    'to boot image.'},
        'self': read_only('An image self url'),
        'file': read_only('An image file url'),
        'schema': read_only('An image schema url'),
        'locations': {
            'type': 'array',
            'description': 'A set of URLs to access the image file kept in '
                           'external store',
            'items': {'type': 'object',
                      'properties': {'url': {'type': 'string',
                                             'maxLength': 255},
                                     'metadata': {'type': 'object'}},
                      'required': ['url', 'metadata']}},
    }


# Every attribute the image schema defines (the rest are custom
# properties, kept in the registry's ``properties``).
BASE_ATTRIBUTES = frozenset([
    'id', 'name', 'status', 'visibility', 'protected', 'os_hidden',
    'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size',
    'virtual_size', 'container_format', 'disk_format', 'created_at',
    'updated_at', 'tags', 'direct_url', 'min_ram', 'min_disk', 'self',
    'file', 'schema', 'locations', 'stores'])

IMAGE_LINKS = [{'rel': 'self', 'href': '{self}'},
               {'rel': 'enclosure', 'href': '{file}'},
               {'rel': 'describedby', 'href': '{schema}'}]
IMAGES_LINKS = [{'rel': 'first', 'href': '{first}'},
                {'rel': 'next', 'href': '{next}'},
                {'rel': 'describedby', 'href': '{schema}'}]


def load_custom_properties(conf):
    """Custom properties from schema-image.json, each marked is_base false.

    A missing file means none; an unreadable one is logged and ignored, as
    upstream does.
    """
    path = conf.find_file('schema-image.json')
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            properties = json.load(f)
    except (OSError, ValueError) as e:
        LOG.error('Could not load custom image properties from %s: %s',
                  path, e)
        return {}
    result = {}
    for name, definition in properties.items():
        definition = dict(definition)
        definition['is_base'] = False
        result[name] = definition
    return result


def image_schema(conf=CONF, custom_properties=None):
    """The ``image`` schema as GET /v2/schemas/image answers it."""
    if custom_properties is None:
        custom_properties = load_custom_properties(conf)
    properties = _base_properties(conf)
    for name, definition in custom_properties.items():
        properties.setdefault(name, definition)
    return {'name': 'image', 'properties': properties,
            'additionalProperties': {'type': 'string'},
            'links': copy.deepcopy(IMAGE_LINKS)}


def images_schema(image):
    """The ``images`` (list) schema wrapping an image schema."""
    return {'name': 'images',
            'properties': {'images': {'type': 'array', 'items': image},
                           'schema': {'type': 'string'},
                           'first': {'type': 'string'},
                           'next': {'type': 'string'}},
            'links': copy.deepcopy(IMAGES_LINKS)}


MEMBER_SCHEMA = {
    'name': 'member',
    'properties': {
        'created_at': {'type': 'string', 'description':
                       'Date and time of image member creation'},
        'image_id': {'type': 'string', 'pattern': UUID_PATTERN,
                     'description': 'An identifier for the image'},
        'member_id': {'type': 'string',
                      'description': 'An identifier for the image member '
                                     '(tenantId)'},
        'schema': {'type': 'string', 'readOnly': True},
        'status': {'type': 'string',
                   'enum': ['pending', 'accepted', 'rejected'],
                   'description': 'The status of this image member'},
        'updated_at': {'type': 'string', 'description':
                       'Date and time of last modification of image '
                       'member'},
    },
}


def members_schema():
    return {'name': 'members',
            'properties': {'members': {'type': 'array',
                                       'items': copy.deepcopy(
                                           MEMBER_SCHEMA)},
                           'schema': {'type': 'string'}},
            'links': [{'rel': 'describedby', 'href': '{schema}'}]}


def validate(schema, obj):
    """Raise SchemaValidationError (400) naming the field that fails."""
    validator = jsonschema.Draft4Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
    if error is None:
        return
    field = '/'.join(str(p) for p in error.absolute_path)
    reason = error.message
    if field:
        reason = '%s: %s' % (field, reason)
    raise exception.SchemaValidationError(
        reason="Provided object does not match schema '%s': %s"
               % (schema.get('name', 'image'), reason))


class SchemasController:
    """GET /v2/schemas/image and /v2/schemas/images."""

    def __init__(self, registry=None, stores=None, conf=CONF):
        self.conf = conf
        self.image_schema = image_schema(conf)

    def image(self, req):
        return http_helpers.json_response(self.image_schema)

    def images(self, req):
        return http_helpers.json_response(images_schema(self.image_schema))

    def member(self, req):
        return http_helpers.json_response(MEMBER_SCHEMA)

    def members(self, req):
        return http_helpers.json_response(members_schema())
