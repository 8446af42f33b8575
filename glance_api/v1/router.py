"""The Image API v1 route table.

One row per URL, as for v2: ``(path pattern, {HTTP method:
'module.Class.method'})``; dispatch, 404/405 and error translation are the
v2 router's, with controllers taken from :mod:`glance_api.v1`.
"""

import importlib

from glance_api.v2 import router as v2_router

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


class Router(v2_router.Router):
    """Match a /v1 path against ROUTES and call the controller action."""

    def __init__(self, registry, stores, conf, routes=ROUTES):
        super().__init__(registry, stores, conf, routes=routes)

    def controller(self, module_name, class_name):
        key = (module_name, class_name)
        if key not in self.controllers:
            module = importlib.import_module('glance_api.v1.' + module_name)
            self.controllers[key] = getattr(module, class_name)(
                self.registry, self.stores, self.conf)
        return self.controllers[key]
