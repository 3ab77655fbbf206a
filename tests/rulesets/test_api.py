"""The rulesets API: the maker-checker path over HTTP, errors as JSON:API, scoping."""

import pytest

from partners import roles
from rulesets.models import RulesetVersion
from tests.factories import KNOCKOUT_DMN, publish_ruleset

pytestmark = pytest.mark.django_db


def document(resource_type, **attributes):
    return {"data": {"type": resource_type, "attributes": attributes}}


@pytest.fixture
def clients(partner, make_user, api_as, dictionary):
    return {
        "editor": api_as(make_user(partner, roles.RULE_EDITOR, username="rita")),
        "approver": api_as(make_user(partner, roles.RULE_APPROVER, username="arthur")),
    }


def test_the_whole_path_from_draft_to_published_over_http(clients, partner):
    editor, approver = clients["editor"], clients["approver"]
    created = editor.post("/api/v1/rulesets", document("ruleset", name="Knock-outs", purpose="knockout"))
    assert created.status_code == 201, created.json()
    ruleset_id = created.json()["data"]["id"]
    draft = editor.post(
        "/api/v1/ruleset-versions",
        document("rulesetVersion", rulesetId=ruleset_id, dmnXml=KNOCKOUT_DMN, changeNote="first"),
    )
    assert draft.status_code == 201, draft.json()
    version_id = draft.json()["data"]["id"]
    base = f"/api/v1/ruleset-versions/{version_id}"

    imported = editor.post(
        f"/api/v1/rulesets/{ruleset_id}/test-cases/import",
        document("rulesetTestCase", csv="name,annualIncome,accountsNowDelinquent,knockoutReasons\nlow,9000,0,KO03\n"),
    )
    assert imported.status_code == 200, imported.json()
    run = editor.client.post(f"{base}/test-run", HTTP_ACCEPT="application/vnd.api+json").json()["meta"]
    assert run["passed"] is True and run["cases"][0]["actual"] == {"knockoutReasons": ["KO03"]}

    assert editor.post(f"{base}/submit", document("rulesetVersion", note="ready")).status_code == 200
    refused = editor.post(f"{base}/approve", document("rulesetVersion", effectiveFrom="2026-01-01T00:00:00Z"))
    assert refused.status_code == 403
    no_date = approver.post(f"{base}/approve", document("rulesetVersion"))
    assert no_date.status_code == 400
    assert no_date.json()["errors"][0]["source"]["pointer"] == "/data/attributes/effectiveFrom"
    approved = approver.post(f"{base}/approve", document("rulesetVersion", effectiveFrom="2026-01-01T00:00:00Z"))
    assert approved.status_code == 200 and approved.json()["data"]["attributes"]["approver"] == "arthur"
    published = approver.post(f"{base}/publish", document("rulesetVersion", note="live"))
    assert published.status_code == 200, published.json()
    attributes = published.json()["data"]["attributes"]
    assert attributes["status"] == "published" and attributes["publishedModelId"]
    assert [(t["from"], t["to"], t["by"]) for t in attributes["transitions"]] == [
        (None, "draft", "rita"),
        ("draft", "in_review", "rita"),
        ("in_review", "approved", "arthur"),
        ("approved", "published", "arthur"),
    ]
    model = editor.get(f"/api/v1/predictive-models/{attributes['publishedModelId']}")
    assert model.status_code == 200 and model.json()["data"]["attributes"]["engine"] == "dmn"

    changed = editor.patch(
        base, {"data": {"type": "rulesetVersion", "id": version_id, "attributes": {"changeNote": "x"}}}
    )
    assert changed.status_code == 409  # published: immutable; make a new draft
    assert editor.client.delete(base).status_code == 409


def test_a_new_draft_from_a_published_version_and_the_diff_between_them(clients, partner):
    published = publish_ruleset(partner, "Knock-outs", KNOCKOUT_DMN)
    editor = clients["editor"]
    draft = editor.post(
        "/api/v1/ruleset-versions",
        document("rulesetVersion", rulesetId=str(published.ruleset_id), basedOnId=str(published.pk)),
    )
    assert draft.status_code == 201, draft.json()
    draft_id = draft.json()["data"]["id"]
    edited = editor.patch(
        f"/api/v1/ruleset-versions/{draft_id}",
        {
            "data": {
                "type": "rulesetVersion",
                "id": draft_id,
                "attributes": {"dmnXml": KNOCKOUT_DMN.replace("12000", "15000")},
            }
        },
    )
    assert edited.status_code == 200, edited.json()
    diff = editor.get(f"/api/v1/ruleset-versions/{draft_id}/diff", {"against": str(published.pk)}).json()["meta"]
    assert diff["text"] == "Decision 'knockoutReasons':\n  rule 1 changed: annualIncome: < 12000 → < 15000"
    assert diff["tables"][0]["rules"][0]["cells"] == [{"column": "annualIncome", "old": "< 12000", "new": "< 15000"}]
    assert editor.client.delete(f"/api/v1/ruleset-versions/{draft_id}").status_code == 204
    assert editor.get(f"/api/v1/ruleset-versions/{draft_id}").status_code == 404


