"""The cached token authentication: no SQL on a hit, and nothing stale after revocation or a role change."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners import roles
from partners.services import api_token_create, api_token_revoke
from tests.conftest import JsonApiClient


@pytest.fixture
def system(partner, make_user):
    user = make_user(partner, roles.PARTNER_SYSTEM)
    return user, api_token_create(user=user, actor=None)


def auth_statements(client):
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/decisions")
    return [
        q["sql"]
        for q in queries.captured_queries
        if "knox_authtoken" in q["sql"] or "auth_group" in q["sql"] or "partners_partner" in q["sql"]
    ]


@pytest.mark.django_db
def test_a_known_token_is_authenticated_without_sql(system):
    user, key = system
    client = JsonApiClient(token=key)
    assert client.get("/api/v1/decisions").status_code == 200
    assert auth_statements(client) == []


@pytest.mark.django_db
def test_a_revoked_token_is_refused_at_once(system):
    user, key = system
    client = JsonApiClient(token=key)
    assert client.get("/api/v1/decisions").status_code == 200
    from knox.models import AuthToken

    api_token_revoke(token=AuthToken.objects.get(user=user), actor=None)
    assert client.get("/api/v1/decisions").status_code == 401


@pytest.mark.django_db
def test_a_removed_role_is_refused_at_once(system):
    user, key = system
    client = JsonApiClient(token=key)
    assert client.get("/api/v1/decisions").status_code == 200
    user.groups.remove(Group.objects.get(name=roles.PARTNER_SYSTEM))
    assert client.get("/api/v1/decisions").status_code == 403


@pytest.mark.django_db
def test_a_deactivated_user_is_refused_at_once(system):
    user, key = system
    client = JsonApiClient(token=key)
    assert client.get("/api/v1/decisions").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/v1/decisions").status_code == 401


@pytest.mark.django_db
def test_a_wrong_token_with_a_known_prefix_is_refused(system):
    user, key = system
    assert JsonApiClient(token=key).get("/api/v1/decisions").status_code == 200
    forged = key[:15] + ("A" if key[15] != "A" else "B") + key[16:]
    assert JsonApiClient(token=forged).get("/api/v1/decisions").status_code == 401


@pytest.mark.django_db
def test_without_redis_several_processes_cache_nothing(system, settings):
    """No shared generation to hear revocations by: every request authenticates from the database."""
    settings.REDIS_URL = ""
    settings.PROCESS_CACHE_WITHOUT_REDIS = False
    user, key = system
    client = JsonApiClient(token=key)
    assert client.get("/api/v1/decisions").status_code == 200
    assert any("knox_authtoken" in sql for sql in auth_statements(client))
