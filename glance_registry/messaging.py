"""The registry contract over oslo.messaging: the RPC server's endpoint.

When ``transport_url`` is set, every registry process that serves requests
(the main one with ``workers = 0``, else each forked worker, since AMQP
connections do not survive a fork) also consumes the topic
``registry_topic`` as server ``<hostname>-<pid>``; RabbitMQ hands each call
to one of the consumers, so registries on one topic share the calls.

The endpoint answers ``{"result": ...}`` or ``{"error": {"code",
"message"}}``: errors travel as data and the client raises the same class
again, never by importing a module path the peer sent.

oslo.messaging is imported only when used, so glance-api's HTTP-only client
does not load it. It must be used with the global ``cfg.CONF`` (oslo.messaging
>= 18.3 fails on a private ConfigOpts), and it picks the eventlet executor
itself when the process is monkey-patched.
"""

import os
import socket

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import context as glance_context
from glance_registry.common import exception

LOG = logging.getLogger(__name__)

messaging_opts = [
    cfg.StrOpt('registry_topic', default='glance_registry',
               help='oslo.messaging topic on which glance-registry serves '
                    'the registry contract and glance-api calls it, when '
                    'transport_url is set.'),
]

CONF = cfg.CONF
CONF.register_opts(messaging_opts)


def list_opts():
    return messaging_opts


def register_transport_opts(conf=CONF):
    """Register oslo.messaging's [DEFAULT] options (transport_url...) so
    they can be read before a transport exists; return transport_url's
    default."""
    from oslo_messaging import opts
    default = None
    for group, opts_list in opts.list_opts():
        if group is None:
            conf.register_opts(opts_list)
            for opt in opts_list:
                if opt.dest == 'transport_url':
                    default = opt.default
    return default


def transport_url_set(conf=CONF):
    """True when the configuration names a transport_url of its own
    (oslo.messaging's default, ``rabbit://``, does not count)."""
    default = register_transport_opts(conf)
    return bool(conf.transport_url) and conf.transport_url != default


def server_name():
    return '%s-%d' % (socket.gethostname(), os.getpid())


class RegistryEndpoint:
    """The one RPC method: ``call(ctxt, command, kwargs)``."""

    def __init__(self, name):
        self.name = name

    def call(self, ctxt, command, kwargs):
        from glance_registry import dispatch
        context = glance_context.RequestContext.from_dict(ctxt or {})
        try:
            result = dispatch.dispatch(context, command, kwargs,
                                       transport='messaging')
        except exception.GlanceException as e:
            LOG.info('Registry RPC %s (request %s) on %s: %s %s', command,
                     context.request_id, self.name, e.http_status, e.code)
            return {'error': e.to_wire()}
        except Exception:
            LOG.exception('Unexpected error in registry RPC %s (request %s)',
                          command, context.request_id)
            return {'error': exception.GlanceException().to_wire()}
        LOG.info('Registry RPC %s (request %s) served by %s', command,
                 context.request_id, self.name)
        return {'result': result}


def start_server(conf=CONF):
    """Start the RPC server when transport_url is set; return it or None."""
    if not transport_url_set(conf):
        return None
    import oslo_messaging
    transport = oslo_messaging.get_rpc_transport(conf)
    name = server_name()
    target = oslo_messaging.Target(topic=conf.registry_topic, server=name)
    server = oslo_messaging.get_rpc_server(transport, target,
                                           [RegistryEndpoint(name)])
    server.start()
    LOG.info('Serving the registry contract on topic %s (exchange %s) as %s',
             conf.registry_topic, conf.control_exchange, name)
    return server
