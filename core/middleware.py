"""Cross-cutting: 503 when the database cannot be reached (never a 500), no caching of API data, and one
read of the per-process caches' generations per request."""

import json

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from core import process_cache

RETRY_AFTER_SECONDS = 30


def service_unavailable(request, detail):
    if request.path.startswith("/api/"):
        body = json.dumps(
            {
                "errors": [
                    {"status": "503", "code": "service_unavailable", "title": "Service unavailable", "detail": detail}
                ]
            }
        )
        response = HttpResponse(body, status=503, content_type="application/vnd.api+json")
    else:
        response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    """Turns a lost database connection into 503 + Retry-After.

    Every write runs in a transaction (services are atomic), so a request that fails here has
    written nothing: the database rolls the open transaction back with the lost connection.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            return service_unavailable(request, "The database cannot be reached; try again shortly.")
        return None


class ApiNoStoreMiddleware:
    """API answers carry decrypted applications and results: no cache (browser or proxy) may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            add_never_cache_headers(response)
        return response


class ProcessCacheSnapshotMiddleware:
    """One read of the per-process caches' shared generations per request (core.process_cache.request_scope)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with process_cache.request_scope():
            return self.get_response(request)