def test_bad_csv_cells_are_400s_pointing_at_row_and_column(clients, partner):
    published = publish_ruleset(partner, "Knock-outs", KNOCKOUT_DMN)
    response = clients["editor"].post(
        f"/api/v1/rulesets/{published.ruleset_id}/test-cases/import",
        document("rulesetTestCase", csv="name,annualIncome,knockoutReasons\nlow,lots,KO03\n"),
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"]["pointer"] == "/data/attributes/csv/2/annualIncome"
    assert error["detail"] == "Row 2, column 'annualIncome': 'lots' is not a number."


@pytest.mark.parametrize(
    "role, status",
    [
        (roles.RULE_EDITOR, 200),
        (roles.RULE_APPROVER, 200),
        (roles.DATA_SCIENTIST, 200),
        (roles.PARTNER_ADMIN, 200),
        (roles.AUDITOR, 200),
        (roles.UNDERWRITER, 403),
        (roles.PARTNER_SYSTEM, 403),
    ],
)
def test_who_reads_rulesets(partner, make_user, api_as, dictionary, role, status):
    published = publish_ruleset(partner, "Knock-outs", KNOCKOUT_DMN)
    client = api_as(make_user(partner, role))
    for url in (
        "/api/v1/rulesets",
        f"/api/v1/rulesets/{published.ruleset_id}",
        f"/api/v1/ruleset-versions/{published.pk}",
    ):
        assert client.get(url).status_code == status, url


def test_another_partners_rulesets_are_404_everywhere(partner, other_partner, make_user, api_as, dictionary):
    published = publish_ruleset(partner, "Knock-outs", KNOCKOUT_DMN)
    stranger = api_as(make_user(other_partner, roles.RULE_APPROVER))
    assert stranger.get("/api/v1/rulesets").json()["data"] == []
    assert stranger.get(f"/api/v1/rulesets/{published.ruleset_id}").status_code == 404
    assert stranger.get(f"/api/v1/ruleset-versions/{published.pk}").status_code == 404
    assert stranger.get(f"/api/v1/rulesets/{published.ruleset_id}/test-cases").status_code == 404
    assert (
        stranger.post(f"/api/v1/ruleset-versions/{published.pk}/retire", document("rulesetVersion")).status_code == 404
    )
    assert RulesetVersion.objects.get().status == "published"


def test_the_author_cannot_approve_over_http_either(partner, make_user, api_as, dictionary):
    both = make_user(partner, roles.RULE_EDITOR, roles.RULE_APPROVER)
    client = api_as(both)
    ruleset_id = client.post("/api/v1/rulesets", document("ruleset", name="KO", purpose="knockout")).json()["data"][
        "id"
    ]
    version_id = client.post(
        "/api/v1/ruleset-versions", document("rulesetVersion", rulesetId=ruleset_id, dmnXml=KNOCKOUT_DMN)
    ).json()["data"]["id"]
    client.post(f"/api/v1/ruleset-versions/{version_id}/submit", document("rulesetVersion"))
    response = client.post(
        f"/api/v1/ruleset-versions/{version_id}/approve",
        document("rulesetVersion", effectiveFrom="2026-01-01T00:00:00Z"),
    )
    assert response.status_code == 403 and "author" in response.json()["errors"][0]["detail"]


def test_creating_or_changing_without_a_document_is_400_on_data(clients, partner):  # found by Schemathesis
    editor = clients["editor"]
    version = publish_ruleset(
        partner,
        "Knock-outs",
        KNOCKOUT_DMN,
        test_cases=[("low", {"annualIncome": 9000, "accountsNowDelinquent": 0}, {"knockoutReasons": ["KO03"]})],
    )
    case = version.ruleset.test_cases.get()
    for method, url in [
        ("post", "/api/v1/rulesets"),
        ("post", "/api/v1/ruleset-versions"),
        ("patch", f"/api/v1/ruleset-versions/{version.pk}"),
        ("post", f"/api/v1/rulesets/{version.ruleset_id}/test-cases"),
        ("patch", f"/api/v1/rulesets/{version.ruleset_id}/test-cases/{case.pk}"),
    ]:
        response = getattr(editor.client, method)(url, HTTP_ACCEPT="application/vnd.api+json")
        assert response.status_code == 400, (method, url, response.content[:300])
        assert response.json()["errors"][0]["source"] == {"pointer": "/data"}, (method, url)
    case.refresh_from_db()
    assert case.name == "low"
