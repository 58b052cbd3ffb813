"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

Each value can be overridden on the command line or with GUNICORN_CMD_ARGS; the bind address and worker
count also follow the PORT and WEB_CONCURRENCY variables most platforms set.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Sign-ins wait on FranceConnect and the providers (up to RIGHTS_DEADLINE): threads keep a worker useful
# while one request waits, without the memory of a process each.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Above the longest request (a sign-in: discovery, token, then a retrieval bounded by RIGHTS_DEADLINE ≤ 30 s).
timeout = 45
graceful_timeout = 30
keepalive = 5
# The app starts thread pools (retrieval, token revocation) at creation: create it in each worker, not
# before the fork, where those threads would not survive.
preload_app = False
max_requests = 5000
max_requests_jitter = 500

# Requests far beyond what the forms need are refused before the app sees them.
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190

# The reverse proxy in front sets X-Forwarded-*; the app trusts them only per TRUSTED_PROXIES (ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log without the query string: the FranceConnect callback carries an authorization code and a
# state there, and the logout callback a state. %(U)s is the path alone.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"

# Prometheus in multiprocess mode (app/observability/metrics.py): each worker writes its values under this folder,
# set by the master before it forks the workers that import prometheus_client. One folder per master, emptied here.
def on_starting(server):
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = server.metrics_dir_made = tempfile.mkdtemp(
            prefix="droits-connect-metrics-")
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def on_exit(server):
    made = getattr(server, "metrics_dir_made", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)


def child_exit(server, worker):
    # A dead worker's gauges ("live" modes) leave the scrape; its counters stay summed in.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # Everything the worker built to serve (the app, its templates, the communes' 35,000 entries, the libraries)
    # lives as long as the worker: out of the cyclic collector's reach, its full collections no longer walk it at
    # every few hundred requests (1.8 ms of CPU a journey measured by bench/journey_cost.py --steps). Refcounting
    # still frees what is dropped; only cycles among these objects would stay, and they stay anyway.
    import gc

    gc.freeze()
