"""The registry contract as a table: operation name -> db.api function.

Both transports (``POST /rpc`` and the oslo.messaging endpoint) and the
registry's REST API call :func:`dispatch`, so arguments are checked, database
faults translated and results made JSON in this one place.
"""

import inspect

from oslo_db import exception as db_exception
from oslo_log import log as logging
from oslo_serialization import jsonutils

from glance_registry.common import exception
from glance_registry.common import inputs
from glance_registry import contract
from glance_registry.db import api as db_api

LOG = logging.getLogger(__name__)


def _build_table():
    table = {}
    missing = []
    for name in contract.OPERATIONS:
        function = getattr(db_api, name, None)
        if not callable(function):
            missing.append(name)
            continue
        table[name] = (function, inspect.signature(function))
    if missing:
        # A contract name without its function is a programming error: fail
        # at import, never at the first call.
        raise ImportError('glance_registry.db.api lacks registry contract '
                          'operations: %s' % ', '.join(sorted(missing)))
    return table


OPERATIONS = _build_table()

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
    'member_status': _STRING,
    'member': _STRING,
    'status': _STRING,
    'value': _STRING,
    'namespace_name': _STRING,
    'limit': _INTEGER,
    'member_id': (int, str),
    'location_id': (int, str),
    'tags': _JSON_LIST,
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
    """Raise Invalid unless ``kwargs`` fit the operation's signature."""
    if not isinstance(command, str) or command not in OPERATIONS:
        raise exception.UnknownCommand(command=command)
    if not isinstance(kwargs, dict):
        raise exception.InvalidRequest(
            reason='kwargs of %s must be an object, not %s'
                   % (command, type(kwargs).__name__))
    function, signature = OPERATIONS[command]
    try:
        signature.bind(None, **kwargs)
    except TypeError as e:
        raise exception.InvalidRequest(reason='%s: %s' % (command, e))
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
    return function


def dispatch(context, command, kwargs):
    """Run one contract operation; return its JSON-ready result."""
    function = check_arguments(command, kwargs)
    try:
        result = function(context, **kwargs)
    except exception.GlanceException:
        raise
    except db_exception.DBConnectionError as e:
        LOG.warning('Database unreachable during %s: %s', command, e)
        raise exception.DatabaseUnavailable(
            reason='cannot connect to the database')
    except db_exception.DBDuplicateEntry:
        raise exception.Duplicate(reason='%s' % command)
    return jsonutils.to_primitive(result, convert_datetime=True)
