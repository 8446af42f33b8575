"""The one URL filter: [import_filtering_opts], internal addresses, odd host
spellings, and the addresses it hands back for the connection.

Literal addresses and their odd spellings go through the real resolver
(getaddrinfo needs no DNS for them); host names through a fixed table, the
resolver the filter is given in place of DNS.
"""

import os
import socket

import fixtures
from oslo_config import cfg
import testtools

from glance_api import url_filter
from glance_registry.common import exception

PUBLIC_V4 = '93.184.216.34'
PUBLIC_V6 = '2606:4700::1'


def make_filter(names=None, **options):
    """A URLFilter on a private config with ``options`` set in
    [import_filtering_opts]; host names in ``names`` (name -> addresses)
    resolve through that table, anything else through getaddrinfo."""
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    conf.register_opts(url_filter.OPTIONS, group=url_filter.GROUP)
    for name, value in options.items():
        conf.set_override(name, value, group=url_filter.GROUP)
    resolver = TableResolver(names or {})
    f = url_filter.URLFilter(conf, resolve=resolver)
    f.resolver = resolver
    return f


class TableResolver:
    """getaddrinfo for the names of a table, the real one for the rest;
    counts the lookups of each name."""

    def __init__(self, table):
        self.table = table
        self.lookups = []

    def __call__(self, host, port, type=0):
        self.lookups.append(host)
        answers = self.table.get(host)
        if answers is None:
            return socket.getaddrinfo(host, port, type=type)
        if isinstance(answers, Exception):
            raise answers
        if callable(answers):
            answers = answers()
        return [(socket.AF_INET6 if ':' in a else socket.AF_INET,
                 socket.SOCK_STREAM, 6, '', (a, port)) for a in answers]


class FilterTestCase(testtools.TestCase):

    def assertRefused(self, f, url):
        error = self.assertRaises(exception.URLRefused, f.check, url)
        self.assertEqual(400, error.http_status)
        self.assertIn('refused by policy', str(error))
        return error

    def assertAllowed(self, f, url, addresses=None):
        result = f.check(url)
        if addresses is not None:
            self.assertEqual(addresses, result)
        return result


class TestDefaults(FilterTestCase):

    def test_public_http_and_https_on_default_ports_pass(self):
        f = make_filter()
        for url in ('http://%s/x.img' % PUBLIC_V4,
                    'https://%s/x.img' % PUBLIC_V4,
                    'http://%s:80/x.img' % PUBLIC_V4,
                    'https://%s:443/x.img' % PUBLIC_V4):
            self.assertAllowed(f, url, [PUBLIC_V4])
        self.assertAllowed(f, 'https://[%s]/x.img' % PUBLIC_V6, [PUBLIC_V6])

    def test_other_ports_and_schemes_are_refused(self):
        f = make_filter()
        for url in ('http://%s:8080/x' % PUBLIC_V4,
                    'http://%s:22/x' % PUBLIC_V4,
                    'ftp://%s:80/x' % PUBLIC_V4,
                    'file:///etc/passwd',
                    'gopher://%s:80/x' % PUBLIC_V4):
            self.assertRefused(f, url)

    def test_malformed_urls_are_refused(self):
        f = make_filter()
        for url in ('', 'http://', 'http:///x', 'http://:80/x',
                    'http://%s:99999/x' % PUBLIC_V4,
                    'http://%s:port/x' % PUBLIC_V4,
                    'http://[::1/x', None, 42):
            self.assertRefused(f, url)

    def test_internal_addresses_are_refused(self):
        f = make_filter()
        for host in ('127.0.0.1', '127.9.9.9', 'localhost', '10.1.2.3',
                     '172.16.3.4', '192.168.0.1', '169.254.169.254',
                     '100.64.0.1', '0.0.0.0', '224.0.0.1',
                     '255.255.255.255', '240.0.0.1', '198.18.0.1'):
            self.assertRefused(f, 'http://%s/x' % host)

    def test_internal_ipv6_addresses_and_embedded_ipv4_are_refused(self):
        f = make_filter()
        for host in ('::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1',
                     'ff02::1', 'ff0e::1', 'fec0::1', '2001:db8::1',
                     '::ffff:127.0.0.1', '::ffff:10.0.0.1',
                     '::ffff:169.254.169.254', '::127.0.0.1',
                     '::ffff:0:127.0.0.1', '64:ff9b::a00:1',
                     '2002:7f00:1::', '2002:a00:1::',
                     # Teredo, client address 10.0.0.1 (bits inverted).
                     '2001:0:4136:e378:8000:63bf:f5ff:fffe'):
            self.assertRefused(f, 'http://[%s]/x' % host)

    def test_odd_spellings_of_loopback_are_refused(self):
        f = make_filter()
        for url in self.loopback_spellings():
            self.assertRefused(f, url)

    def test_odd_spellings_resolve_to_the_loopback_address(self):
        # Allowed explicitly, each spelling connects to 127.0.0.1: the
        # refusal above is for the address, not for the spelling.
        f = make_filter(allowed_hosts=['127.0.0.1'])
        for url in self.loopback_spellings():
            self.assertEqual('127.0.0.1',
                             url_filter.parse_address(f.check(url)[0])
                             .exploded, url)

    @staticmethod
    def loopback_spellings():
        return ('http://127.1/x', 'http://2130706433/x',
                'http://0x7f.1/x', 'http://0x7f000001/x',
                'http://0177.0.0.1/x', 'http://127.0.0.1./x',
                'http://[::ffff:127.0.0.1]/x', 'http://[::ffff:7f00:1]/x',
                'http://LOCALHOST/x', 'http://localhost./x',
                'http://good@127.0.0.1/x', 'http://good:pw@127.0.0.1/x',
                'http://example.com@127.0.0.1/x',
                'http://127.0.0.1#@example.com/x',
                'http://127.0.0.1?@example.com/x',
                'http://example.com\\@127.0.0.1/x')

    def test_a_name_that_does_not_resolve_is_refused(self):
        f = make_filter(names={'gone.example.com': socket.gaierror(
            socket.EAI_NONAME, 'Name or service not known')})
        error = self.assertRefused(f, 'http://gone.example.com/x')
        self.assertNotIn('resolve', str(error))
        self.assertNotIn('known', str(error))


