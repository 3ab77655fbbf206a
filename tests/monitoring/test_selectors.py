"""The dashboard's figures against direct computations on the stored records."""

import math
from collections import Counter

import pytest

from decisioning.models import Decision, ReviewCase
from monitoring import selectors
from monitoring.models import DevelopmentSample
from portfolio.models import Loan
from tests.factories import DecisionFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _period():
    return selectors.period_parse()


def test_decisions_per_day_and_outcome_rates_match_the_stored_decisions(demo_book):
    partner = demo_book["partner"]
    DecisionFactory(partner=PartnerFactory(), outcome="DECLINED")  # another partner's: never counted
    data = selectors.dashboard(partner=partner, period=_period())
    stored = Counter(Decision.objects.filter(partner=partner).values_list("outcome", flat=True))
    assert data["totals"]["total"] == sum(stored.values()) == 160
    for outcome in ("APPROVED", "DECLINED", "REFERRED"):
        assert data["totals"]["counts"][outcome] == stored[outcome]
        assert data["totals"]["rates"][outcome] == pytest.approx(stored[outcome] / 160)
    busy = [row for row in data["volume"] if row["total"]]
    assert sum(row["total"] for row in busy) == 160 and len(data["volume"]) == 30


def test_override_rate_counts_cases_decided_against_the_cutoff_recommendation(demo_book):
    cases = ReviewCase.objects.filter(partner=demo_book["partner"], status="decided")
    recommended = [case for case in cases if case.score_band in ("APPROVE", "DECLINE")]
    differing = [case for case in recommended if (case.score_band == "APPROVE") != (case.decided_outcome == "APPROVED")]
    overrides = selectors.override_summary(partner=demo_book["partner"], period=_period())
    assert overrides["decided"] == cases.count() == 8
    assert overrides["with_recommendation"] == len(recommended)
    assert overrides["differing"] == len(differing)
    assert overrides["rate"] == (pytest.approx(len(differing) / len(recommended)) if recommended else None)


def test_reason_code_frequencies_count_each_decision_citing_a_code(demo_book):
    outputs = [d.outputs for d in Decision.objects.filter(partner=demo_book["partner"])]
    expected = Counter(code for o in outputs for code in {reason["code"] for reason in o.get("reasons") or []})
    found = selectors.dashboard(partner=demo_book["partner"], period=_period())["reasons"]
    assert {row["code"]: row["decisions"] for row in found} == dict(expected)
    assert [row["decisions"] for row in found] == sorted(expected.values(), reverse=True)


def test_score_psi_matches_a_direct_computation_against_the_development_sample(demo_book):
    sample = DevelopmentSample.objects.get(partner=demo_book["partner"])
    assert sample.size == 9857
    edges = sample.spec["edges"]
    scores = [d.outputs["score"] for d in Decision.objects.filter(partner=demo_book["partner"])]
    scores = [score for score in scores if score is not None]
    actual = Counter(sum(1 for edge in edges if score >= edge) for score in scores)
    expected = {int(key): count for key, count in sample.spec["counts"].items()}
    direct = 0.0
    for key in set(actual) | set(expected):
        e = max(expected.get(key, 0) / sample.size, 1e-4)
        a = max(actual.get(key, 0) / len(scores), 1e-4)
        direct += (a - e) * math.log(a / e)
    [entry] = selectors.dashboard(partner=demo_book["partner"], period=_period())["stability"]
    assert entry["decisions"] == len(scores)
    assert entry["psi"] == pytest.approx(direct, abs=1e-12)
    assert entry["band"] == ("stable" if direct < 0.1 else "watch" if direct <= 0.25 else "shift")


def test_auc_and_ks_by_origination_month_match_a_pairwise_count(demo_book):
    rows = selectors.dashboard(partner=demo_book["partner"], period=_period())["performance"]
    # The demo book is originated over 2016 and 2017: the latest 24 months are all of them.
    assert [row["month"].isoformat() for row in rows][:: len(rows) - 1] == ["2016-01-01", "2017-12-01"]
    assert len(rows) == selectors.PERFORMANCE_MONTHS
    measured = [row for row in rows if row["auc"] is not None]
    assert measured
    for row in measured:
        loans = Loan.objects.filter(
            partner=demo_book["partner"],
            origination_date__year=row["month"].year,
            origination_date__month=row["month"].month,
        )
        pairs = [(loan.status in ("delinquent", "charged-off"), loan.origination_score) for loan in loans]
        bad = [score for is_bad, score in pairs if is_bad]
        good = [score for is_bad, score in pairs if not is_bad]
        wins = sum(1.0 if g > b else 0.5 if g == b else 0.0 for g in good for b in bad)
        assert (row["loans"], row["bads"]) == (len(pairs), len(bad))
        assert row["auc"] == pytest.approx(wins / (len(good) * len(bad)))
        thresholds = sorted({score for _, score in pairs})
        ks = max(abs(sum(s <= t for s in bad) / len(bad) - sum(s <= t for s in good) / len(good)) for t in thresholds)
        assert row["ks"] == pytest.approx(ks)


@pytest.mark.parametrize(
    "start, end, parameter",
    [
        ("2026-13-01", None, "from"),
        (None, "yesterday", "to"),
        ("2026-02-01", "2026-01-01", "from"),
        ("2020-01-01", "2026-01-01", "from"),
    ],
)
def test_a_bad_period_names_the_parameter(start, end, parameter):
    from core.exceptions import ParameterError

    with pytest.raises(ParameterError) as raised:
        selectors.period_parse(start_text=start, end_text=end)
    assert raised.value.field == (parameter,)
