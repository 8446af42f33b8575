"""The one filter for every URL glance-api fetches data from: http(s)
locations of both API versions, v1 copy-from and the import methods.

A URL passes when its scheme, host and port pass ``[import_filtering_opts]``
(an ``allowed_*`` list that is not empty wins over its ``disallowed_*``
twin, as upstream) and every address its host resolves to is public:
loopback, link-local, private, multicast, reserved and unspecified addresses,
also when embedded in an IPv6 address (IPv4-mapped, 6to4, Teredo), are
refused unless ``allowed_hosts`` names the host or the address.

The host is resolved once, here; the caller connects to the addresses
:meth:`URLFilter.check` returns, so DNS cannot answer differently between
the check and the connection. glance_store's http driver calls the filter
before every connection it opens, redirects included.
"""

import ipaddress
import socket
import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import exception
from glance_store import location as store_location

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

GROUP = 'import_filtering_opts'
# The port a URL without one connects to.
DEFAULT_PORTS = {'http': 80, 'https': 443}
# Refusals quote at most this much of the URL.
MAX_QUOTED_URL = 200

OPTIONS = [
    cfg.ListOpt('allowed_schemes',
                item_type=cfg.types.String(quotes=True),
                bounds=True,
                default=['http', 'https'],
                help='URL schemes glance-api may fetch from. When not '
                     'empty, only these pass and disallowed_schemes is '
                     'ignored. The options of this group apply to every '
                     'URL glance-api fetches data from: http(s) image '
                     'locations (Image API v1 and v2), v1 '
                     'x-glance-api-copy-from and the import methods.'),
    cfg.ListOpt('disallowed_schemes',
                item_type=cfg.types.String(quotes=True),
                bounds=True,
                default=[],
                help='URL schemes glance-api may not fetch from; used only '
                     'when allowed_schemes is empty.'),
    cfg.ListOpt('allowed_hosts',
                item_type=cfg.types.HostAddress(),
                bounds=True,
                default=[],
                help='Host names or IP addresses glance-api may fetch '
                     'from. When not empty, only these pass (a name also '
                     'passes when every address it resolves to is listed) '
                     'and disallowed_hosts is ignored. Loopback, '
                     'link-local, private, multicast, reserved and '
                     'unspecified addresses are refused unless listed '
                     'here.'),
    cfg.ListOpt('disallowed_hosts',
                item_type=cfg.types.HostAddress(),
                bounds=True,
                default=[],
                help='Host names or IP addresses glance-api may not fetch '
                     'from (a name is also refused when it resolves to a '
                     'listed address); used only when allowed_hosts is '
                     'empty.'),
    cfg.ListOpt('allowed_ports',
                item_type=cfg.types.Integer(min=1, max=65535),
                bounds=True,
                default=[80, 443],
                help='Ports glance-api may fetch from (a URL without a '
                     'port uses 80 for http, 443 for https). When not '
                     'empty, only these pass and disallowed_ports is '
                     'ignored.'),
    cfg.ListOpt('disallowed_ports',
                item_type=cfg.types.Integer(min=1, max=65535),
                bounds=True,
                default=[],
                help='Ports glance-api may not fetch from; used only when '
                     'allowed_ports is empty.'),
]


def list_opts():
    return [(GROUP, OPTIONS)]


def is_public(address):
    """Whether ``address`` (an ipaddress object) is a global unicast
    address, also for the IPv4 address an IPv6 one may carry."""
    if (not address.is_global or address.is_private or address.is_reserved
            or address.is_multicast or address.is_loopback
            or address.is_link_local or address.is_unspecified):
        return False
    if address.version == 6:
        if address.is_site_local:
            return False
        embedded = [address.ipv4_mapped, address.sixtofour]
        embedded.extend(address.teredo or ())
        return all(is_public(inner) for inner in embedded
                   if inner is not None)
    return True


