"""Streaming benchmark: decisions/s through Redis Streams with one and with two consumers.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../N python benchmarks/stream.py [--messages 300]

Creates a throw-away database next to DATABASE_URL's, loads the demo, names its partner-system
user as the stream user, and for each consumer count queues --messages requests (demo
applications, fresh idempotency keys) on a fresh request stream, starts that many
`manage.py stream_consumer` processes, and times from their start (after one warm-up message
each was answered) until every request has its result. Checks that every request was decided
exactly once.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--consumers", default="1,2")
    arguments = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(arguments, connection)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(arguments, connection):
    from decisioning import streams
    from decisioning.demo import demo_application, demo_load
    from decisioning.models import Decision
    from partners import roles

    demo = demo_load(out=lambda *_: None)
    partner, user = demo["partner"], demo["people"][roles.PARTNER_SYSTEM][0]
    database = connection.settings_dict
    url = f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    client = streams.redis_client()
    applications = [json.dumps(demo_application(number)) for number in range(300)]
    print(f"{arguments.messages} decisions per run, demo flow, database {connection.vendor}")
    for consumers in (int(c) for c in arguments.consumers.split(",")):
        partner.slug = f"bench-{uuid.uuid4().hex[:8]}"
        partner.save()
        environment = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "CREDITBOX_STREAM_USERS": f"{partner.slug}={user.username}",
        }
        requests, results = streams.request_stream(partner), streams.result_stream(partner)
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "stream_consumer",
                    "--partner",
                    partner.slug,
                    "--consumer",
                    f"bench-{index}",
                ],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for index in range(consumers)
        ]
        try:
            for index in range(consumers * 2):  # warm-up: engines and caches in every consumer
                client.xadd(requests, {"idempotency_key": f"warm-{index}", "application": applications[index]})
            while client.xlen(results) < consumers * 2:
                time.sleep(0.05)
            pipe = client.pipeline()
            for number in range(arguments.messages):
                pipe.xadd(requests, {"idempotency_key": f"m-{number}", "application": applications[number % 300]})
            started = time.perf_counter()
            pipe.execute()
            target = consumers * 2 + arguments.messages
            deadline = time.monotonic() + 600
            while client.xlen(results) < target and time.monotonic() < deadline:
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
        answered = client.xlen(results)
        decided = Decision.objects.filter(partner=partner, idempotency_key__startswith="m-").count()
        statuses = {fields["status"] for _, fields in client.xrange(results)}
        print(
            f"  {consumers} consumer(s): {arguments.messages / elapsed:7.1f} decisions/s "
            f"({elapsed:.1f} s; results {answered - consumers * 2}, decisions {decided}, statuses {sorted(statuses)})"
        )
        client.delete(requests, results)


if __name__ == "__main__":
    main()
