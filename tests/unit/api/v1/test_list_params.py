"""Query parameters of GET /v1/images(/detail) as contract arguments."""

from oslo_config import cfg
import testtools
import webob

from glance_api.v1 import images
from glance_registry.common import context as context_module
from glance_registry.common import exception

CONF = cfg.CONF


def params(query, is_admin=False):
    req = webob.Request.blank('/v1/images?' + query)
    context = context_module.RequestContext(is_admin=is_admin,
                                            project_id='p')
    return images.list_params(req, context, CONF)


class TestListParams(testtools.TestCase):

    def test_defaults(self):
        kwargs = params('')
        self.assertEqual({'deleted': False}, kwargs['filters'])
        self.assertEqual(['created_at'], kwargs['sort_key'])
        self.assertEqual(['desc'], kwargs['sort_dir'])
        self.assertEqual(CONF.limit_param_default, kwargs['limit'])
        self.assertEqual('all', kwargs['member_status'])
        self.assertNotIn('is_public', kwargs)

    def test_filters_and_properties(self):
        kwargs = params('name=a&status=active&size_min=1&size_max=9&'
                        'property-os_distro=debian&protected=true')
        self.assertEqual({'name': 'a', 'status': 'active', 'size_min': 1,
                          'size_max': 9, 'protected': True,
                          'deleted': False,
                          'properties': {'os_distro': 'debian'}},
                         kwargs['filters'])

    def test_changes_since_includes_deleted(self):
        kwargs = params('changes-since=2020-01-01T00:00:00')
        self.assertNotIn('deleted', kwargs['filters'])

    def test_admin_lists_like_a_user_unless_is_public_given(self):
        self.assertTrue(params('', is_admin=True)['admin_as_user'])
        everything = params('is_public=none', is_admin=True)
        self.assertNotIn('admin_as_user', everything)
        self.assertNotIn('is_public', everything)
        self.assertFalse(params('is_public=false')['is_public'])

    def test_limit_is_capped(self):
        self.assertEqual(CONF.api_limit_max,
                         params('limit=999999')['limit'])

    def test_bad_parameters(self):
        for query in ('size_min=x', 'limit=-1', 'sort_key=owner',
                      'sort_dir=sideways', 'is_public=perhaps', 'bogus=1',
                      'marker=not-a-uuid', 'changes-since=yesterday'):
            self.assertRaises(exception.Invalid, params, query)
