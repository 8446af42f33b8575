"""Reading JSON patch bodies and applying them to a registry image."""

import testtools

from glance_api import images
from glance_api.v2 import patch
from glance_registry.common import exception

V20 = patch.MEDIA_TYPE_V20
V21 = patch.MEDIA_TYPE_V21


def an_image(**values):
    image = {'id': '5a1a3a4e-0b1f-4c55-9d3f-6a1b8c2d3e4f', 'name': 'image',
             'status': 'queued', 'visibility': 'shared', 'protected': False,
             'min_ram': 0, 'min_disk': 0, 'disk_format': 'raw',
             'container_format': 'bare', 'owner': 'p1',
             'properties': {'color': 'red'}, 'tags': ['a'], 'locations': []}
    image.update(values)
    return image


class ParseChangesTestCase(testtools.TestCase):

    def test_v21_changes_become_op_path_value(self):
        changes = patch.parse_changes(V21, [
            {'op': 'replace', 'path': '/name', 'value': 'x'},
            {'op': 'remove', 'path': '/color'}])
        self.assertEqual([
            {'op': 'replace', 'path': ['name'], 'value': 'x',
             'json_schema_version': 10},
            {'op': 'remove', 'path': ['color'], 'json_schema_version': 10}],
            changes)

    def test_v20_changes_name_the_op_as_key(self):
        changes = patch.parse_changes(V20, [{'add': '/color', 'value': 'b'}])
        self.assertEqual([{'op': 'add', 'path': ['color'], 'value': 'b',
                           'json_schema_version': 4}], changes)

    def test_pointer_escapes_are_decoded(self):
        self.assertEqual(['a/b~c'], patch.parse_pointer('/a~1b~0c'))

    def test_locations_pointer_may_have_an_index(self):
        self.assertEqual(['locations', '-'],
                         patch.parse_pointer('/locations/-'))
        self.assertEqual(['locations', '2'],
                         patch.parse_pointer('/locations/2'))

    def test_bad_pointers_are_invalid(self):
        for pointer in ('name', '/', '/a/b', '/locations/x', '/a~2', 5):
            self.assertRaises(exception.InvalidRequest, patch.parse_pointer,
                              pointer)

    def test_unsupported_media_type(self):
        self.assertRaises(exception.UnsupportedMediaType,
                          patch.parse_changes, 'application/json', [])

    def test_malformed_bodies_are_invalid(self):
        for body in ({}, ['x'], [{'op': 'move', 'path': '/a'}],
                     [{'op': 'add', 'path': '/a'}], [{'op': 'add'}]):
            self.assertRaises(exception.InvalidRequest, patch.parse_changes,
                              V21, body)
        for body in ([{'add': '/a', 'remove': '/b'}], [{'value': 1}]):
            self.assertRaises(exception.InvalidRequest, patch.parse_changes,
                              V20, body)