def parse_address(text):
    """The ipaddress object of ``text`` (an IPv6 zone and brackets
    dropped, an IPv4-mapped IPv6 address as its IPv4 address), or None
    when ``text`` is not an IP address."""
    try:
        address = ipaddress.ip_address(text.strip('[]').split('%', 1)[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class HostList:
    """An ``allowed_hosts``/``disallowed_hosts`` list: names (compared
    without case and trailing dot) and addresses (compared as addresses,
    so ``::ffff:10.0.0.1`` matches ``10.0.0.1``)."""

    def __init__(self, entries):
        self.names = set()
        self.addresses = set()
        for entry in entries:
            address = parse_address(entry)
            if address is None:
                self.names.add(normal_name(entry))
            else:
                self.addresses.add(address)

    def __bool__(self):
        return bool(self.names or self.addresses)

    def has_name(self, name):
        address = parse_address(name)
        if address is not None:
            return address in self.addresses
        return normal_name(name) in self.names

    def has_address(self, address):
        return parse_address(str(address)) in self.addresses


def normal_name(name):
    return name.lower().rstrip('.')


class URLFilter:
    """Decides whether glance-api may fetch from a URL, and where to
    connect for it. Reads ``[import_filtering_opts]`` once."""

    def __init__(self, conf=CONF, resolve=socket.getaddrinfo):
        conf.register_opts(OPTIONS, group=GROUP)
        options = conf[GROUP]
        self.allowed_schemes = {s.lower() for s in options.allowed_schemes}
        self.disallowed_schemes = {s.lower()
                                   for s in options.disallowed_schemes}
        self.allowed_hosts = HostList(options.allowed_hosts)
        self.disallowed_hosts = HostList(options.disallowed_hosts)
        self.allowed_ports = set(options.allowed_ports)
        self.disallowed_ports = set(options.disallowed_ports)
        self.resolve = resolve

    def __call__(self, url):
        return self.check(url)

    def check(self, url):
        """The addresses (strings, each checked) to connect to for ``url``;
        URLRefused when glance-api may not fetch from it."""
        scheme, host, port = self.split(url)
        self.check_scheme(url, scheme)
        self.check_port(url, port)
        host_listed = self.check_host_name(url, host)
        addresses = self.resolve_host(url, host, port)
        for address in addresses:
            self.check_address(url, host, host_listed, address)
        return addresses

    # -- the steps -------------------------------------------------------

    def split(self, url):
        """(scheme, host, port) as the http driver will connect; a URL it
        could not connect to is refused here."""
        if not isinstance(url, str):
            raise refuse(url, 'not a string')
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise refuse(url, str(e))
        scheme = parts.scheme.lower()
        host = parts.hostname or ''
        if not normal_name(host):
            raise refuse(url, 'no host')
        if port is None:
            port = DEFAULT_PORTS.get(scheme)
            if port is None:
                raise refuse(url, 'no port and no default port for %r'
                             % scheme)
        return scheme, host, port

    def check_scheme(self, url, scheme):
        if self.allowed_schemes:
            if scheme not in self.allowed_schemes:
                raise refuse(url, 'scheme %r not in allowed_schemes'
                             % scheme)
        elif scheme in self.disallowed_schemes:
            raise refuse(url, 'scheme %r in disallowed_schemes' % scheme)

    def check_port(self, url, port):
        if self.allowed_ports:
            if port not in self.allowed_ports:
                raise refuse(url, 'port %d not in allowed_ports' % port)
        elif port in self.disallowed_ports:
            raise refuse(url, 'port %d in disallowed_ports' % port)

    def check_host_name(self, url, host):
        """Whether allowed_hosts names ``host``; refuses a host that
        disallowed_hosts names (when allowed_hosts is empty)."""
        if self.allowed_hosts:
            return self.allowed_hosts.has_name(host)
        if self.disallowed_hosts.has_name(host):
            raise refuse(url, 'host %r in disallowed_hosts' % host)
        return False

    def resolve_host(self, url, host, port):
        """Every address ``host`` resolves to, in the resolver's order,
        without repeats. A host that does not resolve is refused: what
        cannot be checked is not fetched (and the answer does not tell
        which internal names exist)."""
        try:
            infos = self.resolve(normal_name(host), port,
                                 type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as e:
            raise refuse(url, 'cannot resolve %r: %s' % (host, e))
        addresses = []
        for info in infos:
            address = str(info[4][0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise refuse(url, '%r resolves to no address' % host)
        return addresses

    def check_address(self, url, host, host_listed, address):
        ip = parse_address(address)
        if ip is None:
            raise refuse(url, '%r resolved to %r, not an IP address'
                         % (host, address))
        ip_listed = self.allowed_hosts.has_address(ip)
        if self.allowed_hosts:
            if not (host_listed or ip_listed):
                raise refuse(url, '%r (%s) not in allowed_hosts'
                             % (host, address))
        elif self.disallowed_hosts.has_address(ip):
            raise refuse(url, '%r resolves to %s, in disallowed_hosts'
                         % (host, address))
        if not (host_listed or ip_listed or is_public(ip)):
            raise refuse(url, '%r resolves to %s, not a public address and '
                              'not in allowed_hosts' % (host, address))


def quoted(url):
    """``url`` as error messages and logs show it: no credentials, at most
    MAX_QUOTED_URL characters."""
    shown = store_location.redact(url) if isinstance(url, str) else repr(url)
    if len(shown) > MAX_QUOTED_URL:
        shown = shown[:MAX_QUOTED_URL] + '...'
    return shown


def refuse(url, reason):
    """The URLRefused error for ``url``; the reason goes to the log only."""
    LOG.info('Refused to fetch from %s: %s', quoted(url), reason)
    return exception.URLRefused(url=quoted(url))


def unreadable(url, error):
    """The LocationUnreadable error for ``url`` that ``error`` (a store
    error) kept from being read. The caller gets one message whatever
    happened, so that it cannot tell a closed port from an open one; the
    cause goes to the log."""
    LOG.info('Cannot read the data at %s: %s', quoted(url), error)
    return exception.LocationUnreadable(url=quoted(url))
