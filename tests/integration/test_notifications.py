"""Notifications on a real RabbitMQ queue for a create-upload-share-
download-update-delete sequence against real daemons.

Each class has its own control_exchange and notification topic, and reads
the queue oslo.messaging's rabbit driver declares for ``<topic>.info``
with kombu (the driver's own AMQP library).
"""

import hashlib
import json
import os
import time
import uuid

import kombu

from tests.functional import base

AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//'
OWNER = {'X-Project-Id': 'notify-owner', 'X-User-Id': 'owner-user',
         'X-Roles': 'member'}
RECEIVER = {'X-Project-Id': 'notify-receiver', 'X-User-Id': 'receiver-user',
            'X-Roles': 'member'}
PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}


class NotificationsTestCase(base.ServerTestCase):
    """glance-api with driver messaging on this class's topic."""

    disabled_notifications = ''

    @classmethod
    def setUpClass(cls):
        suffix = uuid.uuid4().hex
        cls.topic = 'glance_notifications_test_%s' % suffix
        cls.exchange = 'glance_test_%s' % suffix
        cls.amqp = kombu.Connection(AMQP_URL)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            channel = cls.amqp.channel()
            for priority in ('info', 'error'):
                channel.queue_delete('%s.%s' % (cls.topic, priority))
            channel.exchange_delete(cls.exchange)
        except Exception:
            pass
        cls.amqp.release()
        super().tearDownClass()

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config.setdefault('DEFAULT', {}).update(
            control_exchange=cls.exchange,
            disabled_notifications=cls.disabled_notifications)
        config['oslo_messaging_notifications'] = {
            'driver': 'messaging', 'topics': cls.topic,
            'transport_url': base.RABBIT_URL}
        return config

    def fetch(self, until_event, image_id, timeout=30):
        """The notifications about ``image_id`` in the order the queue has
        them, read until ``until_event`` arrived (the queue exists once
        glance-api published to it)."""
        queue = '%s.info' % self.topic
        found = []
        deadline = time.time() + timeout
        channel = self.amqp.channel()
        while True:
            try:
                message = channel.basic_get(queue, no_ack=True)
            except Exception:  # the queue does not exist yet
                channel = self.amqp.channel()
                message = None
            if message is not None:
                notification = json.loads(message.body)
                if 'oslo.message' in notification:  # messagingv2's envelope
                    notification = json.loads(notification['oslo.message'])
                payload = notification['payload']
                if image_id in (payload.get('id'), payload.get('image_id')):
                    found.append(notification)
                    if notification['event_type'] == until_event:
                        return found
                continue
            if time.time() > deadline:
                self.fail('no %s notification for %s; got %s' % (
                    until_event, image_id,
                    [n['event_type'] for n in found]))
            time.sleep(0.05)

    def run_sequence(self):
        """create (shared) -> upload -> share, accept -> download by the
        member -> rename -> unshare -> delete; returns (image, data)."""
        data = os.urandom(100 * 1024 + 3)
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'notified', 'disk_format': 'raw',
                                   'container_format': 'bare',
                                   'visibility': 'shared',
                                   'os_distro': 'cirros'}, headers=OWNER)
        self.assertEqual(201, status, image)
        path = '/v2/images/%s' % image['id']
        status, _, body = self.request(
            'PUT', path + '/file', data,
            headers=dict(OWNER, **{'Content-Type':
                                   'application/octet-stream'}))
        self.assertEqual(204, status, body)
        member = RECEIVER['X-Project-Id']
        for headers, method, member_path, body in (
                (OWNER, 'POST', '/members', {'member': member}),
                (RECEIVER, 'PUT', '/members/' + member,
                 {'status': 'accepted'})):
            status, _, answer = self.request_json(
                method, path + member_path, body, headers=headers)
            self.assertEqual(200, status, answer)
        status, _, downloaded = self.request('GET', path + '/file',
                                             headers=RECEIVER)
        self.assertEqual((200, data), (status, downloaded))
        status, _, body = self.request_json(
            'PATCH', path, [{'op': 'replace', 'path': '/name',
                             'value': 'renamed'}],
            headers=dict(OWNER, **PATCH))
        self.assertEqual(200, status, body)
        status, _, body = self.request('DELETE', path + '/members/' + member,
                                       headers=OWNER)
        self.assertEqual(204, status, body)
        status, _, body = self.request('DELETE', path, headers=OWNER)
        self.assertEqual(204, status, body)
        return image, data


