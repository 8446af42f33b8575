"""Metadata definitions through the real clients: python-glanceclient's
``glance md-*`` commands, ``openstack image metadef ...``, and the catalog
commands of ``glance-manage`` against real daemons."""

import json
import os
import shutil
import sys

from glance_api.v2.metadefs import schemas
from tests.functional import base
from tests.functional import daemons

BIN = os.path.dirname(sys.executable)
CATALOG = os.path.join(daemons.ETC, 'metadefs')
# Every namespace upstream ships, under upstream's names (the single colon
# of OS::Glance:CommonImageProperties included).
NAMESPACES = (
    'CIM::ProcessorAllocationSettingData',
    'CIM::ResourceAllocationSettingData',
    'CIM::StorageAllocationSettingData', 'CIM::VirtualSystemSettingData',
    'OS::Cinder::Volumetype', 'OS::Compute::AggregateDiskFilter',
    'OS::Compute::AggregateIoOpsFilter',
    'OS::Compute::AggregateNumInstancesFilter', 'OS::Compute::CPUMode',
    'OS::Compute::CPUPinning', 'OS::Compute::GuestMemoryBacking',
    'OS::Compute::GuestShutdownBehavior', 'OS::Compute::HostCapabilities',
    'OS::Compute::Hypervisor', 'OS::Compute::InstanceData',
    'OS::Compute::Libvirt', 'OS::Compute::LibvirtImage',
    'OS::Compute::Quota', 'OS::Compute::RandomNumberGenerator',
    'OS::Compute::TPM', 'OS::Compute::Trust', 'OS::Compute::VMware',
    'OS::Compute::VMwareFlavor', 'OS::Compute::VMwareQuotaFlavor',
    'OS::Compute::VTPM', 'OS::Compute::VirtCPUTopology',
    'OS::Compute::Watchdog', 'OS::Compute::XenAPI', 'OS::Glance::Signatures',
    'OS::Glance:CommonImageProperties', 'OS::OperatingSystem',
    'OS::Software::DBMS', 'OS::Software::Runtimes',
    'OS::Software::WebServers')


class CLITestCase(base.ServerTestCase):

    def glance(self, *args, expect=0):
        return self.run_cli([os.path.join(BIN, 'glance'), '--os-image-url',
                             self.api.url, '--os-auth-token', 'x'] +
                            list(args), expect).stdout

    def openstack(self, *args):
        return json.loads(self.run_cli(
            [os.path.join(BIN, 'openstack'), '--os-auth-type', 'none',
             '--os-endpoint', self.api.url] + list(args) + ['-f', 'json'])
            .stdout)

    def manage(self, *args, expect=0):
        return self.run_cli([os.path.join(BIN, 'glance-manage'),
                             '--config-file', self.registry.conf_path] +
                            list(args), expect).stdout

    def api_json(self, path):
        status, _, body = self.request_json('GET', path)
        self.assertEqual(200, status, body)
        return body


class GlanceClientTests(CLITestCase):

    def test_md_commands_create_show_associate_delete(self):
        ns = 'OS::Cli::Test'
        self.glance('md-namespace-create', ns, '--display-name', 'CLI',
                    '--visibility', 'public', '--description', 'From CLI')
        self.assertIn(ns, self.glance('md-namespace-list'))
        self.glance('md-object-create', ns, '--name', 'Limits', '--schema',
                    json.dumps({'description': 'Limits', 'properties': {
                        'cpu': {'title': 'CPU', 'type': 'integer',
                                'minimum': 1}}}))
        self.glance('md-property-create', ns, '--name', 'disk_bus',
                    '--title', 'Disk Bus', '--type', 'string', '--schema',
                    json.dumps({'type': 'string', 'title': 'Disk Bus',
                                'enum': ['virtio', 'scsi']}))
        self.glance('md-tag-create-multiple', ns, '--names', 'fast,old',
                    '--delim', ',')
        # Without --append the list replaces the tags. (glanceclient 4.x
        # fails on its own --append: it sends the header value as a bool;
        # appending is tested over HTTP in test_metadefs.)
        self.glance('md-tag-create-multiple', ns, '--names', 'fast|ssd',
                    '--delim', '|')
        self.glance('md-resource-type-associate', ns, '--name',
                    'OS::Glance::Image', '--prefix', 'hw_')
        shown = self.glance('md-namespace-show', ns, '--resource-type',
                            'OS::Glance::Image')
        self.assertIn('From CLI', shown)
        self.assertIn('OS::Glance::Image', shown)

        body = self.api_json(
            '/v2/metadefs/namespaces/%s?resource_type=OS::Glance::Image'
            % ns)
        disk_bus = body['properties']['hw_disk_bus']
        # glanceclient fills in the schema's defaults (uniqueItems).
        self.assertEqual({'type': 'string', 'title': 'Disk Bus',
                          'enum': ['virtio', 'scsi']},
                         {k: disk_bus[k] for k in ('type', 'title', 'enum')})
        self.assertEqual(['Limits'], [o['name'] for o in body['objects']])
        self.assertEqual(['fast', 'ssd'], [t['name'] for t in body['tags']])
        self.assertEqual('hw_', body['resource_type_associations'][0][
            'prefix'])

        listed = self.openstack('image', 'metadef', 'namespace', 'list')
        self.assertIn(ns, [n['namespace'] for n in listed])

        self.glance('md-namespace-delete', ns)
        self.assertNotIn(ns, self.glance('md-namespace-list'))
        status, _, _ = self.request('GET', '/v2/metadefs/namespaces/' + ns)
        self.assertEqual(404, status)


