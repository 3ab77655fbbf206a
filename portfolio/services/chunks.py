"""Running one chunk of a re-evaluation job: safe to deliver twice, resumable, counted once."""

import time

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict

from .. import drift, evaluation
from ..models import (
    JobStatus,
    Loan,
    PortfolioSettings,
    ReevaluationChunk,
    ReevaluationJob,
    ReevaluationResult,
)
from .grades import grade_bands, grade_for

# A chunk started this often without finishing keeps killing its workers (a poison message): stop.
MAX_RUNS = 10


def reevaluation_chunk_run(*, chunk_id) -> dict:
    """Evaluate the chunk's loans and record one result per loan, all in one transaction.

    The chunk's row is locked first: a second delivery running at the same time waits, then sees
    the chunk completed and writes nothing. A delivery killed mid-chunk wrote nothing (its
    transaction never committed), so the redelivery does the whole chunk.
    """
    ReevaluationChunk.objects.filter(pk=chunk_id).update(runs=F("runs") + 1)
    with transaction.atomic():
        chunk = (
            ReevaluationChunk.objects.select_for_update().select_related("job__flow", "job__partner").get(pk=chunk_id)
        )
        job = chunk.job
        if chunk.completed is not None or job.status in (JobStatus.CANCELLED, JobStatus.FAILED):
            return {"chunk": chunk.index, "written": 0}
        if chunk.runs > MAX_RUNS:
            ReevaluationJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED,
                finished=timezone.now(),
                error=f"Chunk {chunk.index} was started {MAX_RUNS} times without finishing.",
            )
            raise Conflict(f"Chunk {chunk.index} of job {job.pk} was started {MAX_RUNS} times without finishing.")
        if job.status == JobStatus.QUEUED:
            ReevaluationJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
                status=JobStatus.RUNNING, started=timezone.now()
            )
        written, failed = _evaluate_and_write(job, chunk)
        chunk.completed = timezone.now()
        chunk.save(update_fields=["completed", "histograms", "timings"])
        ReevaluationJob.objects.filter(pk=job.pk).update(done=F("done") + written, failed=F("failed") + failed)
    _complete_if_finished(job.pk)
    return {"chunk": chunk.index, "written": written + failed}


def _evaluate_and_write(job, chunk):
    partner = job.partner
    began = time.perf_counter()
    loans = list(
        Loan.objects.filter(pk__in=chunk.loan_ids, partner=partner)
        .only("id", "attributes", "last_probability_of_default", "last_grade", "origination_score")
        .order_by("pk")
    )
    records = [loan.attributes for loan in loans]
    read = time.perf_counter()
    plan = evaluation.plan_load(flow=job.flow, pinned=job.plan)
    outcomes = evaluation.evaluate_batch(plan, records)
    evaluated = time.perf_counter()
    settings = PortfolioSettings.objects.get_or_create(partner=partner)[0]
    bands, high_risk, factor = grade_bands(partner=partner), settings.high_risk(), settings.early_warning_factor
    results, failed = [], 0
    for loan, outcome in zip(loans, outcomes):
        probability = outcome["probability_of_default"]
        grade = grade_for(bands, probability)
        previous_pd, previous_grade = loan.last_probability_of_default, loan.last_grade
        if outcome["error"]:
            failed += 1
        results.append(
            ReevaluationResult(
                job=job,
                loan=loan,
                score=outcome["score"],
                probability_of_default=probability,
                grade=grade,
                previous_probability_of_default=previous_pd,
                previous_grade=previous_grade,
                pd_increase=bool(previous_pd and probability is not None and probability > previous_pd * factor),
                into_high_risk=bool(grade in high_risk and previous_grade and previous_grade not in high_risk),
                knockout_fails=bool(outcome["knockout_reasons"]),
                knockout_reasons=",".join(outcome["knockout_reasons"])[:200],
                error=outcome["error"] or "",
            )
        )
    # The unique (job, loan) constraint is the last line of defence; the chunk lock already serialises deliveries.
    ReevaluationResult.objects.bulk_create(results, batch_size=5000, ignore_conflicts=True)
    _loans_update_latest(job=job, loan_ids=[loan.pk for loan in loans], at=timezone.now())
    histograms = {}
    for name in plan.argument_names:
        spec = settings.baseline.get(name)
        if spec:
            histograms[name] = drift.count_into({}, spec, [record.get(name) for record in records])
    chunk.histograms = histograms
    chunk.timings = {
        "read_decrypt": round(read - began, 4),
        "evaluate": round(evaluated - read, 4),
        "write": round(time.perf_counter() - evaluated, 4),
    }
    return len(results) - failed, failed


def _loans_update_latest(*, job, loan_ids, at):
    """Each loan's latest score, PD and grade from this job's result, in one UPDATE … FROM.

    A loan with no origination score takes this one (its first re-evaluation is its baseline).
    """
    if not loan_ids:
        return
    loan_table, result_table = Loan._meta.db_table, ReevaluationResult._meta.db_table
    assignments = (
        f"last_score = r.score, last_probability_of_default = r.probability_of_default, last_grade = r.grade, "
        f"last_evaluated_at = %s, origination_score = COALESCE({loan_table}.origination_score, r.score)"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Joined to the ids as a set: `loan_id = ANY(array)` as a filter scans the array per row.
            cursor.execute(
                f"UPDATE {loan_table} SET {assignments} FROM {result_table} r, unnest(%s::bigint[]) AS chunk(id) "
                f"WHERE r.job_id = %s AND r.loan_id = chunk.id AND {loan_table}.id = chunk.id AND r.error = ''",
                [at, list(loan_ids), job.pk],
            )
        else:
            cursor.execute(
                f"UPDATE {loan_table} SET {assignments} FROM {result_table} r WHERE r.loan_id = {loan_table}.id "
                f"AND r.job_id = %s AND r.error = '' AND r.loan_id IN ({', '.join(['%s'] * len(loan_ids))})",
                [at, job.pk.hex, *loan_ids],
            )


def _complete_if_finished(job_id):
    with transaction.atomic():
        job = ReevaluationJob.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.RUNNING or job.chunks.filter(completed__isnull=True).exists():
            return
        job.psi = job_psi(job=job)
        job.status = JobStatus.COMPLETED
        job.finished = timezone.now()
        job.save(update_fields=["psi", "status", "finished"])


def job_psi(*, job) -> dict:
    """PSI of the score (job's scores against the loans' origination scores) and of each model argument."""
    pairs = list(job.results.exclude(score__isnull=True).values_list("loan__origination_score", "score"))
    origination = [first for first, _ in pairs if first is not None]
    spec = {"kind": "numeric", "edges": drift.numeric_edges(origination)}
    expected = drift.count_into({}, spec, origination)
    actual = drift.count_into({}, spec, [score for _, score in pairs])
    value = drift.psi(expected, actual)
    out = {
        "score": {"psi": round(value, 6), "band": drift.band(value), "expected": expected, "actual": actual},
        "arguments": {},
    }
    baseline = PortfolioSettings.objects.get_or_create(partner=job.partner)[0].baseline
    totals = {}
    for histograms in job.chunks.values_list("histograms", flat=True):
        for name, counts in histograms.items():
            into = totals.setdefault(name, {})
            for key, count in counts.items():
                into[key] = into.get(key, 0) + count
    for name, actual in sorted(totals.items()):
        expected = baseline.get(name, {}).get("counts", {})
        value = drift.psi(expected, actual)
        out["arguments"][name] = {
            "psi": round(value, 6),
            "band": drift.band(value),
            "expected": expected,
            "actual": actual,
        }
    return out
