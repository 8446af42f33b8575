"""Fuzz every Image API v2 endpoint (images, data, tags, members,
locations, actions, stores, info, schemas, versions) as project B."""

import os
import urllib.parse

from hypothesis import strategies as st

from tests.fuzz import base
from tests.fuzz import hostile
from tests.fuzz import rawhttp


def content_types(default):
    return st.one_of(st.just(default), st.just(default), st.sampled_from(
        hostile.CONTENT_TYPES))


def type_header(value):
    return [] if value is None else [('Content-Type', value)]


PATCH = 'application/openstack-images-v2.1-json-patch'
CREATE_EXAMPLE = {'name': 'fuzz', 'disk_format': 'raw',
                  'container_format': 'bare', 'visibility': 'private',
                  'tags': ['t'], 'min_ram': 1, 'min_disk': 1,
                  'protected': False, 'os_hidden': False, 'prop': 'v'}
LIST_PARAMETERS = ['limit', 'marker', 'sort_key', 'sort_dir', 'sort',
                   'member_status', 'tag', 'name', 'status', 'visibility',
                   'owner', 'id', 'checksum', 'os_hash_value', 'disk_format',
                   'container_format', 'protected', 'os_hidden', 'size_min',
                   'size_max', 'created_at', 'updated_at', 'prop']
PATCH_PATHS = ['/name', '/tags', '/tags/0', '/visibility', '/protected',
               '/os_hidden', '/min_ram', '/min_disk', '/disk_format',
               '/container_format', '/owner', '/id', '/status', '/checksum',
               '/size', '/locations', '/locations/-', '/locations/0',
               '/locations/99999999999999999999', '/direct_url',
               '/os_glance_x', '/deleted', '/prop', '/prop/deeper', '',
               '/', '//', '~', '/~2', '/a~', '/%ff', '/\x00', '/\ud800',
               '/' + 'k' * 300, '/' + hostile.LONG]
PATCH_OPS = ['add', 'replace', 'remove', 'move', 'copy', 'test', 'junk', '',
             None, 1]
LOCATION_URLS = ['http://127.0.0.1:1/x', 'http://[::1]:22/', 'ftp://x/y',
                 'file:///etc/passwd', 'rbd://a/b/c/d', 'swift://x',
                 's3://k:s@h/b/o', 'http://169.254.169.254/latest/',
                 'http://%ff/', 'http://h:99999/', 'http://h:-1/', 'junk',
                 '', 'http://' + 'h' * 300 + '/']
STATIC_PATHS = [
    '/', '/versions', '/v2', '/v2/', '/v2.0/images', '/v2.1/images',
    '/v2.99/images', '/v3/images', '/v1.1/images', '/v2/schemas/image',
    '/v2/schemas/images', '/v2/schemas/member', '/v2/schemas/members',
    '/v2/schemas/unknown', '/v2/info/import', '/v2/info/stores',
    '/v2/info/stores/detail', '/v2/info/%ff', '/v2/unknown', '/%ff',
    '/versions/%c0%80', '//v2//images', '/v2/images/', '/v2/tasks',
    '/v2/cache', '/healthcheck', '/v2/images?%ff', '/' + 'p' * 9000,
    '/v2/images/../../v1/images', '/v2/./images',
]


