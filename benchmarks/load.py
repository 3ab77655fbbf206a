"""Load benchmark: decisions/s and latency through the production server, against the framework floor.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../N python benchmarks/load.py \
        [--port 8111] [--workers N] [--levels 1,16,64] [--requests 400] [--level-seconds 30] \
        [--soak-seconds 600] [--soak-rate 20]

Creates a throw-away database next to DATABASE_URL's (test_<name>), loads the demo, and starts
`scripts/serve.sh` (gunicorn, config.settings_production, SECURE_SSL_REDIRECT=false for plain
loopback HTTP, CREDITBOX_BENCHMARK_ECHO=1) on 127.0.0.1. At each concurrency level it drives, in
the same run, the bare echo view (core/api/echo.py: same token authentication, permission and
rate limit; the floor) and then POST /api/v1/decisions (demo applications, each request with its
own Idempotency-Key); each phase stops after --requests requests or --level-seconds, whichever
comes first. Prints requests/s, p50 and p99 per level and the ratios to the floor, and the CPU
each process group (server, PostgreSQL, Redis, load generator) spent per request. Then a soak at
a fixed rate of decisions for --soak-seconds, reporting errors and the server's RSS (master and
workers, from /proc) before and after. The clients are threads in this process on the same
machine as the server, so they take CPU from it: the echo floor carries that cost too.
"""

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8111)
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: serve.sh's, 2 x cores + 1)"
    )
    parser.add_argument("--levels", default="1,16,64")
    parser.add_argument("--requests", type=int, default=400, help="requests per phase at most")
    parser.add_argument("--level-seconds", type=float, default=30.0, help="seconds per phase at most")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--soak-rate", type=float, default=20.0, help="decisions per second during the soak")
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


def database_url(connection):
    database = connection.settings_dict
    if not database["ENGINE"].endswith("postgresql"):
        raise SystemExit("benchmarks/load.py runs against PostgreSQL: set DATABASE_URL=postgres://...")
    return f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"


def start_server(arguments, connection):
    from django.conf import settings

    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings_production",
        DJANGO_READ_DOT_ENV="false",
        DATABASE_URL=database_url(connection),
        SECRET_KEY=settings.SECRET_KEY,
        FERNET_KEYS=",".join(settings.FERNET_KEYS),
        SECURE_SSL_REDIRECT="false",
        CREDITBOX_BENCHMARK_ECHO="1",
        BIND=f"127.0.0.1:{arguments.port}",
        GUNICORN_ACCESS_LOG="/dev/null",
        API_RATE_LIMIT_PER_MINUTE="10000000",
        PYTHON=sys.executable,
    )
    if arguments.workers:
        environment["WEB_CONCURRENCY"] = str(arguments.workers)
    log = (
        open(ROOT / "test-artifacts" / "load-server.log", "w")
        if (ROOT / "test-artifacts").is_dir()
        else subprocess.DEVNULL
    )
    server = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh")],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); see test-artifacts/load-server.log")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", arguments.port, timeout=5)
            probe.request("GET", "/api/v1/")
            probe.getresponse().read()
            return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("the server did not answer within 120 s")


