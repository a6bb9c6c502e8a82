"""The site's cache backends: Django's file and Redis caches without the per-character key check.

Django checks every key, a character at a time, for what memcached would refuse (control
characters, spaces, more than 250 characters) and warns. Neither backend here has those limits:
the file cache names each file by a hash of its key, and Redis takes any bytes. The check cost
3 µs per read, and a signed-in page reads the cache four times. Django's documentation suggests
overriding ``validate_key`` for this ("Cache key warnings")."""

from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache


class FileCache(FileBasedCache):
    def validate_key(self, key):
        pass


class SharedRedisCache(RedisCache):
    def validate_key(self, key):
        pass