class TestNotificationsOnRabbitMQ(NotificationsTestCase):

    def test_every_step_is_notified_with_its_payload(self):
        image, data = self.run_sequence()
        found = self.fetch('image.delete', image['id'])
        by_type = {}
        for notification in found:
            by_type.setdefault(notification['event_type'], []).append(
                notification)
        self.assertEqual(
            {'image.create', 'image.prepare', 'image.upload',
             'image.activate', 'image.member.create', 'image.member.update',
             'image.send', 'image.update', 'image.member.delete',
             'image.delete'}, set(by_type))
        for event_type, notifications in by_type.items():
            self.assertEqual(1, len(notifications), event_type)
        types = [n['event_type'] for n in found]
        # The upload's steps come in the order they happen.
        self.assertEqual(
            ['image.create', 'image.prepare', 'image.upload',
             'image.activate'],
            [t for t in types if t in ('image.create', 'image.prepare',
                                       'image.upload', 'image.activate')])
        for notification in found:
            self.assertEqual('INFO', notification['priority'])
            self.assertTrue(notification['publisher_id'].startswith(
                'image.'))
            self.assertTrue(notification['message_id'])
            self.assertTrue(notification['timestamp'])
        payload = {t: n[0]['payload'] for t, n in by_type.items()}

        created = payload['image.create']
        self.assertEqual(
            (image['id'], 'notified', 'queued', 'shared', False,
             'notify-owner', {'os_distro': 'cirros'}),
            (created['id'], created['name'], created['status'],
             created['visibility'], created['is_public'], created['owner'],
             created['properties']))
        self.assertEqual('saving', payload['image.prepare']['status'])
        for event_type in ('image.upload', 'image.activate'):
            uploaded = payload[event_type]
            self.assertEqual(
                ('active', len(data), hashlib.md5(data).hexdigest(),
                 'sha512', hashlib.sha512(data).hexdigest()),
                (uploaded['status'], uploaded['size'], uploaded['checksum'],
                 uploaded['os_hash_algo'], uploaded['os_hash_value']))
            self.assertNotIn('locations', uploaded)
        self.assertEqual(
            [('notify-receiver', 'pending', False),
             ('notify-receiver', 'accepted', False),
             ('notify-receiver', 'accepted', True)],
            [(payload[t]['member_id'], payload[t]['status'],
              payload[t]['deleted'])
             for t in ('image.member.create', 'image.member.update',
                       'image.member.delete')])
        self.assertEqual(
            {'image_id': image['id'], 'owner_id': 'notify-owner',
             'receiver_tenant_id': 'notify-receiver',
             'receiver_user_id': 'receiver-user',
             'destination_ip': '127.0.0.1', 'bytes_sent': len(data)},
            payload['image.send'])
        self.assertEqual('renamed', payload['image.update']['name'])
        deleted = payload['image.delete']
        self.assertEqual((image['id'], 'deleted', True),
                         (deleted['id'], deleted['status'],
                          deleted['deleted']))
        self.assertTrue(deleted['deleted_at'])
        for notification in found:
            self.assertEqual('notify-owner' if notification['event_type'] not
                             in ('image.send', 'image.member.update')
                             else 'notify-receiver',
                             notification['_context_project_id'])
            self.assertIsNone(notification['_context_auth_token'])


class TestDisabledNotifications(NotificationsTestCase):

    disabled_notifications = 'image.send,image.member,image.update'

    def test_disabled_types_and_groups_are_not_sent(self):
        image, _ = self.run_sequence()
        found = self.fetch('image.delete', image['id'])
        self.assertEqual(['image.create', 'image.prepare', 'image.upload',
                          'image.activate', 'image.delete'],
                         [n['event_type'] for n in found])


class TestLogDriver(base.ServerTestCase):
    """driver = log: notifications land in glance-api's log file."""

    api_overrides = {'oslo_messaging_notifications': {'driver': 'log'}}

    def test_image_create_is_logged_with_its_payload(self):
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'logged-image'}, headers=OWNER)
        self.assertEqual(201, status, image)
        log = self.api.log_text(tail=10 ** 6)
        lines = [line for line in log.splitlines()
                 if 'oslo.messaging.notification.image.create' in line and
                 image['id'] in line]
        self.assertEqual(1, len(lines), log[-3000:])
        self.assertIn('logged-image', lines[0])


class TestImportNotificationsOnRabbitMQ(NotificationsTestCase):

    def test_stage_and_import_send_import_task_and_image_events(self):
        data = os.urandom(64 * 1024)
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'imported', 'disk_format': 'raw',
                                   'container_format': 'bare'},
            headers=OWNER)
        self.assertEqual(201, status, image)
        path = '/v2/images/%s' % image['id']
        status, _, body = self.request(
            'PUT', path + '/stage', data,
            headers=dict(OWNER, **{'Content-Type':
                                   'application/octet-stream'}))
        self.assertEqual(204, status, body)
        status, _, body = self.request_json(
            'POST', path + '/import', {'method': {'name': 'glance-direct'}},
            headers=OWNER)
        self.assertEqual(202, status, body)
        found = self.fetch('task.success', image['id'])
        types = [n['event_type'] for n in found]
        for expected in ('image.create', 'image.import.start', 'task.create',
                         'task.processing', 'image.upload', 'image.activate',
                         'task.success'):
            self.assertIn(expected, types)
        self.assertLess(types.index('task.create'),
                        types.index('task.processing'))
        success = found[types.index('task.success')]['payload']
        self.assertEqual({'image_id': image['id']}, success['result'])
        activated = found[types.index('image.activate')]['payload']
        self.assertEqual(hashlib.md5(data).hexdigest(),
                         activated['checksum'])
