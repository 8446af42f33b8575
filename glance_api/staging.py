"""The staging area of image import: a file store of this glance-api host
(``[os_glance_staging_store] filesystem_store_datadir``) holding data
between PUT /v2/images/{image_id}/stage (or a fetch of web-download and
copy-image) and the write to the real stores.

Staged data belongs to the worker that received it; the image records that
worker's ``worker_self_reference_url`` in ``os_glance_stage_host`` so the
other workers can send the import (or the delete) there.
"""

import os

from oslo_config import cfg
from oslo_log import log as logging

from glance_store._drivers import filesystem
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

GROUP = 'os_glance_staging_store'
STAGE_HOST = 'os_glance_stage_host'

datadir_opt = cfg.StrOpt(
    'filesystem_store_datadir', default='/var/lib/glance/staging',
    help='Directory of this host where image data waits between staging '
         '(or fetching, for web-download) and the write to the stores. '
         'Give every glance-api worker its own directory (with '
         'worker_self_reference_url set), or one shared by all of them.')

self_url_opt = cfg.StrOpt(
    'worker_self_reference_url',
    help='The URL other glance-api workers reach this one at (for example '
         'http://10.0.0.5:9292). Set it on every worker when there are '
         'several and their staging directories differ: an import or '
         'delete of an image staged here is then sent here by whichever '
         'worker receives it. It also names this node in the image '
         'cache\'s records (each node has its own image_cache_dir); '
         'unset, the cache uses http://<host name>:<bind_port>.')


def list_opts():
    return [(GROUP, [datadir_opt]), (None, [self_url_opt])]


class StagingArea:
    """Staged data of this host, one file per image."""

    def __init__(self, conf=CONF):
        conf.register_opt(self_url_opt)
        conf.register_opts(
            [datadir_opt] + [opt for opt in filesystem.OPTIONS
                             if opt.name != datadir_opt.name], group=GROUP)
        self.self_url = (conf.worker_self_reference_url or '').rstrip('/')
        self.store = filesystem.Store(conf, group=GROUP, name=GROUP)

    def path(self, image_id):
        return os.path.join(self.store.datadirs[0].path, image_id)

    def location(self, image_id):
        return 'file://' + self.path(image_id)

    def add(self, image_id, reader, size=0, store=None):
        """Write ``reader`` to the staging file of ``image_id``; the
        partial file is removed when the reader raises. (The arguments of
        ``Stores.add``, so an Uploader can write here.)"""
        return self.store.add(image_id, reader, size)

    def delete(self, location):
        return self.store.delete(location)

    def open(self, image_id, chunk_size=None):
        """(iterator of chunks, size) of the staged data."""
        return self.store.get(self.location(image_id),
                              chunk_size=chunk_size)

    def discard(self, image_id):
        """Remove the staged data of ``image_id`` (nothing staged: fine)."""
        try:
            self.store.delete(self.location(image_id))
        except store_exceptions.NotFound:
            pass
        except Exception:
            LOG.exception('Could not remove the staged data of image %s',
                          image_id)

    def stage_host(self, image):
        """The worker holding the staged data of ``image`` when it is not
        this one, else None."""
        host = ((image.get('properties') or {}).get(STAGE_HOST) or '')
        host = host.rstrip('/')
        if host and host != self.self_url:
            return host
        return None
