"""Junk input against real glance-registry and glance-api processes: every
refusal is a 4xx in the API's usual error form, short, and changes nothing
stored. Also: an invalid Range is ignored, and a pipeline without a context
filter serves no one."""

import hashlib
import json
import os
import tempfile

from tests.functional import base
from tests.functional import daemons
from tests.functional import test_v2_image_data

ADMIN = {'X-Project-Id': 'admin-project', 'X-Roles': 'admin'}
PATCH_V21 = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
JSON = {'Content-Type': 'application/json'}
OCTET = {'Content-Type': 'application/octet-stream'}
NS = '/v2/metadefs/namespaces'
# Any error answer stays well under this many bytes, whatever the input.
MAX_ERROR_BODY = 1000


class JunkTestCase(test_v2_image_data.ImageDataTestCase):

    # Long input must reach the code that shortens its echo, so bodies up
    # to 4 MiB pass max_request_body_size here (test_pipeline tests the
    # limit itself).
    api_overrides = {'oslo_middleware': {
        'max_request_body_size': 4 * 1024 * 1024}}
    registry_overrides = api_overrides

    def stored(self):
        """Everything a refusal must leave alone: every image (as the
        admin lists them), every metadef namespace, every data file."""
        _, _, images = self.request_json('GET', '/v2/images?limit=1000')
        _, _, namespaces = self.request_json('GET', NS + '?limit=1000',
                                             headers=ADMIN)
        return (sorted(json.dumps(i, sort_keys=True)
                       for i in images['images']),
                sorted(n['namespace'] for n in namespaces['namespaces']),
                self.data_dir_entries())

    def assertRefused(self, expected, method, path, body=None, headers=None,
                      server=None, mentions=None):
        """``method path`` answers ``expected`` in the v2 JSON error form
        (the registry's form when ``server`` is the registry), short, and
        changes nothing stored. Returns the error message."""
        before = self.stored()
        status, resp_headers, data = self.request(method, path, body,
                                                  headers, server=server)
        self.assertEqual(expected, status, data[:300])
        self.assertLess(len(data), MAX_ERROR_BODY, data[:300])
        self.assertEqual('application/json', resp_headers['Content-Type'])
        error = json.loads(data)
        if server is self.registry:
            message = error['error']['message']
        else:
            self.assertEqual(set(['code', 'title', 'message']), set(error))
            self.assertTrue(error['code'].startswith(str(expected)), error)
            message = error['message']
        self.assertNotIn('Traceback', message)
        if mentions:
            self.assertIn(mentions, message)
        self.assertEqual(before, self.stored())
        return message

    @staticmethod
    def receive_all(sock):
        """What ``sock`` receives until the server closes it."""
        answer = b''
        while True:
            data = sock.recv(65536)
            if not data:
                return answer
            answer += data

    def send_raw(self, head, body):
        """Send ``head`` (with Connection: close) and ``body`` as they
        are; (status, body) of the answer."""
        answer = self.receive_all(self.raw_request(head, body))
        status_line, _, rest = answer.partition(b'\r\n')
        return int(status_line.split()[1]), rest.partition(b'\r\n\r\n')[2]


class TestInvalidUtf8(JunkTestCase):

    def test_invalid_utf8_in_v2_path_is_400(self):
        image = self.create_image()
        for method, path in (
                ('GET', '/v2/images/%ff'),
                ('PATCH', '/v2/images/%ed%a0%80'),
                ('PUT', '/v2/images/%s/tags/%%ff' % image['id']),
                ('DELETE', '/v2/images/%s/tags/%%ff' % image['id']),
                ('GET', '/v2/images/%s/members/%%c3' % image['id']),
                ('GET', NS + '/%ff'),
                ('DELETE', NS + '/%ff/objects/%fe'),
                ('GET', '/v2/images?name=%ff'),
                ('GET', '/v2/images?%ff=1')):
            self.assertRefused(400, method, path, headers=ADMIN,
                               mentions='UTF-8')

    def test_invalid_utf8_in_v1_path_is_400(self):
        for method, path in (('GET', '/v1/images/%ff'),
                             ('PUT', '/v1/images/%ff'),
                             ('GET', '/v1/images/detail?name=%ff')):
            self.assertRefused(400, method, path, mentions='UTF-8')
        status, _, body = self.request('HEAD', '/v1/images/%ff')
        self.assertEqual((400, b''), (status, body))

    def test_invalid_utf8_in_json_body_is_400(self):
        self.assertRefused(400, 'POST', '/v2/images', b'{"name": "\xff"}',
                           JSON, mentions='UTF-8')

    def test_invalid_utf8_in_registry_path_is_400(self):
        for path in ('/images/%ff', '/images/detail?name=%ff'):
            self.assertRefused(400, 'GET', path, server=self.registry,
                               mentions='UTF-8')


