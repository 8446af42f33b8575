"""Image API v2 images: create, index, show, update, delete.

The controller reads the request (body checks, schema validation, list
parameters), calls :class:`glance_api.images.ImageService` and shapes the
answer as upstream's samples show it.
"""

import datetime
import urllib.parse

from oslo_config import cfg
import webob

from glance_api import http_helpers
from glance_api import images as image_service
from glance_api import importing
from glance_api import location_strategy
from glance_api.v2 import image_import
from glance_api.v2 import patch
from glance_api.v2 import schemas
from glance_registry.common import exception
from glance_registry.common import inputs
from glance_registry.common import paging

CONF = cfg.CONF

SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size',
             'id', 'created_at', 'updated_at', 'virtual_size', 'min_disk',
             'min_ram', 'owner', 'visibility', 'protected')
SORT_DIRS = ('asc', 'desc')
# Query parameters that filter on an image attribute; any other parameter
# filters on a custom property of that name.
ATTRIBUTE_FILTERS = ('name', 'status', 'visibility', 'owner', 'id',
                     'checksum', 'os_hash_value', 'disk_format',
                     'container_format', 'protected', 'os_hidden',
                     'size_min', 'size_max', 'created_at', 'updated_at')
# Filters whose value may be "in:a,b,c".
IN_FILTERS = ('name', 'status', 'container_format', 'disk_format', 'id',
              'owner')
TIME_OPERATORS = ('gt', 'gte', 'lt', 'lte', 'eq', 'neq')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected', 'all')
# Parameters that shape the list rather than filter it.
LIST_PARAMETERS = ('limit', 'marker', 'sort_key', 'sort_dir', 'sort',
                   'member_status', 'tag')
# Read-only attributes a PATCH may not touch (``id`` is settable only at
# creation).
PATCH_READ_ONLY = schemas.READ_ONLY + ('id',)


def _bad(reason):
    return exception.InvalidRequest(reason=reason)


# -- list parameters (pure) ----------------------------------------------

def parse_sort(params):
    """(sort_key list, sort_dir list) from sort_key/sort_dir or sort."""
    keys = params.getall('sort_key')
    dirs = params.getall('sort_dir')
    sort = params.get('sort')
    if sort is not None and (keys or dirs):
        raise _bad('The sort parameter cannot be combined with '
                   'sort_key/sort_dir')
    if sort is not None:
        keys, dirs = [], []
        for item in sort.split(','):
            key, _, direction = item.strip().partition(':')
            keys.append(key.strip())
            dirs.append(direction.strip() or 'desc')
    else:
        if not keys:
            keys = ['created_at']
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise _bad('Number of sort dirs does not match the number of '
                       'sort keys')
        if len(dirs) <= 1:
            dirs = (dirs or ['desc']) * len(keys)
    for key in keys:
        if key not in SORT_KEYS:
            raise exception.InvalidSortKey(key=key)
    for direction in dirs:
        if direction not in SORT_DIRS:
            raise exception.InvalidSortDir(sort_dir=direction)
    return keys, dirs


def _parse_int(name, value):
    try:
        number = int(value)
    except ValueError:
        raise exception.InvalidParameterValue(value=value, param=name,
                                              extra='expected an integer')
    if number < 0:
        raise exception.InvalidParameterValue(value=value, param=name,
                                              extra='must not be negative')
    # Checked here, before the registry, whose database cannot hold more.
    return inputs.check_integer(name, number)


def _parse_time(name, value):
    operator, sep, when = value.partition(':')
    if not sep or operator not in TIME_OPERATORS:
        operator, when = 'eq', value
    text = when.strip().replace('Z', '+00:00')
    try:
        datetime.datetime.fromisoformat(text)
    except ValueError:
        raise exception.InvalidParameterValue(
            value=value, param=name,
            extra='expected [gt|gte|lt|lte|eq|neq:]<ISO 8601 time>')
    return '%s:%s' % (operator, when.strip())


def parse_in_values(value):
    """'in:a,"b,c",d' -> ['a', 'b,c', 'd'] (quotes protect commas)."""
    values, current, quoted = [], '', False
    for char in value:
        if char == '"':
            quoted = not quoted
        elif char == ',' and not quoted:
            values.append(current)
            current = ''
        else:
            current += char
    if quoted:
        raise _bad('Unbalanced quotes in %r' % value)
    values.append(current)
    return values


