"""Explanations stored with every decision step and insight, encrypted, and what they must say."""

import math

import numpy as np
import pytest
from django.db import connection

from decisioning.models import Decision, InsightTransaction
from decisioning.services import insight_create
from modelregistry import engines
from modelregistry.models import DataDictionaryField, DevelopmentSample
from modelregistry.training.services import model_train
from tests.modelregistry.training.data import lending_club_sample

from .test_decisions_api import decide, demo, system  # noqa: F401 — fixtures

pytestmark = pytest.mark.django_db


def demo_rows(count):
    from decisioning.demo import demo_application

    return (demo_application(number) for number in range(count))


def test_a_declined_applications_reason_codes_name_the_characteristics_that_lost_the_most_points_in_order(system):
    declined = None
    for number, application in enumerate(demo_rows(200)):
        data = decide(system, application, external_id=f"probe-{number}").json()["data"]["attributes"]
        score_steps = [step for step in data["steps"] if step["kind"] == "score"]
        if (
            data["outcome"] == "DECLINED"
            and score_steps
            and not any(r["code"].startswith("KO") for r in data["reasons"])
        ):
            declined = data
            break
    assert declined is not None, "no application among the first 200 demo rows is declined on its score"
    step = next(step for step in declined["steps"] if step["kind"] == "score")
    explanation = step["explanation"]
    assert explanation["method"] == "scorecardPoints" and explanation["scale"] == "points"
    assert abs(explanation["output"] - step["outputs"]["creditScore"]) < 1e-9
    assert (
        abs(explanation["baseValue"] + sum(c["value"] for c in explanation["contributions"]) - explanation["output"])
        < 1e-9
    )
    lost = sorted((c for c in explanation["contributions"] if c["value"] < 0), key=lambda c: c["value"])
    model_reasons = [reason["code"] for reason in declined["reasons"]]
    assert model_reasons, "a decline on the score gives the scorecard's reasons"
    # the characteristics that lost the most points below their baselines, largest loss first
    assert model_reasons == [c["reasonCode"] for c in lost][: len(model_reasons)]
    # named by the dictionary: each characteristic reads one dictionary field
    names = set(DataDictionaryField.objects.values_list("name", flat=True))
    assert all(len(c["fields"]) == 1 and c["fields"][0] in names for c in explanation["contributions"])


