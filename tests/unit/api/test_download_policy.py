"""Download always enforces the download_image policy, however the
Downloader is built."""

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from glance_api import download
from glance_api import policy
from glance_registry.common import exception
from tests.unit.api import test_policy


class _Registry:
    """Answers image_get with one active image (the registry's shape)."""

    def __init__(self, image):
        self.image = image

    def image_get(self, context, image_id):
        return dict(self.image)


class _Stores:
    """Counts reads: a refused download must never open the data."""

    def __init__(self):
        self.reads = []

    def get(self, url, **kwargs):
        self.reads.append(url)
        return iter([b'data']), 4


class TestDownloadPolicy(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # The process configuration, as a Downloader built without conf
        # reads it, is this test's own.
        self.conf = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.conf.conf([], project='glance')
        self.useFixture(fixtures.MonkeyPatch('glance_api.download.CONF',
                                             self.conf.conf))
        policy.Enforcer(self.conf.conf)  # registers [oslo_policy]
        test_policy.write_policy(self, self.conf, '"download_image": "!"\n')
        self.image = {'id': 'i1', 'status': 'active', 'owner': 'p1',
                      'size': 4, 'visibility': 'public',
                      'locations': [{'url': 'file:///x', 'metadata': {},
                                     'status': 'active'}]}
        self.stores = _Stores()

    def test_downloader_built_without_conf_enforces_the_policy(self):
        downloader = download.Downloader(_Registry(self.image), self.stores)
        for context in (test_policy.make_context(),
                        test_policy.make_context(roles=['admin'],
                                                 is_admin=True)):
            e = self.assertRaises(exception.Forbidden, downloader.download,
                                  context, 'i1')
            self.assertIn('download_image', str(e))
        self.assertEqual([], self.stores.reads)
