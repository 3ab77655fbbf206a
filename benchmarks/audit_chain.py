"""Audit-chain benchmark: what queueing records costs a decision, and how fast blocks seal and verify.

    DATABASE_URL=... python benchmarks/audit_chain.py [--decisions 90]

Runs on a throw-away test database (SQLite unless DATABASE_URL is set). Decides the demo's
applications in rounds that alternate between the sealing signal disconnected (the reference:
the app as before the chain) and connected, so machine drift hits both alike; then seals every
queued record and verifies the chain. Prints median milliseconds per decision of each, and
records per second for sealing and verifying.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=90, help="decisions per variant")
    arguments = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.db.models.signals import post_save
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(arguments.decisions, post_save)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(count, post_save):
    from core import chain, signals
    from core.models import AuditPending
    from core.selectors import audit_chain_verify
    from core.services import audit_chain_seal_all
    from decisioning.demo import demo_application, demo_load
    from decisioning.services import decision_create
    from partners import roles

    demo = demo_load(out=lambda *_: None)
    partner, system = demo["partner"], demo["people"][roles.PARTNER_SYSTEM][0]
    AuditPending.objects.all().delete()  # the demo's own records: not part of the measurement
    timings = {"without the chain (reference)": [], "with records queued for sealing": []}
    decide = lambda number: decision_create(  # noqa: E731
        partner=partner,
        application=demo_application(number),
        requested_by=system,
        external_id=f"B-{number}",
    )
    decide(0)  # warm the engine cache
    number = 1
    for round_number in range(6):
        connected = round_number % 2 == 1
        for label in chain.SEALED_MODELS:
            post_save.disconnect(sender=label, dispatch_uid=f"audit-chain-{label}")
        if connected:
            signals.connect()
        name = "with records queued for sealing" if connected else "without the chain (reference)"
        for _ in range(count // 3):
            started = time.perf_counter()
            decide(number)
            timings[name].append((time.perf_counter() - started) * 1000)
            number += 1
    signals.connect()
    queued = AuditPending.objects.count()
    started = time.perf_counter()
    audit_chain_seal_all()
    sealing = time.perf_counter() - started
    started = time.perf_counter()
    report = audit_chain_verify()
    verifying = time.perf_counter() - started
    print(f"database: {__import__('django.db').db.connection.vendor}, {count} decisions per variant")
    for name, values in timings.items():
        print(f"  decide, {name}: median {statistics.median(values):.1f} ms")
    reference, queued_median = (statistics.median(values) for values in timings.values())
    print(
        f"  queueing overhead: {queued_median - reference:+.1f} ms per decision ({queued_median / reference - 1:+.1%})"
    )
    print(f"  seal: {queued} records in {sealing:.2f} s ({queued / sealing:,.0f} records/s)")
    print(
        f"  verify: {report.sealed} sealed records in {verifying:.2f} s ({report.sealed / verifying:,.0f} records/s);"
        f" unsealed reference rows reported: {len(report.problems)}"
    )


if __name__ == "__main__":
    main()
