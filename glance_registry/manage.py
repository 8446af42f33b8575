"""glance-manage: database schema and maintenance commands.

    glance-manage --config-file /etc/glance/glance-registry.conf db_sync
    glance-manage db_version | db_upgrade [VERSION] | db_sync [VERSION]
    glance-manage db sync|upgrade|version
    glance-manage db purge --age_in_days N [--max_rows N]
    glance-manage db_load_metadefs [PATH] [--merge [--prefer_new]
                                   [--overwrite]]
    glance-manage db_unload_metadefs | db_export_metadefs [PATH]

Without --config-file, glance-registry.conf and glance-manage.conf are read
from the usual places (~/.glance, ~, /etc/glance, /etc).
"""

import logging as std_logging
import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
from sqlalchemy.engine import url as sa_url

from glance_registry.common import config
from glance_registry.common import exception
from glance_registry.db import engine as db_engine
from glance_registry.db import migration

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def do_db_version():
    # Only the revision on stdout, so scripts can read it.
    std_logging.getLogger('alembic').setLevel(std_logging.WARNING)
    print(migration.current_revision() or 'None')


def do_db_upgrade():
    version = CONF.command.version or 'heads'
    before = migration.current_revision()
    after = migration.upgrade(version)
    if before == after:
        print('Database is up to date at revision %s' % after)
    else:
        print('Upgraded database from %s to %s' % (before, after))


def do_db_purge():
    max_rows = CONF.command.max_rows
    counts = migration.purge(CONF.command.age_in_days,
                             None if max_rows == -1 else max_rows)
    for table, count in counts.items():
        print('%s: %d rows purged' % (table, count))


def do_db_load_metadefs():
    from glance_registry import metadefs_catalog
    for line in metadefs_catalog.load(
            CONF.command.path or metadefs_catalog.default_path(
                CONF.config_file),
            merge=CONF.command.merge, prefer_new=CONF.command.prefer_new,
            overwrite=CONF.command.overwrite):
        print(line)


def do_db_unload_metadefs():
    from glance_registry import metadefs_catalog
    for table, count in metadefs_catalog.unload().items():
        print('%s: %d rows deleted' % (table, count))


def do_db_export_metadefs():
    from glance_registry import metadefs_catalog
    for path in metadefs_catalog.export(
            CONF.command.path or metadefs_catalog.default_path(
                CONF.config_file)):
        print('exported %s' % path)


def _add_metadefs_path_arg(parser):
    parser.add_argument('path', nargs='?',
                        help='Folder of metadata definition files '
                             '(default: metadefs beside the config file, '
                             '/etc/glance/metadefs when installed).')


def _add_load_metadefs_args(parser):
    _add_metadefs_path_arg(parser)
    parser.add_argument('--merge', action='store_true',
                        help='Add to namespaces already in the database '
                             'instead of skipping them.')
    parser.add_argument('--prefer_new', action='store_true',
                        help='With --merge, the files win over what the '
                             'database holds.')
    parser.add_argument('--overwrite', action='store_true',
                        help='With --merge, drop the objects, properties '
                             'and tags of merged namespaces first.')


def _add_version_arg(parser):
    parser.add_argument('version', nargs='?',
                        help='Revision to migrate to (default: the head).')


def _add_purge_args(parser):
    parser.add_argument('--age_in_days', type=int, default=30,
                        help='Purge rows deleted more than this many days '
                             'ago (default 30).')
    parser.add_argument('--max_rows', type=int, default=100,
                        help='At most this many rows per table '
                             '(default 100; -1 for no limit).')


def add_command_parsers(subparsers):
    """Both spellings upstream accepts: ``db_sync`` and ``db sync``."""
    for name, action, add_args in (
            ('db_version', do_db_version, None),
            ('db_upgrade', do_db_upgrade, _add_version_arg),
            ('db_sync', do_db_upgrade, _add_version_arg),
            ('db_purge', do_db_purge, _add_purge_args),
            ('db_load_metadefs', do_db_load_metadefs,
             _add_load_metadefs_args),
            ('db_unload_metadefs', do_db_unload_metadefs, None),
            ('db_export_metadefs', do_db_export_metadefs,
             _add_metadefs_path_arg)):
        parser = subparsers.add_parser(name)
        if add_args:
            add_args(parser)
        parser.set_defaults(action=action)

    db = subparsers.add_parser('db', help='Database commands.')
    db_sub = db.add_subparsers(dest='db_command')
    db_sub.required = True
    for name, action, add_args in (
            ('version', do_db_version, None),
            ('upgrade', do_db_upgrade, _add_version_arg),
            ('sync', do_db_upgrade, _add_version_arg),
            ('purge', do_db_purge, _add_purge_args),
            ('load_metadefs', do_db_load_metadefs, _add_load_metadefs_args),
            ('unload_metadefs', do_db_unload_metadefs, None),
            ('export_metadefs', do_db_export_metadefs,
             _add_metadefs_path_arg)):
        parser = db_sub.add_parser(name)
        if add_args:
            add_args(parser)
        parser.set_defaults(action=action)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                help='Available commands',
                                handler=add_command_parsers)


def default_config_files():
    files = cfg.find_config_files(project='glance', prog='glance-registry')
    files.extend(cfg.find_config_files(project='glance',
                                       prog='glance-manage'))
    return files


def _safe_url(url):
    try:
        return sa_url.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return '(unparsable [database] connection)'


def main(argv=None):
    CONF.register_cli_opt(command_opt)
    argv = sys.argv[1:] if argv is None else argv
    try:
        config.parse_args(argv, prog='glance-manage',
                          default_config_files=default_config_files())
    except cfg.ConfigFilesNotFoundError as e:
        sys.exit('ERROR: %s' % e)
    logging.setup(CONF, 'glance-manage')
    command = CONF.command
    try:
        command.action()
    except exception.GlanceException as e:
        sys.exit('ERROR: %s' % e)
    except ValueError as e:
        sys.exit('ERROR: %s' % e)
    except db_exc.DBConnectionError:
        sys.exit('ERROR: cannot connect to the database %s'
                 % _safe_url(CONF.database.connection))
    except Exception as e:
        LOG.exception('glance-manage %s failed', command.name)
        sys.exit('ERROR: %s' % (getattr(e, 'orig', None) or e))
    finally:
        db_engine.dispose()


if __name__ == '__main__':
    main()
