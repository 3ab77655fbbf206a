"""Backtests: a candidate flow (or ruleset) version and the published flow, side by side, over the
partner's last N recorded applications. Applications are decrypted inside the worker only; the
report, computed from them, is stored encrypted."""

import time

from django.db import transaction
from django.utils import timezone

from core.exceptions import ArgumentError
from core.jobs import job_submit
from core.services import audit_event_record
from partners import roles

from ..models import Backtest, BacktestStatus, Decision, FlowVersionStatus
from .flow_versions import _check_partner, _require

BACKTEST_ROLES = (roles.PARTNER_ADMIN, roles.RULE_APPROVER, roles.RULE_EDITOR)
MAX_APPLICATIONS = 50_000
DEFAULT_APPLICATIONS = 10_000
EXAMPLES = 20
HISTOGRAM_BINS = 24
LOAD_CHUNK = 1000


@transaction.atomic
def _backtest_record(*, flow, actor, candidate, ruleset_version, limit):
    from .. import selectors

    _check_partner(actor, flow.partner_id, f"decision flow {flow.pk}")
    _require(actor, BACKTEST_ROLES, "run backtests")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_APPLICATIONS:
        raise ArgumentError("limit", f"The number of applications is from 1 to {MAX_APPLICATIONS:,}.")
    baseline = selectors.flow_version_effective(flow=flow)
    if candidate is None and ruleset_version is None:
        raise ArgumentError("candidate", "Name the flow version or the ruleset version to try.")
    if candidate is not None:
        if candidate.definition_id != flow.pk:
            raise ArgumentError("candidate", "The candidate must be a version of this flow.")
        if candidate.status == FlowVersionStatus.RETIRED:
            raise ArgumentError("candidate", f"{candidate} is retired.")
    if ruleset_version is not None:
        if ruleset_version.ruleset.partner_id != flow.partner_id:
            raise ArgumentError("rulesetVersion", f"No ruleset version {ruleset_version.pk}.")
        if baseline is None:
            raise ArgumentError("rulesetVersion", "The flow has no published version to try the rules in.")
        candidate = baseline
    backtest = Backtest.objects.create(
        partner=flow.partner,
        flow=flow,
        candidate=candidate,
        baseline=baseline,
        ruleset_version=ruleset_version,
        limit=limit,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_event_record(
        actor=actor,
        action="backtest.create",
        obj=backtest,
        data={
            "candidate": str(candidate.pk),
            "baseline": str(baseline.pk) if baseline else None,
            "ruleset_version": str(ruleset_version.pk) if ruleset_version else None,
            "limit": limit,
        },
    )
    return backtest


def backtest_create(*, flow, actor, candidate=None, ruleset_version=None, limit=DEFAULT_APPLICATIONS) -> Backtest:
    """Record a backtest and queue it (ServiceUnavailable, a 503, when the queue is down)."""
    from ..tasks import run_backtest

    backtest = _backtest_record(
        flow=flow, actor=actor, candidate=candidate, ruleset_version=ruleset_version, limit=limit
    )
    try:
        job_submit(run_backtest, str(backtest.pk))
    except Exception:
        Backtest.objects.filter(pk=backtest.pk).update(status=BacktestStatus.FAILED, error="The job queue was down.")
        raise
    backtest.refresh_from_db()
    return backtest


def _progress(backtest_id, processed):
    Backtest.objects.filter(pk=backtest_id).update(processed=processed)


def backtest_applications(*, partner, limit, on_chunk=None):
    """The partner's last `limit` recorded applications, decrypted: [(decision id, external id, application, outcome)]."""
    rows = []
    query = (
        Decision.objects.filter(partner=partner)
        .order_by("-created", "-id")
        .values_list("pk", "external_id", "application", "outcome")[:limit]
    )
    for row in query.iterator(chunk_size=LOAD_CHUNK):
        rows.append(row)
        if on_chunk and len(rows) % LOAD_CHUNK == 0:
            on_chunk(len(rows))
    return rows


def backtest_run(*, backtest_id):
    """Run a queued backtest (the worker's half). Running it twice gives the same report."""
    backtest = Backtest.objects.select_related("partner", "candidate", "baseline", "ruleset_version__ruleset").get(
        pk=backtest_id
    )
    if backtest.status == BacktestStatus.DONE:
        return backtest
    started = time.perf_counter()
    Backtest.objects.filter(pk=backtest.pk).update(
        status=BacktestStatus.RUNNING, processed=0, total=3 * backtest.limit, error=""
    )
    try:
        report = _compute(backtest)
    except Exception as error:
        Backtest.objects.filter(pk=backtest.pk).update(
            status=BacktestStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished=timezone.now()
        )
        raise
    backtest.report, backtest.status = report, BacktestStatus.DONE
    backtest.processed = backtest.total = 3 * report["applications"]
    backtest.duration_ms, backtest.finished = int((time.perf_counter() - started) * 1000), timezone.now()
    backtest.save(update_fields=["report", "status", "processed", "total", "duration_ms", "finished"])
    return backtest


def _step_progress(backtest_id, *, start, count, steps):
    """A callback for each step done: progress moves from `start` by `count` over `steps` steps."""
    done = 0

    def advance(step):
        nonlocal done
        done += 1
        _progress(backtest_id, start + count * done // max(steps, 1))

    return advance


def _compute(backtest):
    # numpy and pandas on first use (in the worker), as modelregistry/engines.py does: off start-up paths.
    from .. import flows_batch

    at = timezone.now()
    rows = backtest_applications(
        partner=backtest.partner, limit=backtest.limit, on_chunk=lambda done: _progress(backtest.pk, done)
    )
    count = len(rows)
    Backtest.objects.filter(pk=backtest.pk).update(processed=count, total=3 * count)
    applications = [row[2] for row in rows]
    arms = {}
    for index, (name, version, ruleset_version) in enumerate(
        (("baseline", backtest.baseline, None), ("candidate", backtest.candidate, backtest.ruleset_version))
    ):
        if version is None:
            continue
        steps = flows_batch.batch_steps(version, at=at, ruleset_version=ruleset_version)
        progress = _step_progress(backtest.pk, start=(index + 1) * count, count=count, steps=len(steps))
        arms[name] = (
            version,
            ruleset_version,
            flows_batch.flow_run_batch(flow=version, steps=steps, applications=applications, progress=progress),
        )
    return backtest_report(rows=rows, arms=arms)


def _label(version, ruleset_version):
    if ruleset_version is not None:
        return f"{version} with {ruleset_version.ruleset.name} v{ruleset_version.number}"
    return f"{version} ({version.get_status_display().lower()})"


def backtest_report(*, rows, arms) -> dict:
    """Rates, the swap set with examples, hits per rule and score histograms on shared bins."""
    import numpy

    from ..flows_batch import ERROR

    count = len(rows)
    scores = [score for _, _, result in arms.values() for score in result.scores if score is not None]
    edges = numpy.histogram_bin_edges(numpy.array(scores, dtype=float), bins=HISTOGRAM_BINS).tolist() if scores else []
    report = {"applications": count, "arms": {}}
    for name, (version, ruleset_version, result) in arms.items():
        counts = {outcome: result.outcomes.count(outcome) for outcome in ("APPROVED", "DECLINED", "REFERRED", ERROR)}
        present = numpy.array([score for score in result.scores if score is not None], dtype=float)
        report["arms"][name] = {
            "label": _label(version, ruleset_version),
            "versionId": str(version.pk),
            "version": version.version,
            "counts": counts,
            "rates": {outcome: (value / count if count else 0.0) for outcome, value in counts.items()},
            "ruleHits": result.rule_hits,
            "scoreHistogram": {
                "edges": edges,
                "counts": numpy.histogram(present, bins=edges)[0].tolist() if edges else [],
            },
        }
    if "baseline" in arms and "candidate" in arms:
        baseline, candidate = arms["baseline"][2], arms["candidate"][2]
        swaps = {"newlyApproved": [], "newlyDeclined": []}
        for index, (decision_id, external_id, _, _) in enumerate(rows):
            before, after = baseline.outcomes[index], candidate.outcomes[index]
            if before == after:
                continue
            key = "newlyApproved" if after == "APPROVED" else "newlyDeclined" if after == "DECLINED" else None
            if key:
                swaps[key].append(
                    {
                        "decisionId": str(decision_id),
                        "externalId": external_id,
                        "baseline": before,
                        "candidate": after,
                        "baselineScore": baseline.scores[index],
                        "candidateScore": candidate.scores[index],
                    }
                )
        report["swaps"] = {key: len(value) for key, value in swaps.items()}
        report["swapExamples"] = {key: value[:EXAMPLES] for key, value in swaps.items()}
        report["swapIds"] = {key: [item["decisionId"] for item in value] for key, value in swaps.items()}
    return report
