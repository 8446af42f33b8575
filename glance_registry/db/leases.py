"""Upload leases: an image in ``saving`` is held by one glance-api process.

A lease is taken in the same transaction as the compare-and-swap that puts
the image in ``saving`` (:func:`image_lease_acquire`), renewed by its holder
while the upload runs (:func:`image_lease_renew`) and ends with any status
change of the image (:func:`end_lease`, called by ``image_update``) or its
deletion. A lease whose holder stopped renewing it (the process died) is
healed by :func:`image_lease_expire`: the image goes back to ``queued``
(an upload started over Image API v2) or to ``killed`` (v1), by
compare-and-swap, so a second upload is accepted again.

Expiry times are the registry's clock: the holder says for how long, never
until when, so clocks of api hosts do not matter.

Import tasks follow the same rule with their own ``holder`` and
``lease_expires_at`` columns (renewed by the glance-api running the import):
:func:`task_lease_expire` fails a task whose lease ran out and returns the
image it held to where the import found it.
"""

import datetime

from oslo_log import log as logging
from oslo_utils import timeutils
import sqlalchemy as sa

from glance_registry.common import exception
from glance_registry.db import engine
from glance_registry.db import models

LOG = logging.getLogger(__name__)

ImageLease = models.ImageLease
Image = models.Image
ImageProperty = models.ImageProperty
Task = models.Task
TaskInfo = models.TaskInfo

API_VERSIONS = ('v1', 'v2')
# Where an expired lease sends its image, by API version.
HEALED_STATUS = {'v1': 'killed', 'v2': 'queued'}
MAX_DURATION = 7 * 24 * 3600


def _now():
    return timeutils.utcnow()


def _expiry(duration):
    if isinstance(duration, bool) or not isinstance(duration, int) or \
            not 1 <= duration <= MAX_DURATION:
        raise exception.InvalidParameterValue(
            value=duration, param='duration',
            extra='a whole number of seconds from 1 to %d' % MAX_DURATION)
    return _now() + datetime.timedelta(seconds=duration)


def _check_api_version(api_version):
    if api_version not in API_VERSIONS:
        raise exception.InvalidParameterValue(
            value=api_version, param='api_version',
            extra='one of %s' % ', '.join(API_VERSIONS))


def _lease_dict(lease):
    return {'image_id': lease.image_id, 'holder': lease.holder,
            'api_version': lease.api_version, 'status': lease.status,
            'expires_at': lease.expires_at, 'created_at': lease.created_at,
            'updated_at': lease.updated_at}


def end_lease(session, image_id, new_status=None):
    """Remove the image's lease, unless ``new_status`` is the status it
    was taken for (an update that keeps the image saving keeps it)."""
    delete = sa.delete(ImageLease).where(ImageLease.image_id == image_id)
    if new_status is not None:
        delete = delete.where(ImageLease.status != new_status)
    session.execute(delete.execution_options(synchronize_session=False))


def check_holder(session, image_id, holder, status=None):
    """LeaseLost unless ``holder`` holds the image's lease (locked for the
    rest of the transaction, so no healer or new upload takes it
    meanwhile)."""
    lease = session.scalars(
        sa.select(ImageLease).where(ImageLease.image_id == image_id,
                                    ImageLease.holder == holder)
        .with_for_update()).first()
    if lease is None:
        raise exception.LeaseLost(image_id=image_id,
                                  status=status or 'saving')


@engine.write_operation
def image_lease_acquire(context, image_id, holder, api_version, duration,
                        from_state='queued', to_state='saving'):
    """``from_state`` -> ``to_state`` by compare-and-swap and, in the same
    transaction, a lease on the image for ``holder`` for ``duration``
    seconds. Returns the updated image; a lost race is 409 as for
    ``image_update``."""
    from glance_registry.db import api as db_api
    _check_api_version(api_version)
    expires_at = _expiry(duration)
    if not isinstance(holder, str) or not 0 < len(holder) <= 255:
        raise exception.InvalidParameterValue(
            value=holder, param='holder', extra='1 to 255 characters')
    with engine.writer() as session:
        image = db_api._image_update(context, session, image_id,
                                     {'status': to_state},
                                     from_state=from_state)
        # A lease left by a holder that died after a status change no one
        # recorded: the compare-and-swap above decided, so replace it.
        end_lease(session, image_id)
        now = _now()
        session.add(ImageLease(image_id=image_id, holder=holder,
                               api_version=api_version, status=to_state,
                               expires_at=expires_at, created_at=now,
                               updated_at=now))
        return image


