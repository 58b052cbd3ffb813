"""What a complete journey costs the service's workers in CPU, against a bare Flask app under the same server.

    .venv/bin/python bench/journey_cost.py [--journeys 100] [--concurrency 4] [--worker-class sync]
                                           [--redis URL --database URL | --postgres] [--interleave]
                                           [--steps DIR] [--profile DIR]

Starts, on loopback: the sandbox (FranceConnect, API Particulier, CNAM) in its own process, served keep-alive as
the real services are (app/sandbox/serving.py), then the service under gunicorn with the committed gunicorn.conf.py
(2 workers; `--worker-class` sync by default, as the issue measured, or gthread with the file's 4 threads, as
production runs), in development mode (production refuses the sandbox) with a fresh instance folder: SQLite for
the dossiers and the sessions, or PostgreSQL and Redis with `--database`/`--redis`. It drives `--journeys`
complete journeys, alternately a pre-admission and an adhesion, each as a browser would: the portal's signed
launch link, the information page, « S'identifier avec FranceConnect », the sandbox's chooser and consent, the
callback (with the retrieval), who is concerned, the form, the review, « Envoyer », the receipt. It reads the
workers' CPU (utime + stime of every gunicorn worker, their threads included) from /proc before and after, once
with one client and once with `--concurrency` clients.

In the same run, a bare Flask app rendering a small template (bench/journey_apps.py) runs under the same gunicorn and
settings and answers as many GETs as the journeys made requests to the service. The ratio is a journey's CPU over
the bare CPU of as many requests: 1.0 would mean the service costs no more than serving its pages' HTTP.

`--profile DIR` runs cProfile around every request in each worker (the journeys' CPU is then not representative)
and writes one .prof file per worker to DIR when it stops (read it with `python -m pstats`). `--steps DIR` prints,
after the ratio, the workers' CPU by step and by part (the parts' timers add a little to the CPU measured). Both
leave out the warm-up's requests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.servers import free_port, wait_for  # noqa: E402
from tests.browser import Browser  # noqa: E402
from tests.journeys.support import DECLARED, REFERENCE, csrf_token, field_names  # noqa: E402
from tests.portal import demo_registry, launch_token  # noqa: E402

GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
TICK = os.sysconf("SC_CLK_TCK")
JOURNEYS = (("preadmission", "chu-demo"), ("adhesion", "mutuelle-demo"))


# ---- processes and their CPU

def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids: list[int], *, kernel_only: bool = False) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime, fields 14 and 15 of proc(5): every thread's, the retrieval's and the revocation's too.
        total += int(fields[12]) if kernel_only else int(fields[11]) + int(fields[12])
    return total / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Gunicorn:
    """A gunicorn master under gunicorn.conf.py; its workers are the processes measured."""

    def __init__(self, target: str, env: dict, log: Path, worker_class: str, workers: int,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)}
        self.log = open(log, "ab")
        self.process = subprocess.Popen(
            # gunicorn.conf.py's threads would turn "sync" into gthread: one thread, then, for a sync worker.
            [GUNICORN, "-c", "gunicorn.conf.py", "--worker-class", worker_class,
             *(["--threads", "1"] if worker_class == "sync" else []), "--access-logfile", "/dev/null", target],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(self.url + ("/healthz" if "service" in target else "/"))
        deadline = time.monotonic() + 30
        while len(self.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


# ---- the journeys, as a browser drives them

class JourneyFailed(Exception):
    pass


class Counted(requests.adapters.HTTPAdapter):
    """Counts the requests sent to the service (the sandbox's are not the service's work)."""

    def __init__(self, counter: list[int], after: Callable[[], object] | None = None) -> None:
        super().__init__()
        self.counter, self.after = counter, after

    def send(self, request, **kwargs):
        self.counter.append(1)
        try:
            return super().send(request, **kwargs)
        finally:
            if self.after is not None:
                self.after()


def journey(service: str, sandbox: str, index: int, counter: list[int],
            after: Callable[[], object] | None = None) -> str:
    """One complete journey; the receipt's reference. `after` runs after each request to the service."""
    kind, org = JOURNEYS[index % 2]
    b = Browser()
    b.http.mount(service, Counted(counter, after))
    token = launch_token(org, audience=service, ref=f"BENCH-{index}", return_url=f"{sandbox}/portail/retour")
    _expect(b.get(f"{service}/{kind}/{org}/?launch={token}"), f"/{kind}/{org}/")
    form = next(f for f in b.forms() if f.action.endswith("/auth/login"))
    started = b.http.post(urljoin(b.page.url, form.action), data=form.fields, allow_redirects=False, timeout=15)
    if started.status_code != 303:
        raise JourneyFailed(f"login {started.status_code}")
    b.get(started.headers["Location"])
    b.submit("test")  # the sandbox's chooser
    _expect(b.submit("Continuer"), "/personnes")  # the sandbox's consent, then the callback
    people = {"patient": "self"} if kind == "preadmission" else None  # adhesion: oneself, nobody added
    _expect(b.submit("Continuer", extra=people), "/formulaire")
    names = field_names(b.page.text)
    shown = {name: value for f in b.forms() for name, value in f.fields if value}
    data = {name: shown.get(name, DECLARED[name]) for name in names if name in DECLARED}
    data["csrf_token"] = csrf_token(b.page.text)
    _expect(b._go("POST", b.page.url, data, True), "/pieces")
    _expect(b.submit("Continuer vers la vérification"), "/verification")  # the « Pièces » step: no file
    _expect(b.submit("Envoyer à"), "/recepisse")
    found = REFERENCE.search(b.page.text)
    if found is None:
        raise JourneyFailed("no reference on the receipt")
    return found.group(1)