class TestJsonBodies(JunkTestCase):

    def test_lone_surrogate_in_create_or_patch_body_is_400(self):
        image = self.create_image()
        self.assertRefused(400, 'POST', '/v2/images',
                           b'{"name": "\\ud800"}', JSON,
                           mentions='surrogate')
        self.assertRefused(400, 'POST', '/v2/images',
                           b'{"name": "a", "\\udc00": "v"}', JSON,
                           mentions='surrogate')
        self.assertRefused(
            400, 'PATCH', '/v2/images/%s' % image['id'],
            b'[{"op": "replace", "path": "/name", "value": "\\ud800"}]',
            PATCH_V21, mentions='surrogate')
        self.assertRefused(400, 'POST', NS, b'{"namespace": "\\udfff"}',
                           dict(JSON, **ADMIN), mentions='surrogate')

    def test_deeply_nested_json_is_400_not_recursion_error(self):
        deep = b'[' * 100000 + b']' * 100000
        image = self.create_image()
        self.assertRefused(400, 'POST', '/v2/images', deep, JSON,
                           mentions='nested')
        self.assertRefused(400, 'PATCH', '/v2/images/%s' % image['id'],
                           deep, PATCH_V21, mentions='nested')
        self.assertRefused(400, 'POST', NS, deep, dict(JSON, **ADMIN),
                           mentions='nested')
        self.assertRefused(400, 'PUT', '/v1/images/%s/members' % image['id'],
                           deep, JSON, mentions='nested')

    def test_junk_json_to_registry_rpc_and_rest_is_400(self):
        for body in (b'[' * 100000 + b']' * 100000,
                     b'[{"command": "image_get", "kwargs": '
                     b'{"image_id": "\\ud800"}}]',
                     b'[{"command": "image_get", "kwargs": '
                     b'{"image_id": "a\\u0000"}}]',
                     b'\xff'):
            self.assertRefused(400, 'POST', '/rpc', body, JSON,
                               server=self.registry)
        self.assertRefused(400, 'POST', '/images',
                           b'{"image": {"name": "\\ud800"}}', JSON,
                           server=self.registry)

    def test_non_object_in_metadef_tags_body_is_400(self):
        namespace = 'junk-tags'
        status, _, body = self.request_json('POST', NS,
                                            {'namespace': namespace},
                                            ADMIN)
        self.assertEqual(201, status, body)
        self.addCleanup(self.request, 'DELETE', NS + '/' + namespace,
                        headers=ADMIN)
        path = NS + '/%s/tags' % namespace
        for tags in ([5], ['a'], [None], [[]], [{}]):
            self.assertRefused(400, 'POST', path, {'tags': tags}, ADMIN)
        for document in ({'namespace': 'junk-2', 'tags': [{}]},
                         {'namespace': 'junk-3', 'objects': [{}]}):
            self.assertRefused(400, 'POST', NS, document, ADMIN)


