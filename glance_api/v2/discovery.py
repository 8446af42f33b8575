"""Image API v2 discovery: GET /v2/info/import, /v2/info/stores,
/v2/info/stores/detail and /v2/info/usage."""

from glance_api import http_helpers
from glance_api import importing
from glance_api import limits
from glance_api import policy as policy_module
from glance_api import upload


class InfoController:

    def __init__(self, registry, stores, conf):
        self.stores = stores
        self.conf = conf
        conf.register_opts(importing.import_opts)
        self.policy = policy_module.get_enforcer(conf)
        self.limits = limits.Limits(registry, conf)

    def import_info(self, req):
        """The interoperable import methods this cloud offers
        (``enabled_import_methods``)."""
        return http_helpers.json_response({'import-methods': {
            'description': 'Import methods available.',
            'type': 'array',
            'value': list(self.conf.enabled_import_methods)}})

    def stores_info(self, req):
        """The stores images may be uploaded to, the default one marked,
        read-only ones flagged; nothing that reveals a store's type."""
        return http_helpers.json_response(
            {'stores': [self.store_entry(store) for store in self.stores]})

    def stores_info_detail(self, req):
        """Each store with its type and settings (never credentials), for
        administrators (policy ``stores_info_detail``)."""
        self.policy.enforce(http_helpers.request_context(req),
                            'stores_info_detail')
        result = []
        for store in self.stores:
            entry = self.store_entry(store)
            entry['type'] = store.type_name
            entry['properties'] = store.properties()
            entry['weight'] = store.weight
            result.append(entry)
        return http_helpers.json_response({'stores': result})

    def store_entry(self, store):
        """One store as upstream lists it: ``default`` and ``read-only``
        are the string "true" (what Tempest's waiters and glanceclient
        compare with), absent otherwise."""
        entry = {'id': store.name}
        if store.description:
            entry['description'] = store.description
        if store is self.stores.default:
            entry['default'] = 'true'
        if not store.writable:
            entry['read-only'] = 'true'
        return entry

    def usage(self, req):
        """The caller's project: each quota's limit and usage (unified
        limits, or the config-file quota without them), as ``glance
        usage`` shows it."""
        context = http_helpers.request_context(req)
        quota = upload.parse_storage_quota(
            getattr(self.conf, 'user_storage_quota', '0'))
        return http_helpers.json_response(
            {'usage': self.limits.report(context, quota)})
