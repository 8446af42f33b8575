"""The fuzz test case: one real registry + api pair per class, project A's
images seeded before each test, every response checked, and the
invariants checked after each test.

Every response must be below 500, free of tracebacks and internal details
(the daemons' folder, SQL words, the registry's address), and a 4xx body
stays small. A finding is recorded, not raised, so hypothesis neither
stops at the first one nor spends minutes shrinking against real daemons;
the test fails at its end listing each distinct class (route, method,
kind, status) with one example.

Reproducible by default (``derandomize``); ``GLANCE_FUZZ_RANDOM=1`` or
``GLANCE_FUZZ_SEED=N`` explore other inputs, ``GLANCE_FUZZ_SCALE=F``
multiplies every group's number of examples.
"""

import hashlib
import json
import os
import re
import sqlite3
import sys
import time

from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import example
from hypothesis import given
from hypothesis import seed
from hypothesis import settings
from hypothesis import strategies as st

from tests.functional import base
from tests.functional import daemons
from tests.fuzz import hostile
from tests.fuzz import rawhttp

PROJECT_A = [('X-Project-Id', 'fuzz-project-a'), ('X-User-Id', 'fuzz-a'),
             ('X-Roles', 'member')]
PROJECT_B = [('X-Project-Id', 'fuzz-project-b'), ('X-User-Id', 'fuzz-b'),
             ('X-Roles', 'member')]
# An administrator of a third project: the metadefs API and the admin-only
# image calls need one; it only ever targets what the fuzzer created.
ADMIN = [('X-Project-Id', 'fuzz-admin'), ('X-User-Id', 'fuzz-admin'),
         ('X-Roles', 'admin')]
PROJECT_C = 'fuzz-project-c'
JSON = [('Content-Type', 'application/json')]
PATCH = [('Content-Type', 'application/openstack-images-v2.1-json-patch')]
OCTET = [('Content-Type', 'application/octet-stream')]

MAX_4XX_BODY = 4096
REPO = daemons.REPO
# oslo.log's "2026-01-01 00:00:00.000 123 ERROR module [ctx] " prefix.
LOG_PREFIX = re.compile(r'^\d{4}-\d\d-\d\d [\d:.]+ \d+ [A-Z]+ \S+ '
                        r'(?:\[[^\]]*\] )?')
FRAME = re.compile(r'File "([^"]+)", line \d+, in (\S+)')
EXCEPTION_LINE = re.compile(r'^[A-Za-z_][\w.]*(Error|Exception|Exit)\b')
RANDOM = os.environ.get('GLANCE_FUZZ_RANDOM') == '1'
SEED = os.environ.get('GLANCE_FUZZ_SEED')
SCALE = float(os.environ.get('GLANCE_FUZZ_SCALE', '1'))


# Which image a request is about: one of project A's, a fresh one of
# project B (queued, with data, or shared with data), a random id.
TARGETS = ['a_private', 'a_shared', 'a_community', 'a_queued', 'b_queued',
           'b_active', 'b_shared', 'random']


def image_targets(own=None):
    """A target name or a hostile path segment; ``own`` (a target name) is
    drawn as often as all the others together, so the checks behind
    ownership are reached."""
    anything = st.one_of(st.sampled_from(TARGETS).map(lambda t: ('name', t)),
                         hostile.segments().map(lambda s: ('raw', s)))
    if own is None:
        return anything
    return st.one_of(st.just(('name', own)), anything)


def fuzz_settings(max_examples):
    return settings(
        max_examples=max(1, int(max_examples * SCALE)), deadline=None,
        database=None, derandomize=not (RANDOM or SEED),
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck), print_blob=False)


