"""The registry contract as a table: operation name -> db.api function.

Both transports (``POST /rpc`` and the oslo.messaging endpoint) and the
registry's REST API call :func:`dispatch`, so arguments are checked and
results made JSON in this one place. Database faults arrive here already
translated into our exception classes (``db.engine.translate_errors`` wraps
every contract function).
"""

import datetime
import inspect
import time

from oslo_serialization import jsonutils

from glance_registry.common import exception
from glance_registry.common import inputs
from glance_registry.common import policy
from glance_registry import contract
from glance_registry.db import api as db_api
from glance_registry import metrics


def signature_mismatches(operations, functions):
    """How ``operations`` (a contract table) differs from the functions of
    the same names in ``functions`` (a module): one line per mismatch."""
    mismatches = []
    for name, operation in sorted(operations.items()):
        function = getattr(functions, name, None)
        if not callable(function):
            mismatches.append('%s: no such function' % name)
            continue
        parameters = list(inspect.signature(function).parameters.values())
        arguments = parameters[1:]     # the first is the request context
        required = {p.name for p in arguments if p.default is p.empty}
        optional = {p.name for p in arguments if p.default is not p.empty}
        if (set(operation.required), set(operation.optional)) != (
                required, optional) or any(
                p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                for p in arguments):
            mismatches.append(
                '%s: the contract says %s, the function takes %s'
                % (name, contract.describe(name, operation),
                   ', '.join(p.name if p.default is p.empty
                             else '[%s]' % p.name for p in arguments)))
    return mismatches


def _build_table():
    mismatches = signature_mismatches(contract.OPERATIONS, db_api)
    if mismatches:
        # A contract that disagrees with its functions is a programming
        # error: fail at import, never at the first call.
        raise ImportError('glance_registry.db.api does not match the '
                          'registry contract:\n' + '\n'.join(mismatches))
    return {name: getattr(db_api, name) for name in contract.OPERATIONS}


FUNCTIONS = _build_table()

_JSON_OBJECT = (dict,)
_JSON_LIST = (list, tuple)
_STRING = (str,)
_INTEGER = (int,)

# Expected JSON types of the contract's arguments, by name. A value of the
# wrong type is refused here with a 400 naming the argument, rather than
# failing somewhere inside a query.
ARGUMENT_TYPES = {
    'values': _JSON_OBJECT,
    'filters': _JSON_OBJECT,
    'location': _JSON_OBJECT,
    'image_id': _STRING,
    'task_id': _STRING,
    'owner_id': _STRING,
    'marker': _STRING,
    'from_state': _STRING,
    'to_state': _STRING,
    'holder': _STRING,
    'holder_prefix': _STRING,
    'keep_prefix': _STRING,
    'api_version': _STRING,
    'duration': _INTEGER,
    'member_status': _STRING,
    'member': _STRING,
    'status': _STRING,
    'value': _STRING,
    'namespace_name': _STRING,
    'node': _STRING,
    'checksum': _STRING,
    'last_modified': _STRING,
    'size': _INTEGER,
    'limit': _INTEGER,
    'member_id': (int, str),
    'location_id': (int, str),
    'tags': _JSON_LIST,
    'expected_properties': _JSON_OBJECT,
    'remove_properties': _JSON_LIST,
    'sort_key': (str, list, tuple),
    'sort_dir': (str, list, tuple),
    'purge_props': (bool,),
    'force_show_deleted': (bool,),
    'admin_as_user': (bool,),
    'return_tag': (bool,),
    'include_deleted': (bool,),
    'is_public': (bool,),
}

_TYPE_NAMES = {dict: 'object', list: 'list', tuple: 'list', str: 'string',
               int: 'integer', bool: 'boolean'}


def _type_name(types):
    return ' or '.join(sorted({_TYPE_NAMES.get(t, t.__name__)
                               for t in types}))


# Integer columns of 32 bits; any other integer a query meets is compared
# with, or stored in, a 64-bit column.
INT_COLUMNS = ('min_ram', 'min_disk')


def check_integers(kwargs):
    """InvalidParameterValue (400) for an integer argument, or an integer
    in ``values``/``filters``, that its column cannot hold (the driver
    would fail, or the database answer an error, deep in the query)."""
    named = list(kwargs.items())
    for group in ('values', 'filters'):
        if isinstance(kwargs.get(group), dict):
            named.extend(kwargs[group].items())
    for name, value in named:
        if isinstance(value, int) and not isinstance(value, bool):
            maximum = (inputs.MAX_INT if name in INT_COLUMNS
                       else inputs.MAX_BIGINT)
            inputs.check_integer(name, value, maximum,
                                 minimum=-maximum - 1)


def check_arguments(command, kwargs):
    """Raise Invalid unless ``kwargs`` fit the operation; return its
    function."""
    if not isinstance(command, str) or command not in FUNCTIONS:
        raise exception.UnknownCommand(command=command)
    if not isinstance(kwargs, dict):
        raise exception.InvalidRequest(
            reason='kwargs of %s must be an object, not %s'
                   % (command, type(kwargs).__name__))
    problem = contract.argument_problem(command, kwargs)
    if problem:
        raise exception.InvalidRequest(reason='%s: %s' % (command, problem))
    for name, value in kwargs.items():
        types = ARGUMENT_TYPES.get(name)
        if value is None or types is None:
            continue
        # bool is an int in Python; an integer argument must not take one.
        if isinstance(value, bool) and bool not in types:
            ok = False
        else:
            ok = isinstance(value, types)
        if not ok:
            raise exception.InvalidParameterValue(
                value=value, param=name,
                extra='%s expects %s' % (command, _type_name(types)))
    check_integers(kwargs)
    return FUNCTIONS[command]


def json_ready(value):
    """``value`` with datetimes as ISO 8601 text, as oslo.serialization's
    ``to_primitive(convert_datetime=True)`` gives, walking only the dicts,
    lists and scalars that results are made of (to_primitive's generic
    walk cost as much CPU as a show's SQL); anything else goes to it."""
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%dT%H:%M:%S.%f')
    return jsonutils.to_primitive(value, convert_datetime=True)


def dispatch(context, command, kwargs, transport='http'):
    """Check the arguments and, for an operation that writes, the policy
    rule ``registry_write`` (administrators, as the registry knows them,
    pass); run one contract operation; return its JSON-ready result.
    Counted for /metrics by ``transport``."""
    started = time.monotonic()
    success = False
    try:
        function = check_arguments(command, kwargs)
        if not (context is None or context.is_admin or
                contract.is_read(command)):
            policy.get_enforcer().enforce(context, 'registry_write')
        result = function(context, **kwargs)
        result = json_ready(result)
        success = True
        return result
    finally:
        if command in FUNCTIONS:
            metrics.record_operation(command, transport,
                                     time.monotonic() - started, success)
