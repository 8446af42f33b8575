"""The notifier: which events go out, and what their payloads hold."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from glance_api import notifier
from glance_registry.common import context as context_module

IMAGE = {'id': 'i1', 'name': 'cirros', 'status': 'active',
         'visibility': 'public', 'protected': False, 'os_hidden': False,
         'owner': 'p1', 'size': 7, 'virtual_size': None,
         'disk_format': 'raw', 'container_format': 'bare',
         'checksum': 'c', 'os_hash_algo': 'sha512', 'os_hash_value': 'h',
         'min_disk': 0, 'min_ram': 0, 'created_at': '2026-01-01T00:00:00',
         'updated_at': '2026-01-01T00:00:01', 'deleted': False,
         'deleted_at': None, 'properties': {'os_distro': 'cirros'},
         'tags': ['a'], 'locations': [{'url': 'file:///secret'}]}


class NotifierTestCase(testtools.TestCase):

    def make(self, **options):
        conf = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        conf.conf([], project='glance')
        notifier.Notifier(conf.conf)  # registers the options to set
        for name, value in options.items():
            group = ('oslo_messaging_notifications' if name == 'driver'
                     else None)
            conf.config(group=group, **{name: value})
        return notifier.Notifier(conf.conf)

    def test_no_driver_and_noop_send_nothing(self):
        self.assertFalse(self.make().enabled('image.create'))
        self.assertFalse(self.make(driver=['noop']).enabled('image.create'))

    def test_disabled_event_types_and_groups(self):
        made = self.make(driver=['log'], disabled_notifications=[
            'image.send', 'image.member'])
        self.assertTrue(made.enabled('image.create'))
        self.assertFalse(made.enabled('image.send'))
        self.assertFalse(made.enabled('image.member.create'))
        self.assertFalse(made.enabled('image.member.delete'))
        made = self.make(driver=['log'], disabled_notifications=['image'])
        self.assertFalse(made.enabled('image.activate'))
        self.assertTrue(made.enabled('task.run'))

    def test_image_payload_has_the_image_fields_and_no_locations(self):
        payload = notifier.image_payload(IMAGE)
        for name in notifier.IMAGE_FIELDS:
            self.assertEqual(IMAGE[name], payload[name], name)
        self.assertTrue(payload['is_public'])
        self.assertNotIn('locations', payload)

    def test_send_payload_names_the_receiver(self):
        context = context_module.RequestContext(project_id='p2',
                                                user_id='u2')
        self.assertEqual(
            {'image_id': 'i1', 'owner_id': 'p1', 'receiver_tenant_id': 'p2',
             'receiver_user_id': 'u2', 'destination_ip': '10.0.0.9',
             'bytes_sent': 7},
            notifier.send_payload(context, IMAGE, 7, '10.0.0.9'))

    def test_member_payload(self):
        payload = notifier.member_payload({
            'id': 3, 'image_id': 'i1', 'member': 'p2', 'status': 'pending',
            'created_at': 't', 'updated_at': 't', 'deleted': False})
        self.assertEqual(('i1', 'p2', 'pending', False),
                         (payload['image_id'], payload['member_id'],
                          payload['status'], payload['deleted']))

    def test_message_context_carries_no_token(self):
        # What oslo.messaging sends of our context.
        context = context_module.RequestContext(
            auth_token='tok', project_id='p1', service_catalog=[{}])
        values = context.redacted_copy().to_dict()
        self.assertEqual('p1', values['project_id'])
        self.assertIsNone(values['auth_token'])
        self.assertIsNone(values['service_catalog'])
