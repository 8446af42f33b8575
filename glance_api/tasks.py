"""Tasks: the records of image imports (and of the legacy ``import`` task
type), kept in the registry's ``tasks`` table.

A task goes pending -> processing -> success or failure, with ``result``
and ``message``; once finished it expires ``task_time_to_live`` hours
later. The glance-api process running a task is its ``holder`` (named as
the holders of upload leases, ``glance_api.leases``) and renews
``lease_expires_at`` while it works; a task whose lease ran out is failed
and its image released by the registry's lease healer, or by the next
request that meets it (see :meth:`TaskService.fail_if_abandoned`), and
glance-api releases the tasks of its previous run when it starts.
"""

import datetime
import threading

from oslo_config import cfg
from oslo_log import log as logging

from glance_api import leases
from glance_api import metrics
from glance_api import notifier as notifier_module
from glance_api import policy as policy_module

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

task_opts = [
    cfg.IntOpt('task_time_to_live', default=48, min=1,
               help='Hours a finished task (success or failure) is kept '
                    'before it expires.'),
    cfg.IntOpt('task_lease_timeout', default=300, min=5,
               help='Seconds a running import task stays held by the '
                    'glance-api process running it without renewing; past '
                    'it, the registry fails the task and returns its image '
                    'to its status before the import (or the next request '
                    'that meets them does). The holder renews about every '
                    'third of this time.'),
]

TASK_STATUSES = ('pending', 'processing', 'success', 'failure')
IMPORT_TASK_TYPE = 'api_image_import'
SORT_KEYS = ('id', 'type', 'status', 'owner', 'created_at', 'updated_at',
             'expires_at')
FILTERS = ('type', 'status')


