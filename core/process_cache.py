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

Inside a request (ProcessCacheSnapshotMiddleware) the shared counters of every cache are read
together, in one MGET at the first use, and kept for the rest of the request: the token cache
and the plan cache then cost one Redis round trip per request, not one each. A change another
process commits while a request runs is seen from the next request on, as one committed just
after the read would be; a change made in this process is seen at once (the local counter).
"""

import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction

_clients = {}
_caches = []  # every ProcessCache: a request snapshot reads all their shared counters at once
_request = threading.local()


def _redis():
    url = settings.REDIS_URL
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return _clients[url]


@contextmanager
def request_scope():
    """Within the block (one request), the shared counters are read once, together, at the first use."""
    _request.shared, _request.pending = None, True
    try:
        yield
    finally:
        _request.shared = None
        _request.pending = False


def _shared_counters(client):
    """{key: counter} of every cache: one MGET, once per request scope (else on every call)."""
    if getattr(_request, "pending", False):
        _request.pending = False
        _request.shared = _read_counters(client)
    if getattr(_request, "shared", None) is not None:
        return _request.shared
    return _read_counters(client)


def _read_counters(client):
    import redis

    keys = [cache.key for cache in _caches]
    try:
        return {key: int(value or 0) for key, value in zip(keys, client.mget(keys))}
    except redis.RedisError:
        return {}  # nothing is trusted: generation() answers None


class ProcessCache:
    def __init__(self, name):
        self.key = f"creditbox:cache-generation:{name}"
        self._lock = threading.Lock()
        self._local = 0
        self._entries = {}
        _caches.append(self)

    def generation(self):
        client = _redis()
        if client is None:
            return self._local if getattr(settings, "PROCESS_CACHE_WITHOUT_REDIS", False) else None
        shared = _shared_counters(client).get(self.key)
        return None if shared is None else (self._local, shared)

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
