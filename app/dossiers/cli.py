"""The dossiers room's commands.

`flask dossiers purge` (cron, daily), `flask dossiers rekey` (after putting a new key first),
`flask db upgrade [REVISION]`, `flask db current`, `flask db revision -m "..." [--autogenerate]`.
"""

from __future__ import annotations

import datetime as dt
import weakref

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import Engine

from app.dossiers import database
from app.dossiers.errors import DossierDecryptionError
from app.dossiers.room import DossiersRoom

# Webhook notices carry no personal data; they are kept a while for operators (list, replay), then forgotten.
OUTBOX_DELIVERED_KEPT = dt.timedelta(days=30)
OUTBOX_DEAD_KEPT = dt.timedelta(days=90)


def register(app: Flask, room: DossiersRoom) -> None:
    """Add `flask dossiers …` and `flask db …`, and dispose of the engine with the app."""
    app.cli.add_command(_dossiers_commands(room))
    app.cli.add_command(_db_commands(room.engine))
    # Every store call opens and closes its own session, so a request leaves nothing to tear down; the pool
    # itself lives as long as the app (disposing it per request or app context would reconnect every time).
    weakref.finalize(app, room.engine.dispose)


def _dossiers_commands(room: DossiersRoom) -> AppGroup:
    store = room.store
    group = AppGroup("dossiers", help="Dossier retention and encryption keys.")

    @group.command("purge")
    def purge() -> None:
        """Delete the dossiers and audit events whose retention has ended."""
        report = store.purge()
        launches = room.launches.purge()
        webhooks = room.outbox.forget(delivered_for=OUTBOX_DELIVERED_KEPT, dead_for=OUTBOX_DEAD_KEPT)
        click.echo(f"Purged {report.dossiers} dossier(s) and {report.audit_events} audit event(s).")
        if report.attachments:
            click.echo(f"Purged {report.attachments} attachment(s).")
        if launches:
            click.echo(f"Forgot {launches} expired launch token(s).")
        if webhooks:
            click.echo(f"Forgot {webhooks} finished webhook(s).")

    @group.command("rekey")
    def rekey() -> None:
        """Re-encrypt every dossier with the first DOSSIER_ENCRYPTION_KEYS key."""
        try:
            count = store.rekey()
        except DossierDecryptionError as exc:
            raise click.ClickException(f"{exc}; keep the key that opens it in DOSSIER_ENCRYPTION_KEYS") from None
        click.echo(f"Re-encrypted {count} dossier(s) with the first key.")

    return group


def _db_commands(engine: Engine) -> AppGroup:
    group = AppGroup("db", help="Database schema migrations (Alembic).")

    @group.command("upgrade")
    @click.argument("revision", default="head")
    def upgrade(revision: str) -> None:
        """Upgrade the schema to REVISION (default: head)."""
        database.ensure_schema(engine, revision)
        click.echo(f"Database at revision {_describe(database.current_revision(engine))}.")

    @group.command("current")
    def current() -> None:
        """Show the schema's current revision."""
        click.echo(_describe(database.current_revision(engine)))

    @group.command("revision")
    @click.option("-m", "--message", required=True, help="What the revision changes.")
    @click.option("--autogenerate", is_flag=True, help="Compare the models with the database.")
    def revision(message: str, autogenerate: bool) -> None:
        """Write a new revision under app/dossiers/migrations/versions (development only)."""
        database.create_revision(engine, message, autogenerate=autogenerate)

    return group


def _describe(revision: str | None) -> str:
    if revision is None:
        return "none (run flask db upgrade)"
    head = database.head_revision()
    return f"{revision} (head)" if revision == head else f"{revision} (head is {head})"