def _expect(page: requests.Response, path: str) -> requests.Response:
    if page.status_code != 200 or path not in urlsplit(page.url).path:
        title = re.search(r"<h1[^>]*>(.*?)</h1>", page.text, re.S)
        raise JourneyFailed(f"{page.status_code} {urlsplit(page.url).path} "
                            f"{' '.join(title.group(1).split())[:80] if title else ''}")
    return page


@dataclass
class Run:
    label: str
    units: int  # journeys, or bare requests
    requests: int
    seconds: float
    cpu: float
    kernel: float  # of which in the kernel (stime): system calls, file and socket I/O
    rss: list[float]

    @property
    def cpu_per_unit_ms(self) -> float:
        return self.cpu / self.units * 1000

    @classmethod
    def total(cls, runs: list[Run]) -> Run:
        return cls(runs[0].label, sum(r.units for r in runs), sum(r.requests for r in runs),
                   sum(r.seconds for r in runs), sum(r.cpu for r in runs), sum(r.kernel for r in runs),
                   [max(sizes) for sizes in zip(*(r.rss for r in runs), strict=True)])


def _batches(total: int, rounds: int) -> list[int]:
    rounds = max(1, min(rounds, total))
    return [total // rounds + (1 if i < total % rounds else 0) for i in range(rounds)]


def measure(label: str, server: Gunicorn, units: int, concurrency: int, one: Callable[[int, list[int]], object]
            ) -> Run:
    counter: list[int] = []
    workers = server.workers()
    before, kernel_before = cpu_seconds(workers), cpu_seconds(workers, kernel_only=True)
    started = time.perf_counter()
    if concurrency == 1:
        for i in range(units):
            one(i, counter)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda i: one(i, counter), range(units)))
    seconds = time.perf_counter() - started
    cpu, kernel = cpu_seconds(workers), cpu_seconds(workers, kernel_only=True)
    if sorted(server.workers()) != sorted(workers):
        raise RuntimeError("a worker was replaced during the run: its CPU is lost")
    return Run(label, units, len(counter), seconds, cpu - before, kernel - kernel_before,
               [rss_mb(pid) for pid in workers])


def measure_both(service: Gunicorn, bare: Gunicorn, units: int, concurrency: int,
                 one: Callable[[int, list[int]], object]) -> tuple[Run, Run]:
    """`one` drives both apps at once: a Run for each, from its own workers' CPU."""
    bare_workers = bare.workers()
    before, kernel_before = cpu_seconds(bare_workers), cpu_seconds(bare_workers, kernel_only=True)
    j = measure("journeys", service, units, concurrency, one)
    cpu, kernel = cpu_seconds(bare_workers), cpu_seconds(bare_workers, kernel_only=True)
    return j, Run("bare", j.requests, j.requests, j.seconds, cpu - before, kernel - kernel_before,
                  [rss_mb(pid) for pid in bare_workers])


