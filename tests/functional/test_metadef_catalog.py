"""The shipped metadata definitions catalog (etc/metadefs) loaded into a
real registry on SQLite, as Nova, Cinder and Horizon then read it over
/v2/metadefs, and ``tools/lab start`` loading it once."""

import json
import os
import shutil
import subprocess
import sys

import testtools

from tests.functional import base
from tests.functional import daemons

CATALOG = os.path.join(daemons.ETC, 'metadefs')
NS = '/v2/metadefs/namespaces'
DISK_BUSES = ['scsi', 'virtio', 'uml', 'xen', 'ide', 'usb', 'fdc', 'sata',
              'lxc']


def shipped_namespaces():
    """The namespace name of every catalog file."""
    names = []
    for name in sorted(os.listdir(CATALOG)):
        with open(os.path.join(CATALOG, name)) as f:
            names.append(json.load(f)['namespace'])
    return names


def load_catalog(conf_path):
    """``glance-manage db_load_metadefs`` of the shipped catalog."""
    return subprocess.run(
        [os.path.join(daemons.BIN, 'glance-manage'), '--config-file',
         conf_path, 'db_load_metadefs', CATALOG],
        capture_output=True, text=True, check=True, timeout=300).stdout


class ShippedCatalogTests(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_load = load_catalog(cls.registry.conf_path)

    def get(self, path):
        status, _, body = self.request_json('GET', path)
        self.assertEqual(200, status, body)
        return body

    def test_every_file_loads_as_one_namespace(self):
        files = shipped_namespaces()
        self.assertEqual(len(os.listdir(CATALOG)), len(files))
        self.assertEqual(len(files), self.first_load.count('loaded '))
        listed = self.get(NS + '?limit=1000')['namespaces']
        self.assertEqual(sorted(files), sorted(n['namespace']
                                               for n in listed))

    def test_catalog_covers_the_namespace_families_upstream_ships(self):
        names = shipped_namespaces()
        for family in ('OS::Compute::', 'OS::Software::', 'OS::Glance:',
                       'OS::Cinder::', 'CIM::'):
            self.assertTrue([n for n in names if n.startswith(family)],
                            family)
        self.assertIn('OS::OperatingSystem', names)
        self.assertGreaterEqual(len(names), 30)

    def test_resource_types_nova_and_cinder_look_for_exist(self):
        types = {r['name'] for r in
                 self.get('/v2/metadefs/resource_types')['resource_types']}
        for name in ('OS::Glance::Image', 'OS::Cinder::Volume',
                     'OS::Nova::Flavor', 'OS::Nova::Server',
                     'OS::Nova::Aggregate'):
            self.assertIn(name, types)

    def test_namespaces_filtered_by_resource_type_answer_nova_aggregates(self):
        listed = self.get(NS + '?limit=1000&resource_types='
                          'OS::Nova::Aggregate')['namespaces']
        names = {n['namespace'] for n in listed}
        self.assertIn('OS::Compute::AggregateDiskFilter', names)
        self.assertIn('OS::Compute::HostCapabilities', names)
        self.assertNotIn('OS::Compute::LibvirtImage', names)

    def test_disk_bus_is_a_string_with_libvirt_buses(self):
        hw_disk_bus = self.get(NS + '/OS::Compute::LibvirtImage/properties/'
                               'hw_disk_bus')
        self.assertEqual('string', hw_disk_bus['type'])
        self.assertEqual(DISK_BUSES, hw_disk_bus['enum'])

    def test_cpu_policy_is_served_with_the_prefix_of_each_resource_type(self):
        image = self.get(NS + '/OS::Compute::CPUPinning'
                         '?resource_type=OS::Glance::Image')['properties']
        self.assertEqual({'type': 'string', 'enum': ['shared', 'dedicated']},
                         {k: image['hw_cpu_policy'][k]
                          for k in ('type', 'enum')})
        self.assertEqual(['isolate', 'prefer', 'require'],
                         image['hw_cpu_thread_policy']['enum'])
        flavor = self.get(NS + '/OS::Compute::CPUPinning'
                          '?resource_type=OS::Nova::Flavor')['properties']
        self.assertEqual(['hw:cpu_policy', 'hw:cpu_thread_policy'],
                         sorted(flavor))

    def test_os_distro_and_watchdog_action_have_their_types(self):
        os_distro = self.get(NS + '/OS::OperatingSystem/properties/os_distro')
        self.assertEqual('string', os_distro['type'])
        self.assertNotIn('enum', os_distro)
        watchdog = self.get(NS + '/OS::Compute::Watchdog/properties/'
                            'hw_watchdog_action')
        self.assertEqual('string', watchdog['type'])
        self.assertEqual(['disabled', 'reset', 'poweroff', 'pause', 'none'],
                         watchdog['enum'])

    def test_limits_defaults_and_array_items_survive_the_load(self):
        iops = self.get(NS + '/OS::Compute::AggregateIoOpsFilter/properties/'
                        'max_io_ops_per_host')
        self.assertEqual(('integer', 8, 1), (iops['type'], iops['default'],
                                             iops['minimum']))
        features = self.get(NS + '/OS::Compute::HostCapabilities/properties/'
                            'cpu_info:features')
        self.assertEqual('array', features['type'])
        self.assertEqual(['<or>', '<all-in>'], features['operators'])
        self.assertIn('avx2', features['items']['enum'])
        kernel_id = self.get(NS + '/OS::Glance:CommonImageProperties/'
                             'properties/kernel_id')
        self.assertTrue(kernel_id['pattern'].startswith('^([0-9a-fA-F]){8}-'))

    def test_objects_are_served_with_their_properties(self):
        objects = self.get(NS + '/OS::Software::DBMS/objects')['objects']
        by_name = {o['name']: o for o in objects}
        self.assertIn('PostgreSQL', by_name)
        port = by_name['PostgreSQL']['properties'][
            'sw_database_postgresql_listen_port']
        self.assertEqual(('integer', 5432, 1, 65535),
                         (port['type'], port['default'], port['minimum'],
                          port['maximum']))
        quota = self.get(NS + '/OS::Compute::Quota/objects/Disk%20QoS')
        self.assertEqual('integer', quota['properties'][
            'quota:disk_read_bytes_sec']['type'])

    def test_shipped_namespaces_are_public_to_a_plain_member(self):
        listed = self.request_json('GET', NS + '?limit=1000', headers={
            'X-Project-Id': 'project-1', 'X-Roles': 'member'})[2]
        self.assertEqual(len(shipped_namespaces()),
                         len(listed['namespaces']))

    def test_loading_again_skips_every_namespace_and_adds_nothing(self):
        before = self.get(NS + '/OS::Compute::LibvirtImage')
        out = load_catalog(self.registry.conf_path)
        self.assertEqual(0, out.count('loaded '))
        self.assertEqual(len(shipped_namespaces()), out.count('skipped '))
        listed = self.get(NS + '?limit=1000')['namespaces']
        self.assertEqual(len(shipped_namespaces()), len(listed))
        after = self.get(NS + '/OS::Compute::LibvirtImage')
        self.assertEqual(before['properties'], after['properties'])
        self.assertEqual(before['resource_type_associations'],
                         after['resource_type_associations'])


class LabTests(testtools.TestCase):
    """``tools/lab`` in a temporary folder on free ports."""

    def lab(self, command, env):
        result = subprocess.run(
            [sys.executable, os.path.join(daemons.REPO, 'tools', 'lab.py'),
             command], env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        return result.stdout

    def test_start_loads_the_catalog_and_a_restart_loads_nothing_twice(self):
        root = daemons.temp_root()
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        api_port = daemons.free_port()
        env = dict(os.environ, GLANCE_LAB=root,
                   GLANCE_LAB_BIN=daemons.BIN,
                   GLANCE_LAB_API_PORT=str(api_port),
                   GLANCE_LAB_REGISTRY_PORT=str(daemons.free_port()))
        count = len(shipped_namespaces())
        self.addCleanup(self.lab, 'stop', env)
        out = self.lab('start', env)
        self.assertIn('metadefs: %d namespaces loaded, 0 already there'
                      % count, out)
        self.assertEqual(
            sorted(os.listdir(CATALOG)),
            sorted(os.listdir(os.path.join(root, 'etc', 'glance',
                                           'metadefs'))))

        out = self.lab('restart', env)
        self.assertIn('metadefs: 0 namespaces loaded, %d already there'
                      % count, out)
        status, _, body = daemons.http(
            'GET', 'http://127.0.0.1:%d%s?limit=1000' % (api_port, NS))
        self.assertEqual(200, status, body)
        self.assertEqual(sorted(shipped_namespaces()), sorted(
            n['namespace'] for n in json.loads(body)['namespaces']))
