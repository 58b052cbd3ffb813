"""The sandbox's HTTP server: HTTP/1.1 with persistent connections, as FranceConnect and the providers answer.

Werkzeug's development server closes every connection (`Connection: close`, on purpose: `http.server` cannot
drain a request body before the next request line). Against it the service opened a TCP connection for every call
to FranceConnect and the providers, which the real services, all keep-alive, never make it do: what was measured
against the sandbox was not what production costs. Waitress keeps connections open and serves each request from
a thread pool, so a slow fault scenario does not stop the other requests.
"""

from __future__ import annotations

from typing import Any

from waitress.server import create_server

THREADS = 16  # the retrieval's calls of a few sign-ins at once, and a `slow` fault scenario or two


def make_server(app: Any, host: str, port: int, *, threads: int = THREADS) -> Any:
    """A bound server (port 0: a free one, then read `effective_port`); `run()` serves, `close()` stops."""
    return create_server(app, host=host, port=port, threads=threads)
