"""Notifications other services listen to (Ceilometer, Searchlight...).

One oslo.messaging Notifier per process, configured by oslo.messaging's own
``[oslo_messaging_notifications]`` options (``driver``: messaging, log,
noop (the default: no driver), ``topics``, ``transport_url``), published
as ``image.<host>``. Event types, as upstream documents them:
``image.create``, ``image.prepare``, ``image.upload``, ``image.activate``,
``image.send``, ``image.update``, ``image.delete`` and
``image.member.create``/``update``/``delete``. ``disabled_notifications``
names event types (``image.send``) or whole groups (``image``,
``image.member``) not to send.

Image events carry the image's fields; ``image.send`` carries who received
how many bytes. A failed step is an ``error`` notification of the same
event type with a text payload. Sending never fails the request: a
notification that cannot be sent is logged.
"""

import socket

from oslo_config import cfg
from oslo_log import log as logging
# Imported with the module, not on first use: under eventlet two requests
# importing it at once saw a half-imported module (500s on the first
# requests after a start).
import oslo_messaging

LOG = logging.getLogger(__name__)

notifier_opts = [
    cfg.ListOpt('disabled_notifications', default=[],
                help='Notifications not to send: an event type '
                     '(image.send) or a group of them (image, '
                     'image.member).'),
]

CONF = cfg.CONF
CONF.register_opts(notifier_opts)

# The image fields of an image notification, as upstream sends them (plus
# is_public, derived from visibility, for consumers from the v1 days).
IMAGE_FIELDS = ('id', 'name', 'status', 'visibility', 'protected',
                'os_hidden', 'owner', 'size', 'virtual_size', 'disk_format',
                'container_format', 'checksum', 'os_hash_algo',
                'os_hash_value', 'min_disk', 'min_ram', 'created_at',
                'updated_at', 'deleted', 'deleted_at', 'properties', 'tags')
MEMBER_FIELDS = ('created_at', 'updated_at', 'deleted', 'deleted_at',
                 'status')


def list_opts():
    return notifier_opts


def image_payload(image):
    payload = {name: image.get(name) for name in IMAGE_FIELDS}
    payload['properties'] = dict(payload['properties'] or {})
    payload['tags'] = list(payload['tags'] or [])
    payload['deleted'] = bool(payload['deleted'])
    payload['is_public'] = image.get('visibility') == 'public'
    return payload


def member_payload(member):
    payload = {name: member.get(name) for name in MEMBER_FIELDS}
    payload['image_id'] = member.get('image_id')
    payload['member_id'] = member.get('member')
    payload['deleted'] = bool(payload['deleted'])
    return payload


def send_payload(context, image, bytes_sent, destination_ip=None):
    return {'image_id': image['id'], 'owner_id': image.get('owner'),
            'receiver_tenant_id': getattr(context, 'project_id', None),
            'receiver_user_id': getattr(context, 'user_id', None),
            'destination_ip': destination_ip, 'bytes_sent': bytes_sent}


class Notifier:
    """Sends glance-api's notifications (or nothing, with driver noop)."""

    def __init__(self, conf=CONF):
        conf.register_opts(notifier_opts)
        self.disabled = {name.strip() for name in conf.disabled_notifications
                         if name.strip()}
        transport = oslo_messaging.get_notification_transport(conf)
        self.notifier = oslo_messaging.Notifier(
            transport, publisher_id='image.%s' % socket.gethostname())
        # No driver at all sends nothing, as noop does.
        drivers = set(conf.oslo_messaging_notifications.driver)
        self.active = bool(drivers - {'noop'})

    def enabled(self, event_type):
        """False when the event type or one of its groups is disabled."""
        parts = event_type.split('.')
        names = {'.'.join(parts[:n]) for n in range(1, len(parts) + 1)}
        return self.active and not (names & self.disabled)

    def info(self, context, event_type, payload):
        self._send('info', context, event_type, payload)

    def error(self, context, event_type, message):
        self._send('error', context, event_type, message)

    def _send(self, priority, context, event_type, payload):
        if not self.enabled(event_type):
            return
        # oslo.messaging sends the context's redacted_copy(): no token,
        # no catalog.
        try:
            getattr(self.notifier, priority)(context, event_type, payload)
        except Exception:
            LOG.exception('Could not send notification %s', event_type)

    # The events, by what they carry.

    def image(self, context, event_type, image):
        self.info(context, event_type, image_payload(image))

    def member(self, context, event_type, member):
        self.info(context, event_type, member_payload(member))

    def sent(self, context, image, bytes_sent, destination_ip=None):
        self.info(context, 'image.send', send_payload(
            context, image, bytes_sent, destination_ip))


_NOTIFIERS = {}


def get_notifier(conf=CONF):
    """The one Notifier of ``conf`` (one transport per process)."""
    if id(conf) not in _NOTIFIERS:
        _NOTIFIERS[id(conf)] = Notifier(conf)
    return _NOTIFIERS[id(conf)]