class TestResolution(FilterTestCase):

    def test_a_name_with_one_public_and_one_private_address_is_refused(self):
        f = make_filter(names={'mixed.example.com': [PUBLIC_V4, '10.0.0.7']})
        self.assertRefused(f, 'http://mixed.example.com/x')
        f = make_filter(names={'mixed.example.com': ['10.0.0.7', PUBLIC_V4]})
        self.assertRefused(f, 'http://mixed.example.com/x')

    def test_a_name_with_public_addresses_gives_all_of_them(self):
        f = make_filter(names={'images.example.com': [PUBLIC_V4, PUBLIC_V6,
                                                      PUBLIC_V4]})
        self.assertAllowed(f, 'http://images.example.com/x',
                           [PUBLIC_V4, PUBLIC_V6])

    def test_the_addresses_handed_back_are_the_ones_checked(self):
        # A rebinding DNS server: public on the first lookup, loopback
        # after. The filter looks up once and hands back what it checked.
        answers = iter([[PUBLIC_V4], ['127.0.0.1'], ['127.0.0.1']])
        f = make_filter(names={'rebind.example.com': lambda: next(answers)})
        self.assertAllowed(f, 'http://rebind.example.com/x', [PUBLIC_V4])
        self.assertEqual(['rebind.example.com'], f.resolver.lookups)
        self.assertRefused(f, 'http://rebind.example.com/x')

    def test_trailing_dot_and_case_are_looked_up_once_as_the_name(self):
        f = make_filter(names={'images.example.com': [PUBLIC_V4]})
        self.assertAllowed(f, 'http://Images.Example.COM./x', [PUBLIC_V4])
        self.assertEqual(['images.example.com'], f.resolver.lookups)


