"""Fairness of decisions across the groups of one protected characteristic (no Django here).

- Approval-rate ratio: each group's approval rate over the reference group's (by default the group
  approved most often, as the four-fifths rule reads); a ratio below 0.8 is flagged.
- Equal opportunity: among applicants whose loan turned out good, the share approved per group
  (true positive rate) and the largest difference between groups, computed by fairlearn.
"""

from dataclasses import dataclass

FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class Applicant:
    group: str
    approved: bool
    good: bool | None  # the loan's outcome when one is recorded, else None


def report(applicants, *, reference=None) -> dict:
    """Per-group approval rates, ratios to the reference group, and equal opportunity where outcomes exist."""
    groups = {}
    for applicant in applicants:
        entry = groups.setdefault(applicant.group, {"group": applicant.group, "applications": 0, "approved": 0})
        entry["applications"] += 1
        entry["approved"] += int(applicant.approved)
    if not groups:
        return {"groups": [], "reference": None, "flagged": [], "equalOpportunity": None}
    for entry in groups.values():
        entry["approvalRate"] = entry["approved"] / entry["applications"]
    if reference not in groups:
        reference = max(groups.values(), key=lambda entry: (entry["approvalRate"], entry["applications"]))["group"]
    reference_rate = groups[reference]["approvalRate"]
    for entry in groups.values():
        entry["ratio"] = entry["approvalRate"] / reference_rate if reference_rate else None
        entry["belowFourFifths"] = entry["ratio"] is not None and entry["ratio"] < FOUR_FIFTHS
    rows = sorted(groups.values(), key=lambda entry: entry["group"])
    return {
        "groups": rows,
        "reference": reference,
        "flagged": [entry["group"] for entry in rows if entry["belowFourFifths"]],
        "equalOpportunity": equal_opportunity(applicants, rows),
    }


def equal_opportunity(applicants, rows):
    """fairlearn's equal-opportunity difference over the applicants with a recorded outcome.

    A group with no good outcome has no true positive rate; it is left out (and shown as such).
    """
    with_good = {applicant.group for applicant in applicants if applicant.good}
    scored = [applicant for applicant in applicants if applicant.good is not None and applicant.group in with_good]
    if len(with_good) < 2:
        for entry in rows:
            entry["truePositiveRate"] = None
            entry["goodOutcomes"] = sum(1 for a in applicants if a.group == entry["group"] and a.good)
        return None
    # fairlearn brings scikit-learn (a second or more to import): loaded when a report is asked for,
    # never on the web process's start-up path.
    from fairlearn.metrics import MetricFrame, equal_opportunity_difference, true_positive_rate

    y_true = [int(applicant.good) for applicant in scored]
    y_pred = [int(applicant.approved) for applicant in scored]
    sensitive = [applicant.group for applicant in scored]
    by_group = MetricFrame(
        metrics=true_positive_rate, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive
    ).by_group
    for entry in rows:
        rate = by_group.get(entry["group"])
        entry["truePositiveRate"] = None if rate is None else float(rate)
        entry["goodOutcomes"] = sum(1 for a in scored if a.group == entry["group"] and a.good)
    difference = equal_opportunity_difference(y_true, y_pred, sensitive_features=sensitive)
    return {"difference": float(difference), "applicants": len(scored)}