def bare_requests(url: str) -> Callable[[int, list[int]], object]:
    local = threading.local()

    def one(_i: int, counter: list[int]) -> None:
        http = getattr(local, "http", None) or setattr(local, "http", requests.Session()) or local.http
        counter.append(1)
        response = http.get(url + "/", timeout=15)
        if response.status_code != 200:
            raise RuntimeError(f"bare app answered {response.status_code}")

    return one


def serve_sandbox(port: int, instance: str, server: str) -> None:
    from app import create_app, extensions
    from app.devserver import sandbox_config
    from app.sandbox import create_sandbox_app

    if server != "werkzeug":
        from app.sandbox import serving

    service = create_app(instance_path=instance)  # the same settings: the sandbox registers its client
    sandbox = create_sandbox_app(sandbox_config(extensions.services(service).settings))
    if server == "werkzeug":  # what the sandbox ran on before: a new connection for every call
        from werkzeug.serving import make_server

        make_server("127.0.0.1", port, sandbox, threaded=True).serve_forever()
    serving.make_server(sandbox, "127.0.0.1", port).run()  # keep-alive, as FranceConnect and the providers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--journeys", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--interleave", action="store_true",
                        help="a bare request right after each request to the service, rather than in batches")
    parser.add_argument("--rounds", type=int, default=10, help="batches alternating journeys and bare requests")
    parser.add_argument("--warmup", type=int, default=8, help="journeys before measuring (imports, caches, pools)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", help="REDIS_URL for the sessions (default: the SQLite session table)")
    parser.add_argument("--database", help="SQLALCHEMY_DATABASE_URI (default: SQLite in the instance folder)")
    parser.add_argument("--postgres", action="store_true",
                        help="a fresh PostgreSQL database on TEST_DATABASE_URL's server, dropped at the end")
    parser.add_argument("--profile", help="a folder for the workers' cProfile files")
    parser.add_argument("--steps", help="a folder for each worker's CPU by step (method and last path segment) and "
                        "by part (rendering, session, outbound, SQL…); the totals are printed")
    parser.add_argument("--sandbox-server", choices=("waitress", "werkzeug"), default="waitress",
                        help="werkzeug: the sandbox's former server, which closes every connection")
    parser.add_argument("--serve-sandbox", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sandbox:
        serve_sandbox(int(args.serve_sandbox[0]), args.serve_sandbox[1], args.serve_sandbox[2])
        return 0
    if not 2 <= args.journeys <= 2000 or not 1 <= args.concurrency <= 16:
        parser.error("journeys must be 2-2000 and concurrency 1-16")

    # In the project's instance folder, where the service keeps its files outside the bench, not the system's
    # temporary one: on the development machine a file written and renamed under /tmp costs 4 to 5 times its cost
    # elsewhere on the same disk (247 against 44-49 µs of CPU, /var/tmp and the project folder alike).
    (ROOT / "instance").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-journey-cost-", dir=ROOT / "instance") as work_dir:
        work = Path(work_dir)
        instance = work / "instance"
        instance.mkdir()
        sandbox_port = free_port()
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("FLASK_", "PROMETHEUS_", "GUNICORN_"))}
        env.update({"FLASK_ENVIRONMENT": "development", "FLASK_SANDBOX": "true", "FLASK_SANDBOX_URL": sandbox,
                    "FLASK_SECRET_KEY": secrets.token_urlsafe(48), "FLASK_RIGHTS_SOURCES": "c2s cnam",
                    "DC_BENCH_INSTANCE": str(instance), "PYTHONPATH": str(ROOT),
                    # Every simulated person comes from 127.0.0.1: the per-address limits would stop the bench.
                    "FLASK_RATE_LIMIT_SIGN_IN": "999999 per minute", "FLASK_RATE_LIMIT_CALLBACK": "999999 per minute",
                    "FLASK_RATE_LIMIT_FORMS": "999999 per minute"})
        if args.redis:
            env["FLASK_REDIS_URL"] = args.redis
        fresh_database = _create_database() if args.postgres else None
        if args.database or fresh_database:
            env["FLASK_SQLALCHEMY_DATABASE_URI"] = args.database or fresh_database[1]
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            env["DC_BENCH_PROFILE"] = str(Path(args.profile).resolve())
        if args.steps:
            Path(args.steps).mkdir(parents=True, exist_ok=True)
            env["DC_BENCH_STEPS"] = str(Path(args.steps).resolve())
        if args.steps or args.profile:
            # The warm-up's requests, shared by the workers (templates compiled, caches filled): left out.
            env.setdefault("DC_BENCH_SKIP", str(args.warmup * 14 // args.workers))
        for key, value in demo_registry(work / "registry", sandbox_url=sandbox).items():
            env[f"FLASK_{key}"] = value

        servers: list[Gunicorn] = []
        sandbox_process = None
        try:
            # The service's public URL is its gunicorn's address: pick the port first, then start both.
            port = free_port()
            public = f"http://127.0.0.1:{port}"
            env["FLASK_PUBLIC_URL"] = public
            sandbox_process = subprocess.Popen(
                [PYTHON, str(Path(__file__).resolve()), "--serve-sandbox", str(sandbox_port), str(instance),
                 args.sandbox_server],
                cwd=ROOT, env=env, stdout=open(work / "sandbox.log", "ab"), stderr=subprocess.STDOUT,
                start_new_session=True)
            wait_for(sandbox + "/")
            service = Gunicorn("bench.journey_apps:service_app()", env, work / "service.log", args.worker_class,
                               args.workers, port=port)
            servers.append(service)
            bare = Gunicorn("bench.journey_apps:bare_app()", env, work / "bare.log", args.worker_class, args.workers)
            servers.append(bare)

            def one_journey(i: int, counter: list[int]) -> str:
                return journey(service.url, sandbox, i, counter)

            measure("warm-up", service, args.warmup, min(args.concurrency, args.warmup), one_journey)
            measure("warm-up", bare, 50, 2, bare_requests(bare.url))
            runs = []
            if args.interleave:
                # One bare request right after each request to the service, from the same client: both apps then
                # run in the same conditions, down to what the other processes left in the CPU's caches.
                bare_one = bare_requests(bare.url)
                for concurrency in (1, args.concurrency):
                    j_runs, b_runs = [], []
                    for batch in _batches(args.journeys, args.rounds):
                        bare_counter: list[int] = []
                        j, b = measure_both(service, bare, batch, concurrency, lambda i, counter: journey(
                            service.url, sandbox, i, counter, after=lambda: bare_one(0, bare_counter)))
                        j_runs.append(j)
                        b_runs.append(b)
                    runs.append((concurrency, Run.total(j_runs), Run.total(b_runs)))
            for concurrency in () if args.interleave else (1, args.concurrency):
                # In rounds, each batch of journeys followed by as many bare requests: both sides meet the same
                # load on the machine (other processes, CPU frequency), which drifts over a run of minutes.
                j_runs, b_runs = [], []
                for batch in _batches(args.journeys, args.rounds):
                    j_runs.append(measure("journeys", service, batch, concurrency, one_journey))
                    b_runs.append(measure("bare", bare, j_runs[-1].requests, concurrency, bare_requests(bare.url)))
                runs.append((concurrency, Run.total(j_runs), Run.total(b_runs)))
        except JourneyFailed as failure:
            print(f"a journey failed: {failure}; logs in {work}", file=sys.stderr)
            _show_tail(work / "service.log")
            return 1
        finally:
            for server in servers:
                server.stop()
            if sandbox_process is not None:
                os.killpg(sandbox_process.pid, signal.SIGTERM)
                sandbox_process.wait(15)
            if fresh_database:
                _drop_database(*fresh_database)

    stores = (f"{'Redis' if args.redis else 'SQLite sessions'}, "
              f"{'PostgreSQL' if args.postgres or 'postgres' in (args.database or '') else 'SQLite'}")
    print(f"{args.journeys} journeys (pre-admission and adhesion alternately), gunicorn {args.workers} "
          f"{args.worker_class} workers, {stores}, {os.cpu_count()} cores"
          + (" — PROFILED, CPU figures inflated" if args.profile else ""))
    print(f"{'clients':>7} {'req/journey':>11} {'CPU/journey':>12} {'(kernel)':>9} {'bare CPU/req':>12} "
          f"{'(kernel)':>9} {'ratio':>6} {'journeys/s':>10} {'bare req/s':>10} {'RSS worker':>11} {'bare RSS':>9}")
    ratios = []
    for concurrency, j, b in runs:
        per_request = b.cpu_per_unit_ms
        requests_per_journey = j.requests / j.units
        ratio = j.cpu_per_unit_ms / (per_request * requests_per_journey)
        ratios.append(ratio)
        bare_rate = "-" if args.interleave else f"{b.units / b.seconds:.0f}"  # interleaved: paced by the journeys
        print(f"{concurrency:>7} {requests_per_journey:>11.1f} {j.cpu_per_unit_ms:>9.2f} ms "
              f"{j.kernel / j.units * 1000:>6.2f} ms {per_request:>9.3f} ms "
              f"{b.kernel / b.units * 1000:>6.3f} ms {ratio:>6.2f} {j.units / j.seconds:>10.1f} {bare_rate:>10} "
              f"{max(j.rss):>8.0f} MB {max(b.rss):>6.0f} MB")
    print(f"ratio (target ≤ 4): {' / '.join(f'{r:.2f}' for r in ratios)} (sequential / {args.concurrency} clients)")
    if args.steps:
        print_steps(Path(args.steps))
    return 0 if max(ratios) <= 4 else 1


def print_steps(folder: Path) -> None:
    """The service's workers' CPU by step and by part, per journey, from the files bench/journey_apps.py wrote."""
    steps: dict[str, list[float]] = {}
    parts: dict[str, float] = {}
    bare = [0, 0.0]
    for path in folder.glob("steps-*.json"):
        data = json.loads(path.read_text())
        if not data.get("parts"):  # the bare app's workers: its one page, the yardstick of every step
            count, seconds = data["steps"].get("GET /", (0, 0.0))
            bare[0] += count
            bare[1] += seconds
            continue
        for step, (count, seconds) in data["steps"].items():
            total = steps.setdefault(step, [0, 0.0])
            total[0] += count
            total[1] += seconds
        for part, seconds in data["parts"].items():
            parts[part] = parts.get(part, 0.0) + seconds
    steps.pop("(skipped)", None)
    journeys = steps.get("GET recepisse", [0])[0]
    if not journeys:
        return
    print(f"\nCPU by step, in the workers (process clock), ms per journey, {journeys} journeys after the warm-up:")
    for step, (count, seconds) in sorted(steps.items(), key=lambda item: -item[1][1]):
        print(f"  {step:<28} {seconds / journeys * 1000:6.2f}   ({seconds / count * 1000:.2f} a request)")
    print(f"  {'all':<28} {sum(s for _, s in steps.values()) / journeys * 1000:6.2f}")
    if bare[0]:
        # Measured the same way, inside the workers: what the server spends around each request (accepting,
        # parsing, writing) is in neither, and is the rest of the bare CPU per request printed above.
        print(f"  (the bare app's page, in its workers: {bare[1] / bare[0] * 1000:.2f} a request)")
    print("by part (the request's and the retrieval's threads, each part without the parts it calls):")
    for part, seconds in sorted(((p, s) for p, s in parts.items() if ": " not in p), key=lambda item: -item[1]):
        print(f"  {part:<28} {seconds / journeys * 1000:6.2f}")


def _create_database() -> tuple[str, str]:
    """A fresh database on TEST_DATABASE_URL's server (as bench/scale.py): its name and URL."""
    from sqlalchemy import create_engine

    admin = create_engine(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                          isolation_level="AUTOCOMMIT")
    name = f"dc_cost_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    return name, url


def _drop_database(name: str, url: str) -> None:
    from sqlalchemy import create_engine

    admin = create_engine(url, isolation_level="AUTOCOMMIT").url.set(database="postgres")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def _show_tail(log: Path) -> None:
    if log.exists():
        print("".join(log.read_text(errors="replace").splitlines(keepends=True)[-30:]), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
