"""Hostile values and the hypothesis strategies built from them.

Values never contain the words the response checks look for (Traceback,
sqlite, ...), so a server that echoes input back is not taken for one that
leaks.
"""

import json
import urllib.parse
import uuid

from hypothesis import strategies as st

MiB = 1024 * 1024
HUGE = 'x' * MiB
LONG = 'y' * 70000

# Strings a JSON body or a query parameter may carry.
STRINGS = [
    '', ' ', '\x00', 'a\x00b', '\ud800', 'a\udfffb', '..', '../../etc/passwd',
    '%', '%ff', '%c0%80', '%00', '\u202e\u0645', '\u2603', '\uffff',
    'x' * 256, LONG, HUGE, '"', "'", '\\', '<b>', '{}', '[]', 'null', 'in:',
    'in:"', 'in:a,"b', 'gt:', 'neq:2020-01-01T00:00:00Z', 'gt:junk', '-1',
    '0', str(2 ** 31), str(2 ** 63 - 1), str(2 ** 63), str(2 ** 64),
    str(-2 ** 63 - 1), '1' * 400, '1e400', 'NaN', '-Infinity', '1.5', 'true',
    'none', '\n', '\r\n', '\t', '*', 'a:b:c', 'asc', 'desc', 'name:sideways',
    'a/b', '/', 'OS::Glance::Image',
]
# Numbers as text, for query parameters and headers that take one.
NUMERIC = ['-1', '0', '1', str(2 ** 31), str(2 ** 63 - 1), str(2 ** 63),
           str(2 ** 64), str(-2 ** 63 - 1), '1' * 400, '1e400', '1.5', 'NaN',
           '0x10', ' 7', '+5', '\u0661']
# Times for created_at/updated_at/changes-since: valid ISO 8601 whose UTC
# time leaves datetime's range, impossible dates, bad operators.
TIMES = ['gt:9999-12-31T23:59:59-23:00', '9999-12-31T23:59:59-23:00',
         'lt:0001-01-01T00:00:00+23:59', 'eq:2020-02-30T00:00:00Z',
         'gte:2020-01-01T00:00:00.9999999Z', 'gt:', 'neq:junk',
         '2020-01-01T00:00:00+99:00', 'gt:2020-01-01T00:00:00Z:extra']
TIME_PARAMETERS = ('created_at', 'updated_at', 'changes-since')
# Percent escapes that do not decode as UTF-8.
BAD_ESCAPES = ['%ff', '%00', '%c0%80', '%ed%a0%80', '%', 'x%00y']
NUMBERS = [0, -1, 1, 2 ** 31, 2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63 - 1,
           10 ** 400, 1.5, -0.0, 1e308, True, False, None]
SCALARS = STRINGS + NUMBERS + [[], {}, [None], {'a': None}]

# Text for the request line and headers: code points below 256 go out as
# that byte (so '\xff' is a raw invalid UTF-8 byte), the rest as UTF-8.
PATH_SEGMENTS = [
    '%ff', '%c0%80', '%00', '%ed%a0%80', '..', '%2e%2e', '.', '%2f', '%2F..',
    '\xff', '\xc0\x80', 'a' * 5000, '%25', '%', '%zz', ';', '@', '~', '%20',
    '-1', '0', str(2 ** 64), 'null', '\u2603', '%e2%98%83',
]
HEADER_VALUES = [
    '', ' ', '\xff\xfe', '\xc0\x80', '%ff', 'a' * 9000, '-1', '0',
    str(2 ** 31), str(2 ** 63), str(2 ** 64), str(-2 ** 63 - 1), '1.5',
    '1e400', 'NaN', 'true', 'false', 'yes', 'maybe', 'None', '..',
    '../../etc/passwd', '\x01\x02', '\u2603', 'raw', 'bare', 'qcow2',
    'public', 'private', '\x00',
]
RANGES = [
    'bytes=0-0', 'bytes=0-', 'bytes=-1', 'bytes=5-2', 'bytes=999999-',
    'bytes=a-b', 'bytes=', 'bytes=-', 'bytes=0-1,3-4', 'items=0-1',
    'bytes=%d-' % 2 ** 64, 'bytes=-%d' % 2 ** 63, 'bytes=1-%d' % 2 ** 70,
    '\xff', 'bytes=0-1;x', 'junk', '', 'bytes=00000000000000000000001-2',
]
CONTENT_TYPES = [
    None, 'application/json', 'text/plain', 'application/octet-stream',
    'application/json; charset=latin-1', 'multipart/form-data; boundary=',
    'application/openstack-images-v2.1-json-patch',
    'application/openstack-images-v2.0-json-patch', '\xff/\xff', '*/*',
    'application/x-www-form-urlencoded',
]
ACCEPTS = [None, 'application/json', '*/*', 'text/html', 'text/plain;q=0',
           'application/xml', '\xff', 'application/json;q=junk']
METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS',
           'TRACE', 'CONNECT', 'PROPFIND', 'X' * 40, 'get']

