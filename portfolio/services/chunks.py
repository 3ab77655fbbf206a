"""Running one chunk of a re-evaluation job: safe to deliver twice, resumable, counted once."""

import gc
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.db import psycopg_cursor
from core.exceptions import Conflict

from .. import drift, evaluation
from ..models import (
    JobStatus,
    Loan,
    LoanLatestEvaluation,
    PortfolioSettings,
    ReevaluationChunk,
    ReevaluationJob,
    ReevaluationResult,
)
from .grades import grade_bands

# A chunk started this often without finishing keeps killing its workers (a poison message): stop.
MAX_RUNS = 10


def reevaluation_chunk_run(*, chunk_id) -> dict:
    """Evaluate the chunk's loans and record one result per loan, all in one transaction.

    The chunk's row is locked first: a second delivery running at the same time waits, then sees
    the chunk completed and writes nothing. A delivery killed mid-chunk wrote nothing (its
    transaction never committed), so the redelivery does the whole chunk.
    """
    ReevaluationChunk.objects.filter(pk=chunk_id).update(runs=F("runs") + 1)
    # Marked running before the chunk's transaction: inside it the job row would stay locked for
    # the whole first chunk, and every other worker's first chunk would wait for it.
    ReevaluationJob.objects.filter(chunks=chunk_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started=timezone.now()
    )
    with transaction.atomic():
        # Only the chunk's row: a bare select_for_update() would lock the joined job, flow and
        # partner rows as well, and the workers would run their chunks one at a time.
        chunk = (
            ReevaluationChunk.objects.select_for_update(of=("self",))
            .select_related("job__flow", "job__partner")
            .get(pk=chunk_id)
        )
        job = chunk.job
        if chunk.completed is not None or job.status in (JobStatus.CANCELLED, JobStatus.FAILED):
            return {"chunk": chunk.index, "written": 0}
        poisoned = chunk.runs > MAX_RUNS
        if poisoned:
            ReevaluationJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED,
                finished=timezone.now(),
                error=f"Chunk {chunk.index} was started {MAX_RUNS} times without finishing.",
            )
        else:
            with _garbage_collection_paused():
                written, failed = _evaluate_and_write(job, chunk)
            chunk.completed = timezone.now()
            chunk.save(update_fields=["completed", "histograms", "timings"])
            ReevaluationJob.objects.filter(pk=job.pk).update(done=F("done") + written, failed=F("failed") + failed)
    if poisoned:  # raised after the commit, which keeps the job marked failed
        raise Conflict(f"Chunk {chunk.index} of job {job.pk} was started {MAX_RUNS} times without finishing.")
    _complete_if_finished(job.pk)
    return {"chunk": chunk.index, "written": written + failed}


