"""POST /rpc and the RegistryClient over HTTP against a real registry."""

import time
import uuid

from oslo_config import cfg

from glance_registry import client
from glance_registry.common import context
from glance_registry.common import exception
from tests.functional import base

OWNER = {'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'project-a',
         'X-User-Id': 'user-a', 'X-Roles': 'member'}


def make_client(registry, **overrides):
    conf = cfg.ConfigOpts()
    conf([], project='glance')
    conf.register_opts(client.client_opts)
    conf.set_override('registry_host', '127.0.0.1')
    conf.set_override('registry_port', registry.port)
    conf.set_override('registry_client_timeout', 30)
    for name, value in overrides.items():
        conf.set_override(name, value)
    return client.RegistryClient(conf)


class RpcTestCase(base.ServerTestCase):

    start_api = False

    def rpc(self, calls, headers=OWNER):
        return self.request_json('POST', '/rpc', calls, headers,
                                 server=self.registry)

    def assertError(self, status, code, result, mentions=None):
        got_status, _, body = result
        self.assertEqual(status, got_status, body)
        self.assertEqual(code, body['error']['code'], body)
        if mentions:
            self.assertIn(mentions, body['error']['message'])

    def test_one_call_answers_a_list_of_its_result(self):
        image_id = str(uuid.uuid4())
        status, _, body = self.rpc([
            {'command': 'image_create',
             'kwargs': {'values': {'id': image_id, 'name': 'rpc',
                                   'owner': 'project-a',
                                   'properties': {'k': 'v'},
                                   'tags': ['b', 'a']}}}])
        self.assertEqual(200, status, body)
        self.assertEqual(1, len(body))
        # Datetimes cross the wire as ISO 8601 strings.
        self.assertRegex(body[0]['created_at'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$')
        status, _, body = self.rpc([{'command': 'image_get',
                                     'kwargs': {'image_id': image_id}}])
        self.assertEqual(200, status, body)
        [fetched] = body
        self.assertEqual(image_id, fetched['id'])
        self.assertEqual('queued', fetched['status'])
        self.assertEqual({'k': 'v'}, fetched['properties'])
        self.assertEqual(['a', 'b'], fetched['tags'])

    def test_batch_of_calls_is_400_and_none_runs(self):
        image_id = str(uuid.uuid4())
        result = self.rpc([
            {'command': 'image_create',
             'kwargs': {'values': {'id': image_id, 'owner': 'project-a'}}},
            {'command': 'image_get', 'kwargs': {'image_id': image_id}}])
        self.assertError(400, 'invalid_request', result,
                         mentions='one call per request')
        self.assertError(404, 'image_not_found', self.rpc(
            [{'command': 'image_get', 'kwargs': {'image_id': image_id}}]))

    def test_empty_list_is_400(self):
        self.assertError(400, 'invalid_request', self.rpc([]),
                         mentions='one call per request')

    def test_unknown_command_is_400_naming_it(self):
        self.assertError(400, 'unknown_command', self.rpc(
            [{'command': 'image_explode', 'kwargs': {}}]),
            mentions='image_explode')

    def test_malformed_json_is_400(self):
        result = self.request_json('POST', '/rpc', b'[{"command": ',
                                   {'Content-Type': 'application/json'},
                                   server=self.registry)
        self.assertError(400, 'invalid_request', result, mentions='JSON')

    def test_body_that_is_not_a_list_is_400(self):
        self.assertError(400, 'invalid_request',
                         self.rpc({'command': 'image_get'}), mentions='list')

    def test_item_without_command_is_400(self):
        self.assertError(400, 'invalid_request', self.rpc([{'kwargs': {}}]),
                         mentions='"command"')

    def test_kwargs_of_wrong_type_is_400_naming_the_argument(self):
        self.assertError(400, 'invalid_parameter_value', self.rpc(
            [{'command': 'image_get_all', 'kwargs': {'limit': 'ten'}}]),
            mentions='limit')
        self.assertError(400, 'invalid_parameter_value', self.rpc(
            [{'command': 'image_create', 'kwargs': {'values': []}}]),
            mentions='values')

    def test_unexpected_argument_is_400_naming_it(self):
        self.assertError(400, 'invalid_request', self.rpc(
            [{'command': 'image_get', 'kwargs': {'image_id': 'x',
                                                 'colour': 'red'}}]),
            mentions='colour')

    def test_missing_argument_is_400(self):
        self.assertError(400, 'invalid_request', self.rpc(
            [{'command': 'image_get', 'kwargs': {}}]),
            mentions='missing argument(s) image_id')

    def test_misspelt_argument_is_400_and_changes_nothing(self):
        image_id = str(uuid.uuid4())
        self.rpc([{'command': 'image_create',
                   'kwargs': {'values': {'id': image_id, 'name': 'before',
                                         'owner': 'project-a'}}}])
        self.assertError(400, 'invalid_request', self.rpc(
            [{'command': 'image_update',
              'kwargs': {'image_id': image_id, 'values': {'name': 'after'},
                         'purge_properties': True}}]),
            mentions='unexpected argument(s) purge_properties')
        status, _, body = self.rpc([{'command': 'image_get',
                                     'kwargs': {'image_id': image_id}}])
        self.assertEqual('before', body[0]['name'])

    def test_invalid_sort_key_is_400(self):
        self.assertError(400, 'invalid_sort_key', self.rpc(
            [{'command': 'image_get_all',
              'kwargs': {'sort_key': ['bogus']}}]))

    def test_rpc_is_post_only(self):
        status, headers, _ = self.request('GET', '/rpc',
                                          server=self.registry)
        self.assertEqual(405, status)
        self.assertEqual('POST', headers['Allow'])

    def test_identity_headers_decide_visibility(self):
        image_id = str(uuid.uuid4())
        self.rpc([{'command': 'image_create',
                   'kwargs': {'values': {'id': image_id,
                                         'owner': 'project-a',
                                         'visibility': 'private'}}}])
        other = dict(OWNER, **{'X-Project-Id': 'project-b'})
        self.assertError(404, 'image_not_found', self.rpc(
            [{'command': 'image_get', 'kwargs': {'image_id': image_id}}],
            headers=other))


class ClientOverHttpTestCase(base.ServerTestCase):

    start_api = False

    def setUp(self):
        super().setUp()
        self.client = make_client(self.registry)
        self.addCleanup(self.client.close)
        self.context = context.RequestContext(
            user_id='user-a', project_id='project-a', roles=['member'])

    def test_image_round_trip(self):
        created = self.client.image_create(
            self.context, values={'name': 'client', 'owner': 'project-a',
                                  'properties': {'a': '1'},
                                  'locations': [{'url': 'file:///x',
                                                 'metadata': {},
                                                 'status': 'active'}]})
        fetched = self.client.image_get(self.context, image_id=created['id'])
        self.assertEqual('client', fetched['name'])
        self.assertEqual({'a': '1'}, fetched['properties'])
        self.assertEqual(['file:///x'],
                         [loc['url'] for loc in fetched['locations']])
        updated = self.client.image_update(
            self.context, image_id=created['id'],
            values={'status': 'saving'}, from_state='queued')
        self.assertEqual('saving', updated['status'])
        listed = self.client.image_get_all(
            self.context, filters={'name': 'client'})
        self.assertIn(created['id'], [i['id'] for i in listed])
        self.client.image_destroy(self.context, image_id=created['id'])
        self.assertRaises(exception.ImageNotFound, self.client.image_get,
                          self.context, image_id=created['id'])

    def test_compare_and_swap_conflict_raises_invalid_status_transition(self):
        created = self.client.image_create(
            self.context, values={'owner': 'project-a'})
        error = self.assertRaises(
            exception.InvalidStatusTransition, self.client.image_update,
            self.context, image_id=created['id'],
            values={'status': 'active'}, from_state='saving')
        self.assertEqual(409, error.http_status)

    def test_duplicate_id_raises_duplicate(self):
        created = self.client.image_create(
            self.context, values={'owner': 'project-a'})
        self.assertRaises(exception.Duplicate, self.client.image_create,
                          self.context, values={'id': created['id']})

    def test_bad_filter_raises_invalid_filter(self):
        self.assertRaises(exception.InvalidFilter, self.client.image_get_all,
                          self.context, filters={'colour': 'red'})

    def test_wrong_argument_type_raises_invalid(self):
        self.assertRaises(exception.Invalid, self.client.image_get_all,
                          self.context, limit='ten')

    def test_call_by_name_works_like_the_method(self):
        created = self.client.call(self.context, 'image_create',
                                   values={'owner': 'project-a'})
        self.assertEqual(created['id'], self.client.call(
            self.context, 'image_get', image_id=created['id'])['id'])

    def test_members_and_tags_round_trip(self):
        image = self.client.image_create(
            self.context, values={'owner': 'project-a'})
        self.client.image_tag_create(self.context, image_id=image['id'],
                                     value='t1')
        self.assertEqual(['t1'], self.client.image_tag_get_all(
            self.context, image_id=image['id']))
        self.assertRaises(exception.TagNotFound,
                          self.client.image_tag_delete, self.context,
                          image_id=image['id'], value='nope')
        member = self.client.image_member_create(
            self.context, values={'image_id': image['id'],
                                  'member': 'project-b'})
        self.assertEqual('pending', member['status'])
        self.assertEqual(1, self.client.image_member_count(
            self.context, image_id=image['id']))


class WorkersTestCase(base.ServerTestCase):
    """workers = 2: forked workers serve REST and /rpc."""

    start_api = False
    registry_overrides = {'DEFAULT': {'workers': 2}}

    def test_two_workers_serve_calls(self):
        registry_client = make_client(self.registry)
        self.addCleanup(registry_client.close)
        ctx = context.RequestContext(project_id='project-a',
                                     roles=['member'])
        ids = [registry_client.image_create(
            ctx, values={'owner': 'project-a'})['id'] for _ in range(10)]
        for image_id in ids:
            status, _, body = self.request_json(
                'GET', '/images/%s' % image_id, headers=OWNER,
                server=self.registry)
            self.assertEqual(200, status, body)


PATCH_TYPE = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}


class ApiRegistryCallsTestCase(base.ServerTestCase):
    """What one Image API request costs the registry, counted in the
    registry's access log (one ``POST /rpc`` line per call)."""

    api_overrides = {'oslo_messaging_notifications': {'driver': 'log'}}

    def rpc_calls(self, expected=None):
        """The number of /rpc requests the registry has logged; with
        ``expected``, wait until it is reached (the access line is written
        after the answer) and a moment more for any extra call."""
        def count():
            return self.registry.log_text(tail=10 ** 8).count('"POST /rpc ')
        deadline = time.time() + 10
        while expected is not None and count() < expected and \
                time.time() < deadline:
            time.sleep(0.05)
        if expected is not None:
            time.sleep(0.3)
        return count()

    def test_patch_of_tags_and_properties_is_one_registry_write(self):
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'one-write', 'tags': ['a'],
                                   'k': 'v'}, headers=OWNER)
        self.assertEqual(201, status, image)
        before = self.rpc_calls(expected=0)

        status, _, patched = self.request_json(
            'PATCH', '/v2/images/%s' % image['id'], [
                {'op': 'replace', 'path': '/tags', 'value': ['c', 'b']},
                {'op': 'replace', 'path': '/k', 'value': 'w'},
                {'op': 'add', 'path': '/colour', 'value': 'red'}],
            headers=dict(OWNER, **PATCH_TYPE))

        self.assertEqual(200, status, patched)
        # image_get to read it, then one image_update with the tags.
        self.assertEqual(before + 2, self.rpc_calls(expected=before + 2))
        self.assertEqual(['b', 'c'], sorted(patched['tags']))
        self.assertEqual(('w', 'red'), (patched['k'], patched['colour']))
        status, _, shown = self.request_json(
            'GET', '/v2/images/%s' % image['id'], headers=OWNER)
        self.assertEqual(['b', 'c'], sorted(shown['tags']))
        self.assertEqual(('w', 'red'), (shown['k'], shown['colour']))
        notifications = [
            line for line in self.api.log_text(tail=10 ** 8).splitlines()
            if 'oslo.messaging.notification.image.update' in line and
            image['id'] in line]
        self.assertEqual(1, len(notifications))
