"""Kilo's v1 sharing bodies, for Image API v1 and the registry's REST API.

v1 knows a member as ``{"member_id", "can_share"}``. ``PUT .../members``
replaces the members with ``{"memberships": [...]}``; ``PUT
.../members/{member}`` adds one, with an optional ``{"member": {"can_share":
bool}}``. An omitted ``can_share`` keeps an existing member's value and is
false for a new one.
"""

from glance_registry.common import exception


def _check_can_share(name, value):
    if not isinstance(value, bool):
        raise exception.InvalidParameterValue(
            value=value, param=name, extra='expected true or false')


def parse_memberships(body):
    """``{member_id: can_share or None}`` from a ``{"memberships": [...]}``
    body."""
    if not isinstance(body, dict) or not isinstance(body.get('memberships'),
                                                    list):
        raise exception.InvalidRequest(
            reason='body must be {"memberships": [{"member_id", '
                   '"can_share"}, ...]}')
    wanted = {}
    for index, item in enumerate(body['memberships']):
        if not isinstance(item, dict) or not isinstance(
                item.get('member_id'), str) or not item['member_id']:
            raise exception.InvalidParameterValue(
                value=item, param='memberships[%d]' % index,
                extra='expected {"member_id": string, "can_share": bool}')
        can_share = item.get('can_share')
        if can_share is not None:
            _check_can_share('memberships[%d].can_share' % index, can_share)
        wanted[item['member_id']] = can_share
    return wanted


def parse_member(body):
    """``can_share`` (or None) from an optional ``{"member": {...}}``
    body."""
    if body is None:
        return None
    if not isinstance(body, dict) or not isinstance(body.get('member'),
                                                    dict):
        raise exception.InvalidRequest(
            reason='body must be {"member": {"can_share": bool}}')
    if 'can_share' not in body['member']:
        return None
    can_share = body['member']['can_share']
    _check_can_share('can_share', can_share)
    return can_share


def membership_changes(members, wanted):
    """What makes the image's ``members`` (contract rows) exactly
    ``wanted``: (rows to delete, [(row, can_share)] to update,
    [(member_id, can_share)] to create)."""
    wanted = dict(wanted)
    deletes, updates = [], []
    for member in members:
        if member['member'] not in wanted:
            deletes.append(member)
            continue
        can_share = wanted.pop(member['member'])
        if can_share is not None and member['can_share'] != can_share:
            updates.append((member, can_share))
    creates = [(member_id, bool(can_share))
               for member_id, can_share in wanted.items()]
    return deletes, updates, creates
