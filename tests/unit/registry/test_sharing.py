"""Kilo's v1 sharing bodies and what a replacement of members changes,
shared by Image API v1 and the registry's REST API."""

import testtools

from glance_registry.common import exception
from glance_registry.common import sharing


def row(member, can_share=False):
    return {'id': 'id-' + member, 'member': member, 'can_share': can_share}


class MembershipTests(testtools.TestCase):

    def test_replacement_deletes_updates_and_creates_only_what_differs(self):
        members = [row('a'), row('b', True), row('c')]
        deletes, updates, creates = sharing.membership_changes(
            members, {'b': None, 'c': True, 'd': None, 'e': True})
        self.assertEqual([row('a')], deletes)
        # b's omitted can_share keeps its value; c's changes.
        self.assertEqual([(row('c'), True)], updates)
        self.assertEqual([('d', False), ('e', True)], creates)

    def test_memberships_body(self):
        self.assertEqual({'a': None, 'b': True}, sharing.parse_memberships(
            {'memberships': [{'member_id': 'a'},
                             {'member_id': 'b', 'can_share': True}]}))
        for body in ({'memberships': 'all'}, {'memberships': [{}]},
                     {'memberships': [{'member_id': 'a',
                                       'can_share': 'yes'}]}, []):
            self.assertRaises(exception.Invalid, sharing.parse_memberships,
                              body)

    def test_member_body_is_optional(self):
        self.assertIsNone(sharing.parse_member(None))
        self.assertIsNone(sharing.parse_member({'member': {}}))
        self.assertFalse(sharing.parse_member(
            {'member': {'can_share': False}}))
        for body in ({'member': {'can_share': 'no'}}, {'member': 1}):
            self.assertRaises(exception.Invalid, sharing.parse_member, body)
