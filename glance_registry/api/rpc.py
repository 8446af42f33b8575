"""``POST /rpc``: the registry contract over HTTP.

The body is a JSON list of ``{"command": NAME, "kwargs": {...}}``; the
commands run in order and the answer is the list of their results. Every
item is checked before the first runs, so a malformed batch changes nothing.
"""

from glance_registry import api
from glance_registry.common import exception
from glance_registry import dispatch


def call(req):
    body = api.read_json_body(req)
    if not isinstance(body, list):
        raise exception.InvalidRequest(
            reason='body must be a JSON list of {"command", "kwargs"} '
                   'objects, not %s' % type(body).__name__)
    calls = []
    for index, item in enumerate(body):
        if not isinstance(item, dict) or 'command' not in item:
            raise exception.InvalidRequest(
                reason='item %d must be an object with a "command"' % index)
        unknown = set(item) - {'command', 'kwargs'}
        if unknown:
            raise exception.InvalidRequest(
                reason='item %d has unknown keys: %s'
                       % (index, ', '.join(sorted(unknown))))
        kwargs = item.get('kwargs')
        if kwargs is None:
            kwargs = {}
        dispatch.check_arguments(item['command'], kwargs)
        calls.append((item['command'], kwargs))
    results = [dispatch.dispatch(req.context, command, kwargs)
               for command, kwargs in calls]
    return api.json_response(results)
