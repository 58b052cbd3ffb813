"""How long the FranceConnect callback takes, against its critical path.

    .venv/bin/python bench/callback_latency.py [--latency 0.1] [--runs 30] [--login avec_nom_dusage]

Runs the sandbox (FranceConnect, API Particulier, CNAM) and the service as real servers on loopback,
with a fixed latency injected on every sandbox endpoint, signs in many times and measures the wall time
of `GET /auth/callback` — the request that exchanges the code, verifies the tokens, fetches userinfo
and both providers' data. It prints:

- baseline: the median round trip of one sandbox call, measured in the same run;
- bound: the critical path, token + the longest chain of dependent calls (CNAM /me ∥ /me/beneficiaires,
  then the per-beneficiary calls), in baseline units: 3 × baseline;
- sequential: what the same calls would cost one after another, in baseline units;
- the median callback time and the ratio median / bound (target ≤ 1.15).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.devserver import sandbox_config  # noqa: E402
from app.extensions import services
from app.sandbox import create_sandbox_app  # noqa: E402
from tests.browser import Browser  # noqa: E402


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class _Slot:
    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _serve(slot):
    server = make_server("127.0.0.1", 0, slot, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _run_sandbox(server, config) -> None:
    """In its own process, as FranceConnect and the providers are in production: no shared GIL."""
    server.app = create_sandbox_app(config)
    server.serve_forever(poll_interval=0.05)


def _sign_in(service_url: str, login: str) -> tuple[float, requests.Response]:
    browser = Browser()
    browser.get(service_url + "/")
    browser.submit("FranceConnect")
    browser.submit(login)
    consent = browser.submit("Continuer", follow=False)
    callback_url = consent.headers["Location"]
    started = time.perf_counter()
    response = browser.http.get(callback_url, allow_redirects=False, timeout=30)
    elapsed = time.perf_counter() - started
    if response.status_code != 303 or urlsplit(response.headers["Location"]).path != "/mon-espace":
        raise SystemExit(f"sign-in failed: {response.status_code} {response.headers.get('Location')}")
    return elapsed, browser.get(service_url + "/mon-espace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds injected on every sandbox call")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--login", default="avec_nom_dusage", help="sandbox identity (default: a parent, 2 children)")
    args = parser.parse_args()

    service_slot = _Slot()
    service_server, service_url = _serve(service_slot)
    sandbox_server = make_server("127.0.0.1", 0, _Slot(), threaded=True, request_handler=_Quiet)
    sandbox_url = f"http://127.0.0.1:{sandbox_server.server_port}"
    with tempfile.TemporaryDirectory() as instance:
        service_slot.app = create_app(
            {"ENVIRONMENT": "test", "SECRET_KEY": "bench-" + "k" * 40, "PUBLIC_URL": service_url,
             "SANDBOX": True, "SANDBOX_URL": sandbox_url, "RIGHTS_SOURCES": "c2s cnam",
             # Every sign-in comes from 127.0.0.1: the per-address inbound limits would stop the bench itself.
             "RATE_LIMIT_SIGN_IN": "100000 per minute", "RATE_LIMIT_CALLBACK": "100000 per minute"},
            instance_path=instance,
        )
        logging.getLogger("app").setLevel(logging.WARNING)  # one line per call would skew the timing
        config = replace(sandbox_config(services(service_slot.app).settings), latency=args.latency)
        sandbox = multiprocessing.get_context("fork").Process(target=_run_sandbox, args=(sandbox_server, config),
                                                              daemon=True)
        sandbox.start()
        sandbox_server.server_close()  # the child owns the listening socket now

        _sign_in(service_url, args.login)  # warm-up: discovery, JWKS, connection pools
        http = requests.Session()
        baseline = statistics.median(
            _timed(lambda: http.get(f"{sandbox_url}/api/v2/jwks", timeout=10)) for _ in range(10)
        )
        timings, page = [], None
        for _ in range(args.runs):
            elapsed, page = _sign_in(service_url, args.login)
            timings.append(elapsed)
        beneficiaries = max(page.text.count("<h3>"), 1)

    service_server.shutdown()
    sandbox.terminate()
    sandbox.join(5)
    # token, then max(userinfo, C2S, CNAM lists → per-beneficiary sections): 1 + 2 dependent calls.
    bound = 3 * baseline
    sections = 3  # caisse, contrats, médecin traitant (exonérations are off by default)
    sequential = (1 + 1 + 1 + 2 + beneficiaries * sections) * baseline
    median = statistics.median(timings)
    print(f"latency injected     {args.latency * 1000:.0f} ms per sandbox call, {args.runs} sign-ins of {args.login!r}"
          f" ({beneficiaries} beneficiaries)")
    print(f"baseline (1 call)    {baseline * 1000:.1f} ms")
    print(f"critical-path bound  {bound * 1000:.1f} ms  (3 × baseline)")
    print(f"sequential sum       {sequential * 1000:.1f} ms  ({sequential / baseline:.0f} × baseline)")
    p90 = statistics.quantiles(timings, n=10)[-1]
    print(f"callback median      {median * 1000:.1f} ms  (p90 {p90 * 1000:.1f} ms)")
    print(f"ratio median / bound {median / bound:.3f}  (target ≤ 1.15)")
    print(f"ratio median / sequential {median / sequential:.3f}")
    return 0 if median / bound <= 1.15 else 1


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
