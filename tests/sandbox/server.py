"""Run a WSGI app as a real HTTP server on loopback, for tests that need real sockets.

    with run_wsgi(app) as base_url:
        requests.get(f"{base_url}/health", timeout=5)

When the app must know its own URL before it exists (the sandbox's issuer contains the port), bind first:

    with run_wsgi_factory(lambda url: create_sandbox_app(make_config(url))) as (base_url, app):
        ...
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # keep test output readable
        pass


def _not_ready(environ: dict, start_response: Callable) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"not ready"]


@contextmanager
def run_wsgi_factory(factory: Callable[[str], Any]) -> Iterator[tuple[str, Any]]:
    """Bind 127.0.0.1 on a free port, build the app from its base URL, serve it from a daemon thread."""
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True, request_handler=_QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        app = factory(base_url)
        server.app = app
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield base_url, app
        finally:
            server.shutdown()
            thread.join(timeout=5)
    finally:
        server.server_close()


@contextmanager
def run_wsgi(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (free port) in a daemon thread; yields its base URL."""
    with run_wsgi_factory(lambda _base_url: app) as (base_url, _app):
        yield base_url