class ApplyChangesTestCase(testtools.TestCase):

    def apply(self, image, body, media_type=V21):
        return images.apply_changes(image,
                                    patch.parse_changes(media_type, body))

    def test_replace_base_attribute_and_tags(self):
        image = an_image()
        new = self.apply(image, [
            {'op': 'replace', 'path': '/name', 'value': 'n'},
            {'op': 'replace', 'path': '/tags', 'value': ['z', 'b', 'z']}])
        self.assertEqual('n', new['name'])
        self.assertEqual(['b', 'z'], new['tags'])
        self.assertEqual('image', image['name'], 'input left unchanged')

    def test_add_sets_or_replaces_custom_property_in_v21(self):
        new = self.apply(an_image(), [
            {'op': 'add', 'path': '/shape', 'value': 'round'},
            {'op': 'add', 'path': '/color', 'value': 'blue'}])
        self.assertEqual({'color': 'blue', 'shape': 'round'},
                         new['properties'])

    def test_add_of_existing_property_conflicts_in_v20(self):
        self.assertRaises(exception.Conflict, self.apply, an_image(),
                          [{'add': '/color', 'value': 'blue'}], V20)
        self.assertRaises(exception.Conflict, self.apply, an_image(),
                          [{'add': '/name', 'value': 'x'}], V20)

    def test_replace_of_missing_property_conflicts(self):
        self.assertRaises(exception.Conflict, self.apply, an_image(),
                          [{'op': 'replace', 'path': '/shape', 'value': 'x'}])

    def test_remove(self):
        new = self.apply(an_image(), [{'op': 'remove', 'path': '/color'}])
        self.assertEqual({}, new['properties'])
        self.assertRaises(exception.Conflict, self.apply, an_image(),
                          [{'op': 'remove', 'path': '/shape'}])
        self.assertRaises(exception.Forbidden, self.apply, an_image(),
                          [{'op': 'remove', 'path': '/name'}])

    def test_changes_apply_in_order(self):
        new = self.apply(an_image(), [
            {'op': 'add', 'path': '/shape', 'value': 'round'},
            {'op': 'remove', 'path': '/shape'},
            {'op': 'add', 'path': '/shape', 'value': 'square'}])
        self.assertEqual('square', new['properties']['shape'])

    def test_locations_add_and_remove(self):
        new = self.apply(an_image(), [
            {'op': 'add', 'path': '/locations/-',
             'value': {'url': 'file:///a', 'metadata': {}}},
            {'op': 'add', 'path': '/locations/0',
             'value': {'url': 'file:///b', 'metadata': {'k': 'v'}}}])
        self.assertEqual(['file:///b', 'file:///a'],
                         [loc['url'] for loc in new['locations']])
        self.assertTrue(new['_locations_changed'])
        new = self.apply(new, [{'op': 'remove', 'path': '/locations/1'}])
        self.assertEqual(['file:///b'],
                         [loc['url'] for loc in new['locations']])
        self.assertRaises(exception.Forbidden, self.apply, new,
                          [{'op': 'remove', 'path': '/locations/0'}])

    def test_locations_replace_only_reorders_existing(self):
        image = an_image(locations=[{'url': 'file:///a', 'metadata': {}},
                                    {'url': 'file:///b', 'metadata': {}}])
        new = self.apply(image, [{'op': 'replace', 'path': '/locations',
                                  'value': [{'url': 'file:///b',
                                             'metadata': {}},
                                            {'url': 'file:///a',
                                             'metadata': {}}]}])
        self.assertEqual(['file:///b', 'file:///a'],
                         [loc['url'] for loc in new['locations']])
        self.assertRaises(exception.InvalidRequest, self.apply, image, [
            {'op': 'replace', 'path': '/locations',
             'value': [{'url': 'file:///c', 'metadata': {}}]}])


class ChecksTestCase(testtools.TestCase):

    def test_quotas(self):
        conf = type('Conf', (), {'image_property_quota': 2,
                                 'image_tag_quota': 1,
                                 'image_location_quota': -1})()
        images.check_quotas(conf, {'a': 1, 'b': 2}, ['t'], range(50))
        self.assertRaises(exception.LimitExceeded, images.check_quotas,
                          conf, {'a': 1, 'b': 2, 'c': 3}, [])
        self.assertRaises(exception.LimitExceeded, images.check_quotas,
                          conf, {}, ['t', 'u'])

    def test_reserved_and_long_property_names(self):
        self.assertRaises(exception.Forbidden, images.check_property_names,
                          {'os_glance_x': 'v'})
        self.assertRaises(exception.Invalid, images.check_property_names,
                          {'k' * 256: 'v'})
        images.check_property_names({'k' * 255: 'v'})

    def test_malformed_id_is_not_found(self):
        self.assertRaises(exception.ImageNotFound, images.check_valid_id,
                          'abc')
        images.check_valid_id('5a1a3a4e-0b1f-4c55-9d3f-6a1b8c2d3e4f')


class LocationValidationTestCase(testtools.TestCase):
    """validation_data given with the locations of a JSON patch."""

    MD5 = 'd41d8cd98f00b204e9800998ecf8427e'

    def values(self, data, **image):
        return images.location_validation_values(
            an_image(**image), [{'url': 'file:///a', 'metadata': {},
                                 'validation_data': data}], 'sha256')

    def test_hashes_of_a_queued_image_are_set(self):
        digest = 'ab' * 32
        self.assertEqual(
            {'checksum': self.MD5, 'os_hash_algo': 'sha256',
             'os_hash_value': digest},
            self.values({'checksum': self.MD5, 'os_hash_algo': 'sha256',
                         'os_hash_value': digest}))

    def test_hex_with_spaces_or_of_the_wrong_size_is_409(self):
        spaced = self.MD5[:16] + ' ' + self.MD5[16:]
        for checksum in (spaced, self.MD5[:-2], self.MD5 + '00', 'zz' * 16):
            self.assertRaises(exception.Conflict, self.values,
                              {'checksum': checksum})
        self.assertRaises(exception.Conflict, self.values, {
            'os_hash_algo': 'sha256', 'os_hash_value': 'ab' * 31 + ' ab'})

    def test_a_different_value_than_the_image_has_is_409(self):
        self.assertRaises(exception.Conflict, self.values,
                          {'checksum': self.MD5},
                          checksum='0' * 32, status='active')
