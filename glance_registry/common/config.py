"""Config file parsing and paste.deploy app loading, shared by both daemons."""

import os

from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy

paste_deploy_opts = [
    cfg.StrOpt('flavor',
               help='Partial name of a pipeline in the paste config file; '
                    'the pipeline loaded is <service>-<flavor> ("keystone" '
                    'for keystonemiddleware, "noauth" or unset for labs).'),
    cfg.StrOpt('config_file',
               help='Name of the paste configuration file. Defaults to '
                    '<prog>-paste.ini beside the first config file.'),
]

CONF = cfg.CONF
CONF.register_opts(paste_deploy_opts, group='paste_deploy')
logging.register_options(CONF)


def parse_args(argv=None, prog=None, default_config_files=None):
    """Parse command line and config files into the global CONF."""
    CONF(argv, project='glance', prog=prog,
         default_config_files=default_config_files)


def setup_logging(prog):
    logging.setup(CONF, prog)


def _paste_config_path(prog):
    path = CONF.paste_deploy.config_file
    if not path:
        if not CONF.config_file:
            raise RuntimeError('No config file given: cannot find %s-paste.ini'
                               % prog)
        path = os.path.join(os.path.dirname(CONF.config_file[0]),
                            '%s-paste.ini' % prog)
    elif not os.path.isabs(path) and CONF.config_file:
        candidate = os.path.join(os.path.dirname(CONF.config_file[0]), path)
        if os.path.exists(candidate):
            path = candidate
    if not os.path.exists(path):
        raise RuntimeError('Paste config file %s not found' % path)
    return os.path.abspath(path)


def pipeline_name(service):
    flavor = CONF.paste_deploy.flavor
    return '%s-%s' % (service, flavor) if flavor else service


def set_cors_defaults():
    """Glance's defaults for the cors filter's [cors] options: the headers
    a browser client (Horizon's direct upload) sends and reads."""
    from oslo_middleware import cors
    cors.set_defaults(
        allow_headers=['Content-MD5', 'X-Image-Meta-Checksum',
                       'X-Storage-Token', 'Accept-Encoding', 'X-Auth-Token',
                       'X-Identity-Status', 'X-Roles', 'X-Service-Catalog',
                       'X-User-Id', 'X-Tenant-Id', 'X-OpenStack-Request-ID'],
        expose_headers=['X-Image-Meta-Checksum', 'X-Auth-Token',
                        'X-Subject-Token', 'X-Service-Token',
                        'X-OpenStack-Request-ID'],
        allow_methods=['GET', 'PUT', 'POST', 'DELETE', 'PATCH'])


def load_paste_app(prog, service):
    """Load the WSGI app of pipeline ``<service>[-<flavor>]`` for ``prog``."""
    set_cors_defaults()
    path = _paste_config_path(prog)
    name = pipeline_name(service)
    try:
        return deploy.loadapp('config:%s' % path, name=name)
    except LookupError as e:
        raise RuntimeError('Cannot load pipeline %s from %s: %s'
                           % (name, path, e))