class CatalogTests(CLITestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(self.manage, 'db_unload_metadefs')

    def test_catalog_files_are_valid_namespace_documents(self):
        schema = schemas.namespace_schema()
        names = []
        for name in sorted(os.listdir(CATALOG)):
            with open(os.path.join(CATALOG, name)) as f:
                document = json.load(f)
            schemas.validate(schema, document)
            names.append(document['namespace'])
        self.assertEqual(sorted(NAMESPACES), sorted(names))

    def test_load_export_unload_round_trip_gives_the_same_files(self):
        out = self.manage('db_load_metadefs', CATALOG)
        self.assertEqual(len(NAMESPACES), out.count('loaded '))
        listed = self.api_json('/v2/metadefs/namespaces?limit=100')
        self.assertEqual(sorted(NAMESPACES), sorted(
            n['namespace'] for n in listed['namespaces']))
        # Upstream leaves three namespaces unprotected.
        self.assertEqual(
            ['OS::Compute::AggregateNumInstancesFilter',
             'OS::Compute::CPUMode', 'OS::Glance::Signatures'],
            sorted(n['namespace'] for n in listed['namespaces']
                   if not n['protected']))

        exported = os.path.join(self.root, 'exported')
        self.manage('db_export_metadefs', exported)
        self.assertEqual(sorted(os.listdir(CATALOG)),
                         sorted(os.listdir(exported)))
        for name in os.listdir(CATALOG):
            with open(os.path.join(CATALOG, name)) as f:
                original = f.read()
            with open(os.path.join(exported, name)) as f:
                self.assertEqual(original, f.read(), name)

        self.manage('db_unload_metadefs')
        listed = self.api_json('/v2/metadefs/namespaces')
        self.assertEqual([], listed['namespaces'])
        self.assertEqual(
            [], self.api_json('/v2/metadefs/resource_types')[
                'resource_types'])

    def test_loaded_catalog_shows_nova_names_with_prefixes(self):
        self.manage('db_load_metadefs', CATALOG)
        flavor = self.api_json('/v2/metadefs/namespaces/'
                               'OS::Compute::CPUPinning'
                               '?resource_type=OS::Nova::Flavor')
        self.assertEqual(['hw:cpu_policy', 'hw:cpu_thread_policy'],
                         sorted(flavor['properties']))
        image = self.api_json('/v2/metadefs/namespaces/'
                              'OS::Compute::Watchdog'
                              '?resource_type=OS::Glance::Image')
        self.assertEqual(['hw_watchdog_action'], list(image['properties']))
        status, _, _ = self.request(
            'DELETE', '/v2/metadefs/namespaces/OS::Compute::Watchdog')
        self.assertEqual(403, status)

    def test_load_skips_existing_unless_merge_and_prefer_new(self):
        source = os.path.join(self.root, 'merge-source')
        os.makedirs(source)
        document = {'namespace': 'OS::Test::Merge', 'visibility': 'public',
                    'protected': False, 'description': 'first',
                    'properties': {'a': {'title': 'A', 'type': 'string'}}}
        path = os.path.join(source, 'test-merge.json')

        def write(doc):
            with open(path, 'w') as f:
                json.dump(doc, f)

        write(document)
        self.manage('db_load_metadefs', source)
        document['description'] = 'second'
        document['properties'] = {'a': {'title': 'A2', 'type': 'string'},
                                  'b': {'title': 'B', 'type': 'integer'}}
        write(document)
        out = self.manage('db_load_metadefs', source)
        self.assertIn('skipped OS::Test::Merge', out)
        ns = '/v2/metadefs/namespaces/OS::Test::Merge'
        self.assertEqual(['a'], list(self.api_json(ns)['properties']))

        self.manage('db_load_metadefs', source, '--merge')
        shown = self.api_json(ns)
        self.assertEqual('first', shown['description'])
        self.assertEqual('A', shown['properties']['a']['title'])
        self.assertEqual(['a', 'b'], sorted(shown['properties']))

        self.manage('db_load_metadefs', source, '--merge', '--prefer_new')
        shown = self.api_json(ns)
        self.assertEqual('second', shown['description'])
        self.assertEqual('A2', shown['properties']['a']['title'])

        document['properties'] = {'c': {'title': 'C', 'type': 'string'}}
        write(document)
        self.manage('db_load_metadefs', source, '--merge', '--overwrite')
        self.assertEqual(['c'], list(self.api_json(ns)['properties']))

        self.manage('db_load_metadefs', source, '--prefer_new', expect=1)

    def test_default_path_is_metadefs_beside_the_config_file(self):
        beside = os.path.join(os.path.dirname(self.registry.conf_path),
                              'metadefs')
        shutil.copytree(CATALOG, beside)
        self.addCleanup(shutil.rmtree, beside)
        out = self.manage('db_load_metadefs')
        self.assertEqual(len(NAMESPACES), out.count('loaded '))
        shutil.rmtree(beside)
        self.manage('db_export_metadefs')
        self.assertEqual(sorted(os.listdir(CATALOG)),
                         sorted(os.listdir(beside)))
