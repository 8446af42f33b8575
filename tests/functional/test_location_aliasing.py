"""No location aliasing between images or projects, against real daemons.

Project B (role member) must not point a location of its own image at the
data of project A's image, on any path that takes a location (v2 POST
/locations, v2 PATCH of /locations, v1 x-image-meta-location); file://
locations are for administrators only, and never into the store; a URL
another image records is refused; deleting an image (at once, through the
scrubber, or from one store) never deletes data another image records.
"""

import hashlib
import json
import os
import sqlite3
import tempfile
import threading

from tests.functional import base
from tests.functional import test_scrubber
from tests.functional import test_v2_locations

A = {'X-Project-Id': 'project-a', 'X-User-Id': 'alice',
     'X-Roles': 'reader,member'}
B = {'X-Project-Id': 'project-b', 'X-User-Id': 'bob',
     'X-Roles': 'reader,member'}
A_READER = {'X-Project-Id': 'project-a', 'X-User-Id': 'rita',
            'X-Roles': 'reader'}
ADMIN = {'X-Project-Id': 'admin-project', 'X-User-Id': 'admin-user',
         'X-Roles': 'admin,reader,member'}
PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
SECRET = b'private bytes of project A' * 300
MANAGED = 'points into the data a store of this service keeps'


class AliasingMixin(test_v2_locations.LocationsMixin):

    def private_image_of_a(self):
        """An active private image of project A and its file path."""
        image = self.create_active(headers=A, data=SECRET,
                                   visibility='private')
        path = self.data_path(image['id'])
        self.assertTrue(os.path.exists(path))
        return image, path

    def spellings(self, path):
        """file:// URLs naming ``path`` in ways a filter might miss."""
        head, name = os.path.split(path)
        parent, datadir = os.path.split(head)
        return ['file://' + path,
                'file://localhost' + path,
                'file:///' + path,
                'file://%s/%s//%s' % (parent, datadir, name),
                'file://%s/%s/../%s/%s' % (parent, datadir, datadir, name),
                'file://%s/%s/%%2e%%2e/%s/%s' % (parent, datadir, datadir,
                                                 name),
                'file://' + path.replace('/%s/' % datadir, '/%s%%%02X/' % (
                    datadir[:-1], ord(datadir[-1])))]

    def patch(self, image_id, changes, headers, expected):
        status, _, body = self.request_json(
            'PATCH', '/v2/images/%s' % image_id, json.dumps(changes).encode(),
            dict(PATCH, **headers))
        self.assertEqual(expected, status, body)
        return body

    def v1_create(self, headers, **meta):
        all_headers = dict(headers)
        for name, value in meta.items():
            all_headers['x-image-meta-%s' % name] = value
        status, _, body = self.request_json('POST', '/v1/images',
                                            headers=all_headers)
        return status, body

    def v1_update(self, image_id, headers, **meta):
        all_headers = dict(headers)
        for name, value in meta.items():
            all_headers['x-image-meta-%s' % name] = value
        status, _, body = self.request_json('PUT', '/v1/images/%s'
                                            % image_id, headers=all_headers)
        return status, body

    def image_ids(self, headers):
        _, body = self.call('GET', '/v2/images?limit=1000', headers=headers,
                            expected=200)
        return {image['id'] for image in body['images']}

    def assertUntouched(self, image, path):
        """A's image: active, its file there, its bytes downloadable."""
        with open(path, 'rb') as f:
            self.assertEqual(SECRET, f.read())
        self.assertEqual('active', self.show(image['id'], A)['status'])
        status, _, body = self.download(image['id'], A)
        self.assertEqual((200, SECRET), (status, body))

    def operator_file(self):
        """A file:// URL outside the stores (only administrators may record
        one): data the service deletes with an image it owns, so one image
        at a time may record it."""
        outside = tempfile.mkdtemp(dir=self.root)
        path = os.path.join(outside, 'operator.img')
        with open(path, 'wb') as f:
            f.write(SECRET)
        return 'file://' + path

    def assertStillQueued(self, image_id, headers):
        shown = self.show(image_id, headers)
        self.assertEqual('queued', shown['status'])
        self.assertEqual([], shown.get('locations', []))
        status, _, _ = self.download(image_id, headers)
        self.assertNotEqual(200, status)

    def alias_in_the_database(self, image_id, url):
        """Record ``url`` for ``image_id`` as a registry from before this
        fix could have (no claim), and make the image active."""
        database = os.path.join(self.registry.lib, 'glance.sqlite')
        with sqlite3.connect(database) as db:
            db.execute(
                "INSERT INTO image_locations (image_id, value, meta_data, "
                "status, created_at, deleted, url_hash) VALUES (?, ?, "
                "'{}', 'active', '2020-01-01 00:00:00', 0, ?)",
                (image_id, url, hashlib.sha256(url.encode()).hexdigest()))
            db.execute("UPDATE images SET status = 'active', size = ? "
                       "WHERE id = ?", (len(SECRET), image_id))


