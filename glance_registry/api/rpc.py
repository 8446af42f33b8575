"""``POST /rpc``: the registry contract over HTTP.

The body is a JSON list holding one ``{"command": NAME, "kwargs": {...}}``
and the answer is the list of its one result. The list form is the wire
form registry clients have always sent; a call is one request, so a list of
any other length is refused.
"""

from glance_registry import api
from glance_registry.common import exception
from glance_registry import dispatch

CALL_KEYS = {'command', 'kwargs'}


def call(req):
    body = api.read_json_body(req)
    if not isinstance(body, list) or len(body) != 1:
        raise exception.InvalidRequest(
            reason='body must be a JSON list of one {"command", "kwargs"} '
                   'object (one call per request)')
    item = body[0]
    if not isinstance(item, dict) or 'command' not in item:
        raise exception.InvalidRequest(
            reason='the call must be an object with a "command"')
    unknown = set(item) - CALL_KEYS
    if unknown:
        raise exception.InvalidRequest(
            reason='the call has unknown keys: %s'
                   % ', '.join(sorted(unknown)))
    kwargs = item.get('kwargs')
    if kwargs is None:
        kwargs = {}
    result = dispatch.dispatch(req.context, item['command'], kwargs)
    return api.json_response([result])
