"""Classic registry REST API for images (Kilo's ``/images`` of port 9191).

The database speaks the contract's image shape (``visibility``,
``locations``); this module shapes it for the v1 world: ``is_public`` derived
from visibility, ``properties`` as a dict, locations as ``location_data``.
Every database call goes through :mod:`glance_registry.dispatch`.
"""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import strutils
from oslo_utils import uuidutils

from glance_registry import api
from glance_registry.common import exception
from glance_registry.common import paging
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

# Writable v1 fields and their JSON types (None is allowed for all but the
# booleans and the dicts).
WRITABLE_FIELDS = {
    'id': str, 'name': str, 'status': str, 'size': int,
    'virtual_size': int, 'disk_format': str, 'container_format': str,
    'checksum': str, 'min_ram': int, 'min_disk': int, 'owner': str,
    'protected': bool, 'is_public': bool, 'properties': dict,
    'location_data': list, 'location': str,
}

NOT_NULL_FIELDS = ('protected', 'is_public', 'properties', 'location_data',
                   'min_ram', 'min_disk', 'status')


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
    if not isinstance(body, dict) or not isinstance(body.get('image'), dict):
        raise exception.InvalidRequest(
            reason='body must be an object {"image": {...}}')
    image = body['image']
    values = {}
    for key, value in image.items():
        expected = WRITABLE_FIELDS.get(key)
        if expected is None:
            raise exception.InvalidParameterValue(
                value=key, param='image',
                extra='unknown image field; writable: %s'
                      % ', '.join(sorted(WRITABLE_FIELDS)))
        if value is None and key not in NOT_NULL_FIELDS:
            values[key] = None
            continue
        if (not isinstance(value, expected) or
                (expected is int and isinstance(value, bool))):
            raise exception.InvalidParameterValue(
                value=value, param=key,
                extra='expected %s' % expected.__name__)
        values[key] = value
    if 'id' in values and not uuidutils.is_uuid_like(values['id']):
        raise exception.InvalidParameterValue(
            value=values['id'], param='id', extra='expected a UUID')
    for key, value in values.get('properties', {}).items():
        if value is not None and not isinstance(value, str):
            raise exception.InvalidParameterValue(
                value=value, param='properties.%s' % key,
                extra='property values are strings')
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
        for index, loc in enumerate(values.pop('location_data')):
            if not isinstance(loc, dict) or not isinstance(loc.get('url'),
                                                           str):
                raise exception.InvalidParameterValue(
                    value=loc, param='location_data[%d]' % index,
                    extra='expected {"url", "metadata", "status"}')
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


def index(req):
    """GET /images: summary of the images the caller can list."""
    params = _list_params(req)
    images = dispatch.dispatch(req.context, 'image_get_all', params)
    return api.json_response({'images': [
        {field: image.get(field) for field in INDEX_FIELDS}
        for image in images]})


def detail(req):
    """GET /images/detail: every v1 field of the images listed."""
    params = _list_params(req)
    images = dispatch.dispatch(req.context, 'image_get_all', params)
    return api.json_response(
        {'images': [make_image_dict(image) for image in images]})


def show(req, image_id):
    """GET (or HEAD) /images/{image_id}."""
    image = dispatch.dispatch(req.context, 'image_get',
                              {'image_id': image_id})
    return api.json_response({'image': make_image_dict(image)})


def create(req):
    """POST /images with ``{"image": {...}}``."""
    values = _image_values(req, api.read_json_body(req), creating=True)
    image = dispatch.dispatch(req.context, 'image_create',
                              {'values': values})
    LOG.info('Created image %s', image['id'])
    return api.json_response({'image': make_image_dict(image)})


def update(req, image_id):
    """PUT /images/{image_id}; ``X-Glance-Registry-Purge-Props: true``
    deletes the properties not given; ``from_state`` in the body makes the
    update a compare-and-swap on the status."""
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
    image = dispatch.dispatch(req.context, 'image_destroy',
                              {'image_id': image_id})
    LOG.info('Deleted image %s', image_id)
    return api.json_response({'image': make_image_dict(image)})
