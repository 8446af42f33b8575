"""Sorting and marker (keyset) pagination shared by the list queries."""

import sqlalchemy as sa

from glance_registry.common import exception


def as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def paginate(query, sort, marker_values):
    """Order ``query`` by ``sort`` [(expression, 'asc'|'desc')] and, with
    ``marker_values`` (the marker's values of those expressions), keep only
    the rows after the marker: keyset pagination, stable under inserts.
    """
    for expression, direction in sort:
        query = query.order_by(expression.asc() if direction == 'asc'
                               else expression.desc())
    if marker_values is None:
        return query
    after = []
    for i, (expression, direction) in enumerate(sort):
        equal = [sort[j][0] == marker_values[j] for j in range(i)]
        beyond = (expression > marker_values[i] if direction == 'asc'
                  else expression < marker_values[i])
        after.append(sa.and_(*equal, beyond))
    return query.where(sa.or_(*after))


def normalize_sort(sort_key, sort_dir, valid_keys, default_key='created_at',
                   default_dir='desc', tie_breaker='id'):
    """Lists of (key, dir) with ``tie_breaker`` last; validates both."""
    keys = as_list(sort_key) or [default_key]
    dirs = as_list(sort_dir) or [default_dir]
    for key in keys:
        if key not in valid_keys:
            raise exception.InvalidSortKey(key=key)
    for direction in dirs:
        if direction not in ('asc', 'desc'):
            raise exception.InvalidSortDir(sort_dir=direction)
    if len(dirs) == 1:
        dirs = dirs * len(keys)
    elif len(dirs) != len(keys):
        raise exception.InvalidSortDir(
            sort_dir='%s (%d directions for %d keys)'
            % (','.join(dirs), len(dirs), len(keys)))
    pairs = list(zip(keys, dirs))
    if tie_breaker not in keys:
        pairs.append((tie_breaker, dirs[0]))
    return pairs


def check_limit(limit):
    if limit is None:
        return None
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise exception.InvalidParameterValue(
            value=limit, param='limit', extra='not an integer') from None
    if limit < 0:
        raise exception.InvalidParameterValue(
            value=limit, param='limit', extra='must be 0 or more')
    return limit
