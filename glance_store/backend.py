"""The one module API over the enabled stores.

Single-store configuration (``[glance_store] stores`` and ``default_store``)
and multi-store configuration (``[DEFAULT] enabled_backends = name:type,...``
with one config group per backend and ``[glance_store] default_backend``)
build the same thing: a list of named driver instances. With single-store
options each enabled type becomes one backend named after its type, reading
its options from ``[glance_store]``.
"""

import importlib

from oslo_config import cfg
from oslo_log import log as logging

from glance_store import exceptions
from glance_store import location as location_mod

LOG = logging.getLogger(__name__)

STORE_GROUP = 'glance_store'

STORE_OPTS = [
    cfg.ListOpt('stores',
                default=['file', 'http'],
                help='Store types enabled when enabled_backends is not '
                     'set, e.g. "file,http".'),
    cfg.StrOpt('default_store',
               default='file',
               help='Store type new image data is written to when '
                    'enabled_backends is not set; one of "stores".'),
    cfg.StrOpt('default_backend',
               help='With enabled_backends: the name of the backend new '
                    'image data is written to.'),
]

BACKEND_OPTS = [
    cfg.DictOpt('enabled_backends',
                help='Several stores, each as "NAME:TYPE" (e.g. '
                     '"fast:file,cheap:file,web:http"). Each backend reads '
                     'its options from the config group [NAME]. When set, '
                     '[glance_store] stores and default_store are ignored.'),
]

# Read from each backend's own group, beside its driver's options.
DESCRIPTION_OPT = cfg.StrOpt(
    'store_description',
    help='With enabled_backends, in a backend\'s group: what users are '
         'told about the store in GET /v2/info/stores (e.g. "Fast local '
         'disk"); keep the store type and hosts out of it.')

WEIGHT_OPT = cfg.IntOpt(
    'weight', default=0,
    help='With enabled_backends, in a backend\'s group: how much the store '
         'is preferred. An image\'s locations are read and listed (its '
         '"stores" too) from the highest weight down; equal weights keep '
         'the location strategy\'s order. GET /v2/info/stores/detail shows '
         'it.')

# Upstream reserves store ids with this prefix for the service's own use.
RESERVED_PREFIX = 'os_glance_'

# Store type -> module holding its ``Store`` class.
DRIVERS = {
    'file': 'glance_store._drivers.filesystem',
    'http': 'glance_store._drivers.http',
    'swift': 'glance_store._drivers.swift',
    's3': 'glance_store._drivers.s3',
    'rbd': 'glance_store._drivers.rbd',
}


def driver_class(store_type):
    try:
        module = DRIVERS[store_type]
    except KeyError:
        raise exceptions.BadStoreConfiguration(
            store=store_type,
            reason='unknown store type; known types: %s'
            % ', '.join(sorted(DRIVERS)))
    return importlib.import_module(module).Store


def driver_options():
    """Every built-in driver's options (they all live in one group)."""
    options = []
    for store_type in sorted(DRIVERS):
        options.extend(driver_class(store_type).OPTIONS)
    return options


def register_opts(conf):
    """Register the [glance_store] options (and [DEFAULT] enabled_backends)
    on ``conf``. Safe to call more than once."""
    conf.register_opts(STORE_OPTS + driver_options(), group=STORE_GROUP)
    try:
        conf.register_opts(BACKEND_OPTS)
    except cfg.DuplicateOptError:
        # The embedding service declared enabled_backends itself.
        pass


class Stores:
    """The enabled stores, built and configured once from ``conf``.

    ``url_filter`` is handed to every driver (see ``driver.Store``); the
    http driver calls it before each connection.
    """

    def __init__(self, conf, url_filter=None):
        register_opts(conf)
        self.conf = conf
        self._backends = {}
        enabled = conf.enabled_backends
        if enabled:
            entries = [(name.strip(), store_type.strip(), name.strip())
                       for name, store_type in enabled.items()]
            for name, _, _ in entries:
                if name.startswith(RESERVED_PREFIX):
                    raise exceptions.BadStoreConfiguration(
                        store=name, reason='store ids starting with %s are '
                        'reserved' % RESERVED_PREFIX)
            default_name = conf[STORE_GROUP].default_backend
            if not default_name:
                raise exceptions.BadStoreConfiguration(
                    store='glance_store',
                    reason='enabled_backends is set but '
                           '[glance_store] default_backend is not')
        else:
            entries = []
            for store_type in conf[STORE_GROUP].stores:
                store_type = store_type.strip()
                if store_type and store_type not in [e[0] for e in entries]:
                    entries.append((store_type, store_type, STORE_GROUP))
            default_name = conf[STORE_GROUP].default_store
        for name, store_type, group in entries:
            cls = driver_class(store_type)
            description = None
            weight = 0
            if group != STORE_GROUP:
                conf.register_opts(cls.OPTIONS + [DESCRIPTION_OPT,
                                                  WEIGHT_OPT], group=group)
                description = conf[group].store_description
                weight = conf[group].weight
            backend = cls(conf, group=group, name=name,
                          url_filter=url_filter)
            backend.description = description
            backend.weight = weight
            self._backends[name] = backend
        if default_name not in self._backends:
            raise exceptions.BadStoreConfiguration(
                store=default_name,
                reason='the default store is not among the enabled stores '
                       '(%s)' % ', '.join(self._backends))
        self.default = self._backends[default_name]
        LOG.debug('Enabled stores: %s (default %s)',
                  ', '.join(self._backends), default_name)

    def __iter__(self):
        return iter(self._backends.values())

    @property
    def names(self):
        return list(self._backends)

    def get_store(self, name):
        """The backend called ``name``, else the only one of type ``name``."""
        if name in self._backends:
            return self._backends[name]
        typed = [s for s in self._backends.values() if s.type_name == name]
        if len(typed) == 1:
            return typed[0]
        raise exceptions.UnknownStore(store=name)

    def for_location(self, uri):
        """The backend that holds ``uri``, chosen by scheme and, among
        backends of one scheme, by which one owns the location."""
        location = location_mod.parse(uri)
        candidates = [s for s in self._backends.values()
                      if location.scheme in s.schemes]
        if not candidates:
            raise exceptions.UnknownScheme(scheme=location.scheme)
        for store in candidates:
            if store.owns(location):
                return store
        # None claims it: the first one explains why when it is used.
        return candidates[0]

    def store_of(self, uri):
        """The id of the backend holding ``uri``, None when no enabled
        store reads it."""
        try:
            return self.for_location(uri).name
        except exceptions.StoreError:
            return None

    def manages(self, uri, image_id=None):
        """Whether any enabled store manages the data ``uri`` names, other
        than its place for ``image_id``'s data (see
        :meth:`glance_store.driver.Store.manages`). Every backend is asked,
        whatever the scheme, so no spelling of a URI slips past the one
        that would read it."""
        try:
            location = location_mod.parse(uri)
        except exceptions.StoreError:
            return False
        return any(store.manages(location, image_id) for store in self)

    def add(self, image_id, reader, size, store=None):
        backend = self.default if store is None else self.get_store(store)
        if not backend.writable:
            raise exceptions.StoreAddDisabled(store=backend.name)
        return backend.add(image_id, reader, size)

    def get(self, uri, offset=0, length=None, chunk_size=None):
        return self.for_location(uri).get(uri, offset=offset, length=length,
                                          chunk_size=chunk_size)

    def get_size(self, uri):
        return self.for_location(uri).get_size(uri)

    def delete(self, uri):
        return self.for_location(uri).delete(uri)
