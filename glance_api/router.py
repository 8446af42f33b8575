"""Dispatch through a route table, for every API version.

A route table is a module with ``ROUTES``, one row per URL: ``(path
pattern, {HTTP method: 'module.Class.method'})``, the module named
relative to the table's package (``glance_api.v2.routes`` names
``images.ImagesController.index`` for ``glance_api.v2.images``).
Controllers are built once as ``Controller(registry, stores, conf)``; an
action is ``method(req, **path_vars)`` returning a webob.Response. An
unknown path is 404, an unknown method on a known path 405 with ``Allow``
built from the row, and any error is translated by :mod:`glance_api.faults`.
"""

import importlib
import re

from glance_api import faults
from glance_registry.common import exception


def _compile(pattern):
    return re.compile('^%s$' % re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)',
                                      pattern))


class Router:
    """Match a path against a route table and call the controller action."""

    def __init__(self, routes, registry, stores, conf):
        self.package = routes.__package__
        self.registry = registry
        self.stores = stores
        self.conf = conf
        self.routes = [(_compile(pattern), methods)
                       for pattern, methods in routes.ROUTES]
        self.controllers = {}

    def controller(self, module_name, class_name):
        """The one instance of a controller class, built on first use (so
        a controller module that fails to import breaks only its routes)."""
        key = (module_name, class_name)
        if key not in self.controllers:
            module = importlib.import_module(
                '%s.%s' % (self.package, module_name))
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
