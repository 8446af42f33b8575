"""Database connection: oslo.db enginefacade, options, error translation.

One transaction factory per process, built from ``[database]`` on first use
and rebuilt by :func:`configure` (tests and glance-manage point it at their
own database). Sessions come from :func:`reader` / :func:`writer`.

oslo.db's start-up connection test (``[database] max_retries`` attempts,
``retry_interval`` apart) is not run on first use: a registry whose database
is down must answer 503 at once and recover when it comes back, not block a
request for minutes. :func:`wait_for_database` runs that wait explicitly.

SQLite (the default) takes three settings so that concurrent requests, in
one registry process or several, wait for each other instead of failing
with "database is locked": write transactions start with BEGIN IMMEDIATE
(oslo.db's deferred BEGIN lets two writers each read, then deadlock on the
upgrade to a write lock, which SQLite answers at once with SQLITE_BUSY);
writers in one process queue on a lock that eventlet can switch on, as
SQLite's own busy wait blocks the whole process; and file databases use
write-ahead logging, so readers never block the writer. A SQLite file
keeps a pool of open connections (oslo.db opens and closes one per
transaction, which costs more than the queries of a show: the close of a
database's last connection checkpoints the write-ahead log).
"""

import contextlib
import copy
import functools
import threading
import time

from oslo_config import cfg
from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db import options as db_options
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
import sqlalchemy as sa

from glance_registry.common import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

state_opts = [
    cfg.StrOpt('state_path', default='/var/lib/glance',
               help='Top-level folder for glance state (the default SQLite '
                    'database lives here).'),
]
DEFAULT_CONNECTION = 'sqlite:///$state_path/glance.sqlite'
# A registry process serves many requests at once on green threads, each
# holding a connection for its transaction. With oslo.db's 5 kept open,
# the sixth concurrent request opens a connection and closes it after
# (a PyMySQL connect, TLS context included, costs ~20 ms: MariaDB shows
# ran at a third of SQLite's rate at 16 clients). Keep 20 open; the cap,
# max_pool_size + max_overflow, stays oslo.db's 55.
DEFAULTS = {'connection': DEFAULT_CONNECTION, 'max_pool_size': 20,
            'max_overflow': 35}

CONF.register_opts(state_opts)
db_options.set_defaults(CONF, **DEFAULTS)


def list_opts():
    """Options of the database layer, for oslo-config-generator."""
    database_opts = copy.deepcopy(db_options.database_opts)
    for opt in database_opts:
        if opt.dest in DEFAULTS:
            opt.default = DEFAULTS[opt.dest]
    return [('DEFAULT', copy.deepcopy(state_opts)),
            ('database', database_opts)]


class _Scope:
    """Holder enginefacade keeps its per-thread transaction state on."""


_factory = None


def configure(connection=None):
    """(Re)build the transaction factory; ``connection`` overrides CONF."""
    global _factory
    dispose()
    factory = enginefacade.transaction_context()
    kwargs = {'sqlite_fk': True, 'max_retries': 0}
    if connection:
        kwargs['connection'] = connection
    factory.configure(**kwargs)
    factory.append_on_engine_create(_sqlite_setup)
    _factory = factory
    return factory


# Per thread (per green thread under eventlet): inside writer()?
_scope = threading.local()
# Writers of one process take turns here rather than in SQLite's busy wait.
_sqlite_writers = threading.RLock()


def _sqlite_setup(engine):
    if engine.dialect.name != 'sqlite':
        return
    database = engine.url.database
    if database and database != ':memory:':
        _pool_connections(engine)

        # Stored in the database file: once per process is enough.
        @sa.event.listens_for(engine, 'first_connect')
        def _wal(dbapi_connection, connection_record):
            dbapi_connection.execute('PRAGMA journal_mode=WAL')

    @sa.event.listens_for(engine, 'begin')
    def _begin(connection):
        if not getattr(_scope, 'writing', False):
            return
        if connection.info.get('in_transaction'):
            # oslo.db's listener ran first (SQLAlchemy 2.1 ignores
            # insert=True here) and sent a deferred BEGIN, which holds no
            # lock until the first statement: replace it.
            connection.exec_driver_sql('ROLLBACK')
        connection.exec_driver_sql('BEGIN IMMEDIATE')
        connection.info['in_transaction'] = True


