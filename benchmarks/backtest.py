"""Backtest benchmark: 10,000 recorded applications, a candidate flow and the published one side by side.

    python benchmarks/backtest.py [--applications 10000] [--reference 300]

Builds a throw-away database (SQLite in a temporary file unless DATABASE_URL names one; never
point it at a database you keep: it is migrated and filled), loads the demo, records N
applications (the demo CSV's rows, encrypted as decisions store them), drafts the demo flow with
score bands instead of the cut-off ruleset, and times the backtest service end to end: decrypting
the applications, both flows column-wise through `evaluate_batch`, the report, storing it
encrypted. The reference in the same run is `flow_run` one application at a time (what a
per-row backtest would do), timed on `--reference` applications and scaled to N. The script
also checks that the column-wise outcomes equal flow_run's on those applications.
"""

import argparse
import csv
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--reference", type=int, default=300)
    options = parser.parse_args()
    database = os.path.join(tempfile.mkdtemp(prefix="creditbox-backtest-"), "bench.sqlite3")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{database}")
    os.environ.pop("REDIS_URL", None)  # the task runs in-process: the service is what is timed
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from decisioning import demo as demo_module
    from decisioning import flows
    from decisioning.models import Backtest, Decision, ReasonCode
    from decisioning.services import (
        flow_version_create_draft,
        flow_version_steps_replace,
        flow_version_update_draft,
    )
    from decisioning.services.backtests import _backtest_record, backtest_run
    from modelregistry.models import DataDictionaryField

    demo = demo_module.demo_load(out=lambda *_: None)
    partner, admin = demo["partner"], demo["people"]["partner_admin"][0]
    types = dict(DataDictionaryField.objects.values_list("name", "data_type"))
    mapping = demo_module.source_column_mapping()
    with open(demo_module.DEMO_DIR / "data" / "lending_club_modeldata.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))

    def application(row):
        typed = {}
        for column, concept in mapping.items():
            text = row[column]
            typed[concept] = (
                None
                if text == ""
                else float(text)
                if types[concept] == "number"
                else int(float(text))
                if types[concept] == "integer"
                else text
            )
        return typed

    applications = [application(rows[n % len(rows)]) for n in range(options.applications)]
    Decision.objects.bulk_create(
        [
            Decision(
                partner=partner,
                flow=demo["flow"],
                external_id=f"BENCH-{n:06d}",
                application=applications[n],
                outcome="APPROVED",
                final_outcome="APPROVED",
                outputs={},
            )
            for n in range(options.applications)
        ],
        batch_size=1000,
    )
    draft = flow_version_create_draft(flow=demo["flow"].definition, actor=admin)
    steps = []
    for step in draft.steps.order_by("position"):
        if step.kind != "cutoff":
            steps.append(
                {
                    "kind": step.kind,
                    "resultField": step.result_field,
                    **({"ruleset": step.ruleset} if step.ruleset_id else {"model": step.model}),
                }
            )
    flow_version_steps_replace(version=draft, actor=admin, steps=steps)
    draft = flow_version_update_draft(
        version=draft,
        actor=admin,
        cutoff_bands=[
            {"minimum": 545, "outcome": "APPROVE"},
            {"minimum": 535, "outcome": "REFER"},
            {"minimum": None, "outcome": "DECLINE"},
        ],
    )

    # Warm the engines' caches (compiling is once per process, not part of a backtest's cost).
    warm = _backtest_record(flow=draft.definition, actor=admin, candidate=draft, ruleset_version=None, limit=10)
    backtest_run(backtest_id=warm.pk)

    backtest = _backtest_record(
        flow=draft.definition, actor=admin, candidate=draft, ruleset_version=None, limit=options.applications
    )
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx("backtest_run(backtest_id=backtest.pk)", globals(), locals(), "/tmp/backtest.prof")
        pstats.Stats("/tmp/backtest.prof").sort_stats("cumulative").print_stats(25)
        return
    backtest_run(backtest_id=backtest.pk)
    elapsed = time.perf_counter() - started
    report = Backtest.objects.get(pk=backtest.pk).report

    catalogue = {reason.code: reason for reason in ReasonCode.objects.filter(partner=partner)}
    recorded = list(
        Decision.objects.filter(partner=partner)
        .order_by("-created", "-id")
        .values_list("pk", "application")[: options.reference]
    )
    started = time.perf_counter()
    reference = {}
    for decision_id, recorded_application in recorded:
        reference[str(decision_id)] = (
            flows.flow_run(flow=demo["flow"], application=recorded_application, catalogue=catalogue).outcome,
            flows.flow_run(flow=draft, application=recorded_application, catalogue=catalogue).outcome,
        )
    per_row = (time.perf_counter() - started) / max(len(recorded), 1)

    from django.utils import timezone

    from decisioning import flows_batch

    check = [application for _, application in recorded]
    at = timezone.now()
    batch = [
        flows_batch.flow_run_batch(
            flow=version, steps=flows_batch.batch_steps(version, at=at), applications=check
        ).outcomes
        for version in (demo["flow"], draft)
    ]
    agree = all(
        (batch[0][i], batch[1][i]) == reference[str(decision_id)] for i, (decision_id, _) in enumerate(recorded)
    )

    arms = report["arms"]
    print(
        f"backtest of {report['applications']:,} applications (both flows, decrypt + evaluate + report + store): "
        f"{elapsed:.2f} s"
    )
    for name in ("baseline", "candidate"):
        rates = ", ".join(f"{k} {v:.1%}" for k, v in arms[name]["rates"].items())
        print(f"  {name:9} {arms[name]['label']}: {rates}")
    print(f"  swaps: {report['swaps']}")
    print(
        f"reference, flow_run per application (both flows): {per_row * 1000:.1f} ms per application "
        f"-> {per_row * options.applications:.1f} s for {options.applications:,} (measured on {len(recorded)})"
    )
    print(
        f"ratio: column-wise is {per_row * options.applications / elapsed:.1f}x faster; "
        f"outcomes agree with flow_run on the {len(recorded)} reference applications: {agree}"
    )
    print(
        "target: under 10 s for 10,000 applications:",
        "met" if elapsed < 10 and options.applications >= 10_000 else "NOT met",
    )


if __name__ == "__main__":
    main()
