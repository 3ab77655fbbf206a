"""Every endpoint × role × own/other partner → status, in one table."""
import pytest

from modelregistry import services as registry
from partners import roles
from tests.factories import LOGISTIC_PMML
from tests.decisioning.test_insights_api import GOOD_ARGUMENTS, insight_document, register_mapped_logistic

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(partner, other_partner, make_user, dictionary):
    """An insight and a model at `partner`; the same again at `other_partner`."""
    objects = {}
    for key, owner in (("own", partner), ("other", other_partner)):
        scientist = make_user(owner, roles.DATA_SCIENTIST)
        model = register_mapped_logistic(owner, scientist)
        from decisioning.services import insight_create

        insight = insight_create(partner=owner, model_id=model.pk, arguments=GOOD_ARGUMENTS, requested_by=scientist)
        objects[key] = {"model": model, "field": model.fields.get(name="annual_inc"), "insight": insight}
    return objects


def endpoints(objects):
    model, field, insight = objects["model"], objects["field"], objects["insight"]
    return [
        ("get", f"/api/v1/predictive-models/{model.pk}", None),
        ("get", f"/api/v1/predictive-models/{model.pk}/fields", None),
        ("get", f"/api/v1/predictive-models/{model.pk}/fields/{field.pk}", None),
        (
            "patch",
            f"/api/v1/predictive-models/{model.pk}/fields/{field.pk}",
            {"data": {"type": "predictiveModelField", "id": str(field.pk), "attributes": {"supportedFieldName": "annualIncome"}}},
        ),
        ("get", f"/api/v1/insights/{insight.pk}", None),
        ("post", "/api/v1/insights", insight_document(model.pk, GOOD_ARGUMENTS)),
    ]


@pytest.mark.parametrize("role", [roles.DATA_SCIENTIST, roles.PARTNER_ADMIN, roles.AUDITOR, roles.PARTNER_SYSTEM])
def test_another_partners_objects_are_404_on_every_endpoint(world, partner, make_user, api_as, role):
    client = api_as(make_user(partner, role))
    for method, url, document in endpoints(world["other"]):
        response = getattr(client, method)(url, document) if document else getattr(client, method)(url)
        assert response.status_code in (404, 403), (role, method, url, response.status_code)
        if response.status_code == 403:
            # A role that may not use the endpoint at all is refused before anything is looked up.
            assert method in ("patch", "post")
        else:
            assert response.json()["errors"][0]["status"] == "404"
    listed = client.get("/api/v1/predictive-models").json()["data"]
    assert {item["id"] for item in listed} == {str(world["own"]["model"].pk)}
    insights = client.get("/api/v1/insights").json()["data"]
    assert str(world["other"]["insight"].pk) not in {item["id"] for item in insights}


ALLOWED = {
    # (method, endpoint kind): roles that get a success status at their own partner
    ("get", "models"): set(roles.ALL),
    ("post", "models"): {roles.DATA_SCIENTIST, roles.RULE_EDITOR, roles.PARTNER_ADMIN},
    ("patch", "field"): {roles.DATA_SCIENTIST, roles.RULE_EDITOR, roles.PARTNER_ADMIN},
    ("post", "insights"): {roles.PARTNER_SYSTEM, roles.DATA_SCIENTIST, roles.PARTNER_ADMIN},
    ("get", "insight"): {roles.AUDITOR, roles.PARTNER_ADMIN},  # others see only their own
}


@pytest.mark.parametrize("role", roles.ALL)
def test_role_table_at_own_partner(world, partner, make_user, api_as, role):
    client = api_as(make_user(partner, role))
    own = world["own"]
    field = own["field"]
    cases = {
        ("get", "models"): lambda: client.get("/api/v1/predictive-models"),
        ("post", "models"): lambda: client.post(
            "/api/v1/predictive-models",
            {"data": {"type": "predictiveModel", "attributes": {"name": f"PD {role}", "artifact": LOGISTIC_PMML}}},
        ),
        ("patch", "field"): lambda: client.patch(
            f"/api/v1/predictive-models/{own['model'].pk}/fields/{field.pk}",
            {"data": {"type": "predictiveModelField", "id": str(field.pk), "attributes": {"supportedFieldName": "annualIncome"}}},
        ),
        ("post", "insights"): lambda: client.post("/api/v1/insights", insight_document(own["model"].pk, GOOD_ARGUMENTS)),
        ("get", "insight"): lambda: client.get(f"/api/v1/insights/{own['insight'].pk}"),
    }
    for key, call in cases.items():
        status = call().status_code
        if role in ALLOWED[key]:
            assert status in (200, 201), (role, key, status)
        else:
            assert status in (403, 404), (role, key, status)


def test_no_token_no_access(world):
    from tests.conftest import JsonApiClient

    anonymous = JsonApiClient()
    assert anonymous.get("/api/v1/predictive-models").status_code in (401, 403)
    assert JsonApiClient(token="not-a-token").get("/api/v1/predictive-models").status_code == 401


def test_platform_staff_without_a_partner_get_no_partner_data(world, make_user, api_as, db):
    from partners.models import User

    staff = User.objects.create_user(username="platform", password="x" * 20, is_staff=True)
    from tests.conftest import JsonApiClient
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=staff)
    assert JsonApiClient(token=key).get("/api/v1/predictive-models").status_code == 403
