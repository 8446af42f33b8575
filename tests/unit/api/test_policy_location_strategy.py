"""location_strategy: location_order and store_type."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from glance_api import location_strategy

LOCATIONS = [{'url': 'http://example.com/a'},
             {'url': 'file:///var/lib/glance/images/a'},
             {'url': 'rbd://fsid/pool/a/snap'},
             {'url': 'file:///other/a'}]


class LocationStrategyTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        for group, opts in location_strategy.list_opts():
            self.conf.register_opts(opts, group=None if group == 'DEFAULT'
                                    else group)
        self.conf.conf([])

    def urls(self):
        return [loc['url'] for loc in location_strategy.order(
            LOCATIONS, self.conf.conf)]

    def test_location_order_keeps_the_image_order(self):
        self.assertEqual([loc['url'] for loc in LOCATIONS], self.urls())

    def test_store_type_puts_preferred_types_first_stably(self):
        self.conf.config(location_strategy='store_type')
        self.conf.config(store_type_preference=['rbd', 'filesystem'],
                         group='store_type_location_strategy')
        self.assertEqual(['rbd://fsid/pool/a/snap',
                          'file:///var/lib/glance/images/a',
                          'file:///other/a', 'http://example.com/a'],
                         self.urls())
