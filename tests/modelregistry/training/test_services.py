"""model_train: dictionary matching, confirmation of new entries, protected fields, registration, card."""

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from core.exceptions import ArgumentError
from core.models import AuditEvent
from modelregistry import engines
from modelregistry.models import DataDictionaryField, PredictiveModel
from modelregistry.training.services import model_train
from tests.factories import DataDictionaryFieldFactory

from .data import LENDING_CLUB, lending_club_sample

pytestmark = pytest.mark.django_db


def csv_bytes(frame):
    return frame.to_csv(index=False).encode()


@pytest.fixture
def loans():
    frame = lending_club_sample(800)
    return frame[["annual_inc", "revol_util", "term", "inq_last_6mths", "int_rate", "all_util", "Class"]]


def test_unmatched_columns_are_proposed_and_nothing_is_stored_until_confirmed(partner, loans):
    DataDictionaryFieldFactory(name="annualIncome")
    DataDictionaryFieldFactory(name="term", data_type="string")
    with pytest.raises(ArgumentError) as error:
        model_train(
            partner=partner,
            data=csv_bytes(loans),
            target="Class",
            bad_value="bad",
            algorithm="logistic",
            created_by=None,
        )
    assert error.value.code == "proposed_fields" and error.value.field == ("data",)
    assert "annual_inc -> annualInc (number)" in error.value.message and "term ->" not in error.value.message
    assert "inq_last_6mths -> inqLast6mths (integer)" in error.value.message
    assert not PredictiveModel.objects.exists() and not DataDictionaryField.objects.filter(name="annualInc").exists()


def test_training_registers_a_version_mapped_to_the_dictionary_with_a_model_card(partner, loans, make_user):
    user = make_user(partner, is_staff=True)
    DataDictionaryFieldFactory(name="revolUtil")
    DataDictionaryFieldFactory(name="term", data_type="string")
    DataDictionaryFieldFactory(name="allUtil", protected=True)  # pretend: a protected characteristic
    result = model_train(
        partner=partner,
        data=csv_bytes(loans),
        target="Class",
        bad_value="bad",
        algorithm="lightgbm",
        created_by=user,
        name="LC LightGBM",
        source_name="loans.csv",
        accept_proposed_fields=True,
    )
    model = result.model
    assert (model.name, model.version, model.engine, model.created_by) == ("LC LightGBM", 1, "pmml", user)
    created = DataDictionaryField.objects.get(name="annualInc")
    assert created.data_type == "number" and "loans.csv" in created.description
    arguments = {f.name: f.supported_field.name for f in model.fields.filter(field_type="argument")}
    assert arguments == {
        "annualInc": "annualInc",
        "revolUtil": "revolUtil",
        "term": "term",
        "inqLast6mths": "inqLast6mths",
        "intRate": "intRate",
    }
    assert "allUtil" not in result.trained.features  # protected: never a model argument
    card = model.model_card
    assert card["algorithm"] == "lightgbm" and card["data"]["rows"] == 800 and card["data"]["sourceName"] == "loans.csv"
    assert card["data"]["excludedProtected"] == {"all_util": "allUtil"}
    assert any("int_rate" in w and "pricing" in w for w in card["warnings"])
    assert any("all_util" in w and "protected" in w for w in card["warnings"])
    assert card["metrics"]["crossValidation"]["folds"] == 5 and card["parameters"]["n_estimators"] == 200
    # the registered artifact is the trained model
    rows = result.frame.drop(columns=["Class"]).head(50)
    got = engines.load_for(model).evaluate_batch(rows)[result.trained.bad_output].to_numpy(dtype=float)
    assert np.max(np.abs(got - result.trained.predict_bad_probability(rows))) < 1e-9
    actions = list(AuditEvent.objects.filter(object_id=str(model.pk)).values_list("action", flat=True))
    assert {"predictive_model.register", "predictive_model.train"} <= set(actions)
    # training the same name again makes version 2
    again = model_train(
        partner=partner,
        data=csv_bytes(loans),
        target="Class",
        bad_value="bad",
        algorithm="logistic",
        created_by=user,
        name="LC LightGBM",
    )
    assert again.model.version == 2


def test_the_command_trains_registers_and_prints_the_headline(partner, tmp_path, loans):
    path = tmp_path / "loans.csv"
    path.write_bytes(csv_bytes(loans))
    with pytest.raises(CommandError, match="accept-proposed-fields"):
        call_command(
            "train_model", partner=partner.slug, data=str(path), target="Class", bad_value="bad", algorithm="scorecard"
        )
    out = io.StringIO()
    call_command(
        "train_model",
        "--partner",
        partner.slug,
        "--data",
        str(path),
        "--target",
        "Class",
        "--bad-value",
        "bad",
        "--algorithm",
        "scorecard",
        "--name",
        "LC scorecard",
        "--accept-proposed-fields",
        stdout=out,
    )
    lines = out.getvalue().strip().splitlines()
    model = PredictiveModel.objects.get(name="LC scorecard")
    cv = model.model_card["metrics"]["crossValidation"]
    assert lines[-1] == (
        f"trained LC scorecard v1: AUC {cv['auc']:.3f}, KS {cv['ks']:.3f}, Gini {cv['gini']:.3f} (5-fold CV)"
    )
    assert any(line.startswith("warning:") and "int_rate" in line for line in lines)
    assert "<Scorecard" in model.artifact and 'reasonCodeAlgorithm="pointsBelow"' in model.artifact


def test_the_command_refuses_an_unknown_partner_and_a_missing_file(partner, tmp_path):
    with pytest.raises(CommandError, match="No partner"):
        call_command(
            "train_model",
            partner="nobody",
            data=str(LENDING_CLUB),
            target="Class",
            bad_value="bad",
            algorithm="logistic",
        )
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "train_model",
            partner=partner.slug,
            data=str(tmp_path / "none.csv"),
            target="Class",
            bad_value="bad",
            algorithm="logistic",
        )


@pytest.mark.parametrize("data, field", [(b"", "data"), (b"a,b\n1,2\n", "data"), (b"\xff\xfe\x00garbage", "data")])
def test_hostile_csvs_are_refused_naming_the_data(partner, data, field):
    with pytest.raises(ArgumentError) as error:
        model_train(partner=partner, data=data, target="Class", bad_value="bad", algorithm="logistic", created_by=None)
    assert error.value.field == (field,)


def test_the_admin_model_page_shows_the_model_card(client, partner, loans, admin_user):
    result = model_train(
        partner=partner,
        data=csv_bytes(loans),
        target="Class",
        bad_value="bad",
        algorithm="logistic",
        created_by=None,
        name="Carded",
        accept_proposed_fields=True,
    )
    client.force_login(admin_user)
    page = client.get(f"/admin/modelregistry/predictivemodel/{result.model.pk}/change/").content.decode()
    cv = result.model.model_card["metrics"]["crossValidation"]
    assert "Model card" in page and f"AUC {cv['auc']:.3f}" in page and "pricing outcomes" in page
