"""Fuzz every Image API v1 endpoint (images, detail, metadata headers,
data, members, shared-images) as project B."""

from hypothesis import strategies as st

from tests.fuzz import base
from tests.fuzz import hostile
from tests.fuzz import rawhttp

META_FIELDS = ['name', 'disk_format', 'container_format', 'size', 'min_disk',
               'min_ram', 'is_public', 'protected', 'owner', 'id', 'status',
               'checksum', 'location', 'store', 'created_at', 'deleted',
               'virtual_size', 'unknown_field', '']
NUMERIC_FIELDS = ['size', 'min_disk', 'min_ram']
VALID_META = [('x-image-meta-name', 'fuzz-v1'),
              ('x-image-meta-disk_format', 'raw'),
              ('x-image-meta-container_format', 'bare')]
OTHER_HEADERS = ['x-glance-api-copy-from', 'x-glance-registry-purge-props',
                 'Content-MD5', 'Expect', 'Transfer-Encoding',
                 'x-image-meta-property-', 'X-Image-Meta-Name']
LIST_PARAMETERS = ['name', 'status', 'container_format', 'disk_format',
                   'size_min', 'size_max', 'changes-since', 'protected',
                   'limit', 'marker', 'sort_key', 'sort_dir', 'is_public',
                   'deleted', 'property-a_property', 'property-']


def meta_headers():
    """Valid metadata headers with one or two made hostile, plus hostile
    property headers and other v1 headers."""
    field_header = st.one_of(
        st.tuples(st.sampled_from(META_FIELDS).map(
            lambda f: 'x-image-meta-' + f), hostile.header_values()),
        st.tuples(st.sampled_from(NUMERIC_FIELDS).map(
            lambda f: 'x-image-meta-' + f), st.sampled_from(hostile.NUMERIC)))
    property_header = st.tuples(
        st.one_of(hostile.header_values(), st.sampled_from(
            ['a_property', 'k' * 300, 'a b', 'x-y'])).map(
                lambda k: 'x-image-meta-property-' + k.replace(
                    ':', '').replace('\r', '').replace('\n', '')),
        hostile.header_values())
    other = st.tuples(st.sampled_from(OTHER_HEADERS),
                      st.one_of(hostile.header_values(), st.sampled_from([
                          'http://127.0.0.1:1/', 'file:///etc/passwd',
                          'http://169.254.169.254/', 'chunked'])))
    return st.tuples(
        st.booleans(),
        st.lists(st.one_of(field_header, property_header, other),
                 max_size=3)).map(
        lambda t: (VALID_META if t[0] else []) + t[1])


def bodies():
    return st.one_of(
        st.none(),
        st.binary(max_size=2048).map(lambda b: ('plain', b)),
        st.tuples(st.lists(st.binary(min_size=1, max_size=64), min_size=1,
                           max_size=3),
                  st.sampled_from([None, b'zz', b'-1', b'', b'1' * 200,
                                   b'ffffffffffffffff'])).map(
            lambda t: ('chunked', t)))


class V1FuzzTest(base.FuzzTestCase):

    def send_with_body(self, route, method, path, headers, body):
        if body is None:
            return self.call(route, method, path, headers)
        kind, data = body
        headers = headers + base.OCTET
        if kind == 'plain':
            return self.call(route, method, path, headers, data)
        pieces, malformed = data
        return self.call(route + ' (chunked)', method, path,
                         headers + [('Transfer-Encoding', 'chunked')],
                         raw_body=rawhttp.chunked(pieces, malformed))

    def test_list_images_with_hostile_queries(self):
        def exercise(case):
            detail, query = case
            path = '/v1/images/detail' if detail else '/v1/images'
            self.call('GET ' + path, 'GET', path + query)
        self.fuzz(st.tuples(st.booleans(), hostile.query(LIST_PARAMETERS)),
                  exercise, 200, examples=[
                      (False, '?size_min=%d' % 2 ** 63),
                      (True, '?name=%c0%80'),
                      (False, '?changes-since=9999-12-31T23:59:59-23:00')])

    def test_create_image_with_hostile_headers_and_data(self):
        def exercise(case):
            headers, body = case
            self.send_with_body('POST /v1/images', 'POST', '/v1/images',
                                headers, body)
        self.fuzz(st.tuples(meta_headers(), bodies()), exercise, 250,
                  examples=[
                      (VALID_META + [('x-image-meta-min_ram', str(2 ** 63))],
                       None),
                      (VALID_META + [('x-image-meta-name', '')], None),
                      (VALID_META + [('x-image-meta-property-k', 'a\x00')],
                       None),
                      (VALID_META, ('chunked', ([b'abc'], b'zz')))])

    def test_meta_show_update_delete_any_image(self):
        def exercise(case):
            target, method, headers, body, ranges = case
            path = '/v1/images/%s' % self.target_id(target)
            if method == 'PUT':
                self.send_with_body('PUT /v1/images/{id}', 'PUT', path,
                                    headers, body)
            elif method == 'GET':
                response = self.call('GET /v1/images/{id}', 'GET', path,
                                     [('Range', r) for r in ranges])
                base.check_range_answer(self, 'GET /v1/images/{id}', path,
                                        ranges, response)
            else:
                self.call('%s /v1/images/{id}' % method, method, path)
        self.fuzz(st.tuples(base.image_targets('b_queued'),
                            st.sampled_from(['HEAD', 'GET', 'PUT', 'PUT',
                                             'DELETE']),
                            meta_headers(), bodies(),
                            st.lists(st.sampled_from(hostile.RANGES),
                                     max_size=1)),
                  exercise, 250)

    def test_members_and_shared_images(self):
        members = st.one_of(
            st.sampled_from(['fuzz-project-b', base.PROJECT_C,
                             'fuzz-project-a']),
            hostile.segments())
        replace_bodies = st.one_of(
            hostile.mutated({'memberships': [
                {'member_id': 'fuzz-project-c', 'can_share': False}]}),
            st.lists(st.fixed_dictionaries(
                {'member_id': hostile.scalars(),
                 'can_share': hostile.scalars()}), max_size=3).map(
                lambda m: hostile.encode({'memberships': m})))
        add_bodies = st.one_of(
            st.none(), hostile.mutated({'member': {'can_share': True}}))
        requests = st.one_of(
            st.tuples(st.just('GET'), st.just('/members'), st.none()),
            st.tuples(st.just('PUT'), st.just('/members'), replace_bodies),
            st.tuples(st.sampled_from(['PUT', 'DELETE']),
                      members.map(lambda m: '/members/' + m), add_bodies))

        def exercise(case):
            target, (method, suffix, body), shared_member = case
            if shared_member is not None:
                self.call('GET /v1/shared-images/{member}', 'GET',
                          '/v1/shared-images/' + shared_member)
                return
            route = '/v1/images/{id}' + (
                '/members' if suffix == '/members' else '/members/{member}')
            self.call(route, method, '/v1/images/%s%s' % (
                self.target_id(target), suffix),
                base.JSON if body is not None else [], body)
        self.fuzz(st.tuples(base.image_targets('b_active'), requests,
                            st.one_of(st.none(), st.none(), members)),
                  exercise, 200)