class TestIntegerRanges(JunkTestCase):

    HUGE = '99999999999999999999'

    def test_integer_past_int64_in_v2_filter_is_400_not_503(self):
        for query in ('size_min=' + self.HUGE, 'size_max=' + self.HUGE,
                      'size_min=9223372036854775808'):
            self.assertRefused(400, 'GET', '/v2/images?' + query,
                               mentions='size_')
        status, _, _ = self.request(
            'GET', '/v2/images?size_max=9223372036854775807')
        self.assertEqual(200, status)

    def test_integer_past_its_column_in_v2_body_is_400(self):
        image = self.create_image()
        self.assertRefused(400, 'POST', '/v2/images',
                           {'name': 'n', 'min_ram': 2 ** 31})
        self.assertRefused(
            400, 'PATCH', '/v2/images/%s' % image['id'],
            json.dumps([{'op': 'replace', 'path': '/min_disk',
                         'value': int(self.HUGE)}]).encode(), PATCH_V21)

    def test_integer_past_its_column_in_v1_headers_is_400(self):
        image = self.create_image()
        for header, value in (('x-image-meta-size', self.HUGE),
                              ('x-image-meta-min_ram', self.HUGE),
                              ('x-image-meta-min_disk', str(2 ** 31))):
            headers = {'x-image-meta-name': 'v1-junk', header: value}
            self.assertRefused(400, 'POST', '/v1/images', headers=headers,
                               mentions=header)
            self.assertRefused(400, 'PUT', '/v1/images/%s' % image['id'],
                               headers=headers, mentions=header)
        self.assertRefused(400, 'GET', '/v1/images?size_min=' + self.HUGE,
                           mentions='size_min')

    def test_integer_past_int64_at_the_registry_is_400_not_503(self):
        self.assertRefused(400, 'GET', '/images/detail?size_min=' + self.HUGE,
                           server=self.registry, mentions='size_min')
        self.assertRefused(
            400, 'POST', '/rpc',
            [{'command': 'image_get_all',
              'kwargs': {'filters': {'size_max': int(self.HUGE)}}}],
            server=self.registry, mentions='size_max')
        self.assertRefused(
            400, 'POST', '/rpc',
            [{'command': 'image_create',
              'kwargs': {'values': {'status': 'queued',
                                    'min_ram': 2 ** 40}}}],
            server=self.registry, mentions='min_ram')


class ChunkedUploadMixin:
    """Raw chunked uploads, sent exactly as given."""

    def send_chunked_v2(self, image_id, chunks):
        return self.send_raw(
            'PUT /v2/images/%s/file HTTP/1.1\r\nHost: x\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
            % image_id, chunks)

    def send_chunked_v1(self, name, chunks):
        return self.send_raw(
            'POST /v1/images HTTP/1.1\r\nHost: x\r\n'
            'x-image-meta-name: %s\r\n'
            'x-image-meta-disk_format: raw\r\n'
            'x-image-meta-container_format: bare\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
            % name, chunks)


class TestChunkedUpload(ChunkedUploadMixin, JunkTestCase):

    BAD_CHUNKS = b'5\r\nhello\r\nzz\r\nabc\r\n0\r\n\r\n'

    def test_malformed_chunk_in_v2_upload_is_400_and_image_stays_queued(
            self):
        image = self.create_image()
        before = self.stored()
        status, body = self.send_chunked_v2(image['id'], self.BAD_CHUNKS)
        self.assertEqual(400, status, body)
        self.assertIn(b'chunked', body)
        # The image went saving and back: only its updated_at moved.
        self.assertEqual(before[1:], self.stored()[1:])
        image = self.show_image(image['id'])
        self.assertEqual(('queued', None), (image['status'], image['size']))

    def test_malformed_chunk_in_v1_upload_is_400_and_keeps_no_data(self):
        before = self.stored()
        status, body = self.send_chunked_v1('v1-chunked-junk', self.BAD_CHUNKS)
        self.assertEqual(400, status, body)
        self.assertIn(b'chunked', body)
        # v1 registers the image before its data: it is left killed, with
        # no data file.
        _, _, images = self.request_json(
            'GET', '/v2/images?name=v1-chunked-junk')
        self.assertEqual(['killed'],
                         [i['status'] for i in images['images']])
        self.assertEqual(before[2], self.stored()[2])


