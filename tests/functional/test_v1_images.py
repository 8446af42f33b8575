"""Image API v1 against real glance-registry and glance-api processes:
every /v1 call over HTTP, the killed status, copy-from and locations, and
the same image seen through v1 and v2."""

import functools
import hashlib
import http.client
import http.server
import json
import os
import shutil
import socket
import tempfile
import threading
import time

from tests.functional import base

OCTET = {'Content-Type': 'application/octet-stream'}
FORMATS = {'x-image-meta-disk_format': 'raw',
           'x-image-meta-container_format': 'bare'}
CAP = 4 * 1024 * 1024


class DataServer:
    """A local http.server serving the files of a temp folder (HEAD gives
    Content-Length), for copy-from and location tests."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix='glance-v1-http-')
        handler = functools.partial(_QuietHandler, directory=self.root)
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def add(self, name, data):
        with open(os.path.join(self.root, name), 'wb') as f:
            f.write(data)
        return 'http://127.0.0.1:%d/%s' % (self.server.server_port, name)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.root, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class V1TestCase(base.ServerTestCase):

    api_overrides = {'DEFAULT': {'image_size_cap': CAP}}

    @classmethod
    def setUpClass(cls):
        # The data server runs on loopback: the URL filter lets glance-api
        # fetch from it only when listed (before the api starts).
        cls.data_server = DataServer()
        super().setUpClass()

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config['import_filtering_opts'] = {
            'allowed_hosts': '[127.0.0.1]',
            'allowed_ports': '[%d]' % cls.data_server.server.server_port}
        return config

    @classmethod
    def tearDownClass(cls):
        data_server = getattr(cls, 'data_server', None)
        if data_server is not None:
            data_server.stop()
        super().tearDownClass()

    def create(self, data=None, **headers):
        all_headers = {}
        if data is not None:
            all_headers.update(OCTET)
        all_headers.update(headers)
        status, resp_headers, body = self.request('POST', '/v1/images', data,
                                                  all_headers)
        return status, resp_headers, json.loads(body) if body else None

    def create_ok(self, data=None, **headers):
        status, resp_headers, body = self.create(data, **headers)
        self.assertEqual(201, status, body)
        return body['image']

    def head(self, image_id):
        status, headers, body = self.request('HEAD', '/v1/images/' +
                                             image_id)
        self.assertEqual(200, status)
        self.assertEqual(b'', body)
        return {k.lower(): v for k, v in headers.items()}

    def data_dir_entries(self):
        path = os.path.join(self.api.lib, 'images')
        return sorted(os.listdir(path)) if os.path.isdir(path) else []


def meta(**values):
    """x-image-meta-* headers from keyword arguments."""
    return {'x-image-meta-' + k: str(v) for k, v in values.items()}


class TestV1Images(V1TestCase):

    def test_versions_list_v1_as_supported(self):
        status, _, body = self.request_json('GET', '/versions')
        self.assertEqual(200, status)
        by_id = {v['id']: v for v in body['versions']}
        self.assertEqual('CURRENT', by_id['v2.17']['status'])
        for version in ('v1.1', 'v1.0'):
            self.assertEqual('SUPPORTED', by_id[version]['status'])
            self.assertTrue(
                by_id[version]['links'][0]['href'].endswith('/v1/'))

    def test_create_with_body_returns_201_active_with_checksum(self):
        data = b'v1 image data' * 1000
        status, headers, body = self.create(
            data, **FORMATS, **meta(name='with-data', min_ram=64),
            **{'x-image-meta-property-distro': 'cirros'})
        self.assertEqual(201, status, body)
        image = body['image']
        self.assertEqual('active', image['status'])
        self.assertEqual(len(data), image['size'])
        self.assertEqual(hashlib.md5(data).hexdigest(), image['checksum'])
        self.assertEqual(64, image['min_ram'])
        self.assertFalse(image['is_public'])
        self.assertFalse(image['deleted'])
        self.assertIsNone(image['deleted_at'])
        self.assertEqual({'distro': 'cirros'}, image['properties'])
        self.assertTrue(headers['Location'].endswith(
            '/v1/images/' + image['id']))
        etag = {k.lower(): v for k, v in headers.items()}['etag']
        self.assertEqual(image['checksum'], etag.strip('"'))
        self.assertIn(image['id'], self.data_dir_entries())

    def test_create_chunked_body_is_stored(self):
        data = os.urandom(300000)
        conn = http.client.HTTPConnection('127.0.0.1', self.api.port,
                                          timeout=60)
        self.addCleanup(conn.close)
        headers = dict(OCTET, **FORMATS, **meta(name='chunked'))
        conn.request('POST', '/v1/images',
                     body=iter([data[:100000], data[100000:]]),
                     headers=headers, encode_chunked=True)
        response = conn.getresponse()
        image = json.loads(response.read())['image']
        self.assertEqual(201, response.status)
        self.assertEqual('active', image['status'])
        self.assertEqual(hashlib.md5(data).hexdigest(), image['checksum'])

    def test_create_without_data_is_queued_and_put_uploads(self):
        image = self.create_ok(**meta(name='reserved'))
        self.assertEqual('queued', image['status'])
        self.assertIsNone(image['size'])
        data = b'later data'
        status, _, body = self.request(
            'PUT', '/v1/images/' + image['id'], data,
            dict(OCTET, **FORMATS))
        self.assertEqual(200, status, body)
        updated = json.loads(body)['image']
        self.assertEqual('active', updated['status'])
        self.assertEqual(len(data), updated['size'])
        # A second upload to an active image is refused.
        status, _, _ = self.request('PUT', '/v1/images/' + image['id'],
                                    data, OCTET)
        self.assertEqual(409, status)

    def test_head_returns_metadata_and_get_returns_bytes(self):
        data = b'0123456789' * 50
        image = self.create_ok(
            data, **FORMATS, **meta(name='shown', min_disk=2),
            **{'x-image-meta-property-os_distro': 'fedora'})
        headers = self.head(image['id'])
        self.assertEqual(image['id'], headers['x-image-meta-id'])
        self.assertEqual('shown', headers['x-image-meta-name'])
        self.assertEqual('active', headers['x-image-meta-status'])
        self.assertEqual(str(len(data)), headers['x-image-meta-size'])
        self.assertEqual('2', headers['x-image-meta-min_disk'])
        self.assertEqual('false', headers['x-image-meta-is_public'])
        self.assertEqual('false', headers['x-image-meta-deleted'])
        self.assertEqual('fedora', headers['x-image-meta-property-os_distro'])
        self.assertNotIn('x-image-meta-deleted_at', headers)

        status, get_headers, body = self.request('GET',
                                                 '/v1/images/' + image['id'])
        self.assertEqual(200, status)
        self.assertEqual(data, body)
        get_headers = {k.lower(): v for k, v in get_headers.items()}
        md5 = hashlib.md5(data).hexdigest()
        self.assertEqual(md5, get_headers['x-image-meta-checksum'])
        self.assertEqual(md5, get_headers['content-md5'])
        self.assertEqual('application/octet-stream',
                         get_headers['content-type'])

    def test_head_of_unknown_image_is_404(self):
        status, _, _ = self.request(
            'HEAD', '/v1/images/8b2a3c43-4c3a-4a2c-9b0e-0d5a1f2e3d4c')
        self.assertEqual(404, status)

    def test_put_updates_headers_and_purges_properties_on_request(self):
        image = self.create_ok(**meta(name='before'), **{
            'x-image-meta-property-a': '1', 'x-image-meta-property-b': '2'})
        status, _, body = self.request(
            'PUT', '/v1/images/' + image['id'], None,
            dict(meta(name='after', is_public='true', protected='true'),
                 **{'x-image-meta-property-c': '3'}))
        self.assertEqual(200, status, body)
        updated = json.loads(body)['image']
        self.assertEqual('after', updated['name'])
        self.assertTrue(updated['is_public'])
        self.assertTrue(updated['protected'])
        self.assertEqual({'a': '1', 'b': '2', 'c': '3'},
                         updated['properties'])

        status, _, body = self.request(
            'PUT', '/v1/images/' + image['id'], None,
            {'x-image-meta-property-b': '20', 'x-image-meta-protected':
             'false', 'x-glance-registry-purge-props': 'true'})
        self.assertEqual(200, status, body)
        self.assertEqual({'b': '20'},
                         json.loads(body)['image']['properties'])

    def test_delete_returns_204_and_removes_data(self):
        image = self.create_ok(b'doomed', **FORMATS, **meta(name='doomed'))
        self.assertIn(image['id'], self.data_dir_entries())
        status, _, _ = self.request('DELETE', '/v1/images/' + image['id'])
        self.assertEqual(204, status)
        status, _, _ = self.request('HEAD', '/v1/images/' + image['id'])
        self.assertEqual(404, status)
        self.assertNotIn(image['id'], self.data_dir_entries())

    def test_delete_of_protected_image_is_403(self):
        image = self.create_ok(**meta(name='kept', protected='true'))
        status, _, _ = self.request('DELETE', '/v1/images/' + image['id'])
        self.assertEqual(403, status)
        self.assertEqual('queued', self.head(image['id'])[
            'x-image-meta-status'])

    def test_list_and_detail_with_filters_sort_and_paging(self):
        tag = 'list-%d' % time.time_ns()
        ids = []
        for index, size in enumerate((10, 20, 30)):
            ids.append(self.create_ok(
                b'x' * size, **FORMATS,
                **meta(name='%s-%d' % (tag, index)),
                **{'x-image-meta-property-group': tag})['id'])
        status, _, body = self.request_json(
            'GET', '/v1/images?property-group=%s&sort_key=size&sort_dir=asc'
            % tag)
        self.assertEqual(200, status, body)
        self.assertEqual(ids, [i['id'] for i in body['images']])
        self.assertEqual({'id', 'name', 'size', 'disk_format',
                          'container_format', 'checksum'},
                         set(body['images'][0]))

        status, _, body = self.request_json(
            'GET', '/v1/images/detail?property-group=%s&size_min=15'
            '&size_max=25' % tag)
        self.assertEqual(200, status, body)
        self.assertEqual([ids[1]], [i['id'] for i in body['images']])
        detail = body['images'][0]
        self.assertEqual({'group': tag}, detail['properties'])
        self.assertEqual('active', detail['status'])
        self.assertFalse(detail['is_public'])

        status, _, body = self.request_json(
            'GET', '/v1/images/detail?name=%s-2&disk_format=raw' % tag)
        self.assertEqual([ids[2]], [i['id'] for i in body['images']])

        status, _, page1 = self.request_json(
            'GET', '/v1/images?property-group=%s&sort_key=name&sort_dir=asc'
            '&limit=2' % tag)
        self.assertEqual(ids[:2], [i['id'] for i in page1['images']])
        status, _, page2 = self.request_json(
            'GET', '/v1/images?property-group=%s&sort_key=name&sort_dir=asc'
            '&limit=2&marker=%s' % (tag, ids[1]))
        self.assertEqual(ids[2:], [i['id'] for i in page2['images']])

        status, _, body = self.request_json(
            'GET', '/v1/images?property-group=%s&is_public=true' % tag)
        self.assertEqual([], body['images'])
        status, _, body = self.request_json(
            'GET', '/v1/images?property-group=%s&is_public=none' % tag)
        self.assertEqual(3, len(body['images']))

    def test_changes_since_lists_deleted_images(self):
        tag = 'changes-%d' % time.time_ns()
        image = self.create_ok(**meta(name=tag))
        self.request('DELETE', '/v1/images/' + image['id'])
        status, _, body = self.request_json(
            'GET', '/v1/images/detail?name=%s&changes-since=2000-01-01T00:'
            '00:00' % tag)
        self.assertEqual(200, status, body)
        [found] = body['images']
        self.assertTrue(found['deleted'])
        self.assertEqual('deleted', found['status'])
        self.assertIsNotNone(found['deleted_at'])

    def test_changes_since_beyond_year_9999_in_utc_is_400(self):
        status, _, body = self.request_json(
            'GET', '/v1/images/detail?changes-since=9999-12-31T23:59:59-23:00')
        self.assertEqual(400, status, body)
        self.assertIn('changes-since', body['message'])

    def test_list_with_bad_parameters_is_400(self):
        for query in ('size_min=-1', 'sort_key=owner', 'sort_dir=up',
                      'is_public=maybe', 'bogus=1', 'marker=nope'):
            status, _, _ = self.request('GET', '/v1/images?' + query)
            self.assertEqual(400, status, query)

    def test_checksum_mismatch_kills_image_and_removes_data(self):
        status, _, body = self.create(
            b'real data', **FORMATS,
            **meta(name='bad-sum', checksum='0' * 32))
        self.assertEqual(400, status, body)
        self.assertIn('x-image-meta-checksum', body['message'])
        killed = self._only_image_named('bad-sum')
        self.assertEqual('killed', killed['status'])
        self.assertNotIn(killed['id'], self.data_dir_entries())

    def test_size_mismatch_kills_image_and_removes_data(self):
        status, _, body = self.create(
            b'12345', **FORMATS, **meta(name='bad-size', size=6))
        self.assertEqual(400, status, body)
        self.assertIn('x-image-meta-size', body['message'])
        killed = self._only_image_named('bad-size')
        self.assertEqual('killed', killed['status'])
        self.assertNotIn(killed['id'], self.data_dir_entries())

    def _only_image_named(self, name):
        status, _, body = self.request_json(
            'GET', '/v1/images/detail?name=%s' % name)
        self.assertEqual(200, status, body)
        self.assertEqual(1, len(body['images']), body)
        return body['images'][0]

    def test_bad_headers_are_400_naming_the_header(self):
        for header, value in (('x-image-meta-disk_format', 'floppy'),
                              ('x-image-meta-container_format', 'box'),
                              ('x-image-meta-is_public', 'perhaps'),
                              ('x-image-meta-protected', 'sometimes'),
                              ('x-image-meta-size', '-5'),
                              ('x-image-meta-min_ram', 'lots'),
                              ('x-image-meta-min_disk', '1.5')):
            status, _, body = self.create(**{header: value})
            self.assertEqual(400, status, header)
            self.assertIn(header, body['message'])

    def test_store_header_picks_the_store_and_unknown_store_is_400(self):
        image = self.create_ok(b'in file', **FORMATS,
                               **meta(name='file-store', store='file'))
        self.assertEqual('active', image['status'])
        for store in ('nowhere', 'http'):
            status, _, body = self.create(b'x', **FORMATS,
                                          **meta(store=store))
            self.assertEqual(400, status, store)
            self.assertIn('x-image-meta-store', body['message'])

    def test_data_without_formats_is_400_and_creates_nothing(self):
        name = 'no-formats-%d' % time.time_ns()
        status, _, body = self.create(b'data', **meta(name=name))
        self.assertEqual(400, status, body)
        status, _, body = self.request_json(
            'GET', '/v1/images?name=%s&is_public=none' % name)
        self.assertEqual([], body['images'])

    def test_content_length_over_cap_is_413_before_the_body(self):
        name = 'too-big-%d' % time.time_ns()
        sock = socket.create_connection(('127.0.0.1', self.api.port), 30)
        self.addCleanup(sock.close)
        head = ('POST /v1/images HTTP/1.1\r\nHost: x\r\n'
                'Content-Type: application/octet-stream\r\n'
                'x-image-meta-name: %s\r\nx-image-meta-disk_format: raw\r\n'
                'x-image-meta-container_format: bare\r\n'
                'Content-Length: %d\r\n\r\n' % (name, CAP + 1))
        sock.sendall(head.encode())
        # No byte of the body is sent: the answer must come anyway.
        response = http.client.HTTPResponse(sock)
        response.begin()
        self.assertEqual(413, response.status)
        status, _, body = self.request_json(
            'GET', '/v1/images?name=%s&is_public=none' % name)
        self.assertEqual([], body['images'])

    def test_copy_from_http_url_stores_the_data(self):
        data = os.urandom(200000)
        url = self.data_server.add('copy.img', data)
        image = self.create_ok(**FORMATS, **meta(name='copied'), **{
            'x-glance-api-copy-from': url})
        self.assertEqual('active', image['status'])
        self.assertEqual(len(data), image['size'])
        self.assertEqual(hashlib.md5(data).hexdigest(), image['checksum'])
        self.assertIn(image['id'], self.data_dir_entries())
        status, _, body = self.request('GET', '/v1/images/' + image['id'])
        self.assertEqual(data, body)

    def test_copy_from_missing_url_is_400_and_kills(self):
        url = self.data_server.add('present.img', b'x')[:-len(
            'present.img')] + 'absent.img'
        status, _, body = self.create(**FORMATS, **meta(name='copy-404'),
                                      **{'x-glance-api-copy-from': url})
        self.assertEqual(400, status, body)
        self.assertEqual('killed', self._only_image_named('copy-404')[
            'status'])

    def test_copy_from_non_http_url_is_400(self):
        for url in ('file:///etc/passwd', 'ftp://example.com/x.img',
                    'swift://a/b'):
            status, _, body = self.create(
                **FORMATS, **{'x-glance-api-copy-from': url})
            self.assertEqual(400, status, url)
            self.assertIn('x-glance-api-copy-from', body['message'])

    def test_location_registers_external_data_with_size_from_head(self):
        data = b'external' * 100
        url = self.data_server.add('external.img', data)
        image = self.create_ok(**FORMATS, **meta(name='by-location',
                                                 location=url))
        self.assertEqual('active', image['status'])
        self.assertEqual(len(data), image['size'])
        self.assertNotIn(image['id'], self.data_dir_entries())
        status, _, body = self.request('GET', '/v1/images/' + image['id'])
        self.assertEqual(200, status)
        self.assertEqual(data, body)
        # Deleting the image leaves the external data alone.
        status, _, _ = self.request('DELETE', '/v1/images/' + image['id'])
        self.assertEqual(204, status)
        self.assertTrue(os.path.exists(os.path.join(self.data_server.root,
                                                    'external.img')))

    def test_status_cannot_be_set(self):
        status, _, _ = self.create(**meta(status='active'))
        self.assertEqual(403, status)

    def test_unknown_method_is_405_with_allow(self):
        status, headers, _ = self.request('POST', '/v1/images/detail')
        self.assertEqual(405, status)
        self.assertEqual('GET', headers['Allow'])

    def test_image_created_in_v1_is_read_and_patched_in_v2(self):
        data = b'cross api'
        image = self.create_ok(
            data, **FORMATS, **meta(name='cross', min_ram=128),
            **{'x-image-meta-property-hw_disk_bus': 'scsi'})
        status, _, v2 = self.request_json('GET', '/v2/images/' + image['id'])
        self.assertEqual(200, status, v2)
        self.assertEqual('cross', v2['name'])
        self.assertEqual('active', v2['status'])
        self.assertEqual(image['checksum'], v2['checksum'])
        self.assertEqual(len(data), v2['size'])
        self.assertEqual(128, v2['min_ram'])
        self.assertEqual('scsi', v2['hw_disk_bus'])

        patch = [{'op': 'replace', 'path': '/name', 'value': 'cross-v2'},
                 {'op': 'add', 'path': '/os_distro', 'value': 'debian'},
                 {'op': 'remove', 'path': '/hw_disk_bus'}]
        status, _, body = self.request(
            'PATCH', '/v2/images/' + image['id'], json.dumps(patch).encode(),
            {'Content-Type': 'application/openstack-images-v2.1-json-patch'})
        self.assertEqual(200, status, body)

        headers = self.head(image['id'])
        self.assertEqual('cross-v2', headers['x-image-meta-name'])
        self.assertEqual('debian', headers['x-image-meta-property-os_distro'])
        self.assertNotIn('x-image-meta-property-hw_disk_bus', headers)
        status, _, body = self.request('GET', '/v2/images/%s/file'
                                       % image['id'])
        self.assertEqual(data, body)

    def test_image_created_in_v2_is_read_and_updated_in_v1(self):
        status, _, v2 = self.request_json(
            'POST', '/v2/images', {'name': 'from-v2', 'disk_format': 'raw',
                                   'container_format': 'bare',
                                   'os_distro': 'ubuntu'})
        self.assertEqual(201, status, v2)
        headers = self.head(v2['id'])
        self.assertEqual('from-v2', headers['x-image-meta-name'])
        self.assertEqual('queued', headers['x-image-meta-status'])
        self.assertEqual('ubuntu', headers['x-image-meta-property-os_distro'])
        status, _, body = self.request(
            'PUT', '/v1/images/' + v2['id'], b'v1 data',
            dict(OCTET, **{'x-image-meta-property-os_version': '24.04'}))
        self.assertEqual(200, status, body)
        status, _, again = self.request_json('GET', '/v2/images/' + v2['id'])
        self.assertEqual('active', again['status'])
        self.assertEqual(7, again['size'])
        self.assertEqual(('ubuntu', '24.04'),
                         (again['os_distro'], again['os_version']))

    def test_killed_image_shows_killed_in_v2(self):
        status, _, _ = self.create(b'abc', **FORMATS,
                                   **meta(name='killed-v2', size=4))
        self.assertEqual(400, status)
        killed = self._only_image_named('killed-v2')
        status, _, v2 = self.request_json('GET', '/v2/images/' +
                                          killed['id'])
        self.assertEqual('killed', v2['status'])


class TestV1Members(V1TestCase):

    def test_member_calls_and_shared_images(self):
        image = self.create_ok(**meta(name='shared'))
        path = '/v1/images/%s/members' % image['id']

        status, _, _ = self.request('PUT', path + '/tenant-a')
        self.assertEqual(204, status)
        status, _, _ = self.request('PUT', path + '/tenant-b',
                                    {'member': {'can_share': True}})
        self.assertEqual(204, status)
        status, _, body = self.request_json('GET', path)
        self.assertEqual(200, status)
        self.assertEqual([{'member_id': 'tenant-a', 'can_share': False},
                          {'member_id': 'tenant-b', 'can_share': True}],
                         body['members'])

        status, _, body = self.request_json('GET',
                                            '/v1/shared-images/tenant-b')
        self.assertEqual(200, status)
        self.assertIn({'image_id': image['id'], 'can_share': True},
                      body['shared_images'])

        # Replace the whole list; can_share omitted keeps tenant-b's.
        status, _, _ = self.request('PUT', path, {'memberships': [
            {'member_id': 'tenant-b'},
            {'member_id': 'tenant-c', 'can_share': True}]})
        self.assertEqual(204, status)
        status, _, body = self.request_json('GET', path)
        self.assertEqual([{'member_id': 'tenant-b', 'can_share': True},
                          {'member_id': 'tenant-c', 'can_share': True}],
                         body['members'])

        status, _, _ = self.request('PUT', path + '/tenant-c',
                                    {'member': {'can_share': False}})
        self.assertEqual(204, status)
        status, _, _ = self.request('DELETE', path + '/tenant-b')
        self.assertEqual(204, status)
        status, _, body = self.request_json('GET', path)
        self.assertEqual([{'member_id': 'tenant-c', 'can_share': False}],
                         body['members'])
        status, _, _ = self.request('DELETE', path + '/tenant-b')
        self.assertEqual(404, status)

    def test_member_sees_shared_image_in_v1_list(self):
        image = self.create_ok(**meta(name='for-tenant-x'))
        self.request('PUT', '/v1/images/%s/members/tenant-x' % image['id'])
        as_member = {'X-Project-Id': 'tenant-x', 'X-Roles': 'member'}
        status, _, body = self.request_json('GET', '/v1/images', None,
                                            as_member)
        self.assertEqual(200, status, body)
        self.assertIn(image['id'], [i['id'] for i in body['images']])
        status, _, _ = self.request('PUT', '/v1/images/%s/members/other'
                                    % image['id'], None, as_member)
        self.assertEqual(403, status)

    def test_bad_member_bodies_are_400(self):
        image = self.create_ok(**meta(name='bad-members'))
        path = '/v1/images/%s/members' % image['id']
        for body in ({'memberships': 'all'}, {'memberships': [{}]},
                     {'memberships': [{'member_id': 'a',
                                       'can_share': 'yes'}]}):
            status, _, _ = self.request('PUT', path, body)
            self.assertEqual(400, status, body)
        status, _, _ = self.request('PUT', path + '/a',
                                    {'member': {'can_share': 'no'}})
        self.assertEqual(400, status)


class TestV1MemberQuota(V1TestCase):
    """v1 sharing goes through the member service: image_member_quota."""

    api_overrides = {'DEFAULT': {'image_size_cap': CAP,
                                 'image_member_quota': 2}}

    def member_ids(self, path):
        status, _, body = self.request_json('GET', path)
        self.assertEqual(200, status, body)
        return sorted(m['member_id'] for m in body['members'])

    def test_member_over_image_member_quota_is_413_and_not_added(self):
        image = self.create_ok(**meta(name='quota-members'))
        path = '/v1/images/%s/members' % image['id']
        for member in ('p1', 'p2'):
            status, _, body = self.request('PUT', path + '/' + member)
            self.assertEqual(204, status, body)
        status, _, body = self.request('PUT', path + '/p3')
        self.assertEqual(413, status, body)
        self.assertIn(b'image_member_quota', body)
        # An existing member's can_share still changes at the limit.
        status, _, body = self.request('PUT', path + '/p2',
                                       {'member': {'can_share': True}})
        self.assertEqual(204, status, body)
        self.assertEqual(['p1', 'p2'], self.member_ids(path))

    def test_replacing_members_over_the_quota_is_413_and_changes_none(self):
        image = self.create_ok(**meta(name='quota-replace'))
        path = '/v1/images/%s/members' % image['id']
        status, _, body = self.request('PUT', path, {'memberships': [
            {'member_id': 'p1'}, {'member_id': 'p2'}]})
        self.assertEqual(204, status, body)
        status, _, body = self.request('PUT', path, {'memberships': [
            {'member_id': m} for m in ('p3', 'p4', 'p5')]})
        self.assertEqual(413, status, body)
        self.assertIn(b'image_member_quota', body)
        self.assertEqual(['p1', 'p2'], self.member_ids(path))
        # Within the quota once the members it drops are counted out.
        status, _, body = self.request('PUT', path, {'memberships': [
            {'member_id': 'p2'}, {'member_id': 'p3'}]})
        self.assertEqual(204, status, body)
        self.assertEqual(['p2', 'p3'], self.member_ids(path))


class TestV1Notifications(V1TestCase):
    """v1 changes send the notifications v2's do (driver = log: they land
    in glance-api's log file, one line each)."""

    api_overrides = {'DEFAULT': {'image_size_cap': CAP},
                     'oslo_messaging_notifications': {'driver': 'log'}}

    def notifications(self, image_id):
        """(event_type, payload) of every notification about the image,
        in the order they were sent."""
        found = []
        prefix = 'oslo.messaging.notification.'
        for line in self.api.log_text(tail=10 ** 6).splitlines():
            if prefix not in line or image_id not in line:
                continue
            notification = json.loads(line[line.index('{'):])
            found.append((notification['event_type'],
                          notification['payload']))
        return found

    def test_update_and_member_changes_are_notified(self):
        image = self.create_ok(**meta(name='v1-notified'))
        path = '/v1/images/' + image['id']
        status, _, body = self.request('PUT', path, None, dict(
            meta(name='v1-renamed'),
            **{'x-image-meta-property-os_distro': 'cirros'}))
        self.assertEqual(200, status, body)
        for body in (None, {'member': {'can_share': True}}):
            status, _, answer = self.request(
                'PUT', path + '/members/tenant-n', body)
            self.assertEqual(204, status, answer)
        status, _, answer = self.request('PUT', path + '/members',
                                         {'memberships': []})
        self.assertEqual(204, status, answer)
        found = self.notifications(image['id'])
        self.assertEqual(
            ['image.create', 'image.update', 'image.member.create',
             'image.member.update', 'image.member.delete'],
            [event_type for event_type, _ in found])
        updated = found[1][1]
        self.assertEqual(('v1-renamed', {'os_distro': 'cirros'}),
                         (updated['name'], updated['properties']))
        self.assertEqual(
            [('tenant-n', False), ('tenant-n', False), ('tenant-n', True)],
            [(payload['member_id'], payload['deleted'])
             for _, payload in found[2:]])


class TestV1CopyFromRefused(base.ServerTestCase):
    """Default configuration: copy-from may not reach internal
    addresses."""

    def test_copy_from_loopback_private_and_link_local_is_400(self):
        for url in ('http://127.0.0.1:1/x.img', 'http://localhost/x.img',
                    'http://10.1.2.3/x.img', 'https://192.168.0.1/x.img',
                    'http://169.254.169.254/latest/meta-data',
                    'http://[::1]/x.img'):
            status, _, body = self.request(
                'POST', '/v1/images', None,
                dict(FORMATS, **{'x-glance-api-copy-from': url}))
            self.assertEqual(400, status, url)
            self.assertIn(b'refused by policy', body)


class V1ImagesOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                    TestV1Images):
    """Every v1 image test of TestV1Images, with the registry reached over
    RabbitMQ."""


class V1MembersOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                     TestV1Members):
    """Every v1 membership test of TestV1Members, with the registry reached
    over RabbitMQ."""
