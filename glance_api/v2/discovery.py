"""Image API v2 discovery: GET /v2/info/import, /v2/info/stores and
/v2/info/stores/detail."""

from glance_api import http_helpers
from glance_api import policy as policy_module


class InfoController:

    def __init__(self, registry, stores, conf):
        self.stores = stores
        self.conf = conf
        self.policy = policy_module.get_enforcer(conf)

    def import_info(self, req):
        """The interoperable import methods this cloud offers (none yet)."""
        return http_helpers.json_response({'import-methods': {
            'description': 'Import methods available.',
            'type': 'array',
            'value': []}})

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
            result.append(entry)
        return http_helpers.json_response({'stores': result})

    def store_entry(self, store):
        entry = {'id': store.name}
        if store.description:
            entry['description'] = store.description
        if store is self.stores.default:
            entry['default'] = True
        if not store.writable:
            entry['read-only'] = True
        return entry
