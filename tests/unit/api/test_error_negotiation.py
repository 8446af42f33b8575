"""Error bodies follow the client's Accept header, as upstream's do."""

import json

import testtools
import webob

from glance_api import faults
from glance_registry.common import exception


def _translate(accept=None):
    req = webob.Request.blank('/v2/images/x')
    if accept is not None:
        req.headers['Accept'] = accept
    return faults.translate(exception.ImageNotFound(image_id='x'), req)


class ErrorNegotiationTest(testtools.TestCase):

    def test_json_client_gets_upstream_flat_json(self):
        resp = _translate('application/json')
        self.assertEqual(404, resp.status_int)
        self.assertEqual('application/json', resp.content_type)
        self.assertEqual({'code': '404 Not Found', 'title': 'Not Found',
                          'message': 'No image found with ID x'},
                         json.loads(resp.body))

    def test_no_accept_header_gets_json(self):
        resp = _translate()
        self.assertEqual('application/json', resp.content_type)

    def test_star_client_like_glanceclient_gets_text_not_json(self):
        # python-glanceclient parses any JSON error as a dict of dicts.
        resp = _translate('*/*')
        self.assertEqual(404, resp.status_int)
        self.assertEqual('text/plain', resp.content_type)
        self.assertEqual('404 Not Found\n\nNo image found with ID x\n',
                         resp.text)

    def test_browser_like_accept_gets_text(self):
        resp = _translate('text/html,application/xhtml+xml,*/*;q=0.8')
        self.assertEqual('text/plain', resp.content_type)

    def test_unexpected_error_is_bare_500_without_traceback(self):
        req = webob.Request.blank('/v2/images', headers={
            'Accept': 'application/json'})
        resp = faults.translate(ValueError('secret internals'), req)
        self.assertEqual(500, resp.status_int)
        self.assertNotIn(b'secret', resp.body)
        self.assertNotIn(b'Traceback', resp.body)