def test_the_explanation_is_stored_encrypted_with_the_step_and_read_back_equal(system):
    application = next(demo_rows(1))
    data = decide(system, application, external_id="stored").json()["data"]["attributes"]
    answered = next(s for s in data["steps"] if s["kind"] == "score")
    step = InsightTransaction.objects.get(pk=answered["insightId"], decision=Decision.objects.get(external_id="stored"))
    assert step.explanation == answered["explanation"] and step.explanation["contributions"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT explanation FROM decisioning_insighttransaction WHERE id = %s", [step.pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL stores the uuid as a uuid
            cursor.execute("SELECT explanation FROM decisioning_insighttransaction WHERE id = %s", [str(step.pk)])
            row = cursor.fetchone()
    raw = bytes(row[0]) if not isinstance(row[0], str) else row[0].encode()
    assert b"contributions" not in raw and b"baseValue" not in raw  # Fernet ciphertext, not JSON
    # rules have no explanation
    assert all(s["explanation"] is None for s in data["steps"] if s["kind"] != "score")


def test_a_tree_ensembles_stored_contributions_and_base_value_equal_its_raw_output(partner, make_user):
    user = make_user(partner, "data_scientist", is_staff=True)
    columns = ["annual_inc", "revol_util", "term", "inq_last_6mths", "all_util", "open_il_12m", "Class"]
    frame = lending_club_sample(700, seed=3)[columns]
    result = model_train(
        partner=partner,
        data=frame.to_csv(index=False).encode(),
        target="Class",
        bad_value="bad",
        algorithm="lightgbm",
        created_by=user,
        name="LC boosted",
        accept_proposed_fields=True,
    )
    model = result.model
    sample = DevelopmentSample.objects.get(model=model)
    assert sample.row_count == 700 and set(sample.rows[0]) == set(result.trained.features)
    engines._explainers.clear()
    from decisioning.selectors import model_global_importance

    before_any_evaluation = model_global_importance(partner=partner, model=model)
    assert before_any_evaluation["source"] == "developmentSample" and before_any_evaluation["count"] == 100
    assert before_any_evaluation["scale"] == "logOdds" and before_any_evaluation["rows"][0]["value"] > 0
    rows = result.frame.drop(columns=["Class"])
    for position in (0, 7, 123):
        arguments = {name: _plain(rows.iloc[position][name]) for name in result.trained.features}
        insight = insight_create(partner=partner, model_id=model.pk, arguments=arguments, requested_by=user)
        stored = InsightTransaction.objects.get(pk=insight.pk).explanation
        assert stored["method"] == "treeShap" and stored["scale"] == "logOdds"
        probability = stored_probability(insight, stored["category"])
        raw = math.log(probability / (1 - probability))  # LightGBM's raw output: log-odds of its second class
        total = stored["baseValue"] + sum(c["value"] for c in stored["contributions"])
        assert abs(total - raw) < 1e-6 and abs(stored["output"] - raw) < 1e-6
        assert {c["name"] for c in stored["contributions"]} <= set(result.trained.features)
        assert any(abs(c["value"]) > 1e-6 for c in stored["contributions"])


def stored_probability(insight, category):
    results = InsightTransaction.objects.get(pk=insight.pk).results
    return next(value for name, value in results.items() if name.endswith(f"({category})"))


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def test_the_insight_api_answers_with_a_logistic_models_linear_contributions(system, demo):
    arguments = {
        field.supported_field.name: value
        for field in demo["logistic"].fields.filter(field_type="argument").select_related("supported_field")
        for name, value in next(demo_rows(1)).items()
        if name == field.supported_field.name
    }
    answer = system.post(
        "/api/v1/insights",
        {"data": {"type": "insight", "attributes": {"modelId": str(demo["logistic"].pk), "arguments": arguments}}},
    )
    assert answer.status_code == 201, answer.content
    attributes = answer.json()["data"]["attributes"]
    explanation = attributes["explanation"]
    assert explanation["method"] == "linear" and explanation["scale"] == "logOdds"
    total = explanation["baseValue"] + sum(c["value"] for c in explanation["contributions"])
    probability = 1 / (1 + math.exp(-total))
    assert any(abs(probability - value) < 1e-9 for value in attributes["results"].values() if isinstance(value, float))
    assert {c["name"] for c in explanation["contributions"]} == set(arguments)
    fetched = system.get(f"/api/v1/insights/{answer.json()['data']['id']}").json()["data"]["attributes"]
    assert fetched["explanation"] == explanation


def test_the_model_page_charts_global_importance_over_the_partners_evaluations(system, demo):
    from django.test import Client

    from decisioning.selectors import model_global_importance
    from partners import roles

    for number, application in enumerate(demo_rows(6)):
        decide(system, application, external_id=f"importance-{number}")
    model = next(step.model for step in InsightTransaction.objects.filter(step_kind="score") if step.explanation)
    importance = model_global_importance(partner=demo["partner"], model=model)
    explained = [
        e for e in InsightTransaction.objects.filter(model=model).values_list("explanation", flat=True) if e is not None
    ]
    assert importance["source"] == "evaluations" and importance["count"] == len(explained) >= 6
    name = importance["rows"][0]["name"]
    expected = sum(abs(next(c["value"] for c in e["contributions"] if c["name"] == name)) for e in explained)
    assert abs(importance["rows"][0]["value"] - expected / len(explained)) < 1e-9
    assert [row["value"] for row in importance["rows"]] == sorted(
        (row["value"] for row in importance["rows"]), reverse=True
    )

    client = Client()
    client.force_login(demo["people"][roles.DATA_SCIENTIST][0])
    page = client.get(f"/admin/modelregistry/predictivemodel/{model.pk}/change/").content.decode()
    assert "global-importance" in page and "contribution-chart" in page and "Mean |contribution|" in page
