"""The contract table and its argument checks (no database needed)."""

import testtools

from glance_registry.common import exception
from glance_registry import contract
from glance_registry import dispatch


class DispatchTestCase(testtools.TestCase):

    def test_every_contract_operation_has_its_db_function(self):
        self.assertEqual(set(contract.OPERATIONS), set(dispatch.OPERATIONS))

    def test_unknown_command_is_refused_naming_it(self):
        error = self.assertRaises(exception.UnknownCommand,
                                  dispatch.check_arguments, 'image_frob', {})
        self.assertIn('image_frob', str(error))

    def test_non_string_command_is_unknown(self):
        self.assertRaises(exception.UnknownCommand,
                          dispatch.check_arguments, ['image_get'], {})

    def test_kwargs_must_be_an_object(self):
        error = self.assertRaises(exception.InvalidRequest,
                                  dispatch.check_arguments, 'image_get', [])
        self.assertIn('kwargs', str(error))

    def test_unexpected_argument_is_named(self):
        error = self.assertRaises(
            exception.InvalidRequest, dispatch.check_arguments, 'image_get',
            {'image_id': 'x', 'colour': 'red'})
        self.assertIn('colour', str(error))

    def test_missing_argument_is_named(self):
        error = self.assertRaises(exception.InvalidRequest,
                                  dispatch.check_arguments, 'image_get', {})
        self.assertIn('image_id', str(error))

    def test_wrong_type_is_named(self):
        error = self.assertRaises(
            exception.InvalidParameterValue, dispatch.check_arguments,
            'image_get_all', {'limit': '10'})
        self.assertIn("'limit'", str(error))
        self.assertIn('integer', str(error))

    def test_boolean_is_not_an_integer(self):
        self.assertRaises(exception.InvalidParameterValue,
                          dispatch.check_arguments, 'image_get_all',
                          {'limit': True})

    def test_none_is_accepted_for_optional_arguments(self):
        dispatch.check_arguments('image_get_all', {'limit': None,
                                                   'marker': None})

    def test_invalid_errors_are_400(self):
        for cls in (exception.UnknownCommand, exception.InvalidRequest,
                    exception.InvalidParameterValue):
            self.assertEqual(400, cls.http_status)
