"""The registry contract: every operation glance-api may ask of the registry.

This table is the one definition both transports (HTTP ``POST /rpc`` and the
oslo.messaging topic) dispatch through, and the registry client is built from
it. It imports nothing heavy so glance-api can use it without the database
code. ``READ`` operations are idempotent and may be retried by the client.

Arguments are keyword-only and JSON-serializable; results are JSON values
(datetimes as ISO 8601 strings). The signatures live on the functions of
``glance_registry.db.api`` of the same names; ``glance_registry.dispatch``
checks at import that the two agree.
"""

READ = 'read'
WRITE = 'write'

OPERATIONS = {
    # images
    'image_create': WRITE,
    'image_get': READ,
    'image_get_all': READ,
    'image_update': WRITE,
    'image_destroy': WRITE,
    'user_get_storage_usage': READ,
    # tags
    'image_tag_get_all': READ,
    'image_tag_create': WRITE,
    'image_tag_delete': WRITE,
    'image_tag_set_all': WRITE,
    # members
    'image_member_create': WRITE,
    'image_member_update': WRITE,
    'image_member_delete': WRITE,
    'image_member_find': READ,
    'image_member_count': READ,
    # locations
    'image_location_add': WRITE,
    'image_location_update': WRITE,
    'image_location_delete': WRITE,
    'image_location_find': READ,
    'image_location_referenced_elsewhere': READ,
    'image_location_set_status': WRITE,
    # delayed delete (the scrubber)
    'image_mark_deleted': WRITE,
    'image_restore': WRITE,
    # tasks
    'task_create': WRITE,
    'task_get': READ,
    'task_get_all': READ,
    'task_update': WRITE,
    'task_delete': WRITE,
    # metadata definitions
    'metadef_namespace_create': WRITE,
    'metadef_namespace_get': READ,
    'metadef_namespace_get_all': READ,
    'metadef_namespace_update': WRITE,
    'metadef_namespace_delete': WRITE,
    'metadef_object_create': WRITE,
    'metadef_object_get': READ,
    'metadef_object_get_all': READ,
    'metadef_object_update': WRITE,
    'metadef_object_delete': WRITE,
    'metadef_object_delete_namespace_content': WRITE,
    'metadef_property_create': WRITE,
    'metadef_property_get': READ,
    'metadef_property_get_all': READ,
    'metadef_property_update': WRITE,
    'metadef_property_delete': WRITE,
    'metadef_property_delete_namespace_content': WRITE,
    'metadef_tag_create': WRITE,
    'metadef_tag_create_tags': WRITE,
    'metadef_tag_get': READ,
    'metadef_tag_get_all': READ,
    'metadef_tag_update': WRITE,
    'metadef_tag_delete': WRITE,
    'metadef_tag_delete_namespace_content': WRITE,
    'metadef_resource_type_create': WRITE,
    'metadef_resource_type_get': READ,
    'metadef_resource_type_get_all': READ,
    'metadef_resource_type_delete': WRITE,
    'metadef_resource_type_association_create': WRITE,
    'metadef_resource_type_association_get': READ,
    'metadef_resource_type_association_get_by_namespace': READ,
    'metadef_resource_type_association_delete': WRITE,
}


def is_read(command):
    return OPERATIONS.get(command) == READ
