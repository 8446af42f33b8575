"""The Image API v2 route table.

One row per URL: ``(path pattern, {HTTP method: 'module.Class.method'})``,
modules of :mod:`glance_api.v2`; :mod:`glance_api.router` dispatches.
"""

from glance_api.v2.metadefs import routes as metadefs_routes

ROUTES = [
    ('/v2/schemas/image', {
        'GET': 'schemas.SchemasController.image'}),
    ('/v2/schemas/images', {
        'GET': 'schemas.SchemasController.images'}),
    ('/v2/schemas/member', {
        'GET': 'schemas.SchemasController.member'}),
    ('/v2/schemas/members', {
        'GET': 'schemas.SchemasController.members'}),
    ('/v2/images', {
        'GET': 'images.ImagesController.index',
        'POST': 'images.ImagesController.create'}),
    ('/v2/images/{image_id}', {
        'GET': 'images.ImagesController.show',
        'PATCH': 'images.ImagesController.update',
        'DELETE': 'images.ImagesController.delete'}),
    ('/v2/images/{image_id}/file', {
        'PUT': 'image_data.ImageDataController.upload',
        'GET': 'image_data.ImageDataController.download'}),
    ('/v2/images/{image_id}/actions/deactivate', {
        'POST': 'images.ImagesController.deactivate'}),
    ('/v2/images/{image_id}/actions/reactivate', {
        'POST': 'images.ImagesController.reactivate'}),
    ('/v2/images/{image_id}/locations', {
        'GET': 'locations.LocationsController.index',
        'POST': 'locations.LocationsController.create'}),
    ('/v2/images/{image_id}/tags/{tag}', {
        'PUT': 'tags.TagsController.update',
        'DELETE': 'tags.TagsController.delete'}),
    ('/v2/images/{image_id}/members', {
        'GET': 'members.MembersController.index',
        'POST': 'members.MembersController.create'}),
    ('/v2/images/{image_id}/members/{member_id}', {
        'GET': 'members.MembersController.show',
        'PUT': 'members.MembersController.update',
        'DELETE': 'members.MembersController.delete'}),
    ('/v2/info/import', {
        'GET': 'discovery.InfoController.import_info'}),
    ('/v2/info/usage', {
        'GET': 'discovery.InfoController.usage'}),
    ('/v2/info/stores', {
        'GET': 'discovery.InfoController.stores_info'}),
    ('/v2/info/stores/detail', {
        'GET': 'discovery.InfoController.stores_info_detail'}),
    ('/v2/stores/{store_id}/{image_id}', {
        'DELETE': 'images.ImagesController.delete_from_store'}),
    # tasks and interoperable image import
    ('/v2/schemas/task', {
        'GET': 'schemas.SchemasController.task'}),
    ('/v2/schemas/tasks', {
        'GET': 'schemas.SchemasController.tasks'}),
    ('/v2/tasks', {
        'GET': 'tasks.TasksController.index',
        'POST': 'tasks.TasksController.create'}),
    ('/v2/tasks/{task_id}', {
        'GET': 'tasks.TasksController.show'}),
    ('/v2/images/{image_id}/stage', {
        'PUT': 'image_import.ImageImportController.stage'}),
    ('/v2/images/{image_id}/import', {
        'POST': 'image_import.ImageImportController.import_image'}),
    ('/v2/images/{image_id}/tasks', {
        'GET': 'tasks.TasksController.image_tasks'}),
    ('/v2/cache', {
        'GET': 'cache.CacheController.index',
        'DELETE': 'cache.CacheController.clear'}),
    ('/v2/cache/{image_id}', {
        'PUT': 'cache.CacheController.queue',
        'DELETE': 'cache.CacheController.delete'}),
]
ROUTES += metadefs_routes.ROUTES
