"""Portfolio re-evaluation benchmark: N loans end to end on two Celery workers, and the reference engines.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python benchmarks/portfolio.py --loans 1000000

On an empty migrated database it sets up what it needs: the demo partner and flow (demo_load),
a 100-tree LightGBM PD model (trained on the demo data, exported with sklearn2pmml) added to the
flow as a score step, and N synthetic loans (attributes encrypted). It starts two Celery worker
processes, submits a re-evaluation job of the whole book, and times it from submission to
completion (decrypting every loan, evaluating the flow's knock-out and score steps column-wise,
writing one result per loan under the unique (job, loan) constraint and updating each loan's
latest results). Then the same chunk work, in-process, with the reference engines (pyDMNrules +
pypmml) on a sample, and the ratio. Prints where the time goes (summed over chunks, per worker).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=1000, help="loans evaluated by the reference engines")
    args = parser.parse_args()
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name, "").strip()]
    if missing or not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit(
            f"benchmarks/portfolio.py needs PostgreSQL in DATABASE_URL and Redis in REDIS_URL (missing or not "
            f"PostgreSQL: {', '.join(missing) or 'DATABASE_URL'})."
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    partner, flow = setup_flow()
    ensure_loans(partner, args.loans)
    workers = start_workers(args.workers)
    try:
        from portfolio.models import ReevaluationJob
        from portfolio.services.jobs import reevaluation_job_submit

        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        job = reevaluation_job_submit(
            partner=partner,
            user=None,
            flow_id=str(flow.pk),
            statuses=["current", "delinquent", "charged-off", "closed"],
            chunk_size=args.chunk_size,
        )
        while True:
            job = ReevaluationJob.objects.get(pk=job.pk)
            if job.status not in ("queued", "running"):
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    assert job.status == "completed", (job.status, job.error)
    assert job.results.count() == job.total, "one result per loan"
    timings = {key: 0.0 for key in ("read", "decrypt", "evaluate", "write", "worker_cpu")}
    for chunk_timings in job.chunks.values_list("timings", flat=True):
        for key in timings:
            timings[key] += chunk_timings.get(key, 0.0)
    rate = job.total / elapsed
    print(
        f"chunks: {job.chunks.count()} of {args.chunk_size}; failed loans: {job.failed}; load average (1 min) "
        f"{load_before:.1f} at submission, {os.getloadavg()[0]:.1f} at completion (2 cores)"
    )
    print("time summed over chunks (s, across workers): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    reference_rate, native_rate = reference_run(partner, flow, args.sample)
    print(
        f"reference engines (pyDMNrules + pypmml), {args.sample} loans in-process: {reference_rate:,.0f} loans/s; "
        f"native on the same sample in-process: {native_rate:,.0f} loans/s"
    )
    print(f"ratio: end-to-end {rate / reference_rate:.1f}x the reference engines' in-process rate")
    print(f"portfolio: {job.total} loans in {elapsed:.1f} s, {rate:,.0f} loans/s")


def setup_flow():
    from decisioning.demo import demo_load, register_demo_model
    from decisioning.models import FlowStep

    demo = demo_load(out=lambda *_: None)
    partner, flow = demo["partner"], demo["flow"]
    if not flow.steps.filter(model__name="Lending Club PD (LightGBM, 100 trees)").exists():
        from scripts.pmml_demo_models import export, train

        directory = Path(tempfile.mkdtemp(prefix="portfolio-bench-"))
        pipeline, _ = train("lightgbm")
        path = export(pipeline, directory / "lightgbm.pmml")
        relative = os.path.relpath(path, REPO / "demo")
        model = register_demo_model(
            partner=partner,
            name="Lending Club PD (LightGBM, 100 trees)",
            path=relative,
            actor=demo["people"]["data_scientist"][0],
            result_mapping={"probability(bad)": "probabilityOfDefault"},
        )
        last = flow.steps.order_by("-position").first().position
        FlowStep.objects.create(flow=flow, position=last + 1, kind="score", model=model)
    return partner, flow


def ensure_loans(partner, count):
    from portfolio.demo import synthetic_loans_create
    from portfolio.models import Loan

    have = Loan.objects.filter(partner=partner, external_id__startswith="BENCH-").count()
    others = Loan.objects.filter(partner=partner).exclude(external_id__startswith="BENCH-")
    others.filter(results__isnull=False).distinct()  # demo loans stay; they are re-evaluated too
    if have < count:
        began = time.perf_counter()
        timings = synthetic_loans_create(partner=partner, count=count - have, prefix=f"BENCH-{have:07d}", seed=have)
        print(
            f"generated {timings['created']} loans in {time.perf_counter() - began:.1f} s "
            f"(build {timings['build']} s, Fernet encrypt {timings['encrypt']} s, COPY {timings['insert']} s, "
            f"VACUUM (ANALYZE) {timings['analyze']} s)"
        )
    elif have > count:
        print(f"note: {have} benchmark loans already exist; the job evaluates them all")


def start_workers(count):
    from config.celery import app

    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=WARNING",
                "-n",
                f"bench{number}-{os.getpid()}@%h",
            ],
            cwd=REPO,
            env=os.environ.copy(),
        )
        for number in range(count)
    ]
    deadline = time.time() + 90
    while time.time() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            return workers
    for worker in workers:
        worker.terminate()
    sys.exit("the Celery workers did not answer within 90 s")


def reference_run(partner, flow, sample):
    """The chunk work in-process on `sample` loans: reference engines, then native, both timed."""
    from django.conf import settings

    from portfolio.models import Loan
    from portfolio.services.chunks import reevaluation_chunk_run
    from portfolio.services.jobs import reevaluation_job_create

    ids = list(Loan.objects.filter(partner=partner).order_by("pk").values_list("pk", flat=True)[:sample])
    rates = []
    for implementations in ({"pmml": "pypmml", "dmn": "pydmnrules"}, {}):
        # The engines' cache is keyed by implementation too, so switching needs no clearing.
        settings.CREDITBOX_ENGINE_IMPLEMENTATIONS = implementations
        job = reevaluation_job_create(
            partner=partner, user=None, flow_id=str(flow.pk), statuses=["closed"], chunk_size=sample
        )
        job.chunks.all().delete()
        chunk = job.chunks.create(index=0, loan_ids=ids)
        from portfolio import evaluation

        evaluation.plan_load(flow=flow, pinned=job.plan)  # load (JVM start, pyDMNrules import) outside the timing
        began = time.perf_counter()
        reevaluation_chunk_run(chunk_id=chunk.pk)
        rates.append(len(ids) / (time.perf_counter() - began))
    return rates


if __name__ == "__main__":
    main()
