"""core.process_cache: inside a request scope the shared generations cost one Redis round trip."""

import pytest
import redis as redis_library
from django.conf import settings

from core import process_cache
from core.api.authentication import tokens
from decisioning import plan_cache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the shared generations live in Redis")


class CountingRedis(redis_library.Redis):
    """The real client, counting the commands it sends."""

    commands: list

    def execute_command(self, *args, **options):
        self.commands.append(args[0])
        return super().execute_command(*args, **options)


@pytest.fixture
def counting_client(monkeypatch):
    client = CountingRedis.from_url(settings.REDIS_URL)
    client.commands = []
    monkeypatch.setitem(process_cache._clients, settings.REDIS_URL, client)
    return client


def test_a_request_reads_every_generation_in_one_round_trip(counting_client):
    with process_cache.request_scope():
        first = (tokens.generation(), plan_cache.generation())
        again = (tokens.generation(), plan_cache.generation())
    assert counting_client.commands == ["MGET"]
    assert first == again and None not in first


def test_another_process_change_is_seen_from_the_next_request_on(counting_client):
    with process_cache.request_scope():
        before = plan_cache.generation()
        counting_client.incr(plan_cache.plans.key)  # another worker committed a change
        assert plan_cache.generation() == before
    with process_cache.request_scope():
        assert plan_cache.generation() == (before[0], before[1] + 1)


@pytest.mark.django_db
def test_a_change_in_this_process_is_seen_within_the_same_request(counting_client):
    with process_cache.request_scope():
        before = plan_cache.generation()
        plan_cache.plans.invalidate()
        assert plan_cache.generation() != before


def test_outside_a_request_every_use_reads_redis(counting_client):
    tokens.generation()
    tokens.generation()
    assert counting_client.commands == ["MGET", "MGET"]


def test_redis_unreachable_trusts_nothing(monkeypatch):
    client = redis_library.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setitem(process_cache._clients, settings.REDIS_URL, client)
    with process_cache.request_scope():
        assert tokens.generation() is None and plan_cache.generation() is None
