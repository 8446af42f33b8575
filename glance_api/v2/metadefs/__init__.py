"""Image API v2 metadata definitions (metadefs): namespaces with their
objects, properties, tags and resource type associations.

The router resolves the v2 table's ``metadefs.<Controller>.<method>``
against this package; the controllers are imported on first use, so
importing the route rows (:mod:`glance_api.v2.metadefs.routes`) loads no
controller.
"""

import importlib

CONTROLLERS = {
    'NamespacesController': 'namespaces',
    'ObjectsController': 'objects',
    'PropertiesController': 'properties',
    'ResourceTypesController': 'resource_types',
    'SchemasController': 'schemas',
    'TagsController': 'tags',
}


def __getattr__(name):
    if name not in CONTROLLERS:
        raise AttributeError(name)
    module = importlib.import_module('%s.%s' % (__name__, CONTROLLERS[name]))
    return getattr(module, name)