def list_opts():
    return [(None, task_opts)]


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def parse_time(value):
    """A registry time (ISO 8601 string or datetime) as a naive UTC
    datetime, None when unset."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    return datetime.datetime.fromisoformat(
        value.replace('Z', '+00:00')).replace(tzinfo=None)


def task_payload(task):
    """What a task.* notification carries: the task without its holder."""
    return {name: task.get(name) for name in (
        'id', 'type', 'status', 'owner', 'image_id', 'user_id',
        'request_id', 'input', 'result', 'message', 'expires_at',
        'created_at', 'updated_at')}


class TaskService:
    """Read and record tasks; policy is enforced here, once."""

    def __init__(self, registry, conf=CONF, policy=None, self_url=None,
                 notifier=None):
        conf.register_opts(task_opts)
        self.registry = registry
        self.notifier = notifier or notifier_module.get_notifier(conf)
        self.conf = conf
        self.policy = policy or policy_module.get_enforcer(conf)

    @property
    def holder(self):
        """This process, as its upload leases name it: a worker forked
        after the app was loaded has its own pid and generation."""
        return leases.holder()

    # -- the tasks API -------------------------------------------------------

    def list(self, context, filters, marker=None, limit=None,
             sort_key='created_at', sort_dir='desc'):
        """One page of tasks and the marker of the next page (or None)."""
        self.policy.enforce(context, 'tasks_api_access')
        self.policy.enforce(context, 'get_tasks')
        tasks = self.registry.task_get_all(
            context, filters=filters, marker=marker, limit=limit + 1,
            sort_key=sort_key, sort_dir=sort_dir)
        next_marker = None
        if len(tasks) > limit:
            tasks = tasks[:limit]
            if tasks:
                next_marker = tasks[-1]['id']
        return [self.fail_if_abandoned(context, t) for t in tasks], \
            next_marker

    def get(self, context, task_id):
        self.policy.enforce(context, 'tasks_api_access')
        self.policy.enforce(context, 'get_task')
        task = self.registry.task_get(context, task_id=task_id)
        return self.fail_if_abandoned(context, task)

    def image_tasks(self, context, image):
        """The import tasks of ``image`` (already readable by the
        caller), newest first."""
        tasks = self.registry.task_get_all(
            context, filters={'image_id': image['id']},
            sort_key='created_at', sort_dir='desc')
        return [self.fail_if_abandoned(context, t) for t in tasks]

    # -- recording a running task ------------------------------------------

    def create(self, context, task_type, task_input, image_id=None):
        """A pending task held by this process (task.create)."""
        task = self.registry.task_create(context, values={
            'type': task_type, 'status': 'pending', 'input': task_input,
            'owner': context.owner, 'image_id': image_id,
            'user_id': getattr(context, 'user_id', None),
            'request_id': getattr(context, 'request_id', None),
            'holder': self.holder,
            'lease_expires_at': self.lease_end().isoformat()})
        self.notify(context, 'task.create', task)
        return task

    def notify(self, context, event_type, task):
        if task is not None:
            self.notifier.info(context, event_type, task_payload(task))

    def lease_end(self):
        return now() + datetime.timedelta(
            seconds=self.conf.task_lease_timeout)

    def start(self, context, task_id):
        """pending -> processing (task.processing)."""
        task = self.registry.task_update(
            context, task_id=task_id, values={'status': 'processing'})
        self.notify(context, 'task.processing', task)
        return task

    def renew(self, context, task_id, message=None):
        """Push the lease forward (and say how far the task got)."""
        values = {'lease_expires_at': self.lease_end().isoformat()}
        if message is not None:
            values['message'] = message
        return self.registry.task_update(context, task_id=task_id,
                                         values=values)

    def finish(self, context, task_id, result=None, message=''):
        return self._end(context, task_id, 'success', result, message)

    def fail(self, context, task_id, message):
        return self._end(context, task_id, 'failure', None, message)

    def _end(self, context, task_id, status, result, message):
        expires = now() + datetime.timedelta(
            hours=self.conf.task_time_to_live)
        try:
            task = self.registry.task_update(
                context, task_id=task_id, values={
                    'status': status, 'result': result, 'message': message,
                    'expires_at': expires.isoformat(),
                    'lease_expires_at': None})
        except Exception:
            LOG.exception('Could not record task %s as %s', task_id, status)
            return None
        metrics.record_task(task.get('type'), status == 'success')
        self.notify(context, 'task.%s' % status, task)
        return task

    def abandoned(self, task):
        """Whether ``task`` is unfinished and its holder stopped renewing."""
        if task['status'] not in ('pending', 'processing'):
            return False
        lease = parse_time(task.get('lease_expires_at'))
        return lease is not None and lease < now()

    def fail_if_abandoned(self, context, task):
        """``task``, failed first when its holder died (the image it held
        is released by the import service when it meets it)."""
        if not self.abandoned(task):
            return task
        LOG.warning('Task %s was abandoned by %s (lease ended %s)',
                    task['id'], task.get('holder'),
                    task.get('lease_expires_at'))
        return self.fail(context, task['id'],
                         'The glance-api process running this task (%s) '
                         'stopped before it finished.'
                         % task.get('holder')) or task


class Heartbeat:
    """Renews a task's lease about every third of task_lease_timeout until
    stopped, so the registry's healer fails the task only when its holder
    stopped (an import, the hashing of a new location)."""

    def __init__(self, tasks, context, task_id):
        self.tasks = tasks
        self.context = context
        self.task_id = task_id
        self.stopped = threading.Event()
        self.message = None
        #: Set when the registry failed the task (its lease had expired).
        self.lost = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()

    def run(self):
        interval = max(1, self.tasks.conf.task_lease_timeout // 3)
        while not self.stopped.wait(interval):
            try:
                task = self.tasks.renew(self.context, self.task_id,
                                        self.message)
            except Exception:
                LOG.exception('Could not renew task %s', self.task_id)
                continue
            if task and task.get('status') not in ('pending', 'processing'):
                LOG.warning('Task %s was ended by someone else (%s): its '
                            'lease had expired', self.task_id,
                            task.get('status'))
                self.lost = True
                return

    def stop(self):
        self.stopped.set()
