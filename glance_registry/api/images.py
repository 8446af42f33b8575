"""Classic registry REST API for images (Kilo's ``/images`` of port 9191).

The database speaks the contract's image shape (``visibility``,
``locations``); this module shapes it for the v1 world: ``is_public`` derived
from visibility, ``properties`` as a dict, locations as ``location_data``.
Every database call goes through :mod:`glance_registry.dispatch`; every
request is checked first against the policy rule glance-api checks for the
same action (``get_images``, ``get_image``, ``add_image``,
``modify_image``, ``delete_image``), so a project reader cannot write here
either.
"""

import jsonschema
from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import strutils
from oslo_utils import uuidutils

from glance_registry import api
from glance_registry.common import exception
from glance_registry.common import paging
from glance_registry.common import policy
from glance_registry import dispatch

LOG = logging.getLogger(__name__)

CONF = cfg.CONF

# The fields of GET /images, as Kilo's registry listed them.
INDEX_FIELDS = ('id', 'name', 'size', 'disk_format', 'container_format',
                'checksum')

DETAIL_FIELDS = ('id', 'name', 'size', 'virtual_size', 'disk_format',
                 'container_format', 'checksum', 'status', 'min_ram',
                 'min_disk', 'owner', 'protected', 'created_at',
                 'updated_at', 'deleted_at', 'deleted')


def _nullable(json_type):
    return {'type': [json_type, 'null']}


# The v1 ``{"image": {...}}`` body: writable fields and their JSON types.
IMAGE_BODY_SCHEMA = {
    'type': 'object',
    'required': ['image'],
    'properties': {'image': {
        'type': 'object',
        'additionalProperties': False,
        'properties': {
            'id': _nullable('string'),
            'name': _nullable('string'),
            'status': {'type': 'string'},
            'size': _nullable('integer'),
            'virtual_size': _nullable('integer'),
            'disk_format': _nullable('string'),
            'container_format': _nullable('string'),
            'checksum': _nullable('string'),
            'min_ram': {'type': 'integer'},
            'min_disk': {'type': 'integer'},
            'owner': _nullable('string'),
            'protected': {'type': 'boolean'},
            'is_public': {'type': 'boolean'},
            'properties': {'type': 'object',
                           'additionalProperties': _nullable('string')},
            'location': _nullable('string'),
            'location_data': {'type': 'array', 'items': {
                'type': 'object', 'required': ['url'],
                'properties': {'url': {'type': 'string'},
                               'metadata': _nullable('object'),
                               'status': _nullable('string')}}},
        }}},
}

_BODY_VALIDATOR = jsonschema.Draft4Validator(IMAGE_BODY_SCHEMA)


def _check_image_body(body):
    """InvalidRequest unless ``body`` is ``{"image": {...}}``;
    InvalidParameterValue naming the first field that does not fit."""
    if not isinstance(body, dict) or not isinstance(body.get('image'), dict):
        raise exception.InvalidRequest(
            reason='body must be an object {"image": {...}}')
    error = jsonschema.exceptions.best_match(
        _BODY_VALIDATOR.iter_errors(body))
    if error is not None:
        path = [str(p) for p in error.absolute_path][1:]
        raise exception.InvalidParameterValue(
            value=error.instance if path else sorted(body['image']),
            param='.'.join(path) or 'image', extra=error.message)
    image = body['image']
    if image.get('id') is not None and not uuidutils.is_uuid_like(
            image['id']):
        raise exception.InvalidParameterValue(
            value=image['id'], param='id', extra='expected a UUID')


def make_image_dict(image):
    """The v1 shape of one contract image."""
    result = {field: image.get(field) for field in DETAIL_FIELDS}
    result['is_public'] = image.get('visibility') == 'public'
    result['properties'] = dict(image.get('properties') or {})
    result['location_data'] = [
        {'id': loc.get('id'), 'url': loc.get('url'),
         'metadata': loc.get('metadata') or {},
         'status': loc.get('status')}
        for loc in image.get('locations') or []]
    return result


