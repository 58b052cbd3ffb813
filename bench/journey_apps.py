"""The two WSGI apps bench/journey_cost.py runs under gunicorn: the service, and a bare Flask app for comparison.

Kept apart from the driver so that the bare app's workers import Flask and nothing else of ours.
`DC_BENCH_PROFILE` (a folder) runs cProfile around every request and writes one file per worker when it stops.
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
    skip = [int(os.environ.get("DC_BENCH_PROFILE_SKIP", "0"))]

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

    def wsgi(environ, start_response):
        started = time.process_time()
        try:
            return inner(environ, start_response)
        finally:
            step = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO'].rstrip('/').rsplit('/', 1)[-1] or '/'}"
            if "launch=" in environ.get("QUERY_STRING", ""):
                step += " (launch)"
            totals[step][0] += 1
            totals[step][1] += time.process_time() - started

    app.wsgi_app = wsgi
    parts = _parts(app)
    atexit.register(lambda: open(f"{folder}/steps-{os.getpid()}.json", "w").write(json.dumps(
        {"steps": totals, "parts": parts})))


def _parts(app) -> dict:
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
                if stack:
                    stack[-1][2] += spent
        return wrapper

    if app.import_name == __name__:  # the bare app: nothing of ours to time
        return totals
    import flask.templating
    import requests
    import sqlalchemy.engine.base
    import sqlalchemy.orm.session

    flask.templating._render = timed("render", flask.templating._render)
    interface = app.session_interface
    interface.open_session = timed("session open", interface.open_session)
    interface.save_session = timed("session save", interface.save_session)
    requests.Session.send = timed("outbound (requests)", requests.Session.send)
    sqlalchemy.orm.session.Session.commit = timed("orm commit", sqlalchemy.orm.session.Session.commit)
    sqlalchemy.engine.base.Connection._execute_context = timed(
        "sql execute", sqlalchemy.engine.base.Connection._execute_context)
    import joserfc.jws
    import wtforms.form
    serializer = interface.serializer
    serializer.encode = timed("session encode", serializer.encode)
    serializer.decode = timed("session decode", serializer.decode)
    if hasattr(interface, "cache"):
        interface.cache.set = timed("session file write", interface.cache.set)
    wtforms.form.BaseForm.process = timed("forms process", wtforms.form.BaseForm.process)
    wtforms.form.Form.validate = timed("forms validate", wtforms.form.Form.validate)
    sqlalchemy.orm.session.Session.flush = timed("orm flush", sqlalchemy.orm.session.Session.flush)
    joserfc.jws.deserialize_compact = timed("jose", joserfc.jws.deserialize_compact)
    app.full_dispatch_request = timed("dispatch (rest)", app.full_dispatch_request)
    app.wsgi_app = timed("wsgi (rest)", app.wsgi_app)
    return totals
