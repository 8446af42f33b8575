"""Route templates of the metrics filter, and the Grafana dashboard
naming only metrics glance-api serves."""

import json
import os
import re

import testtools

from glance_api import metrics

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
UUID = '0f8c3a6e-2d7b-4c59-9a1e-5b6d7e8f9a0b'


class RouteTemplateTest(testtools.TestCase):

    def test_ids_become_names(self):
        for path, route in (
                ('/', '/'),
                ('/versions', '/versions'),
                ('/v2/images', '/v2/images'),
                ('/v2.16/images/%s/file' % UUID,
                 '/v2/images/{image_id}/file'),
                ('/v2/images/%s/members/p1' % UUID,
                 '/v2/images/{image_id}/members/{member_id}'),
                ('/v2/images/%s/tags/blue' % UUID,
                 '/v2/images/{image_id}/tags/{tag}'),
                ('/v2/images/%s/actions/deactivate' % UUID,
                 '/v2/images/{image_id}/actions/deactivate'),
                ('/v2/stores/fast/%s' % UUID, '/v2/stores/{store}/{image_id}'),
                ('/v2/metadefs/namespaces/OS::Compute/objects/x',
                 '/v2/metadefs/namespaces/{namespace}/objects/{object}'),
                ('/v2/schemas/image', '/v2/schemas/image'),
                ('/v1/images/%s' % UUID, '/v1/images/{image_id}'),
                ('/wp-admin/setup.php', 'other'),
                ('/v2/' + '/'.join(['x'] * 20), 'other')):
            self.assertEqual(route, metrics.route_template(path), path)


class DashboardTest(testtools.TestCase):

    def test_dashboard_uses_only_served_metrics(self):
        with open(os.path.join(REPO, 'etc',
                               'grafana-glance-dashboard.json')) as f:
            dashboard = json.load(f)
        with open(metrics.__file__) as f:
            source = f.read()
        served = set(re.findall(r"'(glance_[a-z_]+)'", source))
        for panel in dashboard['panels']:
            for target in panel['targets']:
                for name in re.findall(r'glance_[a-z_]+', target['expr']):
                    base = re.sub(r'_(total|bucket|count|sum)$', '', name)
                    self.assertTrue(name in served or base in served,
                                    (panel['title'], name))