class TestChunkedFraming(ChunkedUploadMixin, JunkTestCase):
    """What a chunked upload may carry besides its data, and what it may
    not."""

    def test_chunk_extensions_and_trailers_are_ignored(self):
        image = self.create_image()
        data = os.urandom(200000)
        body = (b'%x;name=value;flag\r\n%s\r\n%x ; q="a;b"\r\n%s\r\n'
                b'0;last\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n'
                % (70000, data[:70000], len(data) - 70000, data[70000:]))
        status, answer = self.send_chunked_v2(image['id'], body)
        self.assertEqual(204, status, answer)
        image = self.show_image(image['id'])
        self.assertEqual((len(data), hashlib.md5(data).hexdigest()),
                         (image['size'], image['checksum']))

    def test_malformed_framing_is_400_and_image_stays_queued(self):
        for body in (b'3\r\nabcX\r\n0\r\n\r\n',        # no CRLF after data
                     b'0x3\r\nabc\r\n0\r\n\r\n',       # not a hex number
                     b'3\nabc\r\n0\r\n\r\n',            # LF alone
                     b'1;' + b'x' * 10000 + b'\r\na\r\n0\r\n\r\n'):
            image = self.create_image()
            status, answer = self.send_chunked_v2(image['id'], body)
            self.assertEqual(400, status, (body[:20], answer))
            self.assertIn(b'chunked', answer)
            self.assertEqual('queued', self.show_image(image['id'])['status'])

    def test_request_pipelined_after_a_chunked_upload_is_answered(self):
        image = self.create_image()
        data = os.urandom(300000)
        body = b''.join(b'%x\r\n%s\r\n' % (len(piece), piece) for piece in
                        (data[i:i + 65536]
                         for i in range(0, len(data), 65536)))
        head = ('PUT /v2/images/%s/file HTTP/1.1\r\nHost: x\r\n'
                'Content-Type: application/octet-stream\r\n'
                'Transfer-Encoding: chunked\r\n\r\n' % image['id'])
        # The next request goes out in the same packets as the body's end.
        answer = self.receive_all(self.raw_request(
            head, body + b'0\r\n\r\nGET /v2/images/%s HTTP/1.1\r\n'
            b'Host: x\r\nConnection: close\r\n\r\n' % image['id'].encode()))
        self.assertTrue(answer.startswith(b'HTTP/1.1 204'), answer[:200])
        second = answer[answer.index(b'HTTP/1.1', 10):]
        self.assertTrue(second.startswith(b'HTTP/1.1 200'), second[:200])
        shown = json.loads(second.partition(b'\r\n\r\n')[2])
        self.assertEqual(('active', hashlib.md5(data).hexdigest()),
                         (shown['status'], shown['checksum']))


class TestChunkLargerThanTheCap(ChunkedUploadMixin, JunkTestCase):
    """A chunk whose size line declares more than image_size_cap is
    refused when the line is read, not after waiting for its data."""

    # 2**48 bytes declared, 5 sent.
    HUGE_CHUNK = b'1000000000000\r\nhello\r\n0\r\n\r\n'

    def test_v2_upload_with_a_chunk_past_the_cap_is_413_and_stays_queued(
            self):
        image = self.create_image()
        before = self.stored()
        status, body = self.send_chunked_v2(image['id'], self.HUGE_CHUNK)
        self.assertEqual(413, status, body)
        self.assertEqual(before[1:], self.stored()[1:])
        self.assertEqual('queued', self.show_image(image['id'])['status'])

    def test_v1_upload_with_a_chunk_past_the_cap_is_413_and_keeps_no_data(
            self):
        before = self.stored()
        status, body = self.send_chunked_v1('v1-huge-chunk', self.HUGE_CHUNK)
        self.assertEqual(413, status, body)
        self.assertEqual(before[2], self.stored()[2])


