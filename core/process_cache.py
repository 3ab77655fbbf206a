"""A per-process cache whose entries every process drops when what they were resolved from changes.

Invalidation is by generation: `invalidate()` (called from signal handlers of the models an entry
was built from) clears this process's entries at once and, with REDIS_URL set, increments a shared
Redis counter after the writing transaction commits; every other process (gunicorn workers,
stream consumers) reads that counter once per use (`generation()`, one Redis round trip, no SQL)
and ignores entries stored under an older generation. While Redis cannot be reached nothing is
trusted (generation None): every lookup is rebuilt from the database.

Without REDIS_URL no other process could hear of a change, so nothing is cached (generation None)
unless PROCESS_CACHE_WITHOUT_REDIS is true: settings for a single process (the test settings;
runserver), where the process's own counter is enough.
"""

import threading

from django.conf import settings
from django.db import transaction

_clients = {}


def _redis():
    url = settings.REDIS_URL
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return _clients[url]


class ProcessCache:
    def __init__(self, name):
        self.key = f"creditbox:cache-generation:{name}"
        self._lock = threading.Lock()
        self._local = 0
        self._entries = {}

    def generation(self):
        client = _redis()
        if client is None:
            return self._local if getattr(settings, "PROCESS_CACHE_WITHOUT_REDIS", False) else None
        import redis

        try:
            return (self._local, int(client.get(self.key) or 0))
        except redis.RedisError:
            return None

    def get(self, key, current, *, valid=None):
        """The entry stored for `key` under generation `current` (and passing `valid`), else None."""
        if current is None:
            return None
        entry = self._entries.get(key)
        if entry is None or entry[0] != current:
            return None
        if valid is not None and not valid(entry[1]):
            return None
        return entry[1]

    def put(self, key, current, value):
        if current is not None:
            with self._lock:
                self._entries[key] = (current, value)
        return value

    def invalidate(self, *args, **kwargs):
        """Drop every entry here now and in every process once the current transaction commits (a signal receiver)."""
        with self._lock:
            self._local += 1
            self._entries.clear()
        client = _redis()
        if client is None:
            return

        def bump():
            import redis

            try:
                client.incr(self.key)
            except redis.RedisError:
                pass  # others distrust their entries while Redis is unreachable (generation None)

        transaction.on_commit(bump)