class V2FuzzTest(base.FuzzTestCase):

    def test_list_images_with_hostile_queries(self):
        def exercise(case):
            query, accept = case
            headers = [] if accept is None else [('Accept', accept)]
            self.call('GET /v2/images', 'GET', '/v2/images' + query,
                      headers)
        self.fuzz(st.tuples(hostile.query(LIST_PARAMETERS),
                            st.sampled_from(hostile.ACCEPTS)),
                  exercise, 200, examples=[
                      ('?size_min=%d' % 2 ** 63, None),
                      ('?size_max=%d' % 2 ** 64, None),
                      ('?limit=-1&limit=%d' % 2 ** 63, None),
                      ('?name=%ff', None), ('?tag=%00', None),
                      ('?created_at=gt:9999-12-31T23:59:59-23:00', None)])

    def test_create_image_with_hostile_bodies(self):
        def exercise(case):
            body, content_type, taken_id = case
            if taken_id:
                # An id project A already holds.
                body = hostile.encode(dict(CREATE_EXAMPLE,
                                           id=self.a_private))
            self.call('POST /v2/images', 'POST', '/v2/images',
                      type_header(content_type), body)
        self.fuzz(st.tuples(hostile.mutated(CREATE_EXAMPLE),
                            content_types('application/json'),
                            st.sampled_from([False] * 9 + [True])),
                  exercise, 250, examples=[
                      (hostile.encode({'name': '\ud800'}), None, False),
                      (hostile.encode({'name': 'a\x00b'}), None, False),
                      (hostile.encode({'tags': ['']}), None, False),
                      (hostile.encode({'': 'x'}), None, False),
                      (hostile.RAW_BODIES[4], None, False),
                      (hostile.encode({'name': hostile.HUGE}), None, False)])

    def test_show_delete_and_actions_on_any_image(self):
        actions = st.sampled_from([
            ('GET', ''), ('DELETE', ''), ('POST', '/actions/deactivate'),
            ('POST', '/actions/reactivate'), ('POST', '/actions/%ff'),
            ('GET', '/actions/deactivate'), ('POST', '')])

        def exercise(case):
            target, (method, suffix), as_admin = case
            image_id = self.target_id(target)
            # The administrator only acts on what project B made.
            identity = base.PROJECT_B
            if as_admin and target[1] not in (
                    'a_private', 'a_shared', 'a_community', 'a_queued'):
                identity = base.ADMIN
            self.call('/v2/images/{id}' + suffix.split('%')[0], method,
                      '/v2/images/%s%s' % (image_id, suffix),
                      identity=identity)
        self.fuzz(st.tuples(base.image_targets('b_active'), actions,
                            st.booleans()),
                  exercise, 200,
                  examples=[(('raw', '%ff'), ('GET', ''), False)])

    def test_patch_images_with_hostile_documents(self):
        change = st.fixed_dictionaries(
            {'op': st.sampled_from(PATCH_OPS),
             'path': st.one_of(st.sampled_from(PATCH_PATHS),
                               hostile.strings())},
            optional={'value': hostile.values(), 'from': st.sampled_from(
                PATCH_PATHS), 'junk': hostile.values()})
        draft4 = st.tuples(st.sampled_from(['add', 'replace', 'remove']),
                           st.sampled_from(PATCH_PATHS),
                           hostile.values()).map(
                               lambda t: {t[0]: t[1], 'value': t[2]})
        documents = st.one_of(
            st.lists(change, max_size=4).map(hostile.encode),
            st.lists(draft4, max_size=3).map(hostile.encode),
            st.sampled_from(hostile.RAW_BODIES),
            hostile.scalars().map(hostile.encode))

        def exercise(case):
            target, document, content_type = case
            self.call('PATCH /v2/images/{id}', 'PATCH',
                      '/v2/images/%s' % self.target_id(target),
                      type_header(content_type), document)
        self.fuzz(st.tuples(
            base.image_targets('b_queued'), documents,
            content_types(PATCH)),
            exercise, 300, examples=[
                (('name', 'b_queued'), hostile.encode([{
                    'op': 'add', 'path': '/tags/-', 'value': ''}]), PATCH),
                (('name', 'b_queued'), hostile.encode([{
                    'op': 'add', 'path': '/\x00', 'value': 'x'}]), PATCH),
                (('name', 'b_queued'), hostile.encode([{
                    'op': 'replace', 'path': '/name', 'value': '\ud800'}]),
                 PATCH)])

    def test_upload_and_download_data_with_hostile_framing(self):
        bodies = st.one_of(
            st.binary(max_size=2048).map(lambda b: ('plain', b)),
            st.lists(st.binary(min_size=1, max_size=64), min_size=1,
                     max_size=4).map(lambda p: ('chunked', p)),
            st.tuples(st.lists(st.binary(min_size=1, max_size=64),
                               min_size=1, max_size=3),
                      st.sampled_from([b'zz', b'-1', b'', b'ffffffffffffffff',
                                       b'4;ext="\xff"', b'1' * 200,
                                       b'0x10', b' 4'])).map(
                lambda t: ('malformed', t)))
        extra_headers = st.lists(st.tuples(
            st.sampled_from(['X-Image-Meta-Store', 'Content-MD5',
                             'X-Image-Meta-Size', 'Expect', 'Range',
                             'Content-Range', 'If-Match', 'Accept']),
            hostile.header_values()), max_size=2)

        def exercise(case):
            target, method, body, content_type, headers = case
            image_id = self.target_id(target)
            path = '/v2/images/%s/file' % image_id
            headers = type_header(content_type) + headers
            if method == 'GET':
                self.call('GET /v2/images/{id}/file', 'GET', path, headers)
                return
            kind, data = body
            if kind == 'plain':
                self.call('PUT /v2/images/{id}/file', 'PUT', path, headers,
                          data)
            else:
                pieces, malformed = (data, None) if kind == 'chunked' \
                    else data
                self.call('PUT /v2/images/{id}/file (%s)' % kind, 'PUT',
                          path, headers + [('Transfer-Encoding', 'chunked')],
                          raw_body=rawhttp.chunked(pieces, malformed))
        self.fuzz(st.tuples(base.image_targets('b_queued'),
                            st.sampled_from(['PUT', 'PUT', 'GET']),
                            bodies,
                            content_types('application/octet-stream'),
                            extra_headers),
                  exercise, 250, examples=[
                      (('name', 'b_queued'), 'PUT',
                       ('malformed', ([b'abc', b'defg'], b'zz')),
                       'application/octet-stream', [])])

    def test_download_with_junk_ranges(self):
        def exercise(case):
            target, ranges = case
            route = 'GET /v2/images/{id}/file (Range)'
            path = '/v2/images/%s/file' % self.target_id(target)
            response = self.call(route, 'GET', path,
                                 [('Range', r) for r in ranges])
            base.check_range_answer(self, route, path, ranges, response)
        images = st.sampled_from(['a_shared', 'a_community', 'b_active',
                                  'a_private']).map(lambda t: ('name', t))
        ranges = st.lists(st.one_of(st.sampled_from(hostile.RANGES),
                                    hostile.header_values()),
                          min_size=1, max_size=2)
        self.fuzz(st.tuples(images, ranges), exercise, 80, examples=[
            (('name', 'a_shared'), ['bytes=a-b']),
            (('name', 'b_active'), ['bytes=5-2'])])

    def test_tags_and_members_with_hostile_values(self):
        tag_segment = st.one_of(hostile.segments(), st.sampled_from(
            ['a-tag', 'other', 'new']))
        member_bodies = st.one_of(
            hostile.mutated({'member': 'fuzz-project-a'}),
            hostile.mutated({'status': 'accepted'}))
        requests = st.one_of(
            st.tuples(st.sampled_from(['PUT', 'DELETE']),
                      tag_segment.map(lambda t: '/tags/' + t),
                      st.just(None)),
            st.tuples(st.sampled_from(['GET', 'POST']),
                      st.just('/members'), member_bodies),
            st.tuples(st.sampled_from(['GET', 'PUT', 'DELETE']),
                      st.one_of(
                          st.sampled_from(['fuzz-project-b', base.PROJECT_C,
                                           'fuzz-project-a']),
                          hostile.segments()).map(
                              lambda m: '/members/' + m),
                      member_bodies))

        def exercise(case):
            target, (method, suffix, body) = case
            route = '/v2/images/{id}' + (
                '/tags/{tag}' if suffix.startswith('/tags') else
                '/members/{member}' if suffix.startswith('/members/')
                else '/members')
            self.call(route, method, '/v2/images/%s%s' % (
                self.target_id(target), suffix),
                base.JSON if body is not None else [], body)
        self.fuzz(st.tuples(base.image_targets('b_shared'), requests),
                  exercise, 250,
                  examples=[(('name', 'b_shared'), ('PUT', '/tags/%00',
                                                    None)),
                            (('name', 'b_shared'), ('PUT', '/tags/%ff',
                                                    None))])

    def test_locations_with_hostile_urls(self):
        def urls():
            store = os.path.join(self.data_dir, '')
            return st.one_of(
                st.sampled_from(LOCATION_URLS),
                st.sampled_from(['a_private', 'a_shared']).map(
                    lambda name: 'file://%s%s' % (store, getattr(self,
                                                                 name))),
                st.just('http://127.0.0.1:%d/rpc' % self.registry.port),
                hostile.strings())
        bodies = st.one_of(
            st.tuples(urls(), st.one_of(st.none(), hostile.values())).map(
                lambda t: hostile.encode(
                    {'url': t[0]} if t[1] is None else
                    {'url': t[0], 'validation_data': t[1]})),
            hostile.mutated({'url': 'http://example.com/x'}))

        def exercise(case):
            target, method, body = case
            path = '/v2/images/%s/locations' % self.target_id(target)
            if method == 'GET':
                self.call('GET /v2/images/{id}/locations', 'GET', path)
            else:
                self.call('POST /v2/images/{id}/locations', 'POST', path,
                          base.JSON, body)
        self.fuzz(st.tuples(
            base.image_targets('b_queued'),
            st.sampled_from(['POST', 'POST', 'GET']), bodies),
            exercise, 120)

    def test_other_routes_methods_and_versions(self):
        def store_path(pair):
            # Never one of project A's ids: the administrator goes here.
            store, (kind, value) = pair
            return '/v2/stores/%s/%s' % (
                store, value if kind == 'raw' else hostile.random_id())
        paths = st.one_of(
            st.sampled_from(STATIC_PATHS),
            st.tuples(st.sampled_from(['file', 'ceph', '%ff', '..']),
                      base.image_targets()).map(store_path),
            hostile.segments().map(lambda s: '/v2/' + s),
            hostile.segments().map(lambda s: '/' + s + '/images'))

        def exercise(case):
            method, path, accept, as_admin = case
            headers = [] if accept is None else [('Accept', accept)]
            self.call('any route (%s)' % urllib.parse.urlsplit(
                path.replace('\xff', '%ff')).path[:40], method, path,
                headers, identity=base.ADMIN if as_admin else
                base.PROJECT_B)
        self.fuzz(st.tuples(st.sampled_from(hostile.METHODS), paths,
                            st.sampled_from(hostile.ACCEPTS),
                            st.booleans()),
                  exercise, 200)

    def test_stage_import_and_tasks_with_hostile_input(self):
        import_example = {'method': {'name': 'web-download',
                                     'uri': 'http://127.0.0.1:1/x'},
                          'stores': ['file'], 'all_stores': False,
                          'all_stores_must_succeed': True}

        def exercise(case):
            body, content_type, stage, query = case
            image_id = self.b_image()
            if stage:
                self.call('PUT /v2/images/{id}/stage', 'PUT',
                          '/v2/images/%s/stage' % image_id,
                          type_header(content_type), body)
            self.call('POST /v2/images/{id}/import', 'POST',
                      '/v2/images/%s/import' % image_id,
                      type_header(content_type), body)
            self.call('GET /v2/images/{id}/tasks', 'GET',
                      '/v2/images/%s/tasks' % image_id)
            self.call('GET /v2/tasks', 'GET', '/v2/tasks' + query)
            self.call('POST /v2/tasks', 'POST', '/v2/tasks',
                      type_header(content_type), body)

        self.fuzz(st.tuples(hostile.mutated(import_example),
                            content_types('application/json'),
                            st.booleans(),
                            hostile.query(['limit', 'marker', 'sort_key',
                                           'sort_dir', 'type', 'status'])),
                  exercise, 60, examples=[
                      (hostile.encode({'method': {'name': 'glance-direct'}}),
                       'application/octet-stream', True, ''),
                      (hostile.encode({'method': {
                          'name': 'glance-download',
                          'glance_image_id': '\ud800',
                          'glance_region': 'x'}}), None, False, '?limit=-1')])
