"""glance-replicator's pure parts: server arguments, what is copied and
compared, the JSON patch of an update, the byte counting of a copy and the
progress bar."""

import io

import testtools

from glance_api import replicator

DONTREPLICATE = replicator.DEFAULT_DONTREPLICATE.split()
IMAGE_ID = '7b1f2a4c-7c42-4c55-9f0e-0d8f5b1c9e11'


def image(**values):
    """A v2 image as glance-api shows it."""
    shown = {'id': IMAGE_ID, 'name': 'cirros', 'status': 'active',
             'visibility': 'public', 'protected': True, 'os_hidden': False,
             'checksum': 'c' * 32, 'os_hash_algo': 'sha512',
             'os_hash_value': 'f' * 128, 'owner': 'tenant-a', 'size': 10,
             'virtual_size': 10, 'container_format': 'bare',
             'disk_format': 'raw', 'min_ram': 0, 'min_disk': 0,
             'created_at': '2026-01-01T00:00:00Z',
             'updated_at': '2026-01-01T00:00:00Z', 'tags': ['b', 'a'],
             'self': '/v2/images/%s' % IMAGE_ID,
             'file': '/v2/images/%s/file' % IMAGE_ID,
             'schema': '/v2/schemas/image', 'stores': 'file',
             'os_distro': 'cirros'}
    shown.update(values)
    return shown


class TTY(io.StringIO):
    def isatty(self):
        return True


class ParseServerTests(testtools.TestCase):

    def test_host_and_port_is_plain_http(self):
        self.assertEqual('http://glance.example.com:9292',
                         str(replicator.parse_server(
                             'glance.example.com:9292')))

    def test_ipv6_address_in_brackets(self):
        endpoint = replicator.parse_server('[::1]:9292')
        self.assertEqual(('::1', 9292), (endpoint.host, endpoint.port))
        self.assertEqual('http://[::1]:9292', str(endpoint))

    def test_https_url_keeps_its_path_prefix(self):
        endpoint = replicator.parse_server('https://cloud.example.com/image/')
        self.assertEqual(('https', 443, '/image'),
                         (endpoint.scheme, endpoint.port, endpoint.prefix))

    def test_bad_servers_are_refused(self):
        for value in ('glance', 'glance:port', 'ftp://glance:21', ':9292'):
            self.assertRaises(ValueError, replicator.parse_server, value)


class ReplicatedViewTests(testtools.TestCase):

    def test_server_made_and_dontreplicate_fields_are_left_out(self):
        view = replicator.replicated_view(
            image(os_glance_importing_to_stores=''), DONTREPLICATE)
        for name in ('self', 'file', 'schema', 'stores', 'virtual_size',
                     'created_at', 'updated_at',
                     'os_glance_importing_to_stores'):
            self.assertNotIn(name, view)
        self.assertEqual(['a', 'b'], view['tags'])
        self.assertEqual('cirros', view['os_distro'])

    def test_same_image_from_two_servers_has_no_differences(self):
        source = replicator.replicated_view(image(), DONTREPLICATE)
        target = replicator.replicated_view(
            image(stores='ceph', updated_at='2027-01-01T00:00:00Z',
                  tags=['a', 'b'], self='/elsewhere'), DONTREPLICATE)
        self.assertEqual([], replicator.differences(source, target))

    def test_a_property_one_side_lacks_is_a_difference(self):
        source = replicator.replicated_view(image(), DONTREPLICATE)
        target = replicator.replicated_view(image(os_type='linux'),
                                            DONTREPLICATE)
        self.assertEqual([('os_type', None, 'linux')],
                         replicator.differences(source, target))

    def test_create_body_sends_no_data_fields_and_no_protection(self):
        body = replicator.create_body(
            replicator.replicated_view(image(name=None), DONTREPLICATE))
        for name in replicator.DATA_FIELDS + ('protected', 'name'):
            self.assertNotIn(name, body)
        self.assertEqual(IMAGE_ID, body['id'])
        self.assertEqual('tenant-a', body['owner'])


