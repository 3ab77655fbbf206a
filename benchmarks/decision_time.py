"""Server time of one decision: POST /api/v1/decisions through the demo flow, Django test client.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../N python benchmarks/decision_time.py [--decisions 200]

Runs on a throw-away test database (PostgreSQL when DATABASE_URL names it). Loads the demo,
warms up (engines loaded, plan and token caches filled, as in a running server), then times
`--decisions` referred/approved/declined demo applications, each with its own Idempotency-Key, in
the test client (no network, no WSGI server): the median is the server's time for one decision.
Where the time goes, per decision (medians): SQL (time inside cursor.execute, measured with
an execute wrapper), engines (the steps' own durationUs), encryption (encrypting the decision's
and its steps' EncryptedJSONField values again, timed apart), and the rest (parse, validate,
convert, permissions, throttle, render, framework).
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
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    arguments = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(arguments.decisions, arguments.warmup)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(count, warmup):
    import json

    from django.db import connection
    from django.test import Client

    from core.fields import EncryptedJSONField
    from decisioning.demo import demo_application, demo_load
    from decisioning.models import Decision

    demo = demo_load(out=lambda *_: None)
    connection.force_debug_cursor = True  # count statements
    client = Client(HTTP_AUTHORIZATION=f"Token {demo['token']}")

    def post(number, key):
        body = {
            "data": {
                "type": "decision",
                "attributes": {"externalId": f"bench-{key}", "application": demo_application(number)},
            }
        }
        return client.post(
            "/api/v1/decisions",
            json.dumps(body),
            content_type="application/vnd.api+json",
            HTTP_ACCEPT="application/vnd.api+json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    for number in range(warmup):
        assert post(number, f"warm-{number}").status_code == 201

    sql_time = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - started

    totals, sqls, engines, statements, outcomes, ids = [], [], [], [], {}, []
    for number in range(count):
        sql_time[0] = 0.0
        connection.queries_log.clear()
        with connection.execute_wrapper(timed):
            started = time.perf_counter()
            answer = post(warmup + number, f"bench-{number}")
            totals.append(time.perf_counter() - started)
        assert answer.status_code == 201, answer.content
        data = answer.json()["data"]
        ids.append(data["id"])
        sqls.append(sql_time[0])
        engines.append(sum(step["durationUs"] for step in data["attributes"]["steps"]) / 1e6)
        statements.append(len(connection.queries_log))
        outcomes[data["attributes"]["outcome"]] = outcomes.get(data["attributes"]["outcome"], 0) + 1

    # Encryption, timed apart: the same values encrypted again as the INSERTs did.
    encryption = []
    for decision in Decision.objects.filter(pk__in=ids[:50]).prefetch_related("steps"):
        started = time.perf_counter()
        for record in (decision, *decision.steps.all()):
            for field in record._meta.concrete_fields:
                if isinstance(field, EncryptedJSONField):
                    field.get_db_prep_save(getattr(record, field.attname), connection)
        encryption.append(time.perf_counter() - started)

    def ms(seconds):
        return seconds * 1000

    median_total, median_sql = statistics.median(totals), statistics.median(sqls)
    median_engines, median_encryption = statistics.median(engines), statistics.median(encryption)
    print(f"database: {connection.vendor}; decisions: {count} after {warmup} warm-up; outcomes: {outcomes}")
    print(
        f"median server time per decision: {ms(median_total):.2f} ms (p90 {ms(sorted(totals)[int(0.9 * count)]):.2f} ms)"
    )
    if statements[0]:
        print(f"SQL statements per decision (median): {statistics.median(statements)}")
    print("where it goes (medians):")
    print(f"  SQL (inside cursor.execute):   {ms(median_sql):6.2f} ms")
    print(f"  engines (5 steps' durationUs): {ms(median_engines):6.2f} ms")
    print(f"  encryption (Fernet, 6 rows):   {ms(median_encryption):6.2f} ms")
    rest = median_total - median_sql - median_engines - median_encryption
    print(f"  rest (parse, validate, convert, auth, throttle, render, framework): {ms(rest):6.2f} ms")

    # What explanations add: the same applications decided with and without them, alternately
    # (so drift hits both arms alike); without = the engines' explainer lookup answers None.
    from modelregistry import engines as engine_door

    explainer_for = engine_door.explainer_for
    paired = {"with": [], "without": []}
    for number in range(min(count, 100)):
        for arm in ("with", "without") if number % 2 else ("without", "with"):
            engine_door.explainer_for = explainer_for if arm == "with" else (lambda *_: None)
            started = time.perf_counter()
            answer = post(warmup + number, f"pair-{arm}-{number}")
            paired[arm].append(time.perf_counter() - started)
            assert answer.status_code == 201, answer.content
    engine_door.explainer_for = explainer_for
    with_explanations, without = statistics.median(paired["with"]), statistics.median(paired["without"])
    print(
        f"explanations end to end (paired, {len(paired['with'])} decisions each): median {ms(with_explanations):.2f} ms "
        f"with, {ms(without):.2f} ms without: {ms(with_explanations - without):+.2f} ms per decision"
    )
    # The same, without the noise of HTTP and SQL: the flow alone, then encrypting what it explained.
    from django.utils import timezone

    from decisioning import flows, plan_cache
    from decisioning.models import InsightTransaction

    at = timezone.now()
    plan, catalogue = plan_cache.flow_plan(demo["flow"], at=at), plan_cache.reason_catalogue(demo["partner"])
    explanation_field = InsightTransaction._meta.get_field("explanation")
    flow_times, encrypting = {True: [], False: []}, []
    for number in range(min(count, 200)):
        application = demo_application(number)
        for explain in (True, False) if number % 2 else (False, True):
            started = time.perf_counter()
            result = flows.flow_run(
                flow=demo["flow"], application=application, catalogue=catalogue, at=at, plan=plan, explain=explain
            )
            flow_times[explain].append(time.perf_counter() - started)
            if explain:
                explained = result
        started = time.perf_counter()
        for _, evaluation in explained.evaluations:
            explanation_field.get_db_prep_save(evaluation.explanation, connection)
        encrypting.append(time.perf_counter() - started)
    flow_with, flow_without = statistics.median(flow_times[True]), statistics.median(flow_times[False])
    print(
        f"explanations in the flow alone (paired): median {ms(flow_with):.3f} ms with, {ms(flow_without):.3f} ms "
        f"without: {ms(flow_with - flow_without):+.3f} ms; encrypting them: {ms(statistics.median(encrypting)):.3f} ms"
    )


if __name__ == "__main__":
    main()