@engine.write_operation
def image_lease_renew(context, image_id, holder, duration):
    """Push the holder's lease on the image ``duration`` seconds ahead.
    LeaseLost (409) when ``holder`` no longer holds it."""
    expires_at = _expiry(duration)
    with engine.writer() as session:
        result = session.execute(
            sa.update(ImageLease)
            .where(ImageLease.image_id == image_id,
                   ImageLease.holder == holder)
            .values(expires_at=expires_at, updated_at=_now())
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise exception.LeaseLost(image_id=image_id, status='saving')
        return {'image_id': image_id, 'holder': holder,
                'expires_at': expires_at}


@engine.write_operation
def image_lease_release(context, image_id, holder):
    """End ``holder``'s lease on the image while it keeps its status (the
    data of a stage is all there: the image stays ``uploading``, held by
    no one). Whether there was such a lease."""
    with engine.writer() as session:
        result = session.execute(
            sa.delete(ImageLease)
            .where(ImageLease.image_id == image_id,
                   ImageLease.holder == holder)
            .execution_options(synchronize_session=False))
        return {'released': result.rowcount == 1}


@engine.read_operation
def image_lease_get_all(context, holder_prefix=None):
    """Every lease (administrators only), or those whose holder starts with
    ``holder_prefix``."""
    _check_admin(context)
    with engine.reader() as session:
        query = sa.select(ImageLease).order_by(ImageLease.created_at)
        if holder_prefix:
            query = query.where(ImageLease.holder.startswith(
                holder_prefix, autoescape=True))
        return [_lease_dict(lease) for lease in session.scalars(query)]


@engine.write_operation
def image_lease_expire(context, holder_prefix=None, keep_prefix=None):
    """Heal the leases that expired or, with ``holder_prefix``, every lease
    of the holders it starts but those ``keep_prefix`` starts (a glance-api
    releasing what its previous runs held): each image goes back from the
    leased status to ``queued`` (v2) or ``killed`` (v1), by
    compare-and-swap. Administrators only. Returns one dict per healed
    lease with the image's new ``image_status`` (None when the image had
    already left the leased status)."""
    _check_admin(context)
    now = _now()
    with engine.reader() as session:
        query = sa.select(ImageLease)
        if holder_prefix:
            query = query.where(ImageLease.holder.startswith(
                holder_prefix, autoescape=True))
            if keep_prefix:
                query = query.where(sa.not_(ImageLease.holder.startswith(
                    keep_prefix, autoescape=True)))
        else:
            query = query.where(ImageLease.expires_at < now)
        leases = [_lease_dict(lease) for lease in session.scalars(query)]
    return [healed for healed in map(_heal, leases) if healed is not None]


def _heal(lease):
    """One lease, in its own transaction; None when its holder renewed or
    released it meanwhile."""
    with engine.writer() as session:
        # Delete first, matching what was read: a holder that renewed
        # meanwhile (another expires_at) keeps its lease and its image.
        deleted = session.execute(
            sa.delete(ImageLease)
            .where(ImageLease.image_id == lease['image_id'],
                   ImageLease.holder == lease['holder'],
                   ImageLease.expires_at == lease['expires_at'])
            .execution_options(synchronize_session=False)).rowcount
        if deleted != 1:
            return None
        new_status = HEALED_STATUS.get(lease['api_version'], 'queued')
        now = _now()
        changed = session.execute(
            sa.update(Image)
            .where(Image.id == lease['image_id'],
                   Image.status == lease['status'],
                   Image.deleted == sa.false())
            .values(status=new_status, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
    healed = dict(lease, image_status=new_status if changed else None)
    if changed:
        LOG.warning('Image %s was %s under a lease of %s that ended without '
                    'the upload finishing; the image is %s again',
                    lease['image_id'], lease['status'], lease['holder'],
                    new_status)
    return healed


# Import tasks --------------------------------------------------------------

UNFINISHED_TASK = ('pending', 'processing')
# The image properties an import holds its image with (glance_api.importing).
IMPORT_TASK = 'os_glance_import_task'
IMPORTING_TO = 'os_glance_importing_to_stores'
FAILED_IMPORT = 'os_glance_failed_import'
STAGE_HOST = 'os_glance_stage_host'
# Hours a failed task is kept, as glance-api's task_time_to_live default.
TASK_TIME_TO_LIVE = 48
ABANDONED_MESSAGE = ('The glance-api process running this task (%s) stopped '
                     'before it finished.')


@engine.write_operation
def task_lease_expire(context, holder_prefix=None, keep_prefix=None):
    """Fail the unfinished import tasks whose lease expired or, with
    ``holder_prefix``, those of the holders it starts but those
    ``keep_prefix`` starts; the image each held goes back to ``queued``
    (``uploading`` when a glance-direct import's data is still staged; an
    active image of copy-image stays active) with the stores it was still
    importing to named in ``os_glance_failed_import``. Administrators only.
    Returns one dict per failed task with the image's new ``image_status``
    (None when the task no longer held its image)."""
    _check_admin(context)
    now = _now()
    with engine.reader() as session:
        query = sa.select(Task.id, Task.holder, Task.lease_expires_at,
                          Task.image_id).where(
            Task.status.in_(UNFINISHED_TASK), Task.deleted == sa.false())
        if holder_prefix:
            query = query.where(Task.holder.startswith(holder_prefix,
                                                       autoescape=True))
            if keep_prefix:
                query = query.where(sa.not_(Task.holder.startswith(
                    keep_prefix, autoescape=True)))
        else:
            query = query.where(Task.lease_expires_at < now)
        tasks = [dict(row._mapping) for row in session.execute(query)]
    return [failed for failed in map(_fail_task, tasks) if failed]


def _fail_task(task):
    """One task and its image, in one transaction; None when its holder
    renewed or finished it meanwhile."""
    now = _now()
    with engine.writer() as session:
        # Matching what was read: a holder that renewed meanwhile (another
        # lease_expires_at) keeps its task and its image.
        failed = session.execute(
            sa.update(Task)
            .where(Task.id == task['id'], Task.holder == task['holder'],
                   Task.lease_expires_at == task['lease_expires_at'],
                   Task.status.in_(UNFINISHED_TASK))
            .values(status='failure', lease_expires_at=None, updated_at=now,
                    expires_at=now + datetime.timedelta(
                        hours=TASK_TIME_TO_LIVE))
            .execution_options(synchronize_session=False)).rowcount
        if failed != 1:
            return None
        info = session.get(TaskInfo, task['id'])
        if info is None:
            info = TaskInfo(task_id=task['id'])
            session.add(info)
        info.message = ABANDONED_MESSAGE % task['holder']
        method = ((info.input or {}).get('import_req') or {}).get(
            'method') or {}
        image_status = _release_import(session, task, method.get('name'))
    LOG.warning('Import task %s was abandoned by %s (lease ended %s); '
                'failed it, its image is %s', task['id'], task['holder'],
                task['lease_expires_at'], image_status or 'unchanged')
    return dict(task, status='failure', image_status=image_status)


def _release_import(session, task, method):
    """The image ``task`` held, back to its pre-import status by
    compare-and-swap; its status, or None when the task did not hold
    it."""
    from glance_registry.db import api as db_api
    if not task['image_id']:
        return None
    image = session.scalars(sa.select(Image).where(
        Image.id == task['image_id'], Image.deleted == sa.false())).first()
    if image is None:
        return None
    properties = {row.name: row.value for row in session.scalars(
        sa.select(ImageProperty).where(
            ImageProperty.image_id == image.id,
            ImageProperty.deleted == sa.false()))}
    if properties.get(IMPORT_TASK) != task['id']:
        return None
    failed = [store for store in
              (properties.get(FAILED_IMPORT) or '').split(',') +
              (properties.get(IMPORTING_TO) or '').split(',') if store]
    values = {'properties': {
        IMPORTING_TO: '', FAILED_IMPORT: ','.join(dict.fromkeys(failed))}}
    remove = [IMPORT_TASK]
    if image.status == 'importing':
        if method == 'glance-direct':
            # The job that died never cleaned the staging area: the data
            # staged (and measured) is still there to import again.
            values['status'] = 'uploading'
        else:
            remove.append(STAGE_HOST)
            values.update(status='queued', size=None, virtual_size=None,
                          checksum=None, os_hash_algo=None,
                          os_hash_value=None)
    try:
        # A savepoint: a failed compare-and-swap leaves the image as it
        # was while the task's failure is still committed.
        with session.begin_nested():
            return db_api._image_update(
                None, session, image.id, values, from_state=image.status,
                expected_properties={IMPORT_TASK: task['id']},
                remove_properties=remove)['status']
    except (exception.InvalidStatusTransition, exception.NotFound,
            exception.PropertyConflict):
        return None


def _check_admin(context):
    if context is not None and not getattr(context, 'is_admin', False):
        raise exception.Forbidden()