def _list_params(req):
    """Kilo's registry rule for is_public: an admin sees only public images
    unless is_public is given (``none`` for all); anyone else sees what is
    visible to them."""
    kwargs = paging.classic_list_params(req.GET, req.context.is_admin)
    is_public = paging.classic_is_public(req.GET)
    if is_public is None:
        is_public = True if req.context.is_admin else None
    kwargs['is_public'] = None if is_public == 'none' else is_public
    return kwargs


def _image_values(req, body, creating):
    """Contract ``values`` from a v1 ``{"image": {...}}`` body."""
    _check_image_body(body)
    values = dict(body['image'])
    if 'is_public' in values:
        # A v1 image that is not public may still have members.
        values['visibility'] = ('public' if values.pop('is_public')
                                else 'shared')
    locations = []
    if 'location' in values:
        url = values.pop('location')
        if url:
            locations.append({'url': url, 'metadata': {},
                              'status': 'active'})
    if 'location_data' in values:
        for loc in values.pop('location_data'):
            locations.append({'url': loc['url'],
                              'metadata': loc.get('metadata') or {},
                              'status': loc.get('status') or 'active'})
        values['locations'] = locations
    elif locations:
        values['locations'] = locations
    context = req.context
    if creating:
        # Kilo's registry: a registered image is active unless told.
        values.setdefault('status', 'active')
        values.setdefault('visibility', 'shared')
        if not context.is_admin or not values.get('owner'):
            values['owner'] = context.owner
    elif not context.is_admin:
        values.pop('owner', None)
    return values


def enforce(req, action, image=None, target=None):
    """The policy rule ``action`` (403, or 404 for an image the caller may
    not see)."""
    policy.get_enforcer().enforce(req.context, action, image, target)


def _get(req, image_id):
    return dispatch.dispatch(req.context, 'image_get',
                             {'image_id': image_id})


def index(req):
    """GET /images: summary of the images the caller can list."""
    enforce(req, 'get_images')
    params = _list_params(req)
    images = dispatch.dispatch(req.context, 'image_get_all', params)
    return api.json_response({'images': [
        {field: image.get(field) for field in INDEX_FIELDS}
        for image in images]})


def detail(req):
    """GET /images/detail: every v1 field of the images listed."""
    enforce(req, 'get_images')
    params = _list_params(req)
    images = dispatch.dispatch(req.context, 'image_get_all', params)
    return api.json_response(
        {'images': [make_image_dict(image) for image in images]})


def show(req, image_id):
    """GET (or HEAD) /images/{image_id}."""
    image = _get(req, image_id)
    enforce(req, 'get_image', image)
    return api.json_response({'image': make_image_dict(image)})


def create(req):
    """POST /images with ``{"image": {...}}``."""
    values = _image_values(req, api.read_json_body(req), creating=True)
    enforce(req, 'add_image', target={'project_id': req.context.project_id,
                                      'owner': values['owner']})
    image = dispatch.dispatch(req.context, 'image_create',
                              {'values': values})
    LOG.info('Created image %s', image['id'])
    return api.json_response({'image': make_image_dict(image)})


def update(req, image_id):
    """PUT /images/{image_id}; ``X-Glance-Registry-Purge-Props: true``
    deletes the properties not given; ``from_state`` in the body makes the
    update a compare-and-swap on the status."""
    enforce(req, 'modify_image', _get(req, image_id))
    body = api.read_json_body(req)
    from_state = body.pop('from_state', None) if isinstance(body, dict) \
        else None
    if from_state is not None and not isinstance(from_state, str):
        raise exception.InvalidParameterValue(
            value=from_state, param='from_state', extra='expected str')
    values = _image_values(req, body, creating=False)
    purge = req.headers.get('X-Glance-Registry-Purge-Props', 'false')
    kwargs = {'image_id': image_id, 'values': values,
              'purge_props': strutils.bool_from_string(purge)}
    if from_state:
        kwargs['from_state'] = from_state
    image = dispatch.dispatch(req.context, 'image_update', kwargs)
    return api.json_response({'image': make_image_dict(image)})


def delete(req, image_id):
    """DELETE /images/{image_id}: soft-delete; answers the deleted image."""
    enforce(req, 'delete_image', _get(req, image_id))
    image = dispatch.dispatch(req.context, 'image_destroy',
                              {'image_id': image_id})
    LOG.info('Deleted image %s', image_id)
    return api.json_response({'image': make_image_dict(image)})
