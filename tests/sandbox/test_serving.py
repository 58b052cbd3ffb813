"""The sandbox's server keeps connections alive, as FranceConnect and the providers do: a service measured against
it pays what it will pay in production, not a TCP connection per call."""

from __future__ import annotations

import http.client
import threading

from flask import Flask

from app.sandbox import serving


def test_two_requests_share_one_connection():
    app = Flask(__name__)
    app.add_url_rule("/ping", "ping", lambda: {"ok": True})
    server = serving.make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=5)
        answers, sockets = [], []
        for _ in range(2):
            connection.request("GET", "/ping")
            response = connection.getresponse()
            answers.append((response.status, response.version, response.will_close, response.read()))
            sockets.append(connection.sock)  # http.client drops its socket once a response says it will close
        assert sockets[0] is not None and sockets[0] is sockets[1]
        assert answers == [(200, 11, False, b'{"ok":true}\n')] * 2
        connection.close()
    finally:
        server.close()
        thread.join(5)
