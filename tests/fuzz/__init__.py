"""The fuzz tier: hypothesis drives every v1, v2 and metadefs endpoint of
a real glance-api/glance-registry pair with generated and hostile input."""
