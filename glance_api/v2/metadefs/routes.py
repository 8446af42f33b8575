"""Route rows of the metadata definitions API, appended to the v2 table.

Actions name ``metadefs.<Controller>.<method>``: the router imports
``glance_api.v2.metadefs``, which exports the controllers.
"""

NS = '/v2/metadefs/namespaces/{namespace}'

ROUTES = [
    ('/v2/schemas/metadefs/namespace', {
        'GET': 'metadefs.SchemasController.namespace'}),
    ('/v2/schemas/metadefs/namespaces', {
        'GET': 'metadefs.SchemasController.namespaces'}),
    ('/v2/schemas/metadefs/object', {
        'GET': 'metadefs.SchemasController.object'}),
    ('/v2/schemas/metadefs/objects', {
        'GET': 'metadefs.SchemasController.objects'}),
    ('/v2/schemas/metadefs/property', {
        'GET': 'metadefs.SchemasController.property'}),
    ('/v2/schemas/metadefs/properties', {
        'GET': 'metadefs.SchemasController.properties'}),
    ('/v2/schemas/metadefs/tag', {
        'GET': 'metadefs.SchemasController.tag'}),
    ('/v2/schemas/metadefs/tags', {
        'GET': 'metadefs.SchemasController.tags'}),
    ('/v2/schemas/metadefs/resource_type', {
        'GET': 'metadefs.SchemasController.resource_type'}),
    ('/v2/schemas/metadefs/resource_types', {
        'GET': 'metadefs.SchemasController.resource_types'}),
    ('/v2/metadefs/resource_types', {
        'GET': 'metadefs.ResourceTypesController.index'}),
    ('/v2/metadefs/namespaces', {
        'GET': 'metadefs.NamespacesController.index',
        'POST': 'metadefs.NamespacesController.create'}),
    (NS, {
        'GET': 'metadefs.NamespacesController.show',
        'PUT': 'metadefs.NamespacesController.update',
        'DELETE': 'metadefs.NamespacesController.delete'}),
    (NS + '/objects', {
        'GET': 'metadefs.ObjectsController.index',
        'POST': 'metadefs.ObjectsController.create',
        'DELETE': 'metadefs.NamespacesController.delete_objects'}),
    (NS + '/objects/{object_name}', {
        'GET': 'metadefs.ObjectsController.show',
        'PUT': 'metadefs.ObjectsController.update',
        'DELETE': 'metadefs.ObjectsController.delete'}),
    (NS + '/properties', {
        'GET': 'metadefs.PropertiesController.index',
        'POST': 'metadefs.PropertiesController.create',
        'DELETE': 'metadefs.NamespacesController.delete_properties'}),
    (NS + '/properties/{property_name}', {
        'GET': 'metadefs.PropertiesController.show',
        'PUT': 'metadefs.PropertiesController.update',
        'DELETE': 'metadefs.PropertiesController.delete'}),
    (NS + '/tags', {
        'GET': 'metadefs.TagsController.index',
        'POST': 'metadefs.TagsController.create_tags',
        'DELETE': 'metadefs.NamespacesController.delete_tags'}),
    (NS + '/tags/{tag_name}', {
        'GET': 'metadefs.TagsController.show',
        'POST': 'metadefs.TagsController.create',
        'PUT': 'metadefs.TagsController.update',
        'DELETE': 'metadefs.TagsController.delete'}),
    (NS + '/resource_types', {
        'GET': 'metadefs.ResourceTypesController.associations',
        'POST': 'metadefs.ResourceTypesController.associate'}),
    (NS + '/resource_types/{resource_type}', {
        'DELETE': 'metadefs.ResourceTypesController.deassociate'}),
]
