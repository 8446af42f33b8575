"""Image API v2 tasks: GET /v2/tasks, GET /v2/tasks/{task_id} and
GET /v2/images/{image_id}/tasks (API 2.12)."""

import urllib.parse

from glance_api import http_helpers
from glance_api import images as image_service
from glance_api import importing
from glance_api import tasks as task_service
from glance_api.v2 import images as v2_images
from glance_api.v2 import schemas
from glance_registry.common import exception
from glance_registry.common import paging

LIST_PARAMETERS = ('limit', 'marker', 'sort_key', 'sort_dir')


def task_view(task, detail=True):
    """A task as upstream shows it: the list leaves out input, result and
    message."""
    view = {name: task.get(name) for name in ('id', 'type', 'status',
                                              'owner')}
    for name in ('created_at', 'updated_at'):
        view[name] = http_helpers.isotime(task.get(name))
    if task.get('expires_at'):
        view['expires_at'] = http_helpers.isotime(task['expires_at'])
    if detail:
        view['input'] = task.get('input')
        view['result'] = task.get('result')
        view['message'] = task.get('message') or ''
    view['self'] = '/v2/tasks/%s' % task['id']
    view['schema'] = '/v2/schemas/task'
    return view


def image_task_view(task):
    """An image's task (GET /v2/images/{image_id}/tasks): the whole
    record, with the request and user that started it. Upstream's code
    answers ``request_id`` and ``user_id`` (its database keys, what
    Tempest reads), its API reference ``request-id`` and ``user``: both
    are given."""
    view = task_view(task)
    view.pop('self')
    view.pop('schema')
    view.update({'image_id': task.get('image_id'),
                 'request_id': task.get('request_id'),
                 'user_id': task.get('user_id'),
                 'request-id': task.get('request_id'),
                 'user': task.get('user_id'),
                 'expires_at': http_helpers.isotime(task.get('expires_at')),
                 'deleted': bool(task.get('deleted')),
                 'deleted_at': http_helpers.isotime(task.get('deleted_at'))})
    return view


def parse_list_params(params, conf):
    """Keyword arguments of TaskService.list from the query string."""
    filters = {}
    for name, value in params.items():
        if name in LIST_PARAMETERS:
            continue
        if name not in task_service.FILTERS:
            raise exception.InvalidFilter(
                reason='tasks are filtered by %s, not %s'
                       % (' and '.join(task_service.FILTERS), name))
        if name == 'status' and value not in task_service.TASK_STATUSES:
            raise exception.InvalidParameterValue(
                value=value, param=name, extra='expected one of %s'
                % ', '.join(task_service.TASK_STATUSES))
        filters[name] = value
    sort_key = params.get('sort_key', 'created_at')
    if sort_key not in task_service.SORT_KEYS:
        raise exception.InvalidSortKey(key=sort_key)
    sort_dir = params.get('sort_dir', 'desc')
    if sort_dir not in v2_images.SORT_DIRS:
        raise exception.InvalidSortDir(sort_dir=sort_dir)
    return {'filters': filters, 'marker': params.get('marker'),
            'limit': paging.parse_limit(params.get('limit'), conf),
            'sort_key': sort_key, 'sort_dir': sort_dir}


class TasksController:

    def __init__(self, registry, stores, conf):
        self.conf = conf
        self.service = task_service.TaskService(registry, conf)
        self.images = image_service.ImageService(registry, stores, conf)
        self.imports = importing.ImportService(registry, stores, conf)
        self.schema = schemas.image_schema(conf)

    def index(self, req):
        tasks, next_marker = self.service.list(
            http_helpers.request_context(req),
            **parse_list_params(req.params, self.conf))
        params = [(k, v) for k, v in req.params.items() if k != 'marker']
        body = {'tasks': [task_view(t, detail=False) for t in tasks],
                'first': '/v2/tasks', 'schema': '/v2/schemas/tasks'}
        if params:
            body['first'] += '?' + urllib.parse.urlencode(params)
        if next_marker:
            body['next'] = '/v2/tasks?' + urllib.parse.urlencode(
                params + [('marker', next_marker)])
        return http_helpers.json_response(body)

    def create(self, req):
        """POST /v2/tasks: the legacy ``import`` task, a web-download of
        ``input.import_from`` into a new image; 201 with the task."""
        context = http_helpers.request_context(req)
        body = http_helpers.read_json(req)
        if not isinstance(body, dict):
            raise exception.InvalidRequest(reason='the body must be an '
                                                  'object')
        task_input = body.get('input')
        properties = self.imports.check_legacy_task(
            context, body.get('type'), task_input)
        v2_images.check_create_body(properties)
        schemas.validate(self.schema, properties)
        image = self.images.create(
            context, *v2_images.split_create_body(properties))
        request = importing.ImportRequest(
            'web-download', None, uri=task_input['import_from'],
            body={'method': {'name': 'web-download',
                             'uri': task_input['import_from']}})
        task, _ = self.imports.start(context, image['id'], request,
                                     task_type='import',
                                     task_input=task_input)
        resp = http_helpers.json_response(task_view(task), status=201)
        resp.location = '%s/v2/tasks/%s' % (req.host_url, task['id'])
        return resp

    def show(self, req, task_id):
        task = self.service.get(http_helpers.request_context(req), task_id)
        return http_helpers.json_response(task_view(task))

    def image_tasks(self, req, image_id):
        context = http_helpers.request_context(req)
        # An image held by an import whose process died is released here.
        self.imports.get_image(context, image_id)
        image = self.images.show(context, image_id)
        tasks = self.service.image_tasks(context, image)
        return http_helpers.json_response(
            {'tasks': [image_task_view(t) for t in tasks]})