class MetadataChangesTests(testtools.TestCase):

    def changes(self, source, target, skip=()):
        return replicator.metadata_changes(
            replicator.replicated_view(source, DONTREPLICATE), target,
            DONTREPLICATE, skip)

    def test_nothing_to_change_on_a_copy(self):
        self.assertEqual([], self.changes(image(), image(stores='x')))

    def test_attributes_replaced_properties_added_and_removed(self):
        source = image(name='new', hw_disk_bus='virtio', tags=['c'])
        target = image(protected=False, os_type='linux', checksum='d' * 32)
        self.assertEqual(
            [{'op': 'remove', 'path': '/os_type'},
             {'op': 'add', 'path': '/hw_disk_bus', 'value': 'virtio'},
             {'op': 'replace', 'path': '/name', 'value': 'new'},
             {'op': 'replace', 'path': '/protected', 'value': True},
             {'op': 'replace', 'path': '/tags', 'value': ['c']}],
            sorted(self.changes(source, target),
                   key=lambda c: (c['op'] != 'remove', c['path'])))

    def test_skipped_fields_and_names_needing_escapes(self):
        source = image(**{'a/b~c': '1'})
        target = image(protected=False)
        self.assertEqual([{'op': 'add', 'path': '/a~1b~0c', 'value': '1'}],
                         self.changes(source, target, skip=('protected',)))


class DataMismatchTests(testtools.TestCase):

    def test_same_data_has_no_mismatch(self):
        self.assertEqual('', replicator.data_mismatches(image(), image()))

    def test_other_checksum_is_named(self):
        text = replicator.data_mismatches(image(), image(checksum='0' * 32))
        self.assertIn('checksum %s on the target' % ('0' * 32), text)

    def test_other_multihash_algorithm_is_not_compared(self):
        self.assertEqual('', replicator.data_mismatches(
            image(), image(os_hash_algo='sha256', os_hash_value='1')))


class ReadChunksTests(testtools.TestCase):

    def test_exact_size_is_read_in_chunks(self):
        chunks = list(replicator.read_chunks(io.BytesIO(b'x' * 10), 10, 4))
        self.assertEqual([4, 4, 2], [len(c) for c in chunks])

    def test_short_source_raises_before_the_target_waits(self):
        self.assertRaises(replicator.ReplicationError, list,
                          replicator.read_chunks(io.BytesIO(b'x' * 9), 10,
                                                 4))

    def test_long_source_raises_before_sending_the_extra_bytes(self):
        sent = []
        try:
            for chunk in replicator.read_chunks(io.BytesIO(b'x' * 11), 10,
                                                4):
                sent.append(chunk)
        except replicator.ReplicationError:
            pass
        else:
            self.fail('no error for 11 bytes announced as 10')
        self.assertEqual(8, sum(len(c) for c in sent))


class ProgressTests(testtools.TestCase):

    def test_bar_drawn_on_a_terminal_and_ended_with_a_newline(self):
        stream = TTY()
        clock = iter([0.0, 1.0, 2.0]).__next__
        progress = replicator.Progress('img', 2 * 1024 * 1024, stream=stream,
                                       clock=clock)
        progress.update(1024 * 1024)
        progress.update(2 * 1024 * 1024, final=True)
        lines = stream.getvalue().split('\r')[1:]
        self.assertIn(' 50% 1.0 MiB/2.0 MiB 1.0 MiB/s', lines[0])
        self.assertTrue(lines[1].startswith('img [' + '#' * 30 + '] 100%'))
        self.assertTrue(lines[1].endswith('\n'))

    def test_nothing_drawn_when_not_a_terminal(self):
        stream = io.StringIO()
        progress = replicator.Progress('img', 10, stream=stream)
        progress.update(10, final=True)
        self.assertEqual('', stream.getvalue())
