"""Development launcher: the service and its sandbox, each on its own origin, in one process.

`make run` calls `python -m app.devserver`. The service never imports the sandbox; this wiring module
does, only in development, and registers the service's client in the sandbox so the whole flow works
offline with no setup. It also starts the webhook worker (`flask delivery webhooks worker`, the same command
production runs as a process of its own) as a child process, stopped with the dev server; that worker also sends
the e-mail acknowledgements, to the sandbox's mail catcher (listed on the sandbox's `/courriels/`) unless
FLASK_MAIL_SMTP_HOST says otherwise.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from app import ConfigError, create_app, extensions
from app.config import Settings
from app.web import correlated_handler

MAIL_CATCHER_HOST = "127.0.0.1"
MAIL_CATCHER_PORT = 5025


def mail_towards_catcher() -> bool:
    """Point the acknowledgements (this process's and the worker's, which inherits the environment) at the
    sandbox's mail catcher, unless the environment names another relay; whether it did."""
    if os.environ.get("FLASK_MAIL_SMTP_HOST"):
        return False
    os.environ.update(FLASK_MAIL_SMTP_HOST=MAIL_CATCHER_HOST, FLASK_MAIL_SMTP_PORT=str(MAIL_CATCHER_PORT),
                      FLASK_MAIL_STARTTLS="false")
    return True


def sandbox_config(settings: Settings):
    from app.sandbox import PortalOrganisation, SandboxClient, SandboxConfig

    fc = settings.franceconnect
    client = SandboxClient(
        client_id=fc.client_id,
        client_secret=fc.client_secret,
        redirect_uris=(fc.redirect_uri,),
        post_logout_redirect_uris=(fc.post_logout_redirect_uri,),
        id_token_alg=fc.id_token_alg,
    )
    # The demo portal speaks for the organisations whose return URL is on the sandbox's own origin.
    portal = tuple(
        PortalOrganisation(slug=o.id, name=o.name, kind=o.kind, launch_secret=o.launch_secrets[0])
        for o in settings.organisations.values()
        if o.launch_secrets and any(url.startswith(settings.sandbox_url + "/portail/") for url in o.return_urls)
    )
    return SandboxConfig(base_url=settings.sandbox_url, clients=(client,), portal_service_url=settings.public_url,
                         portal_organisations=portal)


def start_webhook_worker(settings: Settings) -> subprocess.Popen | None:
    """The webhook worker beside the dev server (None when the queue runs its tasks inline)."""
    if settings.webhooks is None or settings.webhooks.queue == "immediate":
        return None
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "delivery", "webhooks", "worker"])


def stop_webhook_worker(worker: subprocess.Popen | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def main() -> int:
    logging.basicConfig(level=logging.INFO, handlers=[correlated_handler()])
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per plugin at every start-up
    catching = mail_towards_catcher()
    try:
        service = create_app()
    except ConfigError as error:
        print(f"Configuration refusée : {error}", file=sys.stderr)
        return 2
    settings: Settings = extensions.services(service).settings
    if not settings.sandbox:
        print("SANDBOX is off: run the service with a WSGI server (see README).", file=sys.stderr)
        return 2

    from app.sandbox import create_sandbox_app, mailcatcher, serving

    sandbox = create_sandbox_app(sandbox_config(settings))
    inbox = mailcatcher.Inbox()
    sandbox.register_blueprint(mailcatcher.blueprint(inbox))
    catcher = mailcatcher.start(inbox, MAIL_CATCHER_HOST, MAIL_CATCHER_PORT) if catching else None
    # The sandbox keeps connections alive like FranceConnect and the providers (app/sandbox/serving.py); the
    # service itself keeps Werkzeug's development server, which logs each request.
    sandbox_parts, parts = urlsplit(settings.sandbox_url), urlsplit(settings.public_url)
    sandbox_server = serving.make_server(sandbox, sandbox_parts.hostname, sandbox_parts.port or 80)
    service_server = make_server(parts.hostname, parts.port or 80, service, threaded=True)
    threading.Thread(target=sandbox_server.run, daemon=True).start()
    worker = start_webhook_worker(settings)
    print(f"\n  Droits Connect : {settings.public_url}/\n  Bac à sable FranceConnect : {settings.sandbox_url}/\n"
          f"  Portail de démonstration : {settings.sandbox_url}/portail/\n"
          f"  Courriels reçus : {settings.sandbox_url}/courriels/\n"
          "  (Ctrl+C pour arrêter)\n", flush=True)
    try:
        service_server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox_server.close()
        stop_webhook_worker(worker)
        if catcher is not None:
            catcher.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
