import pytest
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken

from core.models import AuditEvent
from partners import roles
from partners.models import Partner, User
from partners.services import partner_onboard

pytestmark = pytest.mark.django_db


def test_create_partner_makes_the_partner_and_its_first_admin(capsys):
    call_command("create_partner", "Northwind Savings", admin="nw-admin", email="admin@northwind.example")
    output = capsys.readouterr().out
    admin = User.objects.get(username="nw-admin")
    assert admin.partner == Partner.objects.get(slug="northwind-savings")
    assert admin.role_names() == {roles.PARTNER_ADMIN}
    password = output.split("password ")[1].strip()
    assert admin.check_password(password)
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"partner.create", "user.create"}


def test_onboarding_refuses_a_taken_username_and_leaves_no_partner(make_user, partner):
    make_user(partner, roles.UNDERWRITER, username="taken")
    with pytest.raises(Exception, match="taken"):
        partner_onboard(name="Half Made Bank", admin_username="taken")
    assert not Partner.objects.filter(name="Half Made Bank").exists()


def test_a_superuser_adds_a_partner_with_its_admin_in_the_admin():
    root = User.objects.create_superuser(username="root", password="x" * 24)
    client = Client()
    client.force_login(root)
    response = client.post(
        "/admin/partners/partner/add/",
        {
            "name": "Fjord Lending",
            "review_sla_hours": 24,
            "override_confirmation_amount": "10000",
            "api_requests_per_minute": "",
            "admin_username": "fjord-admin",
            "admin_email": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    admin = User.objects.get(username="fjord-admin")
    assert admin.partner.name == "Fjord Lending" and admin.role_names() == {roles.PARTNER_ADMIN}
    assert "shown only now" in response.content.decode()


@pytest.mark.parametrize(
    ("role_list", "home"),
    [
        ([roles.UNDERWRITER], "/review/"),
        ([roles.RULE_EDITOR], "/admin/rulesets/ruleset/"),
        ([roles.RULE_EDITOR, roles.RULE_APPROVER], "/admin/rulesets/ruleset/"),
        ([roles.DATA_SCIENTIST], "/admin/modelregistry/predictivemodel/"),
        ([roles.AUDITOR], "/audit/"),
        ([roles.PARTNER_ADMIN], "/overview/"),
        ([roles.RISK_MANAGER], "/portfolio/jobs/"),
        ([roles.UNDERWRITER, roles.AUDITOR], "/overview/"),
        ([roles.PARTNER_SYSTEM], "/overview/"),  # a system's people see the API docs from there
    ],
)
def test_home_sends_each_role_to_its_page(make_user, partner, role_list, home):
    client = Client()
    client.force_login(make_user(partner, *role_list))
    assert client.get("/")["Location"] == home


def test_a_partner_admin_adds_a_system_and_creates_its_token_shown_once(make_user, partner, dictionary):
    client = Client()
    client.force_login(make_user(partner, roles.PARTNER_ADMIN))
    client.post("/people/add/", {"username": "los-system", "roles": [roles.PARTNER_SYSTEM]})
    system = User.objects.get(username="los-system")
    assert system.partner == partner and system.role_names() == {roles.PARTNER_SYSTEM}
    client.post("/people/tokens/", {"user": system.pk})
    page = client.get("/people/").content.decode()
    key = page.split('id="new-token">')[1].split("<")[0]
    token = AuthToken.objects.get(user=system)
    assert key.startswith(token.token_key) and key not in token.digest  # only a hash is stored
    again = client.get("/people/").content.decode()
    assert key not in again  # shown once
    # Roles read as words (the form still posts the role's name).
    assert '<td>los-system</td><td class="small">Partner system</td>' in again
    assert "<strong>Rule approver</strong>" in again and 'value="rule_approver"' in again
    from tests.conftest import JsonApiClient

    assert JsonApiClient(token=key).get("/api/v1/predictive-models").status_code == 200


def test_a_partner_admin_cannot_issue_tokens_for_another_partners_user(make_user, partner, other_partner):
    stranger = make_user(other_partner, roles.PARTNER_SYSTEM)
    client = Client()
    client.force_login(make_user(partner, roles.PARTNER_ADMIN))
    client.post("/people/tokens/", {"user": stranger.pk})
    assert not AuthToken.objects.filter(user=stranger).exists()


def test_the_overview_shows_a_new_partners_first_steps_ticking_them_off(make_user, partner):
    client = Client()
    admin = make_user(partner, roles.PARTNER_ADMIN)
    client.force_login(admin)
    page = client.get("/overview/").content.decode()
    assert "From nothing to a first decision" in page and "✓" not in page
    client.post("/people/add/", {"username": "los-system", "roles": [roles.PARTNER_SYSTEM]})
    client.post("/people/tokens/", {"user": User.objects.get(username="los-system").pk})
    page = client.get("/overview/").content.decode()
    assert "✓ Add your people" in page and "✓ Create an API token" in page
    assert '<a href="/dictionary/">Import the data dictionary' in page
    client.force_login(make_user(partner, roles.AUDITOR, roles.UNDERWRITER))
    assert "From nothing to a first decision" not in client.get("/overview/").content.decode()  # admins' list


def test_the_navigation_offers_each_role_the_pages_it_may_open(make_user, partner):
    client = Client()
    for role_list, present, absent in (
        ([roles.RISK_MANAGER], ["/portfolio/jobs/"], ["/review/", "/audit/", "/people/"]),
        ([roles.AUDITOR], ["/audit/", "/portfolio/jobs/", "/flows/"], ["/review/", "/people/"]),
        ([roles.PARTNER_ADMIN], ["/people/", "/dictionary/", "/flows/", "/audit/"], ["/review/", "/portfolio/jobs/"]),
        ([roles.UNDERWRITER], ["/review/"], ["/audit/", "/flows/"]),
    ):
        client.force_login(make_user(partner, *role_list))
        nav = client.get("/overview/").content.decode().split('aria-label="Product"')[1].split("</nav>")[0]
        for url in present:
            assert f'href="{url}"' in nav, (role_list, url)
            assert client.get(url).status_code == 200, (role_list, url)
        for url in absent:
            assert f'href="{url}"' not in nav, (role_list, url)


@pytest.mark.parametrize("role", roles.ALL)
def test_every_link_a_role_is_offered_opens(make_user, partner, role):
    from partners.views import _links_for

    client = Client()
    user = make_user(partner, role)
    client.force_login(user)
    for title, url, _ in _links_for(user):
        assert client.get(url).status_code == 200, (role, title, url)


def test_a_system_accounts_overview_says_it_is_for_the_api(make_user, partner):
    client = Client()
    client.force_login(make_user(partner, roles.PARTNER_SYSTEM))
    page = client.get("/overview/").content.decode()
    assert 'id="system-account"' in page and "/api/docs/" in page
    client.force_login(make_user(partner, roles.UNDERWRITER, roles.AUDITOR))
    assert 'id="system-account"' not in client.get("/overview/").content.decode()
