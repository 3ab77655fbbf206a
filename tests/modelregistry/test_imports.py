"""DMN imports through the one door to the engines: found by namespace in the uploading partner's
registry only, never by reading a locationURI; the versions imported are recorded on every
evaluation and replay loads exactly those."""

import datetime
import socket

import pytest
from django.utils import timezone

from core.exceptions import ArgumentError
from decisioning.models import InsightTransaction
from decisioning.services import decision_create, decision_flow_create, decision_replay
from modelregistry import engines
from modelregistry.models import PredictiveModel
from partners import roles
from rulesets.models import RulesetVersion
from tests.decisioning.test_flow_binding import CUTOFF_DMN
from tests.factories import (
    AFFORDABILITY_DMN,
    AFFORDABILITY_NAMESPACE,
    DataDictionaryFieldFactory,
    importing_knockout_dmn,
    publish_draft,
    publish_ruleset,
)

pytestmark = pytest.mark.django_db

LISTENING_PORT = 9150  # this helper's port range: 9100-9199
APPLICATION = {"annualIncome": 30000.0, "accountsNowDelinquent": 0, "revolvingUtilization": 10.0}


def upload_document(name, artifact):
    return {"data": {"type": "predictiveModel", "attributes": {"name": name, "artifact": artifact}}}


@pytest.fixture
def scientist(partner, make_user, dictionary):
    return make_user(partner, roles.DATA_SCIENTIST, username="dana")


@pytest.fixture
def scientist_api(scientist, api_as):
    return api_as(scientist)


def published_upload(response):
    assert response.status_code == 201, response.json()
    return publish_draft(RulesetVersion.objects.get(pk=response.json()["data"]["id"])).published_model


