"""Untrusted request input, checked once at the edge of both daemons.

JSON bodies, the URL's path and query string, and integers bound for the
database are checked here, so junk is a 400 saying what was wrong instead of
a 500 further in (a UnicodeDecodeError in webob, a RecursionError in json, an
overflow in the database driver).
"""

import json
import math

from oslo_utils import strutils

from glance_registry.common import exception

# No request body of either API nests deeper than about ten levels; the
# limit keeps the decoder, jsonschema and json.dumps far from Python's
# recursion limit.
MAX_JSON_DEPTH = 32
# Signed 64-bit (BigInteger) columns: size, virtual_size, and the filters
# compared with them.
MAX_BIGINT = 2 ** 63 - 1
# Signed 32-bit (Integer) columns: min_ram, min_disk.
MAX_INT = 2 ** 31 - 1


def _bad(reason):
    return exception.InvalidRequest(reason=reason)


def _refuse_constant(name):
    raise _bad('%s is not a JSON number' % name)


def decode_json(data, max_depth=MAX_JSON_DEPTH):
    """The JSON value of the request body ``data`` (bytes).

    InvalidRequest (400) unless it is UTF-8 JSON without NaN/Infinity,
    nested at most ``max_depth`` levels, whose strings hold no lone UTF-16
    surrogate and no NUL character (neither can be stored in every
    database).
    """
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise _bad('the body is not valid UTF-8 (byte %d)' % e.start)
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _bad('JSON nested deeper than %d levels' % max_depth)
    except json.JSONDecodeError as e:
        raise _bad('malformed JSON: %s' % e)
    except ValueError:
        # Python refuses integers of more than 4300 digits.
        raise _bad('a number in the JSON is too long')
    check_json_value(value, max_depth)
    return value


def check_json_value(value, max_depth=MAX_JSON_DEPTH):
    """InvalidRequest if ``value`` nests deeper than ``max_depth`` or holds
    a string (key or value) that :func:`check_text` refuses. Walks without
    recursion."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            check_text(item)
            continue
        if isinstance(item, float) and not math.isfinite(item):
            # 1e999 decodes to infinity, which JSON cannot carry on.
            raise _bad('a number in the JSON is out of range')
        if not isinstance(item, (dict, list)):
            continue
        if depth > max_depth:
            raise _bad('JSON nested deeper than %d levels' % max_depth)
        if isinstance(item, dict):
            for key, child in item.items():
                check_text(key)
                pending.append((child, depth + 1))
        else:
            pending.extend((child, depth + 1) for child in item)


def check_text(text):
    """InvalidRequest if ``text`` holds a NUL character or a lone UTF-16
    surrogate (JSON's ``\\u0000`` and ``\\ud800``)."""
    if '\x00' in text:
        raise _bad('strings may not contain NUL characters')
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        raise _bad('strings may not contain lone UTF-16 surrogates')


def check_url(req):
    """InvalidRequest unless the path and query string of webob request
    ``req`` are UTF-8 once percent-decoded (webob decodes both on first use
    and raises otherwise)."""
    try:
        req.path_info
        req.GET
    except UnicodeDecodeError:
        raise _bad('the URL is not valid UTF-8 once percent-decoded')


def check_integer(name, value, maximum=MAX_BIGINT, minimum=0):
    """``value`` if ``minimum <= value <= maximum``, else
    InvalidParameterValue (400) naming ``name``."""
    if not minimum <= value <= maximum:
        raise exception.InvalidParameterValue(
            value=value, param=name,
            extra='must be between %d and %d' % (minimum, maximum))
    return value


def integer_param(name, value, maximum=MAX_BIGINT):
    """``value`` (a query parameter or header) as a non-negative integer
    of at most ``maximum``; InvalidParameterValue (400) naming ``name``."""
    try:
        result = int(value)
    except (TypeError, ValueError):
        result = None
    if result is None or result < 0:
        raise exception.InvalidParameterValue(
            value=value, param=name, extra='expected a non-negative integer')
    return check_integer(name, result, maximum)


def boolean_param(name, value):
    """``value`` (a query parameter or header) as true or false;
    InvalidParameterValue (400) naming ``name``."""
    result = strutils.bool_from_string(value, strict=False, default=None)
    if result is None:
        raise exception.InvalidParameterValue(
            value=value, param=name, extra='expected true or false')
    return result
