"""The contract table and its argument checks (no database needed)."""

import datetime
import decimal

from oslo_serialization import jsonutils
import testtools

from glance_registry.common import exception
from glance_registry import contract
from glance_registry.db import api as db_api
from glance_registry import dispatch


class DispatchTestCase(testtools.TestCase):

    def test_contract_table_matches_the_db_function_signatures(self):
        self.assertEqual([], dispatch.signature_mismatches(
            contract.OPERATIONS, db_api))
        self.assertEqual(set(contract.OPERATIONS), set(dispatch.FUNCTIONS))

    def test_table_that_misnames_an_argument_is_a_mismatch(self):
        table = dict(contract.OPERATIONS,
                     image_get=contract.read('image_id',
                                             optional=('show_deleted',)),
                     image_frob=contract.write('image_id'))
        mismatches = dispatch.signature_mismatches(table, db_api)
        self.assertEqual(2, len(mismatches), mismatches)
        self.assertIn('image_frob: no such function', mismatches)
        self.assertIn('[force_show_deleted]', mismatches[1])
        self.assertIn('[show_deleted]', mismatches[1])

    def test_table_that_makes_a_required_argument_optional_is_a_mismatch(
            self):
        table = {'image_update': contract.write(
            'image_id', optional=('values', 'purge_props', 'from_state'))}
        self.assertEqual(1, len(dispatch.signature_mismatches(table,
                                                              db_api)))

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
        self.assertIn('missing argument(s) image_id', str(error))

    def test_refusal_names_the_arguments_the_operation_takes(self):
        error = self.assertRaises(
            exception.InvalidRequest, dispatch.check_arguments,
            'image_update', {'image_id': 'x', 'value': {}})
        self.assertIn('unexpected argument(s) value', str(error))
        self.assertIn('missing argument(s) values', str(error))
        self.assertIn('image_update(image_id, values, [purge_props], '
                      '[from_state], [expected_properties], '
                      '[remove_properties], [lease_holder])', str(error))

    def test_dispatch_refuses_unknown_keyword_before_the_database(self):
        self.assertRaises(exception.InvalidRequest, dispatch.dispatch,
                          None, 'image_get', {'image_id': 'x',
                                              'force_show_delete': True})

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


class JSONReadyTests(testtools.TestCase):

    def test_results_become_what_to_primitive_makes_of_them(self):
        result = {'id': 'x', 'size': 3, 'ratio': 0.5, 'protected': False,
                  'checksum': None, 'tags': ('a', 'b'),
                  'created_at': datetime.datetime(2020, 1, 2, 3, 4, 5),
                  'locations': [{'metadata': {'when': datetime.datetime(
                      2020, 1, 2, 3, 4, 5, 6)}, 'amount': decimal.Decimal(
                          '1.5')}]}
        self.assertEqual(
            jsonutils.to_primitive(result, convert_datetime=True),
            dispatch.json_ready(result))
        self.assertEqual('2020-01-02T03:04:05.000000',
                         dispatch.json_ready(result)['created_at'])
