"""Wiring of the dossiers room into the app, and its commands.

`flask dossiers purge` (cron, daily), `flask dossiers rekey` (after putting a new key first),
`flask db upgrade [REVISION]`, `flask db current`, `flask db revision -m "..." [--autogenerate]`.
"""

from __future__ import annotations

import weakref

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import Engine

from app.dossiers import database
from app.dossiers.audit import AuditTrail
from app.dossiers.crypto import DossierCipher
from app.dossiers.errors import DossierDecryptionError
from app.dossiers.settings import DossierSettings
from app.dossiers.store import DossierStore


def init_app(app: Flask, settings: DossierSettings, *, upgrade_schema: bool = False) -> None:
    """Build the engine, store and audit trail into app.extensions["dossiers"|"audit"] and register the commands.

    `upgrade_schema=True` (development and tests) runs `alembic upgrade head` now; production runs
    `flask db upgrade` as a deployment step instead.
    """
    engine = database.make_engine(settings.database_uri)
    audit = AuditTrail(engine, pseudonym_key=settings.pseudonym_key, retention_days=settings.audit_retention_days)
    store = DossierStore(engine, DossierCipher(settings.encryption_keys), audit=audit)
    if upgrade_schema:
        database.ensure_schema(engine)
    app.extensions["dossiers"] = store
    app.extensions["audit"] = audit
    app.cli.add_command(_dossiers_commands(store))
    app.cli.add_command(_db_commands(engine))
    # Every store call opens and closes its own session, so a request leaves nothing to tear down; the pool
    # itself lives as long as the app (disposing it per request or app context would reconnect every time).
    weakref.finalize(app, engine.dispose)


def _dossiers_commands(store: DossierStore) -> AppGroup:
    group = AppGroup("dossiers", help="Dossier retention and encryption keys.")

    @group.command("purge")
    def purge() -> None:
        """Delete the dossiers and audit events whose retention has ended."""
        report = store.purge()
        click.echo(f"Purged {report.dossiers} dossier(s) and {report.audit_events} audit event(s).")

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
