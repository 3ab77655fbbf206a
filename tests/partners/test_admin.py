"""The admin works for the roles: each role's people log in, do their work and see only their partner.

People are made through partners.services (as load_demo and partner admins make them), so admin
access (`is_staff`) and the groups' permissions are the real ones, not set by the tests.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from knox.models import AuthToken

from core.models import AuditEvent
from decisioning.demo import demo_load
from decisioning.services.insights import insight_create
from modelregistry.models import DataDictionaryField, PredictiveModel
from partners import roles
from partners.models import User
from partners.services import api_token_create, user_create, user_roles_set
from rulesets.models import RulesetVersion
from tests.factories import KNOCKOUT_DMN, LOGISTIC_PMML, publish_draft, publish_ruleset

pytestmark = pytest.mark.django_db

ADMIN_ROLES = [roles.RULE_EDITOR, roles.RULE_APPROVER, roles.DATA_SCIENTIST, roles.PARTNER_ADMIN, roles.AUDITOR]
NO_ADMIN_ROLES = [roles.UNDERWRITER, roles.PARTNER_SYSTEM]
CHANGELISTS = {  # changelist -> roles whose work needs it
    "modelregistry/predictivemodel": set(ADMIN_ROLES),
    "modelregistry/datadictionaryfield": set(ADMIN_ROLES),
    "core/auditevent": {roles.AUDITOR, roles.PARTNER_ADMIN},
    "decisioning/insighttransaction": {roles.AUDITOR, roles.PARTNER_ADMIN},
    "partners/user": {roles.PARTNER_ADMIN},
    "partners/partner": {roles.PARTNER_ADMIN},
    "knox/authtoken": {roles.PARTNER_ADMIN},
}


EXPECTED_ON = {  # something of the own partner each changelist shows
    "modelregistry/predictivemodel": lambda own: f"Knock-outs of {own.name}",
    "modelregistry/datadictionaryfield": lambda own: "annualIncome",
    "core/auditevent": lambda own: f"Knock-outs of {own.name} v1",
    "decisioning/insighttransaction": lambda own: f"Knock-outs of {own.name} v1",
    "partners/user": lambda own: f"{own.slug}-{roles.UNDERWRITER}",
    "partners/partner": lambda own: own.name,
    "knox/authtoken": lambda own: f"{own.slug}-{roles.PARTNER_SYSTEM}",
}


@pytest.fixture
def world(partner, other_partner, dictionary):
    """Both partners with a person of every role, a knock-out model and an evaluation."""
    people, models = {}, {}
    for lender in (partner, other_partner):
        for role in roles.ALL:
            people[lender.slug, role] = user_create(partner=lender, username=f"{lender.slug}-{role}", roles=[role])
        editor = people[lender.slug, roles.RULE_EDITOR][0]
        models[lender.slug] = publish_ruleset(
            lender, f"Knock-outs of {lender.name}", KNOCKOUT_DMN, author=editor
        ).published_model
        api_token_create(user=people[lender.slug, roles.PARTNER_SYSTEM][0])
        insight_create(
            partner=lender,
            model_id=models[lender.slug].pk,
            requested_by=editor,
            arguments={"annualIncome": 9000, "accountsNowDelinquent": 0},
        )
    return {"people": people, "models": models, "own": partner, "other": other_partner}


def login(client, world, role, lender=None):
    user, password = world["people"][(lender or world["own"]).slug, role]
    assert client.login(username=user.username, password=password)
    return user


def _value(bound_field):
    value = bound_field.value()
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


def change_form_data(response):
    """The POST a browser sends for an admin change page as shown (main form and inlines)."""
    form = response.context["adminform"].form
    data = {name: _value(form[name]) for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): _value(management[name]) for name in management.fields})
        for subform in formset.forms:
            data.update({subform.add_prefix(name): _value(subform[name]) for name in subform.fields})
    return {key: value for key, value in data.items() if value not in ("", "False")}


# ---------------------------------------------------------------- who gets the admin


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_roles_that_work_in_the_admin_get_staff_and_log_in(client, world, role):
    user = login(client, world, role)
    assert user.is_staff and not user.is_superuser
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", NO_ADMIN_ROLES)
def test_underwriter_and_partner_system_are_sent_to_the_admin_login(client, world, role):
    user = login(client, world, role)
    assert not user.is_staff
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/modelregistry/predictivemodel/").status_code == 302


def test_changing_roles_grants_and_withdraws_the_admin(world):
    user, _ = world["people"][world["own"].slug, roles.UNDERWRITER]
    assert user_roles_set(user=user, roles=[roles.UNDERWRITER, roles.RULE_APPROVER]).is_staff
    assert not user_roles_set(user=user, roles=[roles.UNDERWRITER]).is_staff
    assert not User.objects.get(pk=user.pk).is_staff


# ---------------------------------------------------------------- what each role sees


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_each_role_sees_only_its_partners_objects_on_every_changelist(client, world, role):
    login(client, world, role)
    own, other = world["own"], world["other"]
    for changelist, allowed in CHANGELISTS.items():
        response = client.get(f"/admin/{changelist}/")
        if role not in allowed:
            assert response.status_code == 403, changelist
            continue
        assert response.status_code == 200, changelist
        page = response.content.decode()
        assert other.name not in page, changelist  # no name of the other partner, not even in a filter
        assert f"{other.slug}-" not in page, changelist  # nor any of its people
        assert EXPECTED_ON[changelist](own) in page, changelist


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_another_partners_change_pages_are_not_found(client, world, role):
    login(client, world, role)
    other = world["other"]
    model = world["models"][other.slug]
    person = world["people"][other.slug, roles.RULE_EDITOR][0]
    for url in (
        f"/admin/modelregistry/predictivemodel/{model.pk}/change/",
        f"/admin/modelregistry/predictivemodel/{model.pk}/source/",
        f"/admin/partners/user/{person.pk}/change/",
        f"/admin/partners/user/{person.pk}/password/",
        f"/admin/partners/partner/{other.pk}/change/",
    ):
        response = client.get(url)
        # the admin answers a missing object with 404 or a redirect to its index ("doesn't exist")
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url


def test_the_model_upload_offers_only_the_own_partner(client, world):
    login(client, world, roles.RULE_EDITOR)
    form = client.get("/admin/modelregistry/predictivemodel/add/").context["adminform"].form
    assert list(form.fields["partner"].queryset) == [world["own"]]
    assert form.initial["partner"] == world["own"].pk
    response = client.post(
        "/admin/modelregistry/predictivemodel/add/",
        {
            "partner": world["other"].pk,
            "name": "Sneaky",
            "artifact_file": SimpleUploadedFile("k.dmn", KNOCKOUT_DMN.encode()),
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not PredictiveModel.objects.filter(name="Sneaky").exists()


# ---------------------------------------------------------------- each role does its work


@pytest.mark.parametrize(
    "role, artifact, filename",
    [(roles.RULE_EDITOR, KNOCKOUT_DMN, "knockout.dmn"), (roles.DATA_SCIENTIST, LOGISTIC_PMML, "model.pmml")],
)
def test_authors_upload_a_model_and_save_its_change_page_with_a_mapping(client, world, role, artifact, filename):
    user = login(client, world, role)
    response = client.post(
        "/admin/modelregistry/predictivemodel/add/",
        {
            "partner": world["own"].pk,
            "name": "New model",
            "description": "",
            "artifact_file": SimpleUploadedFile(filename, artifact.encode()),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    if filename.endswith(".dmn"):  # rules are a draft until a second person approves and publishes them
        assert not PredictiveModel.objects.filter(name="New model").exists()
        draft = RulesetVersion.objects.get(ruleset__name="New model", ruleset__partner=world["own"])
        assert draft.author == user
        publish_draft(draft)
    model = PredictiveModel.objects.get(name="New model", partner=world["own"])
    if filename.endswith(".pmml"):
        assert model.created_by == user

    url = f"/admin/modelregistry/predictivemodel/{model.pk}/change/"
    data = change_form_data(client.get(url))
    argument = model.fields.filter(field_type="argument").order_by("position").first()
    index = next(
        re.match(r"fields-(\d+)-id", key).group(1)
        for key, value in data.items()
        if re.match(r"fields-\d+-id$", key) and value == str(argument.pk)
    )
    data[f"fields-{index}-supported_field"] = str(_dictionary_field("revolvingUtilization").pk)
    data["description"] = "Edited in the admin"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    argument.refresh_from_db()
    model.refresh_from_db()
    assert argument.supported_field.name == "revolvingUtilization"
    assert model.description == "Edited in the admin"


def _dictionary_field(name):
    return DataDictionaryField.objects.get(name=name)


def test_saving_a_model_page_unchanged_succeeds(client, world):
    login(client, world, roles.RULE_EDITOR)
    url = f"/admin/modelregistry/predictivemodel/{world['models'][world['own'].slug].pk}/change/"
    response = client.post(url, change_form_data(client.get(url)))
    assert response.status_code == 302


@pytest.mark.parametrize("role", [roles.RULE_APPROVER, roles.AUDITOR])
def test_readers_view_models_but_cannot_upload(client, world, role):
    login(client, world, role)
    model = world["models"][world["own"].slug]
    assert client.get(f"/admin/modelregistry/predictivemodel/{model.pk}/change/").status_code == 200
    assert client.get("/admin/modelregistry/predictivemodel/add/").status_code == 403


def test_a_partner_admin_adds_people_to_the_own_partner_with_roles_only(client, world):
    login(client, world, roles.PARTNER_ADMIN)
    form = client.get("/admin/partners/user/add/").context["adminform"].form
    assert sorted(form.fields["groups"].queryset.values_list("name", flat=True)) == sorted(roles.ALL)
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    groups = dict(form.fields["groups"].queryset.values_list("name", "pk"))
    for username, role, staff in (
        ("new-editor", roles.RULE_EDITOR, True),
        ("new-underwriter", roles.UNDERWRITER, False),
    ):
        response = client.post(
            "/admin/partners/user/add/",
            {
                "username": username,
                "usable_password": "true",
                "password1": "a-long-Passphrase-42",
                "password2": "a-long-Passphrase-42",
                "groups": [groups[role]],
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        person = User.objects.get(username=username)
        assert person.partner == world["own"]
        assert person.is_staff is staff and not person.is_superuser
        assert person.role_names() == {role}


def test_a_partner_admin_revokes_the_own_partners_token_on_the_record(client, world):
    login(client, world, roles.PARTNER_ADMIN)
    own_token = AuthToken.objects.get(user__partner=world["own"])
    other_token = AuthToken.objects.get(user__partner=world["other"])
    response = client.post(
        "/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [own_token.pk, other_token.pk]}
    )
    assert response.status_code == 302
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [other_token.pk]
    assert AuditEvent.objects.filter(action="api_token.revoke", partner=world["own"]).count() == 1


def test_a_partner_admin_tunes_the_own_partner_but_not_its_name(client, world):
    login(client, world, roles.PARTNER_ADMIN)
    own = world["own"]
    url = f"/admin/partners/partner/{own.pk}/change/"
    data = change_form_data(client.get(url))
    data.update(review_sla_hours="24", override_confirmation_amount="10000", name="Renamed")
    assert client.post(url, data).status_code == 302
    own.refresh_from_db()
    assert (own.review_sla_hours, own.name) == (24, "Demo Credit Union")


# ---------------------------------------------------------------- the demo's people


def test_load_demo_people_log_into_the_admin_with_their_printed_passwords(client, db):
    demo = demo_load(out=lambda *_: None)
    for role, (user, password) in demo["people"].items():
        assert client.login(username=user.username, password=password), role
        status = client.get("/admin/").status_code
        assert status == (200 if role in ADMIN_ROLES else 302), role
        client.logout()