def parse_filters(params):
    """The registry ``filters`` dict from the list query parameters."""
    filters = {}
    properties = {}
    for name, value in params.items():
        if name in LIST_PARAMETERS:
            continue
        if name not in ATTRIBUTE_FILTERS:
            properties[name] = value
            continue
        if name in ('protected', 'os_hidden'):
            filters[name] = inputs.boolean_param(name, value)
        elif name in ('size_min', 'size_max'):
            filters[name] = _parse_int(name, value)
        elif name in ('created_at', 'updated_at'):
            filters[name] = _parse_time(name, value)
        elif name == 'visibility':
            if value not in schemas.VISIBILITIES + ['all']:
                raise exception.InvalidParameterValue(
                    value=value, param=name,
                    extra='expected one of %s, all'
                          % ', '.join(schemas.VISIBILITIES))
            if value != 'all':
                filters[name] = value
        elif value.startswith('in:'):
            if name not in IN_FILTERS:
                raise exception.InvalidFilter(
                    reason='the in: operator does not apply to %s' % name)
            values = parse_in_values(value[3:])
            # The registry takes "in:a,b" or, when a value holds a comma,
            # the list itself.
            if any(',' in v for v in values):
                filters[name] = values
            else:
                filters[name] = 'in:' + ','.join(values)
        else:
            filters[name] = value
    tags = params.getall('tag')
    if tags:
        filters['tags'] = tags
    if properties:
        filters['properties'] = properties
    return filters


def parse_list_params(params, conf=CONF):
    """Keyword arguments of ImageService.list from the query string."""
    member_status = params.get('member_status', 'accepted')
    if member_status not in MEMBER_STATUSES:
        raise exception.InvalidParameterValue(
            value=member_status, param='member_status',
            extra='expected one of %s' % ', '.join(MEMBER_STATUSES))
    sort_key, sort_dir = parse_sort(params)
    return {'filters': parse_filters(params),
            'marker': params.get('marker'),
            'limit': paging.parse_limit(params.get('limit'), conf),
            'sort_key': sort_key, 'sort_dir': sort_dir,
            'member_status': member_status}


# -- request bodies (pure) -----------------------------------------------

def check_create_body(body):
    """403 for attributes the caller may not set, as upstream."""
    if not isinstance(body, dict):
        raise _bad('The request body must be a JSON object')
    for name in body:
        if name in schemas.READ_ONLY or name == 'locations':
            raise exception.Forbidden("Attribute '%s' is read-only." % name)
        if name in schemas.RESERVED or name.startswith(
                schemas.RESERVED_PREFIX):
            raise exception.Forbidden("Attribute '%s' is reserved." % name)


def split_create_body(body):
    """(attributes, properties, tags) of a validated create body."""
    body = dict(body)
    tags = body.pop('tags', [])
    attributes = {name: body.pop(name) for name in list(body)
                  if name in image_service.MUTABLE_ATTRIBUTES or
                  name == 'id'}
    return attributes, body, tags


def check_change(schema, change):
    """403 for read-only/reserved paths, 400 for values the schema
    refuses."""
    name = change['path'][0]
    if name in PATCH_READ_ONLY:
        raise exception.Forbidden("Attribute '%s' is read-only." % name)
    if name in schemas.RESERVED or name.startswith(schemas.RESERVED_PREFIX):
        raise exception.Forbidden("Attribute '%s' is reserved." % name)
    if change['op'] == 'remove':
        return
    value = change['value']
    if name == 'locations' and len(change['path']) == 2:
        value = [value]
    schemas.validate(schema, {name: value})


# -- responses -----------------------------------------------------------


VIEW_ATTRIBUTES = ('id', 'name', 'status', 'visibility', 'protected',
                   'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value',
                   'owner', 'size', 'virtual_size', 'container_format',
                   'disk_format', 'min_ram', 'min_disk')


