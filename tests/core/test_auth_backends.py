"""Login throttling (django-axes) on the product's and the admin's login pages."""

import pytest
from django.test import Client

from partners import roles
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def underwriter(partner, make_user):
    return make_user(partner, roles.UNDERWRITER, is_staff=True)


def attempt(client, page, username, password):
    return client.post(page, {"username": username, "password": password})


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_after_five_failures_even_the_right_password_is_refused_with_429(page, underwriter, settings):
    client = Client()
    assert settings.AXES_FAILURE_LIMIT == 5
    statuses = [attempt(client, page, underwriter.username, "wrong password").status_code for _ in range(5)]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert statuses[4] == 429
    assert attempt(client, page, underwriter.username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_a_locked_out_username_does_not_lock_out_another(page, underwriter, partner, make_user):
    colleague = make_user(partner, roles.UNDERWRITER, is_staff=True)
    client = Client()
    for _ in range(5):
        attempt(client, page, underwriter.username, "wrong password")
    assert attempt(client, page, colleague.username, PASSWORD).status_code == 302


def test_a_success_resets_the_count(underwriter):
    client = Client()
    for _ in range(4):
        attempt(client, "/accounts/login/", underwriter.username, "wrong password")
    assert attempt(client, "/accounts/login/", underwriter.username, PASSWORD).status_code == 302
    client.logout()
    statuses = [
        attempt(client, "/accounts/login/", underwriter.username, "wrong password").status_code for _ in range(4)
    ]
    assert statuses == [200] * 4


def test_logins_without_a_request_are_not_throttled(underwriter):
    """Management commands and the test client's login() authenticate without an HTTP request."""
    client = Client()
    for _ in range(6):
        attempt(client, "/accounts/login/", underwriter.username, "wrong password")
    assert Client().login(username=underwriter.username, password=PASSWORD)
