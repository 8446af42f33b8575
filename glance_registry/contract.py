"""The registry contract: every operation glance-api may ask of the registry.

This table is the one definition both transports (HTTP ``POST /rpc`` and the
oslo.messaging topic) dispatch through, and the registry client is built from
it. It imports nothing heavy so glance-api can use it without the database
code. ``READ`` operations are idempotent and may be retried by the client.

Each operation names its keyword arguments, required first, then the
optional ones, so a misspelt or missing one is refused before a call is sent
(by the client) and before it runs (by the registry). Arguments are
JSON-serializable; results are JSON values (datetimes as ISO 8601 strings).
Each operation is the function of the same name in ``glance_registry.db.api``;
``glance_registry.dispatch`` checks at import that its signature names the
same arguments.
"""

import collections

READ = 'read'
WRITE = 'write'

Operation = collections.namedtuple('Operation', 'kind required optional')


def read(*required, optional=()):
    """An idempotent operation (the client may retry it)."""
    return Operation(READ, tuple(required), tuple(optional))


def write(*required, optional=()):
    """An operation that changes something (never retried)."""
    return Operation(WRITE, tuple(required), tuple(optional))


OPERATIONS = {
    # images
    'image_create': write('values'),
    'image_get': read('image_id', optional=('force_show_deleted',)),
    'image_get_all': read(optional=('filters', 'marker', 'limit', 'sort_key',
                                    'sort_dir', 'member_status', 'is_public',
                                    'admin_as_user', 'return_tag')),
    # expected_properties: compare-and-swap on properties (the import
    # lock); remove_properties: deletes only the properties it names.
    'image_update': write('image_id', 'values',
                          optional=('purge_props', 'from_state',
                                    'expected_properties',
                                    'remove_properties', 'lease_holder')),
    'image_destroy': write('image_id', optional=('status',)),
    'user_get_storage_usage': read('owner_id', optional=('image_id',)),
    # tags
    'image_tag_get_all': read('image_id'),
    'image_tag_create': write('image_id', 'value'),
    'image_tag_delete': write('image_id', 'value'),
    # members
    'image_member_create': write('values'),
    'image_member_update': write('member_id', 'values'),
    'image_member_delete': write('member_id'),
    'image_member_find': read(optional=('image_id', 'member', 'status',
                                        'include_deleted')),
    'image_member_count': read('image_id'),
    # locations
    'image_location_add': write('image_id', 'location'),
    'image_location_update': write('image_id', 'location'),
    'image_location_delete': write('image_id', 'location_id', 'status'),
    'image_location_find': read('image_id', optional=('status',)),
    'image_location_referenced_elsewhere': read('image_id'),
    'image_location_set_status': write('image_id', 'location_id', 'status'),
    'image_location_get_all': read(optional=('marker', 'limit')),
    # delayed delete (the scrubber)
    'image_mark_deleted': write('image_id'),
    'image_restore': write('image_id'),
    # tasks
    'task_create': write('values'),
    'task_get': read('task_id', optional=('force_show_deleted',)),
    'task_get_all': read(optional=('filters', 'marker', 'limit', 'sort_key',
                                   'sort_dir')),
    'task_update': write('task_id', 'values'),
    'task_delete': write('task_id'),
    # metadata definitions: namespaces
    'metadef_namespace_create': write('values'),
    'metadef_namespace_get': read('namespace_name'),
    'metadef_namespace_get_all': read(optional=('marker', 'limit', 'sort_key',
                                                'sort_dir', 'filters',
                                                'with_associations')),
    'metadef_namespace_update': write('namespace_name', 'values'),
    'metadef_namespace_delete': write('namespace_name'),
    # objects
    'metadef_object_create': write('namespace_name', 'values'),
    'metadef_object_get': read('namespace_name', 'object_name'),
    'metadef_object_get_all': read('namespace_name'),
    'metadef_object_update': write('namespace_name', 'object_name', 'values'),
    'metadef_object_delete': write('namespace_name', 'object_name'),
    'metadef_object_delete_namespace_content': write('namespace_name'),
    # properties
    'metadef_property_create': write('namespace_name', 'values'),
    'metadef_property_get': read('namespace_name', 'property_name'),
    'metadef_property_get_all': read('namespace_name'),
    'metadef_property_update': write('namespace_name', 'property_name',
                                     'values'),
    'metadef_property_delete': write('namespace_name', 'property_name'),
    'metadef_property_delete_namespace_content': write('namespace_name'),
    # tags
    'metadef_tag_create': write('namespace_name', 'values'),
    'metadef_tag_create_tags': write('namespace_name', 'tags',
                                     optional=('can_append',)),
    'metadef_tag_get': read('namespace_name', 'name'),
    'metadef_tag_get_all': read('namespace_name',
                                optional=('filters', 'marker', 'limit',
                                          'sort_key', 'sort_dir')),
    'metadef_tag_update': write('namespace_name', 'name', 'values'),
    'metadef_tag_delete': write('namespace_name', 'name'),
    'metadef_tag_delete_namespace_content': write('namespace_name'),
    # resource types and their associations with namespaces
    'metadef_resource_type_create': write('values'),
    'metadef_resource_type_get': read('resource_type_name'),
    'metadef_resource_type_get_all': read(),
    'metadef_resource_type_delete': write('resource_type_name'),
    'metadef_resource_type_association_create': write('namespace_name',
                                                      'values'),
    'metadef_resource_type_association_get': read('namespace_name',
                                                  'resource_type_name'),
    'metadef_resource_type_association_get_by_namespace': read(
        'namespace_name'),
    'metadef_resource_type_association_delete': write('namespace_name',
                                                      'resource_type_name'),
    # -- quotas (unified limits and GET /v2/info/usage) ----------------------
    # Everything a project's images use, counted in one query: bytes stored
    # and staged, images, images with data coming in.
    'image_usage_get': read('owner_id'),
    # the image cache: which glance-api node (its worker_self_reference_url)
    # holds which image in its image_cache_dir (glance_registry.db.cache)
    'cached_image_create': write('node', 'image_id', 'size',
                                 optional=('checksum', 'last_modified')),
    'cached_image_hit': write('node', 'image_id'),
    'cached_image_get_all': read(optional=('node',)),
    'cached_image_delete': write('image_id', optional=('node',)),
    'cached_image_delete_all': write('node'),
    # upload leases (glance_registry.db.leases): an image in saving is
    # held by one glance-api process; the registry heals expired leases.
    'image_lease_acquire': write('image_id', 'holder', 'api_version',
                                 'duration',
                                 optional=('from_state', 'to_state')),
    'image_lease_renew': write('image_id', 'holder', 'duration'),
    'image_lease_release': write('image_id', 'holder'),
    'image_lease_get_all': read(optional=('holder_prefix',)),
    'image_lease_expire': write(optional=('holder_prefix', 'keep_prefix')),
    # import tasks whose glance-api died: failed, their images released.
    'task_lease_expire': write(optional=('holder_prefix', 'keep_prefix')),
}


def is_read(command):
    operation = OPERATIONS.get(command)
    return operation is not None and operation.kind == READ


def describe(command, operation=None):
    """``command(a, b, [c])``: the operation with its arguments, for
    error messages."""
    operation = operation or OPERATIONS[command]
    names = list(operation.required) + ['[%s]' % name
                                        for name in operation.optional]
    return '%s(%s)' % (command, ', '.join(names))


def argument_problem(command, kwargs):
    """What is wrong with the keyword arguments ``kwargs`` of the known
    operation ``command``, as a sentence, or None when they fit."""
    operation = OPERATIONS[command]
    unexpected = [name for name in kwargs
                  if name not in operation.required and
                  name not in operation.optional]
    missing = [name for name in operation.required if name not in kwargs]
    if not unexpected and not missing:
        return None
    problems = []
    if unexpected:
        problems.append('unexpected argument(s) %s'
                        % ', '.join(sorted(map(str, unexpected))))
    if missing:
        problems.append('missing argument(s) %s' % ', '.join(missing))
    return '%s; it takes %s' % ('; '.join(problems),
                                describe(command, operation))