@pytest.fixture
def listening_socket():
    """A local HTTP port nothing should ever connect to."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", LISTENING_PORT))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def connections_received(server):
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def test_upload_two_models_one_importing_the_other_through_the_api(scientist_api):
    library = published_upload(
        scientist_api.post("/api/v1/predictive-models", upload_document("Affordability", AFFORDABILITY_DMN))
    )
    response = scientist_api.post("/api/v1/predictive-models", upload_document("Knock-outs", importing_knockout_dmn()))
    importing = published_upload(response)
    attributes = scientist_api.get(f"/api/v1/predictive-models/{importing.pk}").json()["data"]["attributes"]
    assert attributes["namespace"] == "urn:creditbox:test:knockouts"
    assert attributes["imports"] == [
        {
            "namespace": AFFORDABILITY_NAMESPACE,
            "model": str(library.pk),
            "name": "Affordability",
            "version": 1,
            "sha256": library.sha256,
        }
    ]
    assert attributes["unmappedArguments"] == []  # `aff.annualIncome` took the dictionary's annualIncome
    loaded = engines.load_for(importing)
    assert loaded.evaluate({"aff.annualIncome": 20000, "accountsNowDelinquent": 0})["knockoutReasons"] == ["KO03"]


def test_an_unresolvable_import_is_a_400_naming_the_namespace(scientist_api):
    response = scientist_api.post("/api/v1/predictive-models", upload_document("Knock-outs", importing_knockout_dmn()))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"]["pointer"] == "/data/attributes/artifact"
    assert AFFORDABILITY_NAMESPACE in error["detail"]
    assert not RulesetVersion.objects.exists()


def test_another_partners_model_of_the_same_namespace_is_not_found(scientist_api, other_partner):
    publish_ruleset(other_partner, "Affordability", AFFORDABILITY_DMN, purpose="routing")
    response = scientist_api.post("/api/v1/predictive-models", upload_document("Knock-outs", importing_knockout_dmn()))
    assert response.status_code == 400
    assert AFFORDABILITY_NAMESPACE in response.json()["errors"][0]["detail"]


def test_a_locationuri_naming_a_file_is_never_read(scientist_api, tmp_path):
    # A valid model of the imported namespace at the locationURI: were it read, the import would resolve.
    library_file = tmp_path / "affordability.dmn"
    library_file.write_text(AFFORDABILITY_DMN, encoding="utf-8")
    for location in (library_file.as_uri(), str(library_file), "file:///etc/passwd"):
        response = scientist_api.post(
            "/api/v1/predictive-models", upload_document("Knock-outs", importing_knockout_dmn(location))
        )
        assert response.status_code == 400, location
        assert AFFORDABILITY_NAMESPACE in response.json()["errors"][0]["detail"]


def test_a_locationuri_naming_a_url_is_never_fetched(scientist_api, listening_socket):
    location = f"http://127.0.0.1:{LISTENING_PORT}/affordability.dmn"
    refused = scientist_api.post(
        "/api/v1/predictive-models", upload_document("Knock-outs", importing_knockout_dmn(location))
    )
    assert refused.status_code == 400
    published_upload(
        scientist_api.post("/api/v1/predictive-models", upload_document("Affordability", AFFORDABILITY_DMN))
    )
    importing = published_upload(
        scientist_api.post("/api/v1/predictive-models", upload_document("Knock-outs", importing_knockout_dmn(location)))
    )
    engines.load_for(importing).evaluate({"aff.annualIncome": 1, "accountsNowDelinquent": 0})
    assert connections_received(listening_socket) == 0


def test_an_imported_model_of_the_partner_resolves_but_never_a_pin_of_another_partner(
    partner, other_partner, dictionary
):
    theirs = publish_ruleset(other_partner, "Affordability", AFFORDABILITY_DMN, purpose="routing").published_model
    ours = publish_ruleset(partner, "Affordability", AFFORDABILITY_DMN, purpose="routing").published_model
    namespace, imported = engines.dmn_declared_imports(importing_knockout_dmn())
    assert (namespace, imported) == ("urn:creditbox:test:knockouts", [AFFORDABILITY_NAMESPACE])
    from modelregistry.selectors import dmn_imports_resolve

    [pin] = dmn_imports_resolve(partner=partner, namespace=namespace, imported_namespaces=imported)
    assert pin.model_id == str(ours.pk) != str(theirs.pk)


# ---------------------------------------------------------------- decisions record what they imported
@pytest.fixture
def people(partner, make_user):
    return {
        "author": make_user(partner, roles.RULE_EDITOR, username="rita"),
        "approver": make_user(partner, roles.RULE_APPROVER, username="arthur"),
        "system": make_user(partner, roles.PARTNER_SYSTEM, username="los"),
    }


@pytest.fixture
def library(partner, people, dictionary):
    return publish_ruleset(
        partner,
        "Affordability",
        AFFORDABILITY_DMN,
        purpose="routing",
        author=people["author"],
        approver=people["approver"],
    )


@pytest.fixture
def knockouts(partner, people, library):
    return publish_ruleset(
        partner, "Knock-outs", importing_knockout_dmn(), author=people["author"], approver=people["approver"]
    )


@pytest.fixture
def flow(partner, people, knockouts):
    DataDictionaryFieldFactory(name="cutoffOutcome", data_type="string")
    cutoff = publish_ruleset(
        partner,
        "Cut-offs",
        CUTOFF_DMN,
        purpose="cutoff",
        author=people["author"],
        approver=people["approver"],
        field_mapping={"income": "annualIncome"},
    )
    return decision_flow_create(
        partner=partner,
        name="Consumer loans",
        created_by=people["author"],
        is_default=True,
        steps=[("knockout", knockouts.ruleset, "knockoutReasons"), ("cutoff", cutoff.ruleset, "cutoffOutcome")],
        score_field="creditScore",
        amount_field="annualIncome",
    )


def decide(partner, people, **extra):
    return decision_create(partner=partner, application=APPLICATION, requested_by=people["system"], **extra)[0]


def stricter_library(partner, people):
    """Affordability v2, in force now: 30,000 a year is a low income."""
    return publish_ruleset(
        partner,
        "Affordability",
        AFFORDABILITY_DMN.replace("30000", "35000"),
        author=people["author"],
        approver=people["approver"],
        effective_from=timezone.now() - datetime.timedelta(seconds=1),
    )


def test_a_decision_records_the_imported_versions_and_replay_uses_them(partner, people, flow, library, knockouts):
    decision = decide(partner, people, external_id="A")
    assert decision.outcome == "APPROVED"
    step = decision.steps.get(step_position=0)
    assert [(pin["model"], pin["sha256"]) for pin in step.imported_artifacts] == [
        (str(library.published_model.pk), library.published_model.sha256)
    ]
    stricter_library(partner, people)
    # the knock-out rules were reviewed with v1 of the library: they keep it until published again
    assert decide(partner, people, external_id="B").outcome == "APPROVED"
    report = decision_replay(decision=decision, actor=None)
    assert report["identical"]
    assert [(m["model"], m["version"]) for m in report["steps"][0]["importedModels"]] == [
        (str(library.published_model.pk), 1)
    ]


def test_replay_loads_the_imported_versions_the_step_record_names(partner, people, flow, library):
    decision = decide(partner, people)
    v2 = stricter_library(partner, people).published_model
    step = decision.steps.get(step_position=0)
    # A record naming v2 (as one evaluated with v2 would) replays with v2: 30,000 is now a knock-out.
    pins = [dict(pin, model=str(v2.pk), version=v2.version, sha256=v2.sha256) for pin in step.imported_artifacts]
    InsightTransaction.objects.filter(pk=step.pk).update(imported_artifacts=pins)
    decision.refresh_from_db()
    report = decision_replay(decision=decision, actor=None)
    assert not report["identical"]
    assert report["steps"][0]["replayed"]["knockoutReasons"] == ["KO03"]


def test_the_compiled_model_is_cached_per_set_of_imported_versions(partner, people, library, knockouts):
    v2 = stricter_library(partner, people).published_model
    model = knockouts.published_model
    record = {"aff.annualIncome": 30000, "accountsNowDelinquent": 0}
    pins = [dict(pin, model=str(v2.pk), version=v2.version, sha256=v2.sha256) for pin in model.imports]
    with_v1 = engines.load_for(model)
    with_v2 = engines.load(engine="dmn", artifact=model.artifact, imports=engines.imports_of(pins))
    assert with_v1.evaluate(record)["knockoutReasons"] == []
    assert with_v2.evaluate(record)["knockoutReasons"] == ["KO03"]
    assert PredictiveModel.objects.filter(namespace=AFFORDABILITY_NAMESPACE, partner=partner).count() == 2


def test_retiring_an_imported_model_withdraws_it_from_the_models_importing_it(
    partner, people, flow, library, knockouts
):
    from core.exceptions import ArgumentErrors, EngineError
    from decisioning.services import insight_create
    from rulesets import services as rulesets

    assert decide(partner, people, external_id="A").outcome == "APPROVED"
    rulesets.ruleset_version_retire(version=library, actor=people["approver"], note="wrong threshold")
    with pytest.raises(EngineError, match="imports Affordability v1, which is retired"):
        decide(partner, people, external_id="B")
    with pytest.raises((ArgumentError, ArgumentErrors), match="imports Affordability v1, which is retired"):
        insight_create(
            partner=partner,
            model_id=knockouts.published_model.pk,
            arguments={"annualIncome": 1, "accountsNowDelinquent": 0},
            requested_by=people["system"],
        )
