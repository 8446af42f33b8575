"""The one decoder of untrusted input: JSON bodies, URLs, integers."""

import json

import testtools
import webob

from glance_registry.common import exception
from glance_registry.common import inputs


class TestDecodeJson(testtools.TestCase):

    def assertRefused(self, data, mentions, **kwargs):
        e = self.assertRaises(exception.InvalidRequest, inputs.decode_json,
                              data, **kwargs)
        self.assertEqual(400, e.http_status)
        self.assertIn(mentions, str(e))
        return e

    def test_plain_json_decodes(self):
        body = {'name': 'caf\u00e9 \U0001F600', 'tags': ['a'], 'n': 3,
                'x': 1.5, 'ok': None}
        self.assertEqual(body, inputs.decode_json(json.dumps(body).encode()))

    def test_surrogate_pair_is_one_character_and_accepted(self):
        self.assertEqual({'name': '\U0001F600'},
                         inputs.decode_json(b'{"name": "\\ud83d\\ude00"}'))

    def test_invalid_utf8_is_refused(self):
        self.assertRefused(b'{"name": "\xff"}', 'not valid UTF-8')
        # A surrogate encoded in UTF-8 is not UTF-8 either.
        self.assertRefused(b'{"name": "\xed\xa0\x80"}', 'not valid UTF-8')

    def test_lone_surrogate_in_value_or_key_is_refused(self):
        self.assertRefused(b'{"name": "\\ud800"}', 'surrogate')
        self.assertRefused(b'{"\\udfff": "v"}', 'surrogate')
        self.assertRefused(b'[[["\\ud83d"]]]', 'surrogate')

    def test_nul_character_is_refused(self):
        self.assertRefused(b'{"name": "a\\u0000b"}', 'NUL')
        self.assertRefused(b'{"a\\u0000": 1}', 'NUL')

    def test_deep_nesting_is_refused_without_recursion_error(self):
        self.assertRefused(b'[' * 100000 + b']' * 100000, 'nested deeper')
        self.assertRefused(b'{"a":' * 5000 + b'1' + b'}' * 5000,
                           'nested deeper')

    def test_nesting_up_to_the_limit_is_accepted(self):
        depth = inputs.MAX_JSON_DEPTH
        self.assertEqual(1, len(inputs.decode_json(
            b'[' * depth + b']' * depth)))
        self.assertRefused(b'[' * (depth + 1) + b']' * (depth + 1),
                           'nested deeper')
        self.assertIsNotNone(inputs.decode_json(
            b'[' * (depth + 1) + b']' * (depth + 1), max_depth=depth + 1))

    def test_nan_infinity_and_overflowing_numbers_are_refused(self):
        for body in (b'{"x": NaN}', b'{"x": Infinity}', b'[-Infinity]'):
            self.assertRefused(body, 'not a JSON number')
        self.assertRefused(b'[1e999]', 'out of range')
        self.assertRefused(b'[' + b'9' * 5000 + b']', 'too long')

    def test_malformed_json_is_refused(self):
        self.assertRefused(b'{"name": ', 'malformed JSON')
        self.assertRefused(b'', 'malformed JSON')


class TestCheckUrl(testtools.TestCase):

    def test_utf8_path_and_query_pass(self):
        inputs.check_url(webob.Request.blank('/v2/images/caf%C3%A9?x=%C3%A9'))

    def test_invalid_utf8_in_path_or_query_is_400(self):
        for url in ('/v2/images/%ff', '/v2/images/%ed%a0%80',
                    '/v2/images?name=%ff', '/v2/images?%ff=1'):
            e = self.assertRaises(exception.InvalidRequest, inputs.check_url,
                                  webob.Request.blank(url))
            self.assertEqual(400, e.http_status)


class TestCheckInteger(testtools.TestCase):

    def test_bounds_are_inclusive(self):
        self.assertEqual(2 ** 63 - 1, inputs.check_integer('size',
                                                           2 ** 63 - 1))
        self.assertEqual(0, inputs.check_integer('size', 0))

    def test_out_of_range_is_400_naming_the_parameter(self):
        for value, maximum in ((2 ** 63, inputs.MAX_BIGINT),
                               (2 ** 31, inputs.MAX_INT), (-1, 10)):
            e = self.assertRaises(exception.InvalidParameterValue,
                                  inputs.check_integer, 'min_ram', value,
                                  maximum)
            self.assertEqual(400, e.http_status)
            self.assertIn('min_ram', str(e))


class TestShorten(testtools.TestCase):

    def test_short_message_is_kept(self):
        self.assertEqual('Image abc not found',
                         exception.shorten('Image abc not found'))

    def test_long_word_is_cut_at_200_characters_keeping_the_reason(self):
        message = exception.shorten("name: '%s' is too long"
                                    % ('x' * 10 ** 6))
        self.assertTrue(message.startswith("name: '" + 'x' * 199 + '...'))
        self.assertTrue(message.endswith(' is too long'))
        self.assertNotIn('x' * 200, message)

    def test_long_message_of_short_words_is_cut_in_the_middle(self):
        message = exception.shorten('bad name: %s: too long'
                                    % ('ab ' * 10 ** 5))
        self.assertLessEqual(len(message), exception.MAX_MESSAGE)
        self.assertTrue(message.startswith('bad name: ab'))
        self.assertTrue(message.endswith(': too long'))
