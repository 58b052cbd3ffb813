"""Two instances on one PostgreSQL database and one Redis, many journeys at once, and what faults do to them.

    .venv/bin/python bench/scale.py [--journeys 40] [--concurrency 8] [--pause 0.5] [--run-timeout 150]

Starts, on loopback only: a redis-server of its own (a free port, no persistence), a fresh PostgreSQL database
(created through TEST_DATABASE_URL's server, dropped at the end), the sandbox (FranceConnect, API Particulier,
CNAM) in its own process, and two instances, each a gunicorn master under the committed gunicorn.conf.py with
2 workers. Then three runs of `--journeys` pre-admissions, `--concurrency` at a time, each request alternating
between the instances (bench/scale_person.py):

1. baseline: no pause between steps;
2. people pause between steps (`--pause` s on average) and one whole instance is SIGKILLed mid-run;
3. the same pauses, and Redis is killed mid-run and restarted 2 s later (empty: sessions are lost).

Each run reports journeys/s, p50/p95 per step, the outcomes and the French pages journeys ended on, and checks:
every journey completes with exactly one dossier or ends on a French page; dossiers stored = receipts shown; no
500. Everything stops by itself: each run is bounded by `--run-timeout`, and every process is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.scale_person import Person, Timings  # noqa: E402
from bench.servers import free_port, wait_for  # noqa: E402
from tests.portal import demo_registry, launch_token  # noqa: E402

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PYTHON = str(ROOT / ".venv" / "bin" / "python")


class Processes:
    """Every process the bench starts, each in its own process group, stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.running = logs, {}

    def start(self, name: str, argv: list[str], env: dict | None = None) -> None:
        log = open(self.logs / f"{name}.log", "ab")
        self.running[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True)

    def kill(self, name: str) -> None:
        process = self.running.pop(name, None)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop_all(self) -> None:
        for name, process in list(self.running.items()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    self.kill(name)
        self.running.clear()


class Bench:
    def __init__(self, work: Path) -> None:
        self.work, self.processes = work, Processes(work)
        self.redis_port, self.sandbox_port = free_port(), free_port()
        self.ports = [free_port(), free_port()]
        self.public = f"http://127.0.0.1:{free_port()}"  # nobody listens: the client-side balancer rewrites it
        self.sandbox = f"http://127.0.0.1:{self.sandbox_port}"
        self.database = f"dc_bench_{secrets.token_hex(4)}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
        self.admin = admin
        self.database_url = admin.url.set(database=self.database).render_as_string(hide_password=False)
        self.env = {**os.environ, "FLASK_ENVIRONMENT": "development", "FLASK_SANDBOX": "true",
                    "FLASK_SECRET_KEY": secrets.token_urlsafe(48), "FLASK_PUBLIC_URL": self.public,
                    "FLASK_SANDBOX_URL": self.sandbox, "FLASK_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                    "FLASK_SQLALCHEMY_DATABASE_URI": self.database_url, "FLASK_RIGHTS_SOURCES": "c2s cnam",
                    "FLASK_METRICS_TOKEN": "bench", "HOST": "127.0.0.1", "WEB_CONCURRENCY": "2",
                    # Every simulated person comes from 127.0.0.1, where real ones each have their own address:
                    # the per-address inbound limits would measure the bench, not the service.
                    "FLASK_RATE_LIMIT_SIGN_IN": "100000 per minute", "FLASK_RATE_LIMIT_CALLBACK": "100000 per minute",
                    "FLASK_RATE_LIMIT_FORMS": "100000 per minute"}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        for key, value in demo_registry(work / "registry", sandbox_url=self.sandbox).items():
            self.env[f"FLASK_{key}"] = value
        self.instance_dir = work / "instance"

    # ---- processes

    def start_redis(self) -> None:
        self.processes.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--dir", str(self.work)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)

    def start_sandbox(self) -> None:
        # Its process also creates the schema once (development migrates at start-up), before any instance.
        self.processes.start("sandbox", [PYTHON, str(Path(__file__).resolve()), "--serve-sandbox",
                                         str(self.sandbox_port)], self.env)
        wait_for(self.sandbox + "/")

    def start_instance(self, index: int) -> None:
        metrics = Path(tempfile.mkdtemp(prefix=f"metrics-{index}-", dir=self.work))
        env = {**self.env, "PORT": str(self.ports[index]), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        self.processes.start(f"instance{index}", [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py",
                                                  "wsgi:app"], env)
        wait_for(f"http://127.0.0.1:{self.ports[index]}/healthz")

    def scrape(self) -> dict:
        """Both instances' /metrics (multiprocess: each sums its workers), journeys and readiness by name."""
        totals: Counter = Counter()
        for port in self.ports:
            base = f"http://127.0.0.1:{port}"
            text = requests.get(base + "/metrics", headers={"Authorization": "Bearer bench"}, timeout=10).text
            for line in text.splitlines():
                if line.startswith(("droits_connect_journeys_total{", "droits_connect_webhook_outbox{")):
                    name, value = line.rsplit(" ", 1)
                    totals[name.replace("droits_connect_", "")] += float(value)
            totals[f"readyz_{port}"] = requests.get(base + "/readyz", timeout=10).status_code
        return dict(totals)

    def close(self) -> None:
        self.processes.stop_all()
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.admin.dispose()

    # ---- runs

    def references(self) -> list[str]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text("SELECT reference FROM dossiers")).scalars())
        finally:
            engine.dispose()

    def run(self, name: str, *, journeys: int, concurrency: int, pause: float, timeout: float,
            fault=None) -> dict:
        before = set(self.references())
        timings, backends = Timings(), [f"http://127.0.0.1:{port}" for port in self.ports]
        deadline = time.monotonic() + timeout
        done = Counter()
        if fault is not None:
            threading.Thread(target=fault, args=(done, journeys), daemon=True).start()

        def one(i: int):
            token = launch_token("chu-demo", audience=self.public, ref=f"BENCH-{name}-{i}",
                                 return_url=f"{self.sandbox}/portail/retour")
            journey = Person(self.public, backends, timings, pause=pause, deadline=deadline).run(
                f"/preadmission/chu-demo/?launch={token}")
            done["finished"] += 1
            return journey

        started = time.monotonic()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(one, range(journeys)))
        elapsed = time.monotonic() - started
        stored = set(self.references()) - before
        shown = [j.reference for j in results if j.reference]
        report = {
            "run": name, "journeys": journeys, "concurrency": concurrency, "pause_s": pause,
            "elapsed_s": round(elapsed, 1), "completed_per_s": round(len(shown) / elapsed, 2),
            "outcomes": dict(Counter(j.outcome for j in results)),
            "ended_on": dict(Counter(j.page for j in results if j.outcome != "completed")),
            "retries": sum(j.retries for j in results), "failovers": timings.failovers,
            "fault_at_s": round(done["fault_at"] - started, 1) if "fault_at" in done else None,
            "http_statuses": dict(sorted(timings.statuses.items())),
            "steps_ms": {step: {"n": len(values), "p50": round(statistics.median(values) * 1000),
                                "p95": round(_p95(values) * 1000)} for step, values in timings.by_step.items()},
            "dossiers_stored": len(stored), "receipts_shown": len(shown),
            "stored_without_receipt": len(stored - set(shown)), "duplicate_receipts": len(shown) - len(set(shown)),
        }
        report["checks"] = {
            "no_500": "server_error" not in report["outcomes"] and not any(s >= 500 and s != 503
                                                                          for s in timings.statuses),
            "every_journey_completed_or_french_page": set(report["outcomes"]) <= {"completed", "french_page"},
            "dossiers_stored_equal_receipts_shown": stored == set(shown),
            "no_duplicate": len(shown) == len(set(shown)),
        }
        return report


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def serve_sandbox(port: int) -> None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    from app import create_app, extensions
    from app.devserver import sandbox_config
    from app.sandbox import create_sandbox_app

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    service = create_app()
    sandbox = create_sandbox_app(sandbox_config(extensions.services(service).settings))
    make_server("127.0.0.1", port, sandbox, threaded=True, request_handler=Quiet).serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--journeys", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pause", type=float, default=0.5)
    parser.add_argument("--run-timeout", type=float, default=150)
    parser.add_argument("--serve-sandbox", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sandbox:
        serve_sandbox(args.serve_sandbox)
        return 0
    if not 1 <= args.journeys <= 400 or not 1 <= args.concurrency <= 32:
        parser.error("journeys must be 1-400 and concurrency 1-32")

    with tempfile.TemporaryDirectory(prefix="dc-bench-") as work:
        bench = Bench(Path(work))
        reports = []
        try:
            bench.start_redis()
            bench.start_sandbox()
            bench.start_instance(0)
            bench.start_instance(1)
            common = dict(journeys=args.journeys, concurrency=args.concurrency, timeout=args.run_timeout)
            reports.append(bench.run("baseline", pause=0, **common))
            reports.append(bench.run("instance_killed", pause=args.pause, fault=_kill_instance(bench), **common))
            bench.start_instance(1)
            reports.append(bench.run("redis_restarted", pause=args.pause, fault=_restart_redis(bench), **common))
            scraped = bench.scrape()
        finally:
            bench.close()
    print(json.dumps({"cores": os.cpu_count(), "runs": reports, "metrics": scraped}, indent=1))
    return 0 if all(all(r["checks"].values()) for r in reports) else 1


def _when_a_third_is_done(done: Counter, journeys: int) -> None:
    deadline = time.monotonic() + 60
    while done["finished"] < journeys // 3 and time.monotonic() < deadline:
        time.sleep(0.05)


def _kill_instance(bench: Bench):
    def fault(done: Counter, journeys: int) -> None:
        _when_a_third_is_done(done, journeys)
        bench.processes.kill("instance1")  # the master and its workers: the whole process group
        done["fault_at"] = time.monotonic()

    return fault


def _restart_redis(bench: Bench):
    def fault(done: Counter, journeys: int) -> None:
        _when_a_third_is_done(done, journeys)
        bench.processes.kill("redis")
        done["fault_at"] = time.monotonic()
        time.sleep(2)
        bench.start_redis()

    return fault


if __name__ == "__main__":
    sys.exit(main())
