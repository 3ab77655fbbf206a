"""Monitoring data for the demo: a SYNTHETIC protected characteristic on the demo's decisions, its
loans linked to them, and the scorecard's development sample (the Lending Club file it was built on).

The age bands are generated from a hash of the application's id, leaning younger for lower incomes
so that the fairness report has a difference to show. They describe nobody: every record is
flagged `synthetic`, and the report says so above the figures.
"""

import hashlib

import pandas as pd

from decisioning.demo import DEMO_DIR
from decisioning.models import Decision
from modelregistry import engines
from modelregistry import services as registry
from modelregistry.models import DataDictionaryField, PredictiveModel
from portfolio.models import Loan

from .models import ProtectedCharacteristics
from .services import development_sample_record, protected_characteristics_record

PROTECTED_FIELD = "ageBand"
AGE_BANDS = ("under_25", "25_to_61", "62_and_over")
SCORECARD = "Lending Club scorecard"


def _protected_field(actor):
    if not DataDictionaryField.objects.filter(name=PROTECTED_FIELD).exists():
        registry.data_dictionary_field_create(
            actor=actor,
            name=PROTECTED_FIELD,
            data_type="string",
            label="Age band",
            description="The applicant's age band: a protected characteristic, recorded beside the application "
            "for fairness monitoring and never a model argument. The demo's values are synthetic.",
            allowed_values=list(AGE_BANDS),
            display_format="enumeration",
            value_labels={"under_25": "Under 25", "25_to_61": "25 to 61", "62_and_over": "62 and over"},
            protected=True,
        )


def synthetic_age_band(external_id, annual_income):
    """A deterministic, made-up age band: about 1 in 5 under 25 (1 in 2 below $40,000 a year), 1 in 7 over 61."""
    draw = int.from_bytes(hashlib.sha256(f"{external_id}:{PROTECTED_FIELD}".encode()).digest()[:8], "big") / 2**64
    young = 0.5 if (annual_income or 0) < 40_000 else 0.12
    if draw < young:
        return "under_25"
    return "62_and_over" if draw > 1 - 0.14 else "25_to_61"


def demo_monitoring_load(*, partner, actor=None) -> dict:
    """Load once per demo decision and loan (a second load records nothing new)."""
    _protected_field(actor)
    recorded = 0
    decisions = Decision.objects.filter(partner=partner, external_id__startswith="LC-").exclude(
        pk__in=ProtectedCharacteristics.objects.filter(partner=partner).values("decision_id")
    )
    for decision in decisions.only("pk", "partner_id", "external_id", "application"):
        band = synthetic_age_band(decision.external_id, (decision.application or {}).get("annualIncome"))
        protected_characteristics_record(decision=decision, values={PROTECTED_FIELD: band}, actor=actor, synthetic=True)
        recorded += 1
    linked = _link_loans(partner)
    scored = _development_sample(partner, actor)
    return {"recorded": recorded, "linked": linked, "development_sample": scored}


def _link_loans(partner):
    """Demo loan LC-L-n is the loan of demo application LC-n (both are row n of the Lending Club file)."""
    decisions = dict(
        Decision.objects.filter(partner=partner, external_id__regex=r"^LC-[0-9]{5}$").values_list("external_id", "pk")
    )
    loans = list(Loan.objects.filter(partner=partner, external_id__startswith="LC-L-", decision__isnull=True))
    for loan in loans:
        loan.decision_id = decisions.get("LC-" + loan.external_id.removeprefix("LC-L-"))
    changed = [loan for loan in loans if loan.decision_id]
    Loan.objects.bulk_update(changed, ["decision"], batch_size=2000)
    return len(changed)


def _development_sample(partner, actor):
    """Score the scorecard's development data (the demo file) and keep the distribution; the demo
    loans, booked from the same rows, take those scores as their origination scores."""
    model = PredictiveModel.objects.filter(partner=partner, name=SCORECARD).order_by("-version").first()
    if model is None:
        return 0
    frame = pd.read_csv(DEMO_DIR / "data" / "lending_club_modeldata.csv").drop(columns=["Class"])
    scores = engines.load_for(model).evaluate_batch(frame)["score"].astype(float).tolist()
    development_sample_record(
        partner=partner,
        model=model,
        score_field="creditScore",
        scores=scores,
        actor=actor,
        description="Lending Club 2016 Q1, the demo file the scorecard was built on",
    )
    loans = list(
        Loan.objects.filter(partner=partner, external_id__startswith="LC-L-", origination_score__isnull=True).only(
            "pk", "external_id"
        )
    )
    for loan in loans:
        loan.origination_score = scores[int(loan.external_id.removeprefix("LC-L-"))]
    Loan.objects.bulk_update(loans, ["origination_score"], batch_size=2000)
    return len(scores)
