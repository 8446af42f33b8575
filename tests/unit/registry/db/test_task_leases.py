"""Import task leases in the db layer: a task whose glance-api stopped
renewing is failed and the image it held goes back to where the import
found it."""

import datetime

from oslo_utils import timeutils

from glance_registry.common import exception
from glance_registry.db import api
from tests.unit.registry.db import base

P1 = base.make_context('p1')
ADMIN = base.ADMIN
HOLDER = 'host:9292/1-1/10'


def _time(seconds):
    return timeutils.utcnow() + datetime.timedelta(seconds=seconds)


class TaskLeaseTests(base.DBTestCase):

    def start_import(self, method='web-download', status='queued',
                     stores='file1,file2', lease=-1, holder=HOLDER,
                     properties=None, **image_values):
        """An image held by a processing import task, as glance-api
        leaves it when it dies mid-import."""
        image = api.image_create(P1, dict(
            {'name': 'img', 'owner': 'p1', 'status': status,
             'disk_format': 'raw', 'container_format': 'bare'},
            **image_values))
        task = api.task_create(P1, {
            'type': 'api_image_import', 'status': 'processing',
            'owner': 'p1', 'image_id': image['id'], 'holder': holder,
            'lease_expires_at': _time(lease),
            'input': {'image_id': image['id'], 'backend': stores.split(','),
                      'import_req': {'method': {'name': method}}}})
        new_status = 'importing' if method != 'copy-image' else status
        api.image_update(P1, image['id'], {
            'status': new_status, 'properties': dict(
                {'os_glance_import_task': task['id'],
                 'os_glance_importing_to_stores': stores,
                 'os_glance_failed_import': ''}, **(properties or {}))},
            from_state=status)
        return image['id'], task['id']

    def test_unexpired_task_is_left_running(self):
        image_id, task_id = self.start_import(lease=300)
        self.assertEqual([], api.task_lease_expire(ADMIN))
        self.assertEqual('processing', api.task_get(ADMIN, task_id)['status'])
        self.assertEqual('importing', api.image_get(ADMIN, image_id)['status'])

    def test_expired_web_download_fails_task_and_queues_image(self):
        image_id, task_id = self.start_import(size=5, checksum='abc')
        [healed] = api.task_lease_expire(ADMIN)
        self.assertEqual((task_id, 'queued'),
                         (healed['id'], healed['image_status']))
        task = api.task_get(ADMIN, task_id)
        self.assertEqual('failure', task['status'])
        self.assertIn(HOLDER, task['message'])
        self.assertIsNone(task['lease_expires_at'])
        self.assertIsNotNone(task['expires_at'])
        image = api.image_get(ADMIN, image_id)
        self.assertEqual(('queued', None, None),
                         (image['status'], image['size'], image['checksum']))
        properties = image['properties']
        self.assertNotIn('os_glance_import_task', properties)
        self.assertEqual('', properties['os_glance_importing_to_stores'])
        self.assertEqual('file1,file2',
                         properties['os_glance_failed_import'])
        # The image takes a new import again.
        api.image_update(P1, image_id, {'status': 'importing'},
                         from_state='queued')

    def test_expired_glance_direct_keeps_staged_data_uploading(self):
        image_id, _ = self.start_import(
            method='glance-direct', status='uploading', size=5,
            checksum='abc', properties={'os_glance_stage_host': 'http://w1'})
        [healed] = api.task_lease_expire(ADMIN)
        self.assertEqual('uploading', healed['image_status'])
        image = api.image_get(ADMIN, image_id)
        self.assertEqual(('uploading', 5, 'abc'),
                         (image['status'], image['size'], image['checksum']))
        self.assertEqual('http://w1',
                         image['properties']['os_glance_stage_host'])

    def test_expired_copy_keeps_image_active_and_drops_its_stores(self):
        image_id, task_id = self.start_import(
            method='copy-image', status='active', stores='file2', size=5,
            checksum='abc', properties={'os_glance_failed_import': 'file3'})
        [healed] = api.task_lease_expire(ADMIN)
        self.assertEqual('active', healed['image_status'])
        image = api.image_get(ADMIN, image_id)
        self.assertEqual(('active', 5), (image['status'], image['size']))
        self.assertEqual('', image['properties'][
            'os_glance_importing_to_stores'])
        self.assertEqual('file3,file2',
                         image['properties']['os_glance_failed_import'])
        self.assertNotIn('os_glance_import_task', image['properties'])
        self.assertEqual('failure', api.task_get(ADMIN, task_id)['status'])

    def test_task_no_longer_holding_its_image_leaves_the_image(self):
        image_id, task_id = self.start_import()
        api.image_update(P1, image_id, {'properties': {
            'os_glance_import_task': 'another'}})
        [healed] = api.task_lease_expire(ADMIN)
        self.assertIsNone(healed['image_status'])
        self.assertEqual('failure', api.task_get(ADMIN, task_id)['status'])
        self.assertEqual('importing', api.image_get(ADMIN, image_id)['status'])

    def test_finished_task_is_not_touched(self):
        _, task_id = self.start_import()
        api.task_update(P1, task_id, {'status': 'success'})
        self.assertEqual([], api.task_lease_expire(ADMIN))
        self.assertEqual('success', api.task_get(ADMIN, task_id)['status'])

    def test_release_by_prefix_keeps_the_current_generation(self):
        old_image, old_task = self.start_import(
            lease=300, holder='host:9292/1-1/10')
        new_image, new_task = self.start_import(
            lease=300, holder='host:9292/2-2/11')
        other_image, _ = self.start_import(lease=300,
                                           holder='other:9292/1-1/10')
        healed = api.task_lease_expire(ADMIN, holder_prefix='host:9292/',
                                       keep_prefix='host:9292/2-2/')
        self.assertEqual([old_task], [h['id'] for h in healed])
        self.assertEqual('queued', api.image_get(ADMIN, old_image)['status'])
        for image_id in (new_image, other_image):
            self.assertEqual('importing',
                             api.image_get(ADMIN, image_id)['status'])
        self.assertEqual('processing',
                         api.task_get(ADMIN, new_task)['status'])

    def test_expire_is_for_administrators(self):
        self.start_import()
        self.assertRaises(exception.Forbidden, api.task_lease_expire, P1)
