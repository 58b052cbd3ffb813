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
    folder = os.environ.get("DC_BENCH_PROFILE")
    if not folder:
        return app
    import atexit
    import cProfile

    profile, inner = cProfile.Profile(), app.wsgi_app

    def wsgi(environ, start_response):
        profile.enable()
        try:
            return inner(environ, start_response)
        finally:
            profile.disable()

    app.wsgi_app = wsgi
    atexit.register(lambda: profile.dump_stats(f"{folder}/worker-{os.getpid()}.prof"))
    return app