class TestOptions(FilterTestCase):

    def test_allowed_schemes_wins_over_disallowed_schemes(self):
        f = make_filter(allowed_schemes=['https'],
                        disallowed_schemes=['https', 'http'])
        self.assertAllowed(f, 'https://%s/x' % PUBLIC_V4)
        self.assertRefused(f, 'http://%s/x' % PUBLIC_V4)

    def test_disallowed_schemes_applies_when_allowed_schemes_is_empty(self):
        f = make_filter(allowed_schemes=[], disallowed_schemes=['http'])
        self.assertRefused(f, 'http://%s/x' % PUBLIC_V4)
        self.assertRefused(f, 'HTTP://%s/x' % PUBLIC_V4)
        self.assertAllowed(f, 'https://%s/x' % PUBLIC_V4)

    def test_allowed_ports_wins_over_disallowed_ports(self):
        f = make_filter(allowed_ports=[8080], disallowed_ports=[8080, 80])
        self.assertAllowed(f, 'http://%s:8080/x' % PUBLIC_V4)
        self.assertRefused(f, 'http://%s/x' % PUBLIC_V4)
        self.assertRefused(f, 'http://%s:80/x' % PUBLIC_V4)

    def test_disallowed_ports_applies_when_allowed_ports_is_empty(self):
        f = make_filter(allowed_ports=[], disallowed_ports=[8080, 443])
        self.assertRefused(f, 'http://%s:8080/x' % PUBLIC_V4)
        self.assertRefused(f, 'https://%s/x' % PUBLIC_V4)
        self.assertAllowed(f, 'http://%s:8081/x' % PUBLIC_V4)
        self.assertAllowed(f, 'http://%s:22/x' % PUBLIC_V4)

    def test_allowed_hosts_admits_only_the_listed_hosts(self):
        f = make_filter(allowed_hosts=[PUBLIC_V4, 'images.example.com'],
                        names={'images.example.com': ['203.0.113.9'],
                               'other.example.com': [PUBLIC_V4],
                               'elsewhere.example.com': ['8.8.8.8']})
        self.assertAllowed(f, 'http://%s/x' % PUBLIC_V4)
        self.assertAllowed(f, 'http://images.example.com/x',
                           ['203.0.113.9'])
        # A name passes when every address it resolves to is listed.
        self.assertAllowed(f, 'http://other.example.com/x', [PUBLIC_V4])
        self.assertRefused(f, 'http://elsewhere.example.com/x')
        self.assertRefused(f, 'http://8.8.8.8/x')

    def test_allowed_hosts_wins_over_disallowed_hosts(self):
        f = make_filter(allowed_hosts=[PUBLIC_V4],
                        disallowed_hosts=[PUBLIC_V4, '8.8.8.8'])
        self.assertAllowed(f, 'http://%s/x' % PUBLIC_V4)
        self.assertRefused(f, 'http://8.8.8.8/x')

    def test_disallowed_hosts_by_name_and_by_address(self):
        f = make_filter(disallowed_hosts=['bad.example.com', '8.8.8.8'],
                        names={'bad.example.com': [PUBLIC_V4],
                               'alias.example.com': ['8.8.8.8'],
                               'good.example.com': [PUBLIC_V4]})
        for url in ('http://bad.example.com/x', 'http://BAD.example.com./x',
                    'http://alias.example.com/x', 'http://8.8.8.8/x',
                    'http://134744072/x', 'http://[::ffff:8.8.8.8]/x'):
            self.assertRefused(f, url)
        self.assertAllowed(f, 'http://good.example.com/x', [PUBLIC_V4])
        self.assertAllowed(f, 'http://%s/x' % PUBLIC_V4)

    def test_internal_address_passes_only_when_listed_in_allowed_hosts(self):
        f = make_filter(allowed_hosts=['10.0.0.7', 'mirror.internal'],
                        allowed_ports=[8000],
                        names={'mirror.internal': ['10.9.9.9'],
                               'rebound.example.com': ['10.0.0.7']})
        self.assertAllowed(f, 'http://10.0.0.7:8000/x', ['10.0.0.7'])
        self.assertAllowed(f, 'http://[::ffff:10.0.0.7]:8000/x')
        self.assertAllowed(f, 'http://mirror.internal:8000/x', ['10.9.9.9'])
        self.assertAllowed(f, 'http://rebound.example.com:8000/x',
                           ['10.0.0.7'])
        self.assertRefused(f, 'http://10.0.0.8:8000/x')
        self.assertRefused(f, 'http://127.0.0.1:8000/x')

    def test_listed_host_is_still_bound_by_scheme_and_port(self):
        f = make_filter(allowed_hosts=['127.0.0.1'])
        self.assertAllowed(f, 'http://127.0.0.1/x', ['127.0.0.1'])
        self.assertRefused(f, 'http://127.0.0.1:8080/x')
        self.assertRefused(f, 'ftp://127.0.0.1:80/x')

    def test_ipv6_hosts_in_the_lists(self):
        f = make_filter(allowed_hosts=['::1', PUBLIC_V6])
        self.assertAllowed(f, 'http://[::1]/x', ['::1'])
        self.assertAllowed(f, 'http://[2606:4700:0::1]/x')
        self.assertRefused(f, 'http://[2606:4700::2]/x')
        self.assertRefused(f, 'http://127.0.0.1/x')

    def test_option_values_are_read_from_config_as_upstream_writes_them(self):
        conf = cfg.ConfigOpts()
        conf.register_opts(url_filter.OPTIONS, group=url_filter.GROUP)
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'glance-api.conf')
        with open(path, 'w') as f:
            f.write('[import_filtering_opts]\n'
                    'allowed_hosts = [127.0.0.1, images.example.com]\n'
                    'allowed_ports = [8080]\n')
        conf(['--config-file', path], default_config_files=[])
        f = url_filter.URLFilter(conf)
        self.assertAllowed(f, 'http://127.0.0.1:8080/x', ['127.0.0.1'])
        self.assertRefused(f, 'http://127.0.0.1/x')
        self.assertEqual(['http', 'https'],
                         conf.import_filtering_opts.allowed_schemes)


class TestMessages(FilterTestCase):

    def test_message_names_the_url_without_credentials_or_reason(self):
        f = make_filter()
        error = self.assertRefused(f, 'http://alice:s3cret@10.0.0.1:22/x')
        self.assertEqual(
            'The URL http://***@10.0.0.1:22/x does not pass filtering '
            '(refused by policy)',
            str(error))

    def test_every_refusal_reads_the_same_but_for_the_url(self):
        f = make_filter(names={'gone.example.com': socket.gaierror(
            socket.EAI_NONAME, 'unknown')})
        texts = set()
        for url in ('http://127.0.0.1/x', 'http://127.0.0.1:1/x',
                    'http://%s:8080/x' % PUBLIC_V4, 'ftp://%s/x' % PUBLIC_V4,
                    'http://gone.example.com/x', 'http://[fe80::1]/x'):
            error = self.assertRefused(f, url)
            texts.add(str(error).replace(url, 'URL'))
        self.assertEqual({'The URL URL does not pass filtering (refused by '
                          'policy)'}, texts)

    def test_long_urls_are_cut_in_the_message(self):
        url = 'http://10.0.0.1/' + 'a' * 5000
        error = self.assertRefused(make_filter(), url)
        self.assertLess(len(str(error)), 300)
