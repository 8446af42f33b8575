"""Parsing of image location URIs (``file:///path``, ``http://host/path``)."""

import collections
import os
import urllib.parse

from glance_store import exceptions


class Location(collections.namedtuple(
        'Location', 'uri scheme netloc path query username password')):
    """A parsed location URI.

    ``path`` is percent-decoded; ``safe_uri`` is the URI without credentials,
    the form to use in messages and logs.
    """

    __slots__ = ()

    @property
    def safe_uri(self):
        return redact(self.uri)


def parse(uri):
    """Split ``uri`` into a :class:`Location`; raise BadStoreUri or
    UnknownScheme when it is not a URI glance_store can use at all."""
    if not isinstance(uri, str) or not uri:
        raise exceptions.BadStoreUri(uri=repr(uri), reason='empty location')
    if '\x00' in uri:
        raise exceptions.BadStoreUri(uri=redact(uri),
                                     reason='NUL byte in location')
    try:
        parts = urllib.parse.urlsplit(uri)
    except ValueError as e:
        raise exceptions.BadStoreUri(uri=redact(uri), reason=str(e))
    if not parts.scheme:
        raise exceptions.UnknownScheme(scheme='')
    try:
        username, password = parts.username, parts.password
    except ValueError as e:
        raise exceptions.BadStoreUri(uri=redact(uri), reason=str(e))
    path = urllib.parse.unquote(parts.path)
    if '\x00' in path:
        raise exceptions.BadStoreUri(uri=redact(uri),
                                     reason='NUL byte in location')
    return Location(uri=uri, scheme=parts.scheme.lower(),
                    netloc=parts.netloc, path=path, query=parts.query,
                    username=username and urllib.parse.unquote(username),
                    password=password and urllib.parse.unquote(password))


def file_path(location):
    """Absolute filesystem path named by a ``file://`` location.

    Only an empty host or ``localhost`` is accepted; the path must be
    absolute. Whether the path lies inside a data directory is the file
    driver's decision, not this parser's.
    """
    if location.netloc not in ('', 'localhost'):
        raise exceptions.BadStoreUri(
            uri=location.safe_uri,
            reason='a file location names no host (use file:///path)')
    if not location.path.startswith('/'):
        raise exceptions.BadStoreUri(uri=location.safe_uri,
                                     reason='path is not absolute')
    return location.path


def file_uri(path):
    """The ``file://`` location for an absolute path."""
    return 'file://' + urllib.parse.quote(os.path.abspath(path))


def redact(uri):
    """``uri`` with any ``user:password@`` part replaced by ``***@``."""
    if not isinstance(uri, str):
        return repr(uri)
    try:
        parts = urllib.parse.urlsplit(uri)
    except ValueError:
        return uri.split('@', 1)[-1] if '@' in uri else uri
    if '@' not in parts.netloc:
        return uri
    host = parts.netloc.rsplit('@', 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc='***@' + host))
