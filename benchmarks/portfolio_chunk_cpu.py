"""CPU per loan of re-evaluation chunks run in-process: this process and its PostgreSQL backend.

    DATABASE_URL=postgres://… python benchmarks/portfolio_chunk_cpu.py --chunk-size 20000 --chunks 2

Needs a database benchmarks/portfolio.py has set up (the demo flow with the LightGBM step and its
loans). Wall time depends on what else the machine runs; CPU seconds much less so: the process's
own (time.process_time) and its PostgreSQL backend's (utime + stime from /proc/<pid>/stat, so the
database must run on this machine). The job it creates is deleted at the end.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def backend_cpu_seconds(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunk-size", type=int, default=20000)
    parser.add_argument("--chunks", type=int, default=2, help="chunks timed, after one warm-up chunk")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("benchmarks/portfolio_chunk_cpu.py needs PostgreSQL (on this machine) in DATABASE_URL.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.db import connection

    from benchmarks.portfolio import setup_flow
    from portfolio.models import ReevaluationChunk
    from portfolio.services.chunks import reevaluation_chunk_run
    from portfolio.services.jobs import reevaluation_job_create

    partner, flow = setup_flow()
    job = reevaluation_job_create(
        partner=partner,
        user=None,
        flow_id=str(flow.pk),
        statuses=["current", "delinquent", "charged-off", "closed"],
        chunk_size=args.chunk_size,
    )
    try:
        chunk_ids = list(job.chunks.order_by("index").values_list("pk", flat=True))
        reevaluation_chunk_run(chunk_id=chunk_ids[0])  # compiles the models
        wall = worker = database = 0.0
        loans, split = 0, {}
        for chunk_id in chunk_ids[1 : 1 + args.chunks]:
            began, cpu, backend = time.perf_counter(), time.process_time(), backend_cpu_seconds(connection)
            reevaluation_chunk_run(chunk_id=chunk_id)
            wall += time.perf_counter() - began
            worker += time.process_time() - cpu
            database += backend_cpu_seconds(connection) - backend
            chunk = ReevaluationChunk.objects.get(pk=chunk_id)
            loans += len(chunk.loan_ids)
            for key, seconds in chunk.timings.items():
                split[key] = split.get(key, 0.0) + seconds
    finally:
        job.delete()
    if not loans:
        sys.exit("no loans beyond the warm-up chunk: run benchmarks/portfolio.py first, or lower --chunk-size")
    per_loan = 1e6 / loans
    print(
        f"{loans} loans in chunks of {args.chunk_size}: wall {wall * per_loan:.1f} us/loan, worker CPU "
        f"{worker * per_loan:.1f} us/loan, PostgreSQL backend CPU {database * per_loan:.1f} us/loan; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("chunk timings, us/loan: " + ", ".join(f"{key} {seconds * per_loan:.1f}" for key, seconds in split.items()))


if __name__ == "__main__":
    main()