class FuzzTestCase(base.ServerTestCase):
    """Base of the fuzz classes; subclasses define ``test_*`` methods that
    call :meth:`fuzz` with a strategy and a function sending requests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.requests_sent = 0
        cls.findings = {}
        cls.db_path = os.path.join(cls.registry.lib, 'glance.sqlite')
        cls.data_dir = os.path.join(cls.api.lib, 'images')
        cls.leak_markers = [
            'Traceback', 'File "', cls.root, 'sqlite', 'sqlalchemy',
            '/rpc', '127.0.0.1:%d' % cls.registry.port,
            'localhost:%d' % cls.registry.port]

    @classmethod
    def tearDownClass(cls):
        # Not captured: stestr passes it through to its output.
        sys.stdout.write('%s: %d fuzz requests sent, %d distinct findings\n'
                         % (cls.__name__, getattr(cls, 'requests_sent', 0),
                            len(getattr(cls, 'findings', {}))))
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.findings_before = set(self.findings)
        self.seed_project_a()
        self.snapshot = self.project_a_state()
        self.orphans_before = self.orphan_files()

    # -- sending and checking --------------------------------------------

    def call(self, route, method, path, headers=(), body=None,
             raw_body=None, identity=PROJECT_B):
        """Send one request as ``identity``; record a finding when the
        answer breaks a rule. Returns the response (None if none came)."""
        type(self).requests_sent += 1
        log_offsets = (self.log_size(self.api), self.log_size(self.registry))
        try:
            response = rawhttp.send(self.api.port, method, path,
                                    list(identity) + list(headers), body,
                                    raw_body)
        except rawhttp.NoResponse as e:
            self.record(route, method, 'no answer', None, path, headers,
                        body or raw_body, str(e))
            return None
        sent = repr((path, headers, body or raw_body))
        for kind, detail in self.violations(method, response, sent):
            if kind == '5xx':
                kind = '5xx (%s)' % self.logged_cause(*log_offsets)
            self.record(route, method, kind, response.status, path,
                        headers, body or raw_body, detail)
        return response

    @staticmethod
    def log_size(daemon):
        try:
            return os.path.getsize(daemon.log_file)
        except OSError:
            return 0

    def logged_cause(self, api_offset, registry_offset):
        """Where a 5xx came from: the exception type and the innermost
        frame of our code in the last traceback the registry or else
        glance-api logged, or glance-api's last warning."""
        registry = self.log_cause(self.registry, registry_offset, False)
        if registry:
            return 'registry: ' + registry
        return self.log_cause(self.api, api_offset, True)

    @staticmethod
    def log_cause(daemon, offset, warnings_too):
        """The cause in ``daemon``'s log after ``offset``, if any."""
        with open(daemon.log_file, 'rb') as f:
            f.seek(offset)
            raw = f.read().decode('utf-8', 'replace').splitlines()
        lines = [LOG_PREFIX.sub('', line) for line in raw]
        frames = [line.strip() for line in lines
                  if line.strip().startswith('File "')]
        ours = [frame for frame in frames if frame.startswith(
            'File "%s/' % REPO) and '/tests/' not in frame]
        errors = [line.split(':')[0] for line in lines
                  if EXCEPTION_LINE.match(line)]
        if frames:
            match = FRAME.match((ours or frames)[-1])
            where = '%s:%s' % (match.group(1).replace(REPO + '/', ''),
                               match.group(2))
            return '%s in %s' % (errors[-1] if errors else '?', where)
        if not warnings_too:
            return None
        warnings = [LOG_PREFIX.sub('', line) for line in raw
                    if ' WARNING ' in line[:40]]
        if warnings:
            return warnings[-1][:160]
        return 'nothing logged'

    def violations(self, method, response, sent):
        """(kind, detail) of each rule ``response`` breaks; ``sent`` is
        the request as text (an echo of it is no leak)."""
        if response.status >= 500:
            yield '5xx', response.body[:300]
        text = response.body.decode('utf-8', 'replace') + ''.join(
            '%s: %s\n' % (k, v) for k, v in response.headers)
        for marker in self.leak_markers:
            if marker in text and marker not in sent:
                at = text.index(marker)
                yield 'leak %r' % marker, text[max(0, at - 100):at + 100]
        if 400 <= response.status < 500 and len(
                response.body) > MAX_4XX_BODY:
            yield '4xx body over %d bytes' % MAX_4XX_BODY, '%d bytes: %r' % (
                len(response.body), response.body[:120])
        if method in ('POST', 'PUT', 'PATCH') and 200 <= response.status < 300:
            for problem in stored_junk(response):
                yield problem, response.body[:200]

    def record(self, route, method, kind, status, path, headers, body,
               detail):
        kind = re.sub(r'req-[0-9a-f-]+', 'req-...', kind)
        key = (route, method, kind, status)
        if key not in self.findings:
            self.findings[key] = {
                'path': _short(path), 'headers': _short(headers),
                'body': _short(body), 'detail': _short(detail)}

    def fuzz(self, strategy, exercise, max_examples, examples=()):
        """Run ``exercise(case)`` for ``examples`` (cases always tried)
        and ``max_examples`` cases drawn from ``strategy``, then check the
        findings and the invariants."""
        @fuzz_settings(max_examples)
        @given(strategy)
        def run(case):
            exercise(case)
        for case in examples:
            run = example(case)(run)
        if SEED:
            run = seed(int(SEED))(run)
        started, sent = time.time(), self.requests_sent
        run()
        sys.stdout.write('%s: %d requests in %.1f s\n' % (
            self.id(), self.requests_sent - sent, time.time() - started))
        self.check_invariants()
        new = sorted(set(self.findings) - self.findings_before,
                     key=lambda key: [str(part) for part in key])
        if new:
            lines = ['%d distinct findings:' % len(new)]
            for key in new:
                route, method, kind, status = key
                if not route.startswith(method + ' '):
                    route = '%s %s' % (method, route)
                lines.append('%s -> %s %s; example %s' % (
                    route, status, kind, json.dumps(self.findings[key])))
            self.fail('\n'.join(lines))

    # -- project A: seeded, then proven untouched --------------------------

    def seed_project_a(self):
        """A private and a shared image with data, members, tags and
        properties, a community image with data, and a queued one."""
        self.a_private = self.a_image('private', b'private bytes of A' * 99)
        self.a_shared = self.a_image('shared', b'shared bytes of A' * 77)
        self.a_community = self.a_image('community', b'community A' * 55)
        self.a_queued = self.a_image('private', None)
        for member in ('fuzz-project-b', PROJECT_C):
            self.must(200, 'POST',
                      '/v2/images/%s/members' % self.a_shared,
                      {'member': member}, PROJECT_A)
        self.a_images = [self.a_private, self.a_shared, self.a_community,
                         self.a_queued]

    def a_image(self, visibility, data):
        image = self.must(201, 'POST', '/v2/images', {
            'name': 'a-%s' % visibility, 'disk_format': 'raw',
            'container_format': 'bare', 'visibility': visibility,
            'tags': ['a-tag', 'other'], 'a_property': 'a value',
            'min_ram': 64}, PROJECT_A)
        if data is not None:
            self.must(204, 'PUT', '/v2/images/%s/file' % image['id'], data,
                      PROJECT_A + OCTET)
        return image['id']

    def must(self, expected, method, path, body=None, identity=PROJECT_A):
        """A set-up call that has to succeed; returns the JSON answer."""
        headers = list(identity)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers += JSON
        response = rawhttp.send(self.api.port, method, path, headers, body)
        self.assertEqual(expected, response.status,
                         '%s %s: %r' % (method, path, response.body[:500]))
        return json.loads(response.body) if response.body else None

    def project_a_state(self):
        """What project A sees of its images: metadata, members (B may
        change only its own status) and the sha256 of the bytes."""
        state = {}
        for image_id in self.a_images:
            image = self.must(200, 'GET', '/v2/images/%s' % image_id)
            members = self.must(200, 'GET',
                                '/v2/images/%s/members' % image_id
                                ) if image['visibility'] == 'shared' else {}
            shown_members = sorted(
                (m['member_id'], m['status'] if m['member_id'] != (
                    'fuzz-project-b') else '-')
                for m in members.get('members', []))
            digest = None
            if image['status'] == 'active':
                response = rawhttp.send(
                    self.api.port, 'GET', '/v2/images/%s/file' % image_id,
                    PROJECT_A)
                self.assertEqual(200, response.status, response.body[:300])
                digest = hashlib.sha256(response.body).hexdigest()
            state[image_id] = {'image': image, 'members': shown_members,
                               'sha256': digest,
                               'file': self.file_digest(image_id)}
        return state

    def file_digest(self, image_id):
        path = os.path.join(self.data_dir, image_id)
        if not os.path.exists(path):
            return None
        with open(path, 'rb') as f:
            return hashlib.sha256(f.read()).hexdigest()

    def check_invariants(self):
        """Nothing saving, no new data file without a location, project A
        untouched."""
        self.assertEqual([], self.wait_no_saving())
        self.assertEqual(self.orphans_before, self.orphan_files())
        self.assertEqual(self.snapshot, self.project_a_state())

    def db_rows(self, query):
        db = sqlite3.connect('file:%s?mode=ro' % self.db_path, uri=True,
                             timeout=30)
        try:
            return db.execute(query).fetchall()
        finally:
            db.close()

    def wait_no_saving(self, timeout=30):
        deadline = time.time() + timeout
        while True:
            saving = self.db_rows("SELECT id FROM images WHERE deleted = 0 "
                                  "AND status = 'saving'")
            if not saving or time.time() > deadline:
                return saving
            time.sleep(0.2)

    def orphan_files(self):
        """Files in the store folder that no live location names."""
        files = set(os.listdir(self.data_dir)) if os.path.isdir(
            self.data_dir) else set()
        referenced = set()
        for (url,) in self.db_rows('SELECT value FROM image_locations '
                                   'WHERE deleted = 0'):
            if url.startswith('file://'):
                referenced.add(os.path.basename(url[len('file://'):]))
        return sorted(files - referenced)

    # -- helpers for the groups ------------------------------------------

    def target_id(self, target):
        """The image id of a target drawn by :func:`image_targets`."""
        kind, value = target
        if kind == 'raw':
            return value
        if value == 'b_queued':
            return self.b_image()
        if value == 'b_active':
            return self.b_image(b'B data ' * 50)
        if value == 'b_shared':
            return self.b_image(b'B shared ' * 20, visibility='shared')
        if value == 'random':
            return hostile.random_id()
        return getattr(self, value)

    def b_image(self, data=None, visibility='private'):
        """A fresh image of project B, with ``data`` uploaded if given."""
        response = self.call('POST /v2/images', 'POST', '/v2/images',
                             JSON, hostile.encode({
                                 'name': 'b', 'disk_format': 'raw',
                                 'container_format': 'bare',
                                 'visibility': visibility}))
        if response is None or response.status != 201:
            return hostile.random_id()
        image_id = json.loads(response.body)['id']
        if data is not None:
            self.call('PUT /v2/images/{id}/file', 'PUT',
                      '/v2/images/%s/file' % image_id, OCTET, data)
        return image_id