def stop_server(server):
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def server_rss_kib(server):
    """RSS of the gunicorn master and its workers (the shell exec'd into the master: same pid)."""
    pids = {server.pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == server.pid:
                pids.add(int(entry.name))
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total, len(pids)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_by_group(server):
    """CPU seconds used so far (user + system, from /proc) by the server (gunicorn's master and
    workers), PostgreSQL's and Redis's processes, and this process (the load generator)."""
    groups = {"server": 0.0, "postgres": 0.0, "redis": 0.0, "client": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        pid, parent = int(entry.name), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS
        if pid == server.pid or parent == server.pid:
            groups["server"] += seconds
        elif name.startswith("postgres"):
            groups["postgres"] += seconds
        elif name.startswith("redis"):
            groups["redis"] += seconds
        elif pid == os.getpid():
            groups["client"] += seconds
    return groups


def measured_phase(server, target, clients, requests, seconds):
    """`phase`, with the CPU each process group spent per request during it (ms)."""
    before = cpu_by_group(server)
    result = phase(target, clients, requests, seconds)
    after = cpu_by_group(server)
    done = max(result["count"] + result["errors"], 1)
    result["cpu"] = {group: (after[group] - before[group]) / done * 1000 for group in before}
    return result


def cpu_text(cpu):
    return ", ".join(f"{group} {ms:.2f}" for group, ms in cpu.items()) + f"; in all {sum(cpu.values()):.2f}"


class Target:
    def __init__(self, port, token, path, body_for):
        self.port, self.token, self.path, self.body_for = port, token, path, body_for

    def call(self, number):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        body = json.dumps(self.body_for(number))
        headers = {
            "Authorization": f"Token {self.token}",
            "Content-Type": "application/vnd.api+json",
            "Accept": "application/vnd.api+json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        started = time.perf_counter()
        try:
            connection.request("POST", self.path, body, headers)
            answer = connection.getresponse()
            answer.read()
            status = answer.status
        except OSError:
            status = 0
        finally:
            connection.close()
        return time.perf_counter() - started, status


def phase(target, clients, requests, seconds):
    """`clients` threads calling `target` until `requests` calls were made or `seconds` passed."""
    lock = threading.Lock()
    counter = [0]
    latencies, failures = [], []
    deadline = time.monotonic() + seconds

    def client():
        while time.monotonic() < deadline:
            with lock:
                if counter[0] >= requests:
                    return
                counter[0] += 1
                number = counter[0]
            elapsed, status = target.call(number)
            with lock:
                (latencies if status in (200, 201) else failures).append((elapsed, status))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    times = sorted(elapsed for elapsed, _ in latencies)
    return {
        "rate": len(times) / wall,
        "count": len(times),
        "errors": len(failures),
        "statuses": sorted({status for _, status in failures}),
        "p50": times[len(times) // 2] * 1000 if times else float("nan"),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000 if times else float("nan"),
    }


def run(arguments, connection):
    from decisioning.demo import demo_application, demo_load
    from partners.models import Partner

    demo = demo_load(out=lambda *_: None)
    Partner.objects.filter(pk=demo["partner"].pk).update(api_requests_per_minute=None)
    applications = [demo_application(number) for number in range(300)]
    connection.close()  # the server's workers use the database from here on

    def decision_body(number):
        return {
            "data": {
                "type": "decision",
                "attributes": {"externalId": f"load-{number}", "application": applications[number % len(applications)]},
            }
        }

    def echo_body(number):
        return decision_body(number)

    server = start_server(arguments, connection)
    try:
        decisions = Target(arguments.port, demo["token"], "/api/v1/decisions", decision_body)
        echo = Target(arguments.port, demo["token"], "/api/v1/benchmark-echo", echo_body)
        phase(decisions, 4, 40, 60)  # warm-up: every worker's engines, plan and token caches
        phase(echo, 4, 40, 30)
        print(
            f"server: gunicorn via scripts/serve.sh, workers: {server_rss_kib(server)[1] - 1}; "
            f"per phase at most {arguments.requests} requests or {arguments.level_seconds:g} s"
        )
        print(
            f"{'clients':>7}  {'echo/s':>8} {'p50 ms':>7} {'p99 ms':>7}  {'decisions/s':>11} {'p50 ms':>7} {'p99 ms':>7}"
            f"  {'rate ratio':>10} {'p99 ratio':>9}  errors"
        )
        cpu_lines = []
        for clients in (int(level) for level in arguments.levels.split(",")):
            floor = measured_phase(server, echo, clients, arguments.requests, arguments.level_seconds)
            measured = measured_phase(server, decisions, clients, arguments.requests, arguments.level_seconds)
            cpu_lines.append(
                f"{clients:>7}  echo: {cpu_text(floor['cpu'])}\n{'':>7}  decision: {cpu_text(measured['cpu'])}"
            )
            print(
                f"{clients:>7}  {floor['rate']:>8.1f} {floor['p50']:>7.1f} {floor['p99']:>7.1f}  "
                f"{measured['rate']:>11.1f} {measured['p50']:>7.1f} {measured['p99']:>7.1f}  "
                f"{measured['rate'] / floor['rate']:>10.2f} {measured['p99'] / floor['p99']:>9.2f}  "
                f"{floor['errors'] + measured['errors']} {floor['statuses'] + measured['statuses']}",
                flush=True,
            )
        print("CPU per request, ms, by process group (/proc; the load generator is this process):")
        print("\n".join(cpu_lines), flush=True)
        if arguments.soak_seconds > 0:
            soak(decisions, server, arguments.soak_seconds, arguments.soak_rate)
    finally:
        stop_server(server)


def soak(target, server, seconds, rate):
    """Decisions at a fixed rate (a paced schedule, 8 client threads) for `seconds`."""
    rss_before, _ = server_rss_kib(server)
    lock = threading.Lock()
    results = []
    started = time.monotonic()
    total = int(seconds * rate)
    next_number = [0]

    def client():
        while True:
            with lock:
                number = next_number[0]
                if number >= total:
                    return
                next_number[0] += 1
            due = started + number / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            elapsed, status = target.call(100_000 + number)
            with lock:
                results.append((elapsed, status))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    rss_after, _ = server_rss_kib(server)
    errors = [status for _, status in results if status not in (200, 201)]
    times = sorted(elapsed for elapsed, status in results if status in (200, 201))
    growth = (rss_after - rss_before) / rss_before * 100 if rss_before else float("nan")
    print(
        f"soak: {len(results)} decisions in {wall:.0f} s at {rate:g}/s asked ({len(results) / wall:.1f}/s done); "
        f"errors: {len(errors)} {sorted(set(errors))}; p50 {times[len(times) // 2] * 1000:.1f} ms, "
        f"p99 {times[int(len(times) * 0.99)] * 1000:.1f} ms; server RSS {rss_before / 1024:.1f} MiB -> "
        f"{rss_after / 1024:.1f} MiB ({growth:+.1f} %)"
    )


if __name__ == "__main__":
    main()