def _pool_connections(engine):
    """Replace oslo.db's NullPool of a SQLite file by a QueuePool sized by
    ``[database] max_pool_size``/``max_overflow``, keeping the listeners
    oslo.db set on the pool (as SQLAlchemy's own ``Pool.recreate`` does).
    No ping on checkout: a local file does not drop connections."""
    old = engine.pool
    if not isinstance(old, sa.pool.NullPool):
        return
    engine.pool = sa.pool.QueuePool(
        old._creator, pool_size=_setting('max_pool_size'),
        max_overflow=_setting('max_overflow'),
        timeout=CONF.database.pool_timeout or 30,
        recycle=old._recycle, pre_ping=False,
        logging_name=old._orig_logging_name,
        reset_on_return=old._reset_on_return,
        _dispatch=old.dispatch, dialect=old._dialect)


def _setting(name):
    value = getattr(CONF.database, name)
    return DEFAULTS[name] if value is None else value


def _get_factory():
    return _factory or configure()


def dispose():
    """Close the pooled connections of the current factory, if started."""
    global _factory
    if _factory is not None and _factory.is_started:
        _factory.dispose_pool()
    _factory = None


def get_engine():
    return _get_factory().writer.get_engine()


@contextlib.contextmanager
def reader():
    """A session in a read transaction."""
    with _get_factory().reader.using(_Scope()) as session:
        yield session


@contextlib.contextmanager
def writer():
    """A session in a write transaction, committed when the block ends."""
    outer = getattr(_scope, 'writing', False)
    with _sqlite_writers if _is_sqlite() else contextlib.nullcontext():
        _scope.writing = True
        try:
            with _get_factory().writer.using(_Scope()) as session:
                yield session
        finally:
            _scope.writing = outer


def _is_sqlite():
    return get_engine().dialect.name == 'sqlite'


def wait_for_database(max_retries=None, retry_interval=None):
    """Block until ``SELECT 1`` works (start-up); honours [database] opts."""
    if max_retries is None:
        max_retries = CONF.database.max_retries
    if retry_interval is None:
        retry_interval = CONF.database.retry_interval
    attempt = 0
    while True:
        try:
            with reader() as session:
                session.execute(sa.text('SELECT 1'))
            return
        except (db_exc.DBConnectionError, db_exc.DBError) as e:
            attempt += 1
            if max_retries != -1 and attempt >= max(max_retries, 1):
                raise exception.DatabaseUnavailable(
                    reason=_describe(e)) from None
            LOG.warning('Database not reachable (%s); retrying in %ss',
                        _describe(e), retry_interval)
            time.sleep(retry_interval)


def _describe(error):
    if isinstance(error, db_exc.DBConnectionError):
        return 'cannot connect to the database server'
    if isinstance(error, db_exc.DBDeadlock):
        return 'deadlock persisted after retries'
    if isinstance(error, db_exc.DBNonExistentDatabase):
        return 'the database does not exist or cannot be opened'
    if isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return 'the database server cannot be used (%s)' % (
            type(getattr(error, 'orig', None) or error).__name__)
    return 'database error (%s)' % type(error).__name__


def translate_errors(func):
    """Turn oslo.db/SQLAlchemy errors into our exception classes.

    Messages name the problem, never the SQL; the original is logged.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except exception.GlanceException:
            raise
        except db_exc.DBDuplicateEntry:
            raise exception.Duplicate(
                reason='%s: the object already exists' % func.__name__
            ) from None
        except db_exc.DBDataError as e:
            LOG.info('%s rejected by the database: %s', func.__name__, e)
            raise exception.Invalid(
                reason='a value is too long or out of range for its column'
            ) from None
        except db_exc.DBReferenceError:
            raise exception.Invalid(
                reason='the object refers to a missing parent') from None
        except (db_exc.DBConnectionError, db_exc.DBDeadlock,
                db_exc.DBNonExistentDatabase, sa.exc.OperationalError,
                sa.exc.InterfaceError) as e:
            LOG.error('Database unavailable in %s: %s', func.__name__,
                      str(e).splitlines()[0])
            raise exception.DatabaseUnavailable(reason=_describe(e)) from None
        except db_exc.DBError as e:
            LOG.exception('Database error in %s', func.__name__)
            raise exception.DatabaseUnavailable(reason=_describe(e)) from None
    return wrapper


def retry_on_deadlock(func):
    """Re-run a whole write transaction when the database reports deadlock."""
    return oslo_db_api.wrap_db_retry(
        max_retries=5, retry_interval=0.1, max_retry_interval=2,
        inc_retry_interval=True, retry_on_deadlock=True, jitter=True)(func)


def read_operation(func):
    return translate_errors(func)


def write_operation(func):
    return translate_errors(retry_on_deadlock(func))
