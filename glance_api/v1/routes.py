"""The Image API v1 route table.

One row per URL, as for v2: ``(path pattern, {HTTP method:
'module.Class.method'})``, modules of :mod:`glance_api.v1`;
:mod:`glance_api.router` dispatches.
"""

ROUTES = [
    ('/v1/images', {
        'GET': 'images.ImagesController.index',
        'POST': 'images.ImagesController.create'}),
    ('/v1/images/detail', {
        'GET': 'images.ImagesController.detail'}),
    ('/v1/images/{image_id}', {
        'HEAD': 'images.ImagesController.meta',
        'GET': 'images.ImagesController.show',
        'PUT': 'images.ImagesController.update',
        'DELETE': 'images.ImagesController.delete'}),
    ('/v1/images/{image_id}/members', {
        'GET': 'members.MembersController.index',
        'PUT': 'members.MembersController.replace_all'}),
    ('/v1/images/{image_id}/members/{member}', {
        'PUT': 'members.MembersController.add',
        'DELETE': 'members.MembersController.delete'}),
    ('/v1/shared-images/{member}', {
        'GET': 'members.MembersController.shared_images'}),
]
