"""API rate limits: per token, shared by every process, 429 with Retry-After."""

import pytest

from partners import roles
from partners.services import api_token_create
from tests.conftest import JsonApiClient
from tests.processes import run_django

ACCEPT = "application/vnd.api+json"


@pytest.mark.django_db(transaction=True)
def test_two_processes_with_one_token_share_one_budget_and_the_excess_is_429_with_retry_after(partner, make_user):
    partner.api_requests_per_minute = 5
    partner.save()
    key = api_token_create(user=make_user(partner, roles.PARTNER_SYSTEM))
    client, token = JsonApiClient(token=key), f"Token {key}"

    assert [client.get("/api/v1/predictive-models").status_code for _ in range(3)] == [200, 200, 200]
    elsewhere = run_django(f"""
        client = Client()
        print(json.dumps([client.get("/api/v1/predictive-models", HTTP_AUTHORIZATION={token!r}, HTTP_ACCEPT={ACCEPT!r}).status_code for _ in range(2)]))
    """)
    assert elsewhere == [200, 200]

    refused = client.get("/api/v1/predictive-models")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    error = refused.json()["errors"][0]
    assert error["status"] == "429" and "throttled" in error["code"]


@pytest.mark.django_db
def test_the_limit_is_per_token_and_the_default_is_generous(partner, make_user, settings):
    partner.api_requests_per_minute = 2
    partner.save()
    user = make_user(partner, roles.PARTNER_SYSTEM)
    first, second = JsonApiClient(user), JsonApiClient(user)  # two tokens of one system
    assert [first.get("/api/v1/insights").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/insights").status_code == 200

    partner.api_requests_per_minute = None  # back to the platform default
    partner.save()
    settings.API_RATE_LIMIT_PER_MINUTE = 6000
    assert [first.get("/api/v1/insights").status_code for _ in range(20)] == [200] * 20
