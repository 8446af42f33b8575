"""Request context shared by glance-api and glance-registry."""

from oslo_context import context


class RequestContext(context.RequestContext):
    """Who is asking, and with which rights.

    ``owner_is_tenant`` (Kilo's option) makes the project the owner of what
    the caller creates; it is always on here, as in current Glance.
    """

    def __init__(self, owner_is_tenant=True, service_catalog=None, **kwargs):
        super().__init__(**kwargs)
        self.owner_is_tenant = owner_is_tenant
        self.service_catalog = service_catalog

    @property
    def owner(self):
        return self.project_id if self.owner_is_tenant else self.user_id

    def to_dict(self):
        values = super().to_dict()
        values['owner_is_tenant'] = self.owner_is_tenant
        values['service_catalog'] = self.service_catalog
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('owner_is_tenant',
                          values.get('owner_is_tenant', True))
        kwargs.setdefault('service_catalog', values.get('service_catalog'))
        return super().from_dict(values, **kwargs)


def get_admin_context(show_deleted=False):
    return RequestContext(is_admin=True, show_deleted=show_deleted,
                          overwrite=False)
