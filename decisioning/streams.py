"""Decisions over Redis Streams: one request stream and one result stream per partner.

    request stream  creditbox:decisions:<partner slug>:requests   (consumer group "deciders")
    result stream   creditbox:decisions:<partner slug>:results

A request message carries `idempotency_key` and `application` (a JSON object of dictionary names
to values), optionally `external_id` and `flow_id`. It is decided by `decision_create` as the
partner's stream user: the user an administrator names in CREDITBOX_STREAM_USERS
(`<partner slug>=<username>,...`), which must belong to the partner and hold the partner-system
role — nothing in a message says who decides.

Delivery is at least once (a message stays pending in the group until acknowledged) and made
exactly once by the idempotency key: the decision is committed under the key first; the result
message and the acknowledgement are then written together in one MULTI/EXEC. A consumer killed
anywhere in between leaves the request pending; after a restart (or in another consumer) it is
claimed with XAUTOCLAIM once idle for `claim_idle_ms`, decide() finds the committed decision by
its key, and the result is published then, once.
"""

import json
import logging
import os
import socket

from django.conf import settings
from django.db import close_old_connections

from core.exceptions import ArgumentError, DomainError

logger = logging.getLogger(__name__)
GROUP = "deciders"
MAX_APPLICATION_BYTES = 64 * 1024


class StreamConfigurationError(Exception):
    pass


def request_stream(partner):
    return f"creditbox:decisions:{partner.slug}:requests"


def result_stream(partner):
    return f"creditbox:decisions:{partner.slug}:results"


def stream_users():
    """{partner slug: username} as the administrator configured it (CREDITBOX_STREAM_USERS)."""
    configured = getattr(settings, "CREDITBOX_STREAM_USERS", "") or ""
    pairs = [item.split("=", 1) for item in configured.split(",") if item.strip()]
    return {slug.strip(): username.strip() for slug, username in pairs}


def stream_user(partner):
    from partners import roles
    from partners.models import User

    username = stream_users().get(partner.slug)
    if not username:
        raise StreamConfigurationError(f"No stream user configured for {partner.slug} (CREDITBOX_STREAM_USERS).")
    user = User.objects.filter(username=username, partner=partner, is_active=True).first()
    if user is None or not user.has_any_role(roles.PARTNER_SYSTEM):
        raise StreamConfigurationError(f"{username!r} is not an active partner-system user of {partner.slug}.")
    return user


def redis_client():
    import redis

    if not settings.REDIS_URL:
        raise StreamConfigurationError("Streams need REDIS_URL.")
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)


def ensure_group(client, partner):
    import redis

    try:
        client.xgroup_create(request_stream(partner), GROUP, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def _text(fields, name, limit=200):
    value = fields.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ArgumentError(name, f"must be text of at most {limit} characters")
    return value


def decide(*, partner, user, fields):
    """One request message → the result message's fields (never raises for a bad message)."""
    from decisioning.services import decision_create

    key = fields.get("idempotency_key", "")
    result = {"idempotency_key": key if isinstance(key, str) else ""}
    try:
        key = _text(fields, "idempotency_key")
        if not key:
            raise ArgumentError("idempotency_key", "is required")
        raw = fields.get("application", "")
        if len(raw) > MAX_APPLICATION_BYTES:
            raise ArgumentError("application", f"is larger than {MAX_APPLICATION_BYTES} bytes")
        try:
            application = json.loads(raw)
        except (TypeError, ValueError):
            raise ArgumentError("application", "must be a JSON object") from None
        decision, created = decision_create(
            partner=partner,
            application=application,
            requested_by=user,
            idempotency_key=key,
            external_id=_text(fields, "external_id"),
            flow_id=fields.get("flow_id") or None,
        )
        result.update(
            status="ok", decision_id=str(decision.pk), outcome=decision.outcome, created="1" if created else "0"
        )
    except DomainError as error:
        result.update(status="error", error=str(getattr(error, "detail", error))[:1000])
    return result


class Consumer:
    def __init__(self, partner, *, name=None, count=10, block_ms=1000, claim_idle_ms=30_000):
        self.partner = partner
        self.user = stream_user(partner)
        self.client = redis_client()
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.count, self.block_ms, self.claim_idle_ms = count, block_ms, claim_idle_ms
        self.requests, self.results = request_stream(partner), result_stream(partner)
        ensure_group(self.client, partner)

    def _handle(self, messages):
        for message_id, fields in messages:
            if fields is None:  # deleted from the stream while pending
                self.client.xack(self.requests, GROUP, message_id)
                continue
            close_old_connections()
            result = decide(partner=self.partner, user=self.user, fields=fields)
            result["request_id"] = message_id
            with self.client.pipeline(transaction=True) as pipe:
                pipe.xadd(self.results, result)
                pipe.xack(self.requests, GROUP, message_id)
                pipe.execute()
        return len(messages)

    def claim_abandoned(self):
        """Requests another (dead) consumer read but never acknowledged, idle long enough: handled here."""
        handled, start = 0, "0-0"
        while True:
            start, messages, _deleted = self.client.xautoclaim(
                self.requests, GROUP, self.name, min_idle_time=self.claim_idle_ms, start_id=start, count=self.count
            )
            handled += self._handle(messages)
            if start == "0-0":
                return handled

    def run_once(self):
        handled = self.claim_abandoned()
        answer = self.client.xreadgroup(GROUP, self.name, {self.requests: ">"}, count=self.count, block=self.block_ms)
        for _stream, messages in answer or []:
            handled += self._handle(messages)
        return handled

    def run(self, *, stop=lambda: False):
        while not stop():
            self.run_once()
