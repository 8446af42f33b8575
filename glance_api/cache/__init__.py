"""The image cache of glance-api: image data kept in ``image_cache_dir``.

:mod:`.image_cache` serves and fills the cache in the download path and
keeps the records in the registry; :mod:`.maintenance` prunes, cleans and
prefetches; :mod:`.cmd` and :mod:`.manage` are the console scripts.
"""
