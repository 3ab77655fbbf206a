"""Decisions over Redis Streams: a consumer killed mid-batch loses and duplicates nothing after a restart.

Runs against the real Redis of REDIS_URL and a real `manage.py stream_consumer` process on the
test database. Without REDIS_URL (the SQLite configuration) there is no Redis promised and the
test is skipped; with REDIS_URL set, an unreachable Redis fails it.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from decisioning import streams
from decisioning.demo import demo_application, demo_load
from decisioning.models import Decision
from partners import roles

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 40

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="streams need REDIS_URL (no Redis promised)")


@pytest.fixture
def streamed(transactional_db, subprocess_environment):
    demo = demo_load(out=lambda *_: None)
    partner = demo["partner"]
    client = streams.redis_client()
    client.ping()  # REDIS_URL promised: unreachable fails here
    # Separate streams per run: a unique slug keeps runs sharing the Redis DB apart.
    partner.slug = f"stream-{uuid.uuid4().hex[:8]}"
    partner.save()
    user = demo["people"][roles.PARTNER_SYSTEM][0]
    environment = subprocess_environment(CREDITBOX_STREAM_USERS=f"{partner.slug}={user.username}")
    yield partner, user, client, environment
    client.delete(streams.request_stream(partner), streams.result_stream(partner))


def start_consumer(partner, environment, name):
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "stream_consumer",
            "--partner",
            partner.slug,
            "--consumer",
            name,
            "--count",
            "10",
            "--claim-idle-ms",
            "1000",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for_results(client, partner, at_least, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = client.xlen(streams.result_stream(partner))
        if count >= at_least:
            return count
        if process.poll() is not None:
            raise AssertionError("the consumer exited:\n" + process.stdout.read().decode()[-3000:])
        time.sleep(0.05)
    raise AssertionError(f"only {client.xlen(streams.result_stream(partner))} results after {timeout} s")


def test_a_consumer_killed_mid_batch_loses_and_duplicates_nothing(streamed):
    partner, user, client, environment = streamed
    keys = [f"app-{number}-{uuid.uuid4().hex[:6]}" for number in range(MESSAGES)]
    for number, key in enumerate(keys):
        client.xadd(
            streams.request_stream(partner),
            {"idempotency_key": key, "external_id": f"S-{number}", "application": json.dumps(demo_application(number))},
        )
    # Redelivery of a request already sent (a producer retrying): decided once, answered twice.
    client.xadd(
        streams.request_stream(partner),
        {"idempotency_key": keys[0], "external_id": "S-0", "application": json.dumps(demo_application(0))},
    )

    first = start_consumer(partner, environment, "consumer-a")
    try:
        done_before_kill = wait_for_results(client, partner, 3, first)
    finally:
        os.kill(first.pid, signal.SIGKILL)  # mid-batch: it reads ten at a time
        first.wait(timeout=30)
    assert done_before_kill < MESSAGES + 1
    pending = client.xpending(streams.request_stream(partner), streams.GROUP)["pending"]
    assert pending > 0  # the batch it held is still unacknowledged

    second = start_consumer(partner, environment, "consumer-b")  # claims the dead consumer's batch
    try:
        wait_for_results(client, partner, MESSAGES + 1, second)
        time.sleep(1.5)  # anything more would be a duplicate
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    decisions = Decision.objects.filter(partner=partner)
    assert decisions.count() == MESSAGES
    assert sorted(decisions.values_list("idempotency_key", flat=True)) == sorted(keys)
    assert set(decisions.values_list("requested_by", flat=True)) == {user.pk}  # the configured stream user
    results = [fields for _, fields in client.xrange(streams.result_stream(partner))]
    assert len(results) == MESSAGES + 1, results[:3]
    assert all(result["status"] == "ok" for result in results), [r for r in results if r["status"] != "ok"][:3]
    assert sorted(r["idempotency_key"] for r in results) == sorted(keys + [keys[0]])
    assert len({r["request_id"] for r in results}) == MESSAGES + 1  # each request answered exactly once
    by_key = {}
    for result in results:
        by_key.setdefault(result["idempotency_key"], set()).add(result["decision_id"])
    assert all(len(ids) == 1 for ids in by_key.values())  # the retried key got the first decision
    assert client.xpending(streams.request_stream(partner), streams.GROUP)["pending"] == 0


def test_a_message_cannot_choose_who_decides_and_bad_messages_are_answered(streamed):
    partner, user, client, environment = streamed
    client.xadd(
        streams.request_stream(partner),
        {"idempotency_key": "k-bad", "application": "{not json", "user": "demo_partner_admin"},
    )
    client.xadd(streams.request_stream(partner), {"application": json.dumps(demo_application(1))})
    consumer = start_consumer(partner, environment, "consumer-c")
    try:
        wait_for_results(client, partner, 2, consumer)
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
    results = [fields for _, fields in client.xrange(streams.result_stream(partner))]
    assert [r["status"] for r in results] == ["error", "error"]
    assert "JSON" in results[0]["error"] and "required" in results[1]["error"]
    assert not Decision.objects.filter(partner=partner).exists()


def test_without_a_configured_stream_user_the_consumer_refuses_to_start(streamed):
    partner, user, client, environment = streamed
    finished = subprocess.run(
        [sys.executable, "manage.py", "stream_consumer", "--partner", partner.slug],
        cwd=ROOT,
        env={**environment, "CREDITBOX_STREAM_USERS": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode != 0 and "No stream user configured" in finished.stderr
