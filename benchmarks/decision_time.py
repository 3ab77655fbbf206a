"""Server time of one decision: POST /api/v1/decisions through the demo flow, Django test client.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../N python benchmarks/decision_time.py \
        [--decisions 200] [--profile N]

Runs on a throw-away test database (PostgreSQL when DATABASE_URL names it). Loads the demo,
warms up (engines loaded, plan and token caches filled, as in a running server), then times
`--decisions` referred/approved/declined demo applications, each with its own Idempotency-Key, in
the test client (no network, no WSGI server; request bodies built before the clock starts): the
median is the server's time for one decision. Also printed: this process's CPU time per decision
(what the code costs, far less sensitive than wall time to other load on the machine); where the
time goes (medians): SQL (time inside cursor.execute and COMMIT, per statement too), engines (the
steps' own durationUs), encryption (the decision's and its steps' EncryptedJSONField values
encrypted again, timed apart), and the Python phases (parse, authenticate + rate limit, validate,
convert, steps, fingerprint, write, render: wall time inside each, less the SQL inside it).
`--profile N` then prints a CPU-time cProfile of N more decisions
(DECISION_TIME_PROFILE_OUT=file also saves it).
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("CREDITBOX_BENCHMARK_ECHO", "1")  # the echo floor (core/api/echo.py), measured alongside


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="after the timed run, cProfile N more decisions"
    )
    arguments = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(arguments.decisions, arguments.warmup, arguments.profile)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(count, warmup, profile=0):
    import json

    from django.db import connection
    from django.test import Client

    from core.fields import EncryptedJSONField
    from decisioning.demo import demo_application, demo_load
    from decisioning.models import Decision

    demo = demo_load(out=lambda *_: None)
    connection.force_debug_cursor = True  # count statements
    client = Client(HTTP_AUTHORIZATION=f"Token {demo['token']}")

    # The request bodies are built before the clock starts: reading a demo row costs a CSV scan
    # and a query, which is the benchmark's work, not the server's.
    applications = [demo_application(number) for number in range(min(300, warmup + count + profile))]

    def post(number, key, path="/api/v1/decisions"):
        body = {
            "data": {
                "type": "decision",
                "attributes": {
                    "externalId": f"bench-{key}",
                    "application": applications[number % len(applications)],
                },
            }
        }
        return client.post(
            path,
            json.dumps(body),
            content_type="application/vnd.api+json",
            HTTP_ACCEPT="application/vnd.api+json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    for number in range(warmup):
        assert post(number, f"warm-{number}").status_code == 201

    # The server time as the client sees it with nothing of this benchmark inside the server: no
    # debug cursor (it logs every statement), no SQL-timing wrapper, no phase wrappers. The pass
    # after it is instrumented to say where the time goes, and is slower for it.
    connection.force_debug_cursor = False
    plain, plain_cpu, echo, echo_cpu = [], [], [], []
    for number in range(count):
        # Alternately (so drift hits both alike): a decision, then the echo floor with the same body.
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = post(warmup + number, f"plain-{number}")
        plain.append(time.perf_counter() - started)
        plain_cpu.append(time.process_time() - cpu_started)
        assert answer.status_code == 201, answer.content
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = post(warmup + number, f"echo-{number}", path="/api/v1/benchmark-echo")
        echo.append(time.perf_counter() - started)
        echo_cpu.append(time.process_time() - cpu_started)
        assert answer.status_code == 200, answer.content
    connection.force_debug_cursor = True

    sql_time = [0.0]
    by_statement = {}  # label -> [seconds, ...]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            sql_time[0] += elapsed
            by_statement.setdefault(statement_label(sql), []).append(elapsed)

    # COMMIT does not pass through cursor.execute (psycopg's connection.commit): timed here.
    commit = connection._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            elapsed = time.perf_counter() - started
            sql_time[0] += elapsed
            by_statement.setdefault("COMMIT", []).append(elapsed)

    connection._commit = timed_commit
    phases = instrument_phases(sql_time)
    totals, cpu, sqls, engines, statements, outcomes, ids = [], [], [], [], [], {}, []
    for number in range(count):
        sql_time[0] = 0.0
        phases.start()
        connection.queries_log.clear()
        with connection.execute_wrapper(timed):
            started, cpu_started = time.perf_counter(), time.process_time()
            answer = post(warmup + number, f"bench-{number}")
            totals.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        phases.stop()
        assert answer.status_code == 201, answer.content
        data = answer.json()["data"]
        ids.append(data["id"])
        sqls.append(sql_time[0])
        engines.append(sum(step["durationUs"] for step in data["attributes"]["steps"]) / 1e6)
        statements.append(len(connection.queries_log))
        outcomes[data["attributes"]["outcome"]] = outcomes.get(data["attributes"]["outcome"], 0) + 1
    connection._commit = commit

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
        f"median server time per decision: {ms(statistics.median(plain)):.2f} ms "
        f"(p90 {ms(sorted(plain)[int(0.9 * count)]):.2f} ms; uninstrumented pass)"
    )
    print(
        f"instrumented pass (debug cursor, SQL timing, phase wrappers): median {ms(median_total):.2f} ms "
        f"(p90 {ms(sorted(totals)[int(0.9 * count)]):.2f} ms)"
    )
    # CPU time of this process (Python, psycopg, Fernet; not PostgreSQL's or Redis's own): what the
    # code costs, much less sensitive to other load on the machine than wall time.
    print(f"median CPU time of this process per decision: {ms(statistics.median(cpu)):.2f} ms")
    print(
        f"the echo floor (core/api/echo.py, same client, body and token; alternating with the uninstrumented "
        f"pass): median {ms(statistics.median(echo)):.2f} ms, CPU {ms(statistics.median(echo_cpu)):.2f} ms; "
        f"the decision in that pass: CPU {ms(statistics.median(plain_cpu)):.2f} ms, "
        f"{ms(statistics.median(plain_cpu) - statistics.median(echo_cpu)):.2f} ms more than the echo"
    )
    if statements[0]:
        print(f"SQL statements per decision (median): {statistics.median(statements)}")
    print("where it goes (medians):")
    print(f"  SQL (cursor.execute + COMMIT): {ms(median_sql):6.2f} ms")
    print(f"  engines (5 steps' durationUs): {ms(median_engines):6.2f} ms")
    print(f"  encryption (Fernet, 6 rows):   {ms(median_encryption):6.2f} ms")
    rest = median_total - median_sql - median_engines - median_encryption
    print(f"  rest (parse, validate, convert, auth, throttle, render, framework): {ms(rest):6.2f} ms")
    print("Python phases (medians; wall time inside each, less the SQL inside it):")
    for name, times in phases.medians().items():
        print(f"  {ms(times):6.2f} ms  {name}")
    print("SQL by statement (per decision, median time of one):")
    for label, times in sorted(by_statement.items(), key=lambda item: -sum(item[1])):
        print(f"  {len(times) / count:4.2f} x {ms(statistics.median(times)):6.2f} ms  {label}")
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
    if profile:
        import cProfile
        import pstats

        connection.force_debug_cursor = False
        # CPU time, not wall time: waiting for PostgreSQL and Redis is in the SQL figures above, and
        # under load wall time would mostly measure other processes.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for number in range(profile):
            post(warmup + count + number, f"profile-{number}")
        profiler.disable()
        print(f"cProfile (CPU time) of {profile} decisions (cumulative, then own time):")
        if os.environ.get("DECISION_TIME_PROFILE_OUT"):
            profiler.dump_stats(os.environ["DECISION_TIME_PROFILE_OUT"])
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)


class Phases:
    """Wall time per decision inside named functions, less the SQL time spent inside them."""

    def __init__(self, sql_time):
        self.sql_time, self.current, self.done = sql_time, {}, {}

    def wrap(self, name, owner, attribute):
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            started, sql_before = time.perf_counter(), self.sql_time[0]
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started - (self.sql_time[0] - sql_before)
                self.current[name] = self.current.get(name, 0.0) + spent

        setattr(owner, attribute, timed)
        self.done.setdefault(name, [])

    def start(self):
        self.current = {}

    def stop(self):
        for name in self.done:
            self.done[name].append(self.current.get(name, 0.0))

    def medians(self):
        return {name: statistics.median(times) if times else 0.0 for name, times in self.done.items()}


def instrument_phases(sql_time):
    from rest_framework.views import APIView

    from core.api import parsers, renderers
    from decisioning import flows
    from decisioning.api import decision_views, serializers
    from decisioning.services import decisions

    phases = Phases(sql_time)
    phases.wrap("parse: JSON:API parser with its depth/character/shape checks", parsers.JSONParser, "parse")
    phases.wrap("authenticate (token cache) + rate limit (Redis INCR)", APIView, "initial")
    phases.wrap("validate the request (DecisionInputSerializer)", serializers.DecisionInputSerializer, "is_valid")
    phases.wrap("validate + convert the application (data dictionary)", flows, "validate_application")
    phases.wrap("steps: arguments in, engines, results out (engines' own time included)", flows, "_run_step")
    phases.wrap("request fingerprint (canonical JSON + HMAC)", decisions, "fingerprint")
    phases.wrap("write: ORM + Fernet encryption, without SQL time", decisions, "_decision_record")
    phases.wrap("render: the JSON:API document", decision_views, "decision_document")
    phases.wrap("render: JSON encoding", renderers.JSONRenderer, "render")
    return phases


def statement_label(sql):
    """`INSERT decisioning_decision`, `SELECT core_datadictionaryfield`, `COMMIT`: what a statement does, to what."""
    import re

    words = sql.split(None, 1)
    verb = words[0].upper() if words else "?"
    table = re.search(r'(?:INTO|FROM|UPDATE)\s+"?([A-Za-z_0-9]+)"?', sql, re.IGNORECASE)
    return f"{verb} {table.group(1)}" if table and verb in ("SELECT", "INSERT", "UPDATE", "DELETE") else verb


if __name__ == "__main__":
    main()