# Request bodies that are not a JSON document, or are a hostile one.
RAW_BODIES = [
    b'', b'{', b'}', b'{"a":', b'[' * 10000 + b']' * 10000,
    b'{"a":' * 10000 + b'1' + b'}' * 10000, b'\xff\xfe{}',
    b'{"name": "\xff"}', b'{"name": "\\ud800"}', b'{"name": "\\udfff\\ud800"}',
    b'\x00', b'null', b'true', b'"string"', b'12', b'[]', b'[{}]',
    b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1e999999}',
    b'{"a": ' + b'9' * 5000 + b'}', b'{"a": 1, "a": 2}', b'\xef\xbb\xbf{}',
    b'{"name": "' + b'z' * MiB + b'"}',
]


def segments(known=()):
    """A path segment: an id of an existing image (``known``), a random
    UUID, or a hostile segment."""
    choices = [st.sampled_from(PATH_SEGMENTS),
               st.uuids().map(str),
               st.text(st.characters(codec='utf-8', exclude_categories=(
                   'Cs',)), max_size=20).map(
                       lambda s: urllib.parse.quote(s, safe=''))]
    if known:
        choices = [st.sampled_from(list(known))] * 3 + choices
    return st.one_of(*choices)


def strings():
    return st.one_of(st.sampled_from(STRINGS), st.text(max_size=30))


def scalars():
    return st.one_of(st.sampled_from(SCALARS), st.text(max_size=30),
                     st.integers(), st.floats(allow_nan=False))


def values():
    """Any JSON value, hostile more often than not."""
    return st.one_of(scalars(), st.lists(scalars(), max_size=3),
                     st.dictionaries(strings(), scalars(), max_size=3))


def header_values():
    return st.one_of(st.sampled_from(HEADER_VALUES), st.sampled_from(NUMERIC),
                     st.text(st.characters(min_codepoint=32,
                                           max_codepoint=255),
                             max_size=30))


# The values most likely to break a field: tried more often than the rest.
SUSPECTS = ['', ' ', '\x00', 'a\x00b', '\ud800', HUGE, 'a/b', 2 ** 63,
            -2 ** 63 - 1, -1, 1.5, True, None, [], {}, [1], ['']]


def mutated(example):
    """``example`` (a dict) with one key set to a hostile value (or a list
    of one), one key removed, or one hostile key added; or a non-object;
    or raw bytes that are no JSON document or a hostile one."""
    keys = sorted(example)

    def set_one(pair):
        key, value = pair
        body = dict(example)
        body[key] = value
        return body

    def drop_one(key):
        return {k: v for k, v in example.items() if k != key}

    suspect = st.sampled_from(SUSPECTS)
    documents = st.one_of(
        st.just(example),
        st.tuples(st.sampled_from(keys), suspect).map(set_one),
        st.tuples(st.sampled_from(keys), suspect).map(set_one),
        st.tuples(st.sampled_from(keys), suspect.map(
            lambda v: [v])).map(set_one),
        st.tuples(st.sampled_from(keys), values()).map(set_one),
        st.tuples(st.one_of(suspect.filter(
            lambda v: isinstance(v, str)), strings()), values()).map(set_one),
        st.sampled_from(keys).map(drop_one),
        scalars(),
        st.lists(st.just(example), max_size=2),
    )
    return st.one_of(documents.map(encode), documents.map(encode),
                     st.sampled_from(RAW_BODIES))


def encode(document):
    """JSON bytes; lone surrogates go out escaped as ``\\udXXX``."""
    return json.dumps(document).encode()


def query(names):
    """A query string over ``names`` (and unknown ones): repeated
    parameters, numbers out of range, hostile values, and now and then
    invalid UTF-8 percent escapes (rarely: they fail the whole request)."""
    known = st.sampled_from(list(names))
    pair = st.tuples(
        st.one_of(known, known, known, strings(),
                  st.sampled_from(BAD_ESCAPES + ['property-%c0%80'])),
        st.one_of(st.sampled_from(NUMERIC), st.sampled_from(NUMERIC),
                  st.sampled_from(TIMES), strings(), strings(),
                  st.sampled_from(BAD_ESCAPES)))
    time_names = [n for n in names if n in TIME_PARAMETERS]
    if time_names:
        pair = st.one_of(pair, st.tuples(st.sampled_from(time_names),
                                         st.sampled_from(TIMES)))

    def render(pairs):
        parts = []
        for name, value in pairs:
            parts.append('%s=%s' % (_quote(name), _quote(value)))
        return '?' + '&'.join(parts)
    return st.lists(pair, max_size=4).map(render)


def _quote(text):
    # Already-escaped hostile sequences go out as they are.
    if text in BAD_ESCAPES or text == 'property-%c0%80':
        return text
    return urllib.parse.quote(text[:3000], safe='',
                              errors='surrogatepass')


def random_id():
    return str(uuid.uuid4())
