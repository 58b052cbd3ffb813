"""The two WSGI apps bench/journey_cost.py runs under gunicorn: the service, and a bare Flask app for comparison.

Kept apart from the driver so that the bare app's workers import Flask and nothing else of ours.
`DC_BENCH_PROFILE` (a folder) runs cProfile around every request and writes one file per worker when it stops
(`DC_BENCH_PROFILE_PATHS`: only the requests whose path ends so). `DC_BENCH_STEPS` (a folder) writes each worker's
CPU by step and by part: rendering, the session's parts, outbound calls, SQL, forms, JOSE, Redis, the collector, each
view's own code. `DC_BENCH_SKIP` leaves each worker's first requests out of both (templates compiled, caches filled).
"""

from __future__ import annotations

import os

BARE_TEMPLATE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>Bonjour {{ name }}.</p><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}
</ul><form method="post" action="{{ url_for('page') }}"><button type="submit">Continuer</button></form></main>
</body></html>"""


def service_app():
    """The service as wsgi.py builds it, with the bench's instance folder; profiled with DC_BENCH_PROFILE."""
    from app import create_app

    return _profiled(create_app(instance_path=os.environ["DC_BENCH_INSTANCE"]))


def bare_app():
    """A bare Flask app rendering a small template: what serving a page costs under this gunicorn."""
    from flask import Flask, render_template
    from jinja2 import DictLoader

    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": BARE_TEMPLATE})

    @app.route("/", methods=["GET", "POST"])
    def page():
        return render_template("page.html", title="Page", name="Camille", items=("un", "deux", "trois"))

    return _profiled(app)


def _profiled(app):
    if os.environ.get("DC_BENCH_STEPS"):
        _cpu_by_step(app, os.environ["DC_BENCH_STEPS"])
    folder = os.environ.get("DC_BENCH_PROFILE")
    if not folder:
        return app
    import atexit
    import cProfile
    import time

    # The process's CPU, not the wall clock: waiting for the sandbox, the disk or a lock costs the workers nothing.
    profile, inner = cProfile.Profile(time.process_time), app.wsgi_app

    only = os.environ.get("DC_BENCH_PROFILE_PATHS", "")  # e.g. "/recepisse /personnes": those requests only
    # The first requests of a worker compile its templates and fill its caches: not what a journey costs.
    skip = [int(os.environ.get("DC_BENCH_SKIP", "0"))]

    def wsgi(environ, start_response):
        if skip[0] > 0:
            skip[0] -= 1
            return inner(environ, start_response)
        if only and not environ["PATH_INFO"].endswith(tuple(only.split())):
            return inner(environ, start_response)
        profile.enable()
        try:
            return inner(environ, start_response)
        finally:
            profile.disable()

    app.wsgi_app = wsgi
    atexit.register(lambda: profile.dump_stats(f"{folder}/worker-{os.getpid()}.prof"))
    return app


def _cpu_by_step(app, folder: str) -> None:
    """The process's CPU (every thread) spent in each request, summed by method and last path segment; with sync
    workers one request runs at a time, so the difference is that request's (and the revocations it started)."""
    import atexit
    import json
    import time
    from collections import defaultdict

    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    inner = app.wsgi_app
    skip = [int(os.environ.get("DC_BENCH_SKIP", "0"))]
    current = ["-"]  # the step being served (sync workers: one at a time), which the parts are filed under

    def wsgi(environ, start_response):
        started = time.process_time()
        step = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO'].rstrip('/').rsplit('/', 1)[-1] or '/'}"
        if "launch=" in environ.get("QUERY_STRING", ""):
            step += " (launch)"
        if skip[0] > 0:  # a worker's first requests compile its templates and fill its caches
            skip[0] -= 1
            step = "(skipped)"
        current[0] = step
        try:
            return inner(environ, start_response)
        finally:
            totals[step][0] += 1
            totals[step][1] += time.process_time() - started

    app.wsgi_app = wsgi
    parts = _parts(app, current)
    atexit.register(lambda: open(f"{folder}/steps-{os.getpid()}.json", "w").write(json.dumps(
        {"steps": totals, "parts": parts})))


def _parts(app, current: list[str]) -> dict:
    """The request thread's own CPU in a few parts of the work (exclusive: a part inside another counts once)."""
    import functools
    import threading
    import time
    from collections import defaultdict

    totals: dict[str, float] = defaultdict(float)
    local = threading.local()  # each thread's stack of [part, started, nested]: the retrieval's threads too

    def timed(part, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            stack = local.__dict__.setdefault("stack", [])
            stack.append([part, time.thread_time(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                name, started, nested = stack.pop()
                spent = time.thread_time() - started
                totals[name] += spent - nested
                totals[f"{current[0]}: {name}"] += spent - nested
                if stack:
                    stack[-1][2] += spent
        return wrapper

    if app.import_name == __name__:  # the bare app: nothing of ours to time
        return totals
    import flask.templating
    import joserfc.jws
    import requests
    import sqlalchemy.engine.base
    import sqlalchemy.orm.session
    import wtforms.form

    from app.connectors.retrieval import RightsRetriever
    from app.dossiers.audit import AuditTrail
    from app.outbound.http import OutboundHttp

    interface = app.session_interface
    patched = [  # (owner, attribute, part)
        (flask.templating, "_render", "render"),
        (interface, "open_session", "session open"), (interface, "save_session", "session save"),
        (interface.serializer, "encode", "session encode"), (interface.serializer, "decode", "session decode"),
        (requests.adapters.HTTPAdapter, "send", "outbound (requests)"),
        (sqlalchemy.engine.base.Connection, "_execute_context", "sql execute"),
        (sqlalchemy.orm.session.Session, "flush", "orm flush"),
        (sqlalchemy.orm.session.Session, "commit", "orm commit"),
        (wtforms.form.BaseForm, "process", "forms process"), (wtforms.form.Form, "validate", "forms validate"),
        (joserfc.jws, "deserialize_compact", "jose"), (AuditTrail, "record", "audit record"),
        (RightsRetriever, "_task", "retrieval task (rest)"), (OutboundHttp, "call", "outbound layer (rest)"),
        (app, "preprocess_request", "before_request hooks"), (app, "process_response", "after_request hooks"),
        (app, "url_for", "url_for"), (app, "full_dispatch_request", "dispatch (rest)"),
        (app, "wsgi_app", "wsgi (rest)"),
    ]
    import redis.client

    patched += [(redis.client.Redis, "execute_command", "redis"), (redis.client.Pipeline, "execute", "redis")]
    if hasattr(interface, "cache"):  # the SQLite session table
        patched.append((interface.cache, "set", "session table write"))
    import gc

    collecting: dict[str, float] = {}

    def gc_timer(phase, info):  # the cyclic collector's own CPU, by generation, filed under the step it ran in
        if phase == "start":
            collecting["started"] = time.thread_time()
        elif "started" in collecting:
            spent = time.thread_time() - collecting.pop("started")
            totals[f"gc gen{info['generation']}"] += spent
            totals[f"{current[0]}: gc gen{info['generation']}"] += spent
            if stack := local.__dict__.get("stack"):
                stack[-1][2] += spent

    gc.callbacks.append(gc_timer)
    for owner, attribute, part in patched:
        setattr(owner, attribute, timed(part, getattr(owner, attribute)))
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = timed(f"view {endpoint}", view)
    return totals