class AliasingTestCase(AliasingMixin, base.ServerTestCase):

    api_overrides = {'DEFAULT': {'show_multiple_locations': True}}

    # -- project B against project A's data ----------------------------

    def test_post_locations_of_a_file_of_another_project_is_refused(self):
        image, path = self.private_image_of_a()
        mine = self.queued(headers=B)
        for url in self.spellings(path):
            body = self.add(mine['id'], {'url': url}, headers=B,
                            expected=403)
            self.assertIn('file://', body['message'])
        self.assertStillQueued(mine['id'], B)
        self.call('DELETE', '/v2/images/%s' % mine['id'], headers=B,
                  expected=204)
        self.assertUntouched(image, path)

    def test_patch_of_locations_to_a_file_of_another_project_is_refused(self):
        image, path = self.private_image_of_a()
        mine = self.queued(headers=B)
        for url in self.spellings(path):
            self.patch(mine['id'], [{'op': 'add', 'path': '/locations/-',
                                     'value': {'url': url, 'metadata': {}}}],
                       B, 403)
            self.patch(mine['id'], [{'op': 'replace', 'path': '/locations',
                                     'value': [{'url': url,
                                                'metadata': {}}]}], B, 403)
        self.assertStillQueued(mine['id'], B)
        self.assertUntouched(image, path)

    def test_v1_location_of_a_file_of_another_project_is_refused(self):
        image, path = self.private_image_of_a()
        before = self.image_ids(B)
        for url in self.spellings(path):
            status, body = self.v1_create(B, name='alias', location=url,
                                          disk_format='raw',
                                          container_format='bare')
            self.assertEqual(400, status, body)
        self.assertEqual(before, self.image_ids(B))
        mine = self.queued(headers=B)
        status, body = self.v1_update(mine['id'], B,
                                      location='file://' + path)
        self.assertEqual(400, status, body)
        self.assertStillQueued(mine['id'], B)
        self.assertUntouched(image, path)

    # -- administrators ------------------------------------------------

    def test_administrator_cannot_point_a_location_into_the_store(self):
        image, path = self.private_image_of_a()
        mine = self.queued(headers=ADMIN)
        outside = tempfile.mkdtemp(dir=self.root)
        link = os.path.join(outside, 'innocent-looking')
        os.symlink(path, link)
        for url in self.spellings(path) + ['file://' + link]:
            body = self.add(mine['id'], {'url': url}, headers=ADMIN,
                            expected=400)
            self.assertIn(MANAGED, body['message'])
            body = self.patch(mine['id'], [{
                'op': 'add', 'path': '/locations/-',
                'value': {'url': url, 'metadata': {}}}], ADMIN, 400)
            self.assertIn(MANAGED, body['message'])
        self.assertStillQueued(mine['id'], ADMIN)
        self.assertUntouched(image, path)

    def test_administrator_may_point_a_location_outside_the_store(self):
        outside = tempfile.mkdtemp(dir=self.root)
        path = os.path.join(outside, 'provided-by-the-operator.img')
        with open(path, 'wb') as f:
            f.write(SECRET)
        mine = self.queued(headers=ADMIN)
        self.add(mine['id'], {'url': 'file://' + path}, headers=ADMIN)
        self.assertEqual('active', self.show(mine['id'], ADMIN)['status'])
        status, _, body = self.download(mine['id'], ADMIN)
        self.assertEqual((200, SECRET), (status, body))
        # The operator's file is never deleted with the image.
        self.call('DELETE', '/v2/images/%s' % mine['id'], headers=ADMIN,
                  expected=204)
        self.assertTrue(os.path.exists(path))

    # -- one URL, one image ------------------------------------------------

    def test_url_recorded_for_another_image_is_refused_on_every_path(self):
        url = self.operator_file()
        first = self.queued(headers=ADMIN)
        self.add(first['id'], {'url': url}, headers=ADMIN)
        mine = self.queued(headers=ADMIN)
        body = self.add(mine['id'], {'url': url}, headers=ADMIN,
                        expected=400)
        self.assertIn('already a location of another image',
                      body['message'])
        self.patch(mine['id'], [{'op': 'add', 'path': '/locations/-',
                                 'value': {'url': url, 'metadata': {}}}],
                   ADMIN, 400)
        status, body = self.v1_update(mine['id'], ADMIN, location=url)
        self.assertEqual(400, status, body)
        self.assertStillQueued(mine['id'], ADMIN)
        before = self.image_ids(ADMIN)
        status, body = self.v1_create(ADMIN, name='alias', location=url,
                                      disk_format='raw',
                                      container_format='bare')
        self.assertEqual(400, status, body)
        self.assertEqual(before, self.image_ids(ADMIN))
        # Once the first image is deleted, its URL is free again.
        self.call('DELETE', '/v2/images/%s' % first['id'], headers=ADMIN,
                  expected=204)
        self.add(mine['id'], {'url': url}, headers=ADMIN)

    def test_concurrent_requests_for_one_url_leave_one_winner(self):
        url = self.operator_file()
        images = [self.queued(headers=ADMIN)['id'] for _ in range(6)]
        statuses = []

        def add(image_id):
            status, _, _ = self.request_json(
                'POST', '/v2/images/%s/locations' % image_id,
                {'url': url}, dict(ADMIN))
            statuses.append(status)
        threads = [threading.Thread(target=add, args=(image_id,))
                   for image_id in images]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([202] + [400] * 5, sorted(statuses))
        active = [i for i in images
                  if self.show(i, ADMIN)['status'] == 'active']
        self.assertEqual(1, len(active))

    def test_read_only_http_data_may_back_images_of_several_projects(self):
        # The service never writes or deletes http(s) data, and whoever
        # names the URL can fetch it: sharing it takes nothing (upstream
        # allows it; Tempest's location tests rely on it).
        url = self.served_url(SECRET)
        first = self.queued(headers=A)
        self.add(first['id'], {'url': url}, headers=A)
        mine = self.queued(headers=B)
        self.add(mine['id'], {'url': url}, headers=B)
        self.call('DELETE', '/v2/images/%s' % first['id'], headers=A,
                  expected=204)
        status, _, body = self.download(mine['id'], B)
        self.assertEqual((200, SECRET), (status, body))

    # -- deleting never takes another image's data ------------------------

    def test_deleting_an_alias_keeps_the_data_of_the_other_image(self):
        image, path = self.private_image_of_a()
        mine = self.queued(headers=B)
        self.alias_in_the_database(mine['id'], 'file://' + path)
        self.call('DELETE', '/v2/images/%s' % mine['id'], headers=B,
                  expected=204)
        self.assertUntouched(image, path)
        # The last image recording the data deletes it.
        self.call('DELETE', '/v2/images/%s' % image['id'], headers=A,
                  expected=204)
        self.assertFalse(os.path.exists(path))

    # -- policies ------------------------------------------------------

    def test_member_of_the_owning_project_adds_a_location(self):
        mine = self.queued(headers=A)
        self.add(mine['id'], {'url': self.served_url(SECRET)}, headers=A)
        self.assertEqual('active', self.show(mine['id'], A)['status'])

    def test_reader_and_other_projects_may_not_add_a_location(self):
        url = self.served_url(SECRET)
        image = self.queued(headers=A)
        body = self.add(image['id'], {'url': url}, headers=A_READER,
                        expected=403)
        self.assertIn('add_image_location', body['message'])
        # A community image is visible to B, but not B's to change.
        community = self.queued(headers=A)
        self.call('PATCH', '/v2/images/%s' % community['id'],
                  [{'op': 'replace', 'path': '/visibility',
                    'value': 'community'}], dict(PATCH, **A), 200)
        self.add(community['id'], {'url': url}, headers=B, expected=403)
        self.add(image['id'], {'url': url}, headers=B, expected=404)
        for image_id in (image['id'], community['id']):
            self.assertStillQueued(image_id, A)

    def test_removing_a_location_is_for_administrators(self):
        image = self.queued(headers=A)
        self.add(image['id'], {'url': self.served_url(b'one')}, headers=A)
        self.patch(image['id'], [{'op': 'add', 'path': '/locations/-',
                                  'value': {'url': self.served_url(b'one'),
                                            'metadata': {}}}], A, 200)
        body = self.patch(image['id'], [{'op': 'remove',
                                         'path': '/locations/0'}], A, 403)
        self.assertIn('delete_image_location', body['message'])
        self.patch(image['id'], [{'op': 'remove', 'path': '/locations/0'}],
                   ADMIN, 200)
        self.assertEqual(1, len(self.show(image['id'], A)['locations']))