VALID_RANGE = re.compile(r'^bytes=\s*(\d+-\d*|-\d+)(\s*,\s*(\d+-\d*|-\d+))*$')


def check_range_answer(test, route, path, ranges, response):
    """RFC 9110: a Range that is not valid syntax is ignored, so only a
    single well-formed one may be answered 416."""
    if response is None or response.status != 416:
        return
    if len(ranges) == 1 and VALID_RANGE.match(ranges[0]):
        return
    test.record(route, 'GET', '416 for an invalid Range', 416, path,
                [('Range', r) for r in ranges], None, response.body[:200])


def stored_junk(response):
    """What a 2xx answer shows was stored though upstream refuses it:
    NUL characters anywhere, empty tags or property keys."""
    if '\\u0000' in response.body.decode('latin-1') or any(
            '\x00' in value for _, value in response.headers):
        yield 'NUL character accepted'
    if not response.body.startswith(b'{'):
        return
    try:
        document = json.loads(response.body)
    except ValueError:
        return
    items = document.get('images') if isinstance(
        document.get('images'), list) else [document]
    for item in items:
        if not isinstance(item, dict):
            continue
        if '' in item or '' in (item.get('properties') or {}):
            yield 'empty property key accepted'
        if '' in (item.get('tags') or []):
            yield 'empty tag accepted'


def _short(value, limit=300):
    text = repr(value)
    if len(text) > limit:
        text = text[:limit] + '...(%d chars)' % len(text)
    return text
