"""What every controller of every API version does with HTTP: read the
request's context and JSON body, answer JSON, show times as upstream."""

from glance_registry.api import json_response  # noqa: F401 (one for both)
from glance_registry.common import context as glance_context
from glance_registry.common import inputs


def request_context(req):
    """The RequestContext the context middleware put in the environ."""
    return req.environ[glance_context.ENV_CONTEXT]


def read_json(req):
    """The JSON of the request body (null when empty), decoded by the one
    decoder that refuses junk with a 400."""
    return inputs.decode_json(req.body or b'null')


def isotime(value):
    """Registry time '2026-11-23T13:53:53.000000' -> '2026-11-23T13:53:53Z'
    as upstream shows times."""
    if not value:
        return value
    return value.split('.')[0].replace('+00:00', '').rstrip('Z') + 'Z'
