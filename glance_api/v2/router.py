"""The Image API v2 route table and the dispatch through it.

One row per URL: ``(path pattern, {HTTP method: 'module.Class.method'})``.
Controllers are built once as ``Controller(registry, stores, conf)``;
an action is ``method(req, **path_vars)`` returning a webob.Response.
"""

import importlib
import re

from glance_api.v2 import faults
from glance_registry.common import exception

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
    ('/v2/info/stores', {
        'GET': 'discovery.InfoController.stores_info'}),
    ('/v2/info/stores/detail', {
        'GET': 'discovery.InfoController.stores_info_detail'}),
    ('/v2/stores/{store_id}/{image_id}', {
        'DELETE': 'images.ImagesController.delete_from_store'}),
    ('/v2/cache', {
        'GET': 'cache.CacheController.index',
        'DELETE': 'cache.CacheController.clear'}),
    ('/v2/cache/{image_id}', {
        'PUT': 'cache.CacheController.queue',
        'DELETE': 'cache.CacheController.delete'}),
]
ROUTES += importlib.import_module('glance_api.v2.metadefs.routes').ROUTES


def _compile(pattern):
    return re.compile('^%s$' % re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)',
                                      pattern))


class Router:
    """Match a /v2 path against ROUTES and call the controller action."""

    def __init__(self, registry, stores, conf, routes=ROUTES):
        self.registry = registry
        self.stores = stores
        self.conf = conf
        self.routes = [(_compile(pattern), methods)
                       for pattern, methods in routes]
        self.controllers = {}

    def controller(self, module_name, class_name):
        """The one instance of a controller class, built on first use (so
        a controller module that fails to import breaks only its routes)."""
        key = (module_name, class_name)
        if key not in self.controllers:
            module = importlib.import_module('glance_api.v2.' + module_name)
            cls = getattr(module, class_name)
            self.controllers[key] = cls(self.registry, self.stores,
                                        self.conf)
        return self.controllers[key]

    def match(self, path):
        path = path.rstrip('/') or '/'
        for regex, methods in self.routes:
            found = regex.match(path)
            if found:
                return methods, found.groupdict()
        return None, None

    def __call__(self, req):
        methods, path_vars = self.match(req.path_info)
        try:
            if methods is None:
                raise exception.NotFound('Unknown path %s' % req.path_info)
            action = methods.get(req.method)
            if action is None:
                raise exception.MethodNotAllowed(
                    method=req.method,
                    headers={'Allow': ', '.join(sorted(methods))})
            module_name, class_name, method_name = action.split('.')
            controller = self.controller(module_name, class_name)
            return getattr(controller, method_name)(req, **path_vars)
        except Exception as e:
            return faults.translate(e, req)