class TestLongInputIsNotEchoed(JunkTestCase):

    MEGABYTE = 'x' * (1024 * 1024)

    def assertShortEcho(self, message):
        self.assertIn('x' * 150, message)
        self.assertNotIn('x' * 201, message)

    def test_1mb_name_in_v2_body_is_quoted_at_most_200_characters(self):
        message = self.assertRefused(400, 'POST', '/v2/images',
                                     {'name': self.MEGABYTE})
        self.assertShortEcho(message)
        self.assertIn('name', message)
        spaced = ' '.join(['xy'] * (512 * 1024))
        message = self.assertRefused(400, 'POST', '/v2/images',
                                     {'name': spaced})
        self.assertLess(len(message), 600)

    def test_1mb_values_elsewhere_are_quoted_at_most_200_characters(self):
        image = self.create_image()
        for method, path, body, headers in (
                ('POST', NS, {'namespace': self.MEGABYTE}, ADMIN),
                ('PUT', '/v2/images/%s/tags/%s' % (image['id'],
                                                   self.MEGABYTE[:8000]),
                 None, None),
                ('GET', '/v2/images?sort_key=' + self.MEGABYTE[:8000],
                 None, None),
                ('POST', '/v2/images/%s/members' % image['id'],
                 {'member': 1, 'x': self.MEGABYTE}, None)):
            message = self.assertRefused(400, method, path, body, headers)
            self.assertNotIn('x' * 201, message)

    def test_long_input_to_registry_is_quoted_at_most_200_characters(self):
        message = self.assertRefused(
            400, 'GET', '/images/detail?sort_key=' + 'x' * 8000,
            server=self.registry)
        self.assertShortEcho(message)


class TestNamesTagsAndPropertyKeys(JunkTestCase):

    def test_nul_in_name_tag_or_property_key_is_400(self):
        image = self.create_image()
        for body in ({'name': 'a\x00b'}, {'name': 'a', 'tags': ['t\x00']},
                     {'name': 'a', 'k\x00': 'v'},
                     {'name': 'a', 'k': 'v\x00'}):
            self.assertRefused(400, 'POST', '/v2/images', body,
                               mentions='NUL')
        self.assertRefused(
            400, 'PATCH', '/v2/images/%s' % image['id'],
            json.dumps([{'op': 'add', 'path': '/k\x00',
                         'value': 'v'}]).encode(), PATCH_V21,
            mentions='NUL')
        self.assertRefused(400, 'PUT', '/v2/images/%s/tags/a%%00'
                           % image['id'], mentions='NUL')
        for header in ('x-image-meta-name', 'x-image-meta-property-k'):
            self.assertRefused(400, 'PUT', '/v1/images/%s' % image['id'],
                               headers={header: 'a\x00b'}, mentions='NUL')

    def test_empty_tag_or_property_key_is_400(self):
        image = self.create_image()
        self.assertRefused(400, 'POST', '/v2/images',
                           {'name': 'a', 'tags': ['']}, mentions='tag')
        self.assertRefused(400, 'POST', '/v2/images', {'name': 'a', '': 'v'},
                           mentions='property name')
        self.assertRefused(
            400, 'PATCH', '/v2/images/%s' % image['id'],
            json.dumps([{'op': 'replace', 'path': '/tags',
                         'value': ['ok', '']}]).encode(), PATCH_V21,
            mentions='tag')

    def test_empty_name_is_accepted_as_upstream_does(self):
        # Upstream's image schema gives name only a maxLength (255).
        self.assertEqual('', self.create_image(name='')['name'])
        self.assertRefused(400, 'POST', '/v2/images', {'name': 'n' * 256})


class TestMetadefNames(JunkTestCase):

    def setUp(self):
        super().setUp()
        self.namespace = 'junk-names'
        status, _, body = self.request_json(
            'POST', NS, {'namespace': self.namespace}, ADMIN)
        self.assertEqual(201, status, body)
        self.addCleanup(self.request, 'DELETE', NS + '/' + self.namespace,
                        headers=ADMIN)

    def test_names_that_no_url_can_address_are_400(self):
        base_path = NS + '/' + self.namespace
        for name in ('a/b', '/', '.', '..'):
            for method, path, body in (
                    ('POST', NS, {'namespace': name}),
                    ('PUT', base_path, {'namespace': name}),
                    ('POST', base_path + '/objects', {'name': name}),
                    ('POST', base_path + '/properties',
                     {'name': name, 'title': 't', 'type': 'string'}),
                    ('POST', base_path + '/tags', {'tags': [{'name': name}]}),
                    ('POST', base_path + '/resource_types', {'name': name}),
                    ('POST', NS, {'namespace': 'junk-nested',
                                  'objects': [{'name': name}]})):
                self.assertRefused(400, method, path, body, ADMIN,
                                   mentions='URL')

    def test_renaming_content_to_a_slash_name_is_400(self):
        base_path = NS + '/' + self.namespace
        status, _, body = self.request_json(
            'POST', base_path + '/tags/t1', None, ADMIN)
        self.assertEqual(201, status, body)
        self.assertRefused(400, 'PUT', base_path + '/tags/t1',
                           {'name': 'x/y'}, ADMIN, mentions='URL')
        status, _, body = self.request_json(
            'POST', base_path + '/objects', {'name': 'o1'}, ADMIN)
        self.assertEqual(201, status, body)
        self.assertRefused(400, 'PUT', base_path + '/objects/o1',
                           {'name': 'x/y'}, ADMIN, mentions='URL')


