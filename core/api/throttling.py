"""API rate limits per token, shared by every worker process.

Fixed one-minute windows counted atomically: in Redis (INCR) when REDIS_URL is set, otherwise in
the database (one upsert per request). The limit is the partner's `api_requests_per_minute`, or
`API_RATE_LIMIT_PER_MINUTE` (generous by default). A refused request is a 429 JSON:API error
with `Retry-After` (DRF's Throttled, rendered by the one exception handler).

Redis being down must not stop decisions: the Redis store then lets requests through (and says
so in the log), and tries Redis again after a short pause rather than on every request.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connection
from rest_framework.throttling import BaseThrottle

from core.models import RateLimitCounter

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
REDIS_RETRY_AFTER_FAILURE_SECONDS = 5.0


class DatabaseCounterStore:
    def hit(self, key, window):
        table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
        with connection.cursor() as cursor:
            # One atomic statement, so concurrent workers never lose a hit.
            cursor.execute(
                f"INSERT INTO {table} (client_key, window_number, hits) VALUES (%s, %s, 1) "
                f"ON CONFLICT (client_key, window_number) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
                [key, window],
            )
            hits = cursor.fetchone()[0]
        if hits == 1:
            # First request of a new window: the client's older windows are of no further use.
            RateLimitCounter.objects.filter(client_key=key, window_number__lt=window).delete()
        return hits


class RedisCounterStore:
    def __init__(self, url):
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.failed_at = None
        self.lock = threading.Lock()

    def hit(self, key, window):
        """Hits in the window, or None when Redis cannot be reached (then nothing is limited)."""
        import redis

        if self.failed_at is not None and time.monotonic() - self.failed_at < REDIS_RETRY_AFTER_FAILURE_SECONDS:
            return None
        name = f"creditbox:ratelimit:{key}:{window}"
        try:
            pipeline = self.client.pipeline()
            pipeline.incr(name)
            pipeline.expire(name, WINDOW_SECONDS * 2)
            hits, _ = pipeline.execute()
        except redis.RedisError as error:
            with self.lock:
                self.failed_at = time.monotonic()
            logger.warning("Rate limits are off while Redis cannot be reached: %s", error)
            return None
        self.failed_at = None
        return hits


_stores = {}
_stores_lock = threading.Lock()


def counter_store():
    url = settings.REDIS_URL
    with _stores_lock:
        if url not in _stores:
            _stores[url] = RedisCounterStore(url) if url else DatabaseCounterStore()
        return _stores[url]


def client_key(request):
    """The token when the request carries one, else the logged-in user; None for anonymous requests."""
    digest = getattr(request.auth, "digest", None)
    if digest:
        return f"token:{digest[:40]}"
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def requests_per_minute(user):
    partner = getattr(user, "partner", None)
    override = getattr(partner, "api_requests_per_minute", None)
    return override or settings.API_RATE_LIMIT_PER_MINUTE


class PartnerRateThrottle(BaseThrottle):
    """Requests per token per minute, from the partner's setting or the platform default."""

    def allow_request(self, request, view):
        key = client_key(request)
        if key is None:
            return True  # unauthenticated requests are refused anyway; logins are throttled by django-axes
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        hits = counter_store().hit(key, window)
        if hits is None or hits <= requests_per_minute(request.user):
            return True
        self.retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
        return False

    def wait(self):
        return self.retry_after
