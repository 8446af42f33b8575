"""Per-project quotas: Keystone unified limits (oslo.limit) and the usage
report of GET /v2/info/usage.

With ``use_keystone_limits`` on, Keystone holds each project's limits of
the four resources below (a registered default, a project's own limit
overriding it) and glance-api enforces them as named steps: creating an
image, uploading, staging and importing data. The usage of a project is
counted by the registry in one query (``image_usage_get``). Sizes are in
MiB, as Keystone's limits for Glance are written. An operation that would
go over a limit is 413, before any data is read. With it off, the
config-file quotas (``user_storage_quota`` and the per-image ones) apply,
and the usage report shows ``user_storage_quota`` as the size limit.
"""

from oslo_config import cfg
from oslo_limit import exception as limit_exceptions
from oslo_limit import limit as oslo_limit
from oslo_limit import opts as limit_opts
from oslo_log import log as logging

from glance_registry.common import exception

LOG = logging.getLogger(__name__)

limit_opts_glance = [
    cfg.BoolOpt('use_keystone_limits', default=False,
                help='Enforce the per-project limits registered in Keystone '
                     '(unified limits: image_size_total and '
                     'image_stage_total in MiB, image_count_total, '
                     'image_count_uploading), read with the [oslo_limit] '
                     'credentials and endpoint. Off: user_storage_quota '
                     'applies.'),
]

CONF = cfg.CONF
CONF.register_opts(limit_opts_glance)
limit_opts.register_opts(CONF)

IMAGE_SIZE_TOTAL = 'image_size_total'
IMAGE_STAGE_TOTAL = 'image_stage_total'
IMAGE_COUNT_TOTAL = 'image_count_total'
IMAGE_COUNT_UPLOADING = 'image_count_uploading'
RESOURCES = (IMAGE_SIZE_TOTAL, IMAGE_STAGE_TOTAL, IMAGE_COUNT_TOTAL,
             IMAGE_COUNT_UPLOADING)
# Keystone's limits of sizes are in MiB; the registry counts bytes.
SIZE_RESOURCES = (IMAGE_SIZE_TOTAL, IMAGE_STAGE_TOTAL)
MiB = 1024 * 1024
UNLIMITED = -1


def list_opts():
    return [(None, limit_opts_glance)]


def usage_in_limit_units(usage):
    """The registry's usage with sizes in MiB (rounded down, as upstream)."""
    return {name: (value // MiB if name in SIZE_RESOURCES else value)
            for name, value in usage.items()}


class Limits:
    """Enforces and reports the unified limits of projects."""

    def __init__(self, registry, conf=CONF):
        conf.register_opts(limit_opts_glance)
        self.registry = registry
        self.conf = conf

    @property
    def enabled(self):
        return self.conf.use_keystone_limits

    def usage(self, context, project_id):
        """The project's usage in limit units, from one registry call."""
        return usage_in_limit_units(self.registry.image_usage_get(
            context, owner_id=project_id))

    def enforcer(self, context):
        """An oslo.limit enforcer counting usage through ``context``;
        built per check, as oslo.limit's usage callback knows no
        context."""
        def count(project_id, resource_names):
            usage = self.usage(context, project_id)
            return {name: usage[name] for name in resource_names}
        return oslo_limit.Enforcer(count)

    def enforce(self, context, project_id, deltas):
        """LimitExceeded (413) when ``deltas`` (resource -> amount) would
        take ``project_id`` past a limit; nothing without unified
        limits."""
        if not self.enabled:
            return
        try:
            self.enforcer(context).enforce(project_id, deltas)
        except limit_exceptions.ProjectOverLimit as e:
            over = e.over_limit_info_list[0]
            LOG.info('Project %s is over its limit: %s', project_id, e)
            raise exception.LimitExceeded(
                'Project %s is over its %s limit of %d (using %d, this '
                'request adds %d).' % (project_id, over.resource_name,
                                       over.limit, over.current_usage,
                                       over.delta),
                limit_name=over.resource_name, limit=over.limit)

    # -- the named checks ----------------------------------------------------

    def enforce_image_create(self, context, owner):
        """A new image counts against image_count_total."""
        self.enforce(context, owner, {IMAGE_COUNT_TOTAL: 1})

    def enforce_upload(self, context, owner):
        """Before data comes in: the owner is not over image_size_total
        (the size of the data is not known yet) and one more image may be
        uploading."""
        self.enforce(context, owner, {IMAGE_SIZE_TOTAL: 0,
                                      IMAGE_COUNT_UPLOADING: 1})

    def enforce_stage(self, context, owner):
        """Before data is staged (interoperable import): the owner is not
        over image_stage_total and one more image may be uploading."""
        self.enforce(context, owner, {IMAGE_STAGE_TOTAL: 0,
                                      IMAGE_COUNT_UPLOADING: 1})

    def enforce_import(self, context, owner):
        """Before an import (or a copy to more stores) writes to stores:
        the owner is not over image_size_total and one more image may be
        importing."""
        self.enforce(context, owner, {IMAGE_SIZE_TOTAL: 0,
                                      IMAGE_COUNT_UPLOADING: 1})

    # -- the report ----------------------------------------------------------

    def report(self, context, user_storage_quota=0):
        """``{resource: {"limit": n, "usage": n}}`` for the caller's
        project (GET /v2/info/usage): Keystone's limits, or without unified
        limits the config-file quota (``user_storage_quota`` in MiB as the
        size limit) and -1 (unlimited) for the others and for a
        user_storage_quota of 0."""
        project_id = context.project_id
        if self.enabled:
            found = self.enforcer(context).calculate_usage(project_id,
                                                           RESOURCES)
            return {name: {'limit': found[name].limit,
                           'usage': found[name].usage}
                    for name in RESOURCES}
        usage = self.usage(context, project_id)
        limits = dict.fromkeys(RESOURCES, UNLIMITED)
        if user_storage_quota:
            # Rounded up: a quota under 1 MiB is not "nothing allowed".
            limits[IMAGE_SIZE_TOTAL] = -(-user_storage_quota // MiB)
        return {name: {'limit': limits[name], 'usage': usage[name]}
                for name in RESOURCES}
