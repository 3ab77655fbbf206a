"""Recording development samples: from scores, and by scoring a file with the model (the command)."""

import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from decisioning.demo import DEMO_DIR, demo_load, source_column_mapping
from modelregistry.models import PredictiveModel
from monitoring.models import DevelopmentSample
from portfolio import drift

pytestmark = pytest.mark.django_db


@pytest.fixture
def scorecard():
    demo = demo_load(out=lambda *_: None)
    return demo["partner"], PredictiveModel.objects.get(partner=demo["partner"], name="Lending Club scorecard")


def test_the_command_scores_a_file_named_by_the_dictionary_and_keeps_deciles(scorecard, tmp_path):
    partner, model = scorecard
    frame = pd.read_csv(DEMO_DIR / "data" / "lending_club_modeldata.csv", nrows=500).drop(columns=["Class"])
    frame = frame.rename(columns=source_column_mapping())  # dictionary names, not the model's own
    path = tmp_path / "development.csv"
    frame.to_csv(path, index=False)
    out = io.StringIO()
    call_command("record_development_sample", partner=partner.slug, model=str(model.pk), data=str(path), stdout=out)
    assert "500 scores" in out.getvalue()
    sample = DevelopmentSample.objects.get(model=model, score_field="creditScore")
    assert sample.size == sum(sample.spec["counts"].values()) == 500
    # Decile edges of the scores the model gives the same rows through its native engine.
    from modelregistry import engines

    original = pd.read_csv(DEMO_DIR / "data" / "lending_club_modeldata.csv", nrows=500).drop(columns=["Class"])
    scores = engines.load_for(model).evaluate_batch(original)["score"].tolist()
    assert sample.spec["edges"] == drift.numeric_edges(scores)


def test_the_command_names_what_is_missing(scorecard, tmp_path):
    partner, model = scorecard
    path = tmp_path / "development.csv"
    path.write_text("annualIncome\n52000\n")
    with pytest.raises(CommandError, match="no column for"):
        call_command("record_development_sample", partner=partner.slug, model=str(model.pk), data=str(path))
    with pytest.raises(CommandError, match="no result mapped to 'probabilityOfDefault'"):
        call_command(
            "record_development_sample",
            partner=partner.slug,
            model=str(model.pk),
            data=str(path),
            score_field="probabilityOfDefault",
        )