class TestRangeHeader(JunkTestCase):

    DATA = bytes(range(256)) * 4

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        body = json.dumps({'name': 'ranges', 'disk_format': 'raw',
                           'container_format': 'bare'}).encode()
        status, _, data = daemons.http('POST', cls.api.url + '/v2/images',
                                       body, JSON)
        cls.image_id = json.loads(data)['id']
        daemons.http('PUT', cls.api.url + '/v2/images/%s/file'
                     % cls.image_id, cls.DATA, OCTET)

    def test_invalid_range_is_ignored_and_the_whole_data_sent(self):
        for header in ('garbage', 'bytes=abc', 'items=0-1', 'bytes=9-3',
                       'bytes=0-1,5-6', 'bytes=-', 'bytes=1-2-3'):
            for path in ('/v2/images/%s/file' % self.image_id,
                         '/v1/images/%s' % self.image_id):
                status, headers, body = self.request(
                    'GET', path, headers={'Range': header})
                self.assertEqual((200, self.DATA), (status, body), header)
                self.assertNotIn('Content-Range', headers)

    def test_valid_unsatisfiable_range_is_still_416(self):
        for header in ('bytes=1024-', 'bytes=-0', 'bytes=5000-6000'):
            status, headers, body = self.request(
                'GET', '/v2/images/%s/file' % self.image_id,
                headers={'Range': header})
            self.assertEqual(416, status, header)
            self.assertEqual('bytes */1024', headers['Content-Range'])


NO_CONTEXT_PASTE = """
[pipeline:glance-api-nocontext]
pipeline = request_id apiapp

[pipeline:glance-registry-nocontext]
pipeline = request_id registryapp

[app:apiapp]
paste.app_factory = glance_api.server:app_factory

[app:registryapp]
paste.app_factory = glance_registry.server:app_factory

[filter:request_id]
paste.filter_factory = oslo_middleware:RequestId.factory
"""


class TestNoContextFilter(base.ServerTestCase):
    """Pipelines that forget the context filter: 401 for every request,
    never an administrator. The registry here serves no one, so the api
    is not started against it."""

    start_api = False

    @classmethod
    def setUpClass(cls):
        fd, cls.paste_path = tempfile.mkstemp(suffix='-paste.ini')
        with os.fdopen(fd, 'w') as f:
            f.write(NO_CONTEXT_PASTE)
        super().setUpClass()
        try:
            cls.bare_api = cls._start(daemons.Api(
                cls.registry, root=cls.root, overrides=cls.paste_config()))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.paste_path)

    @classmethod
    def paste_config(cls):
        return {'paste_deploy': {'flavor': 'nocontext',
                                 'config_file': cls.paste_path}}

    @classmethod
    def registry_config(cls):
        return cls.paste_config()

    def test_api_without_context_filter_is_401_never_admin(self):
        for method, path in (('GET', '/v2/images'), ('POST', '/v2/images'),
                             ('GET', '/v1/images/detail'),
                             ('GET', NS)):
            status, _, body = self.request(method, path,
                                           server=self.bare_api)
            self.assertEqual(401, status, body)

    def test_registry_without_context_filter_is_401_never_admin(self):
        for method, path, body in (('GET', '/images/detail', None),
                                   ('POST', '/rpc',
                                    [{'command': 'image_get_all'}])):
            status, _, data = self.request(method, path, body,
                                           server=self.registry)
            self.assertEqual(401, status, data)
            self.assertEqual('not_authenticated',
                             json.loads(data)['error']['code'])
