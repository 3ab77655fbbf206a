"""A development sample attached to an uploaded tree ensemble: TreeSHAP explanations from then on."""

import io
import math

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from decisioning.models import InsightTransaction
from decisioning.services import insight_create
from modelregistry import engines
from modelregistry.models import DevelopmentSample
from modelregistry.training.services import model_train

from .training.data import lending_club_sample

pytestmark = pytest.mark.django_db

COLUMNS = ["annual_inc", "revol_util", "term", "inq_last_6mths", "all_util", "Class"]


@pytest.fixture
def uploaded(partner, make_user):
    """A trained LightGBM whose development sample is removed: as if its PMML had been uploaded."""
    user = make_user(partner, "data_scientist", is_staff=True)
    frame = lending_club_sample(600, seed=8)[COLUMNS]
    result = model_train(
        partner=partner,
        data=frame.to_csv(index=False).encode(),
        target="Class",
        bad_value="bad",
        algorithm="lightgbm",
        created_by=user,
        name="Uploaded boosted",
        accept_proposed_fields=True,
    )
    DevelopmentSample.objects.filter(model=result.model).delete()
    engines._explainers.clear()
    return result, user


def plain(value):
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def explain(partner, model, user, arguments):
    insight = insight_create(partner=partner, model_id=model.pk, arguments=arguments, requested_by=user)
    return InsightTransaction.objects.get(pk=insight.pk)


def test_a_tree_ensemble_is_explained_once_its_development_sample_is_attached(partner, uploaded, tmp_path, monkeypatch):
    result, user = uploaded
    model = result.model
    rows = result.frame.drop(columns=["Class"])
    arguments = {name: plain(value) for name, value in rows.iloc[3].items()}
    assert explain(partner, model, user, arguments).explanation is None  # no covers, no TreeSHAP

    path = tmp_path / "sample.csv"
    # dictionary names or the artifact's names both do; extra columns are ignored
    lending_club_sample(300, seed=9)[COLUMNS].rename(columns=dict(zip(COLUMNS[:-1], result.trained.features))).to_csv(
        path, index=False
    )
    out = io.StringIO()
    call_command("attach_development_sample", partner=partner.slug, model=str(model.pk), data=str(path), stdout=out)
    assert "kept 300 rows" in out.getvalue()
    assert AuditEvent.objects.filter(action="predictive_model.development_sample", object_id=str(model.pk)).exists()

    monkeypatch.setattr(engines, "SAMPLE_RECHECK_SECONDS", 0)  # every process looks again within a minute
    engines._explainers.clear()
    stored = explain(partner, model, user, arguments)
    explanation = stored.explanation
    assert explanation["method"] == "treeShap" and explanation["scale"] == "logOdds"
    probability = next(v for k, v in stored.results.items() if k.endswith(f"({explanation['category']})"))
    total = explanation["baseValue"] + sum(c["value"] for c in explanation["contributions"])
    assert abs(total - math.log(probability / (1 - probability))) < 1e-6

    with pytest.raises(CommandError, match="already"):
        call_command("attach_development_sample", partner=partner.slug, model=str(model.pk), data=str(path))


def test_a_sample_without_every_argument_or_with_text_for_a_number_is_refused(partner, uploaded, tmp_path):
    result, _ = uploaded
    path = tmp_path / "bad.csv"
    path.write_text("annualInc,term\n52000,term_36\n")
    with pytest.raises(CommandError, match="no column for the model's arguments"):
        call_command("attach_development_sample", partner=partner.slug, model=str(result.model.pk), data=str(path))
    frame = lending_club_sample(20, seed=9)[COLUMNS[:-1]]
    frame.columns = result.trained.features
    frame[result.trained.features[0]] = frame[result.trained.features[0]].astype(object)
    frame.iloc[4, 0] = "lots"
    frame.to_csv(path, index=False)
    with pytest.raises(CommandError, match="Row 6"):
        call_command("attach_development_sample", partner=partner.slug, model=str(result.model.pk), data=str(path))
    assert not DevelopmentSample.objects.filter(model=result.model).exists()


def test_another_partners_model_is_not_found(partner, other_partner, uploaded, tmp_path):
    result, _ = uploaded
    path = tmp_path / "sample.csv"
    path.write_text("a\n1\n")
    with pytest.raises(CommandError, match="No"):
        call_command(
            "attach_development_sample", partner=other_partner.slug, model=str(result.model.pk), data=str(path)
        )
