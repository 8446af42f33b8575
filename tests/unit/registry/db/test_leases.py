"""Upload leases in the db layer: taken with the queued -> saving CAS,
renewed by their holder, ended by any status change, healed on expiry."""

import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from glance_registry.common import exception
from glance_registry.db import api
from glance_registry.db import engine
from glance_registry.db import leases
from glance_registry.db import models
from tests.unit.registry.db import base

P1 = base.make_context('p1')
P2 = base.make_context('p2')
ADMIN = base.ADMIN


class LeaseTests(base.DBTestCase):

    def setUp(self):
        super().setUp()
        self.image_id = api.image_create(P1, {'name': 'img',
                                              'owner': 'p1'})['id']

    def acquire(self, holder='host:9292/1-1/10', api_version='v2',
                duration=300):
        return api.image_lease_acquire(P1, image_id=self.image_id,
                                       holder=holder,
                                       api_version=api_version,
                                       duration=duration)

    def lease_rows(self):
        return self.rows('image_leases')

    def expire_now(self):
        with engine.writer() as session:
            session.execute(sa.update(models.ImageLease).values(
                expires_at=timeutils.utcnow() -
                datetime.timedelta(seconds=1)))

    def status(self):
        return api.image_get(ADMIN, self.image_id)['status']

    def test_acquire_moves_queued_to_saving_with_one_lease(self):
        image = self.acquire()
        self.assertEqual('saving', image['status'])
        [row] = self.lease_rows()
        self.assertEqual(('host:9292/1-1/10', 'v2', 'saving'),
                         (row['holder'], row['api_version'], row['status']))

    def test_second_acquire_is_409_and_keeps_the_first_lease(self):
        self.acquire()
        self.assertRaises(exception.InvalidStatusTransition, self.acquire,
                          holder='other')
        self.assertEqual(['host:9292/1-1/10'],
                         [row['holder'] for row in self.lease_rows()])

    def test_acquire_of_an_image_the_caller_cannot_see_is_404(self):
        self.assertRaises(exception.ImageNotFound, api.image_lease_acquire,
                          P2, image_id=self.image_id, holder='h',
                          api_version='v2', duration=10)
        self.assertEqual([], self.lease_rows())

    def test_bad_duration_and_api_version_are_400(self):
        for kwargs in ({'duration': 0}, {'duration': True},
                       {'api_version': 'v3'}):
            self.assertRaises(exception.Invalid, self.acquire, **kwargs)
        self.assertEqual('queued', self.status())

    def test_renew_by_the_holder_pushes_expiry(self):
        self.acquire(duration=10)
        before = self.lease_rows()[0]['expires_at']
        api.image_lease_renew(P1, image_id=self.image_id,
                              holder='host:9292/1-1/10', duration=300)
        self.assertGreater(self.lease_rows()[0]['expires_at'], before)

    def test_renew_by_another_holder_is_lease_lost(self):
        self.acquire()
        self.assertRaises(exception.LeaseLost, api.image_lease_renew, P1,
                          image_id=self.image_id, holder='other',
                          duration=300)

    def test_status_change_ends_the_lease(self):
        self.acquire()
        api.image_update(P1, self.image_id, {'status': 'active'},
                         from_state='saving')
        self.assertEqual([], self.lease_rows())

    def test_activation_by_the_holder_ends_the_lease(self):
        self.acquire(holder='a')
        image = api.image_update(P1, self.image_id, {'status': 'active'},
                                 from_state='saving', lease_holder='a')
        self.assertEqual('active', image['status'])
        self.assertEqual([], self.lease_rows())

    def test_healed_upload_cannot_activate_over_a_new_upload(self):
        self.acquire(holder='first')
        self.expire_now()
        api.image_lease_expire(ADMIN)
        self.acquire(holder='second')
        # The first upload finishes late with its stale data: refused,
        # the second upload keeps the image and its lease.
        self.assertRaises(exception.LeaseLost, api.image_update, P1,
                          self.image_id, {'status': 'active'},
                          from_state='saving', lease_holder='first')
        self.assertEqual('saving', self.status())
        self.assertEqual(['second'],
                         [row['holder'] for row in self.lease_rows()])
        api.image_update(P1, self.image_id, {'status': 'active'},
                         from_state='saving', lease_holder='second')
        self.assertEqual('active', self.status())

    def test_update_keeping_saving_keeps_the_lease(self):
        self.acquire()
        api.image_update(P1, self.image_id, {'name': 'renamed'})
        self.assertEqual(1, len(self.lease_rows()))

    def test_destroy_ends_the_lease(self):
        self.acquire()
        api.image_destroy(P1, self.image_id)
        self.assertEqual([], self.lease_rows())

    def test_unexpired_lease_is_not_healed(self):
        self.acquire()
        self.assertEqual([], api.image_lease_expire(ADMIN))
        self.assertEqual('saving', self.status())

    def test_expired_v2_lease_heals_to_queued_and_allows_a_new_upload(self):
        self.acquire()
        self.expire_now()
        [healed] = api.image_lease_expire(ADMIN)
        self.assertEqual('queued', healed['image_status'])
        self.assertEqual('queued', self.status())
        self.assertEqual([], self.lease_rows())
        self.assertEqual('saving', self.acquire(holder='new')['status'])

    def test_expired_v1_lease_heals_to_killed(self):
        self.acquire(api_version='v1')
        self.expire_now()
        api.image_lease_expire(ADMIN)
        self.assertEqual('killed', self.status())

    def test_release_by_prefix_keeps_the_current_generation(self):
        other = api.image_create(P1, {'name': 'other', 'owner': 'p1'})['id']
        self.acquire(holder='host:9292/1-1/10')
        api.image_lease_acquire(P1, image_id=other,
                                holder='host:9292/2-2/20',
                                api_version='v2', duration=300)
        healed = api.image_lease_expire(ADMIN, holder_prefix='host:9292/',
                                        keep_prefix='host:9292/2-2/')
        self.assertEqual([self.image_id],
                         [lease['image_id'] for lease in healed])
        self.assertEqual('queued', self.status())
        self.assertEqual('saving', api.image_get(ADMIN, other)['status'])

    def test_prefix_is_matched_literally(self):
        self.acquire(holder='hostX9292/1-1/10')
        self.assertEqual([], api.image_lease_expire(
            ADMIN, holder_prefix='host_9292/'))
        self.assertEqual([], api.image_lease_expire(
            ADMIN, holder_prefix='host%'))

    def test_heal_of_an_image_that_moved_on_only_drops_the_lease(self):
        self.acquire()
        with engine.writer() as session:
            session.execute(sa.update(models.Image).values(status='active'))
        self.expire_now()
        [healed] = api.image_lease_expire(ADMIN)
        self.assertIsNone(healed['image_status'])
        self.assertEqual('active', self.status())

    def test_expire_and_list_are_for_administrators(self):
        self.assertRaises(exception.Forbidden, api.image_lease_expire, P1)
        self.assertRaises(exception.Forbidden, api.image_lease_get_all, P1)
        self.acquire()
        self.assertEqual(1, len(api.image_lease_get_all(ADMIN)))
        self.assertEqual([], leases.image_lease_get_all(
            ADMIN, holder_prefix='elsewhere'))
