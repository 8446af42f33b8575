"""The image cache's metadata: which glance-api node holds which image.

Each node (named by its ``worker_self_reference_url``) keeps image data in
its own ``image_cache_dir``; the rows here are the one view of all of them,
so any node can answer the cache API for itself and deleting an image
forgets every node's copy. Rows are deleted for real. Any authenticated
caller's download records a hit, so these operations check no ownership:
they hold image ids and sizes, never image data or metadata.
"""

import sqlalchemy as sa
from oslo_utils import timeutils

from glance_registry.common import exception
from glance_registry.db import engine
from glance_registry.db import models

Node = models.NodeReference
CachedImage = models.CachedImage

__all__ = ['cached_image_create', 'cached_image_hit', 'cached_image_get_all',
           'cached_image_delete', 'cached_image_delete_all']


def _check_node(node):
    if not node or len(node) > 255:
        raise exception.Invalid(reason='node must be 1 to 255 characters, '
                                       'not %d' % len(node or ''))


def _node_id(session, node, create=False):
    """The id of ``node``'s row; with ``create``, added when missing."""
    _check_node(node)
    query = sa.select(Node.node_reference_id).where(
        Node.node_reference_url == node)
    found = session.scalars(query).first()
    if found is not None or not create:
        return found
    try:
        # A savepoint, so a node another request added meanwhile only
        # undoes this insert.
        with session.begin_nested():
            row = Node(node_reference_url=node)
            session.add(row)
        return row.node_reference_id
    except engine.db_exc.DBDuplicateEntry:
        return session.scalars(query).one()


def _to_dict(row, node):
    return {'image_id': row.image_id, 'node': node, 'size': row.size,
            'checksum': row.checksum, 'hits': row.hits,
            'last_accessed': row.last_accessed,
            'last_modified': row.last_modified}


def _parse_time(value):
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(value))
    except (ValueError, OverflowError):
        raise exception.Invalid(reason='last_modified is not an ISO 8601 '
                                       'time: %r' % value[:200]) from None


@engine.write_operation
def cached_image_create(context, node, image_id, size, checksum=None,
                        last_modified=None):
    """Record that ``node`` holds the ``size`` bytes of ``image_id`` (its
    cache file's mtime ``last_modified``, ISO 8601); replaces an older
    record of the same node and image."""
    if size < 0:
        raise exception.Invalid(reason='size must not be negative')
    now = timeutils.utcnow()
    modified = now if last_modified is None else _parse_time(last_modified)
    with engine.writer() as session:
        node_id = _node_id(session, node, create=True)
        session.execute(sa.delete(CachedImage).where(
            CachedImage.image_id == image_id,
            CachedImage.node_reference_id == node_id))
        row = CachedImage(image_id=image_id, node_reference_id=node_id,
                          size=size, checksum=checksum, hits=0,
                          last_accessed=now, last_modified=modified)
        session.add(row)
        session.flush()
        return _to_dict(row, node)


@engine.write_operation
def cached_image_hit(context, node, image_id):
    """Count one hit of ``node``'s copy of ``image_id`` and return its
    record, or None when ``node`` holds no such copy."""
    with engine.writer() as session:
        node_id = _node_id(session, node)
        if node_id is None:
            return None
        condition = sa.and_(CachedImage.image_id == image_id,
                            CachedImage.node_reference_id == node_id)
        session.execute(
            sa.update(CachedImage).where(condition)
            .values(hits=CachedImage.hits + 1,
                    last_accessed=timeutils.utcnow())
            .execution_options(synchronize_session=False))
        row = session.scalars(sa.select(CachedImage).where(condition)
                              .execution_options(populate_existing=True)
                              ).first()
        return None if row is None else _to_dict(row, node)


@engine.read_operation
def cached_image_get_all(context, node=None):
    """The records of ``node`` (every node's when None), least recently
    used first."""
    with engine.reader() as session:
        query = (sa.select(CachedImage, Node.node_reference_url)
                 .join(Node, Node.node_reference_id ==
                       CachedImage.node_reference_id)
                 .order_by(CachedImage.last_accessed, CachedImage.id))
        if node is not None:
            _check_node(node)
            query = query.where(Node.node_reference_url == node)
        return [_to_dict(row, url) for row, url in session.execute(query)]


def forget_image(session, image_id):
    """Delete every node's record of ``image_id`` in ``session``'s
    transaction (the image is being deleted)."""
    session.execute(sa.delete(CachedImage).where(
        CachedImage.image_id == image_id))


@engine.write_operation
def cached_image_delete(context, image_id, node=None):
    """Forget ``node``'s copy of ``image_id`` (every node's when None);
    the number of records removed."""
    with engine.writer() as session:
        condition = CachedImage.image_id == image_id
        if node is not None:
            node_id = _node_id(session, node)
            if node_id is None:
                return 0
            condition = sa.and_(condition,
                                CachedImage.node_reference_id == node_id)
        return session.execute(sa.delete(CachedImage).where(condition)
                               ).rowcount


@engine.write_operation
def cached_image_delete_all(context, node):
    """Forget every copy ``node`` holds; the number of records removed."""
    with engine.writer() as session:
        node_id = _node_id(session, node)
        if node_id is None:
            return 0
        return session.execute(sa.delete(CachedImage).where(
            CachedImage.node_reference_id == node_id)).rowcount