class DelayedDeleteAliasingTestCase(AliasingMixin, base.ServerTestCase):
    """The scrubber keeps data another image still records."""

    api_overrides = {'DEFAULT': {'delayed_delete': True}}
    scrubber_conf = test_scrubber.ScrubberTestCase.scrubber_conf
    transport_values = test_scrubber.ScrubberTestCase.transport_values
    scrub = test_scrubber.ScrubberTestCase.scrub

    def test_scrubbing_an_alias_keeps_the_data_of_the_other_image(self):
        image, path = self.private_image_of_a()
        mine = self.queued(headers=B)
        self.alias_in_the_database(mine['id'], 'file://' + path)
        self.call('DELETE', '/v2/images/%s' % mine['id'], headers=B,
                  expected=204)
        self.scrub()
        self.assertUntouched(image, path)
        self.call('DELETE', '/v2/images/%s' % image['id'], headers=A,
                  expected=204)
        self.scrub()
        self.assertFalse(os.path.exists(path))

    def test_pending_delete_url_stays_taken_until_scrubbed(self):
        url = self.operator_file()
        first = self.queued(headers=ADMIN)
        self.add(first['id'], {'url': url}, headers=ADMIN)
        self.call('DELETE', '/v2/images/%s' % first['id'], headers=ADMIN,
                  expected=204)
        mine = self.queued(headers=ADMIN)
        self.add(mine['id'], {'url': url}, headers=ADMIN, expected=400)
        self.scrub()
        self.add(mine['id'], {'url': url}, headers=ADMIN)
