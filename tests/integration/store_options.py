"""glance_store options that point each driver at the test backends (the
running fixtures), for a driver built in a test, a glance-api config
group, or tools/bench-stores."""

from tests.integration import ceph_fixture
from tests.integration import swift_fixture


def swift_options(cluster, **overrides):
    """The swift store on ``cluster`` (a SwiftCluster), tempauth v1."""
    options = {
        'swift_store_auth_address': cluster.auth_url,
        'swift_store_user': swift_fixture.USER,
        'swift_store_key': swift_fixture.KEY,
        'swift_store_auth_version': '1',
        'swift_store_create_container_on_put': True,
    }
    options.update(overrides)
    return options


def s3_options(server, bucket, **overrides):
    """The s3 store on ``server`` (Swift's s3api or radosgw)."""
    options = {
        's3_store_host': server.endpoint,
        's3_store_access_key': server.access_key,
        's3_store_secret_key': server.secret_key,
        's3_store_bucket': bucket,
        's3_store_create_bucket_on_put': True,
        's3_store_bucket_url_format': 'path',
        's3_store_region_name': server.region,
    }
    options.update(overrides)
    return options


def rbd_options(cluster, **overrides):
    """The rbd store on ``cluster`` (a CephCluster), pool ``images``."""
    options = {
        'rbd_store_ceph_conf': cluster.conf_path,
        'rbd_store_pool': ceph_fixture.POOL,
        'rados_connect_timeout': 10,
    }
    options.update(overrides)
    return options