@contextmanager
def _garbage_collection_paused():
    """A chunk allocates a few hundred thousand objects (a dict per loan and its values) and frees
    them all at the end; the collector's passes over the worker's whole heap meanwhile cost ~15 %
    of the chunk's CPU and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _evaluate_and_write(job, chunk):
    partner = job.partner
    began, cpu_began = time.perf_counter(), time.process_time()
    loans = _loans_read(partner=partner, loan_ids=chunk.loan_ids)
    read = time.perf_counter()
    records = Loan._meta.get_field("attributes").from_db_values(loans.ciphertexts)
    decrypted = time.perf_counter()
    plan = evaluation.plan_load(flow=job.flow, pinned=job.plan)
    columns = evaluation.columns_of(records, plan.argument_names)
    outcome = evaluation.evaluate_batch(plan, columns, len(records))
    evaluated = time.perf_counter()
    settings = PortfolioSettings.objects.get_or_create(partner=partner)[0]
    results = _results_of(
        loans,
        outcome,
        bands=grade_bands(partner=partner),
        high_risk=settings.high_risk(),
        factor=settings.early_warning_factor,
    )
    # The unique (job, loan) constraint is the last line of defence; the chunk lock already serialises deliveries.
    _results_write(job=job, results=results, at=timezone.now())
    histograms = {}
    for name in plan.argument_names:
        spec = settings.baseline.get(name)
        if not spec:
            continue
        column = columns.get(name)
        if spec["kind"] == "numeric" and column is not None and column.dtype.kind == "f":
            histograms[name] = drift.count_numeric({}, spec, column)
        else:
            histograms[name] = drift.count_into({}, spec, [record.get(name) for record in records])
    chunk.histograms = histograms
    chunk.timings = {
        "read": round(read - began, 4),
        "decrypt": round(decrypted - read, 4),
        "evaluate": round(evaluated - decrypted, 4),
        "write": round(time.perf_counter() - evaluated, 4),
        "worker_cpu": round(time.process_time() - cpu_began, 4),
    }
    failed = sum(1 for error in outcome.errors if error)
    return len(loans.ids) - failed, failed


@dataclass
class _ChunkLoans:
    ids: list
    ciphertexts: list  # the stored attributes, still encrypted
    previous_probabilities: list
    previous_grades: list
    origination_scores: list


def _loans_read(*, partner, loan_ids) -> _ChunkLoans:
    """The chunk's loans of `partner` in one query, by id, attributes left encrypted, with their
    latest PD and grade (none and "" for a loan never evaluated)."""
    table = (
        f"{Loan._meta.db_table} loan LEFT JOIN {LoanLatestEvaluation._meta.db_table} latest ON latest.loan_id = loan.id"
    )
    columns = (
        "loan.id, loan.attributes, latest.probability_of_default, COALESCE(latest.grade, ''), "
        "COALESCE(loan.origination_score, latest.origination_score)"
    )
    if connection.vendor == "postgresql":
        # A server-side-binding cursor returns bytea in binary (half the bytes of hex text, no decoding).
        with psycopg_cursor(connection) as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE loan.partner_id = %s AND loan.id = ANY(%s) ORDER BY loan.id",
                [partner.pk, list(loan_ids)],
                binary=True,
                # Never a prepared statement (settings' prepare_threshold): a generic plan cannot see
                # how many ids the array holds, and a custom plan is made each time for what it holds.
                prepare=False,
            )
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE loan.partner_id = %s "
                f"AND loan.id IN (SELECT value FROM json_each(%s)) ORDER BY loan.id",
                [partner.pk, json.dumps(list(loan_ids))],
            )
            rows = cursor.fetchall()
    return _ChunkLoans(
        ids=[row[0] for row in rows],
        ciphertexts=[row[1] for row in rows],
        previous_probabilities=[row[2] for row in rows],
        previous_grades=[row[3] for row in rows],
        origination_scores=[row[4] for row in rows],
    )


_RESULT_COLUMNS = (
    "loan_id",
    "score",
    "probability_of_default",
    "grade",
    "previous_probability_of_default",
    "previous_grade",
    "pd_increase",
    "into_high_risk",
    "knockout_fails",
    "knockout_reasons",
    "error",
    "origination_score",
)


def _results_of(loans, outcome, *, bands, high_risk, factor) -> list[tuple]:
    """One row per loan in _RESULT_COLUMNS order: the new grade and the early-warning flags."""
    import numpy

    probabilities = outcome.probabilities
    # grade_for, column-wise: the first band whose bound the PD is under (bands are sorted, open last).
    bounds = numpy.array([bound for _, bound in bands if bound is not None], dtype=numpy.float64)
    names = [grade for grade, _ in bands]
    band_index = numpy.minimum(numpy.searchsorted(bounds, probabilities, side="right"), len(names) - 1)
    present = ~numpy.isnan(probabilities)
    grades = [names[index] if has else "" for index, has in zip(band_index.tolist(), present.tolist())]
    scores = [None if score != score else score for score in outcome.scores.tolist()]
    probability_list = [None if value != value else value for value in probabilities.tolist()]
    rows = []
    for position, loan_id in enumerate(loans.ids):
        probability, grade = probability_list[position], grades[position]
        previous_pd, previous_grade = loans.previous_probabilities[position], loans.previous_grades[position]
        reasons, error = outcome.knockout_reasons[position], outcome.errors[position] or ""
        origination_score = loans.origination_scores[position]
        if origination_score is None and not error:
            origination_score = scores[position]  # what the loan takes as its origination score below
        rows.append(
            (
                loan_id,
                scores[position],
                probability,
                grade,
                previous_pd,
                previous_grade,
                bool(previous_pd and probability is not None and probability > previous_pd * factor),
                bool(grade in high_risk and previous_grade and previous_grade not in high_risk),
                bool(reasons),
                ",".join(reasons)[:200],
                error,
                origination_score,
            )
        )
    return rows


def _results_write(*, job, results, at):
    """Insert the results (a (job, loan) already there is left as it is) and set each loan's latest
    score, PD and grade from them (one narrow LoanLatestEvaluation row per loan, inserted or
    updated). The row's origination score, the loan's drift baseline, is set when the row is first
    written (the loan's imported score, else this first re-evaluation's) and kept after. A result
    with an error leaves its loan's latest as it was. The loans' own rows (wide: their encrypted
    attributes) are never written."""
    if not results:
        return
    result_table = ReevaluationResult._meta.db_table
    latest_table = LoanLatestEvaluation._meta.db_table
    upsert = (
        f"INSERT INTO {latest_table} (loan_id, job_id, score, probability_of_default, grade, evaluated_at, "
        "origination_score) "
        "SELECT r.loan_id, {job}, r.score, r.probability_of_default, r.grade, %s, r.origination_score FROM {source} "
        "ON CONFLICT (loan_id) DO UPDATE SET job_id = excluded.job_id, score = excluded.score, "
        "probability_of_default = excluded.probability_of_default, grade = excluded.grade, "
        f"evaluated_at = excluded.evaluated_at, "
        f"origination_score = COALESCE({latest_table}.origination_score, excluded.origination_score)"
    )
    names = ", ".join(_RESULT_COLUMNS)
    if connection.vendor != "postgresql":
        ReevaluationResult.objects.bulk_create(
            [ReevaluationResult(job=job, **dict(zip(_RESULT_COLUMNS, row))) for row in results],
            batch_size=1000,
            ignore_conflicts=True,
        )
        source = (
            f"{result_table} r WHERE r.job_id = %s AND r.error = '' AND r.loan_id IN (SELECT value FROM json_each(%s))"
        )
        chunk = [job.pk.hex, json.dumps([row[0] for row in results])]
        with connection.cursor() as cursor:
            cursor.execute(
                upsert.format(job="r.job_id", source=source),
                [connection.ops.adapt_datetimefield_value(at), *chunk],
            )
        return
    # COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING of the results and one
    # INSERT … ON CONFLICT DO UPDATE of the latest rows (a failure rolls the table's creation back
    # with the rest).
    source = "portfolio_chunk_result r WHERE r.error = ''"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE portfolio_chunk_result (loan_id bigint, score double precision, "
            "probability_of_default double precision, grade varchar(8), previous_probability_of_default "
            "double precision, previous_grade varchar(8), pd_increase boolean, into_high_risk boolean, "
            "knockout_fails boolean, knockout_reasons varchar(200), error varchar(500), "
            "origination_score double precision)"
        )
        with cursor.cursor.copy(f"COPY portfolio_chunk_result ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_COPY_TYPES)
            for row in results:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {result_table} (job_id, {names}) SELECT %s, {names} FROM portfolio_chunk_result "
            "ON CONFLICT (job_id, loan_id) DO NOTHING",
            [job.pk],
        )
        cursor.execute(upsert.format(job="%s", source=source), [job.pk, at])
        # Dropped here, not at commit: several chunks may run in one transaction (eager tasks, tests).
        cursor.execute("DROP TABLE portfolio_chunk_result")


_COPY_TYPES = (
    "int8",
    "float8",
    "float8",
    "varchar",
    "float8",
    "varchar",
    "bool",
    "bool",
    "bool",
    "varchar",
    "varchar",
    "float8",
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
    import numpy

    pairs = _score_pairs(job=job)  # (origination score or NaN, score) per result with a score
    origination = pairs[:, 0][~numpy.isnan(pairs[:, 0])]
    spec = {"kind": "numeric", "edges": drift.numeric_edges_of_array(origination)}
    expected = drift.count_numeric({}, spec, origination)
    actual = drift.count_numeric({}, spec, pairs[:, 1])
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


def _score_pairs(*, job):
    """(origination score, score) of each of the job's results with a score, as an (n, 2) float array."""
    import numpy

    # From the results alone: joining the loans would read every wide loan row again.
    query = (
        f"SELECT origination_score, score FROM {ReevaluationResult._meta.db_table} "
        "WHERE job_id = %s AND score IS NOT NULL"
    )
    if connection.vendor == "postgresql":
        with psycopg_cursor(connection) as cursor:
            cursor.execute(query, [job.pk], binary=True, prepare=False)
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(query, [job.pk.hex])
            rows = cursor.fetchall()
    return numpy.array(rows, dtype=numpy.float64).reshape(len(rows), 2)  # None -> NaN