def image_view(image, conf=CONF):
    """The v2 representation of a registry image: custom properties at the
    top level, base attributes always present (null when unset)."""
    view = dict(image.get('properties') or {})
    for name in VIEW_ATTRIBUTES:
        view[name] = image.get(name)
    view['created_at'] = http_helpers.isotime(image.get('created_at'))
    view['updated_at'] = http_helpers.isotime(image.get('updated_at'))
    view['tags'] = list(image.get('tags') or [])
    locations = location_strategy.order(
        [loc for loc in image.get('locations') or []
         if loc.get('status', 'active') == 'active'], conf)
    if conf.show_multiple_locations:
        view['locations'] = [{'url': loc['url'],
                              'metadata': loc.get('metadata') or {}}
                             for loc in locations]
    if conf.show_image_direct_url and locations:
        view['direct_url'] = locations[0]['url']
    stores = stores_of(locations)
    if stores:
        view['stores'] = ','.join(stores)
    view['self'] = '/v2/images/%s' % image['id']
    view['file'] = '/v2/images/%s/file' % image['id']
    view['schema'] = '/v2/schemas/image'
    return view


def stores_of(locations):
    """Store ids recorded in ``locations`` (metadata ``store``), each
    once, in location order."""
    stores = []
    for location in locations:
        store = (location.get('metadata') or {}).get('store')
        if store and store not in stores:
            stores.append(store)
    return stores


class ImagesController:
    """POST/GET /v2/images, GET/PATCH/DELETE /v2/images/{image_id}."""

    def __init__(self, registry, stores, conf=CONF):
        self.conf = conf
        self.service = image_service.ImageService(registry, stores, conf)
        self.schema = schemas.image_schema(conf)
        conf.register_opts(importing.import_opts)

    def create(self, req):
        body = http_helpers.read_json(req)
        check_create_body(body)
        schemas.validate(self.schema, body)
        attributes, properties, tags = split_create_body(body)
        image = self.service.create(http_helpers.request_context(req),
                                    attributes, properties, tags)
        resp = http_helpers.json_response(image_view(image, self.conf),
                                          status=201)
        resp.location = '%s/v2/images/%s' % (req.host_url, image['id'])
        # Clients (openstacksdk) learn here how the data may come.
        resp.headers['OpenStack-image-import-methods'] = ','.join(
            self.conf.enabled_import_methods)
        if self.conf.enabled_backends:
            resp.headers['OpenStack-image-store-ids'] = ','.join(
                self.service.stores.names)
        return resp

    def index(self, req):
        kwargs = parse_list_params(req.params, self.conf)
        images, next_marker = self.service.list(
            http_helpers.request_context(req), **kwargs)
        params = [(k, v) for k, v in req.params.items() if k != 'marker']
        body = {'images': [image_view(i, self.conf) for i in images],
                'first': '/v2/images',
                'schema': '/v2/schemas/images'}
        if params:
            body['first'] += '?' + urllib.parse.urlencode(params)
        if next_marker:
            body['next'] = '/v2/images?' + urllib.parse.urlencode(
                params + [('marker', next_marker)])
        return http_helpers.json_response(body)

    def show(self, req, image_id):
        image = self.service.show(http_helpers.request_context(req), image_id)
        return http_helpers.json_response(image_view(image, self.conf))

    def update(self, req, image_id):
        content_type = req.content_type
        if content_type not in patch.MEDIA_TYPES:
            raise exception.UnsupportedMediaType(
                content_type=content_type,
                headers={'Accept-Patch': ', '.join(sorted(
                    patch.MEDIA_TYPES))})
        changes = patch.parse_changes(content_type,
                                      http_helpers.read_json(req))
        for change in changes:
            check_change(self.schema, change)
        image = self.service.update(http_helpers.request_context(req),
                                    image_id, changes)
        return http_helpers.json_response(image_view(image, self.conf))

    def delete(self, req, image_id):
        context = http_helpers.request_context(req)
        # Import data staged on another worker goes with the image there.
        host = self.service.staging.stage_host(
            self.service.get(context, image_id))
        if host is not None:
            return image_import.forward(req, host)
        self.service.delete(context, image_id)
        return webob.Response(status=204)

    def delete_from_store(self, req, store_id, image_id):
        self.service.delete_from_store(http_helpers.request_context(req),
                                       store_id, image_id)
        return webob.Response(status=204)

    def deactivate(self, req, image_id):
        self.service.deactivate(http_helpers.request_context(req), image_id)
        return webob.Response(status=204)

    def reactivate(self, req, image_id):
        self.service.reactivate(http_helpers.request_context(req), image_id)
        return webob.Response(status=204)
