"""Engines and schema migrations (Alembic) for the dossiers room.

The Alembic environment ships inside the package (`app/dossiers/migrations/`) and needs no alembic.ini:
`alembic_config()` builds the configuration in code and hands env.py a connection or a URL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from app.config_values import private_sqlite_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT = 30  # seconds a writer waits for another one's lock before "database is locked"


def make_engine(database_uri: str) -> Engine:
    """An engine for SQLite (one file, shared between threads) or PostgreSQL (psycopg 3, pre-pinged pool)."""
    url = make_url(database_uri)
    # hide_parameters: a failing statement's parameters (ciphertext, pseudonyms) stay out of exception messages.
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    in_memory = url.database in (None, "", ":memory:")
    if not in_memory and not url.database.startswith("file:"):
        # Dossiers are encrypted, but the database also holds pseudonyms, references and launch tokens.
        private_sqlite_file(Path(url.database))
    engine = create_engine(
        url,
        hide_parameters=True,
        # The store's sessions are short and may run on any request thread; pooled connections move between them.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT},
        # An in-memory database lives as long as its one connection.
        **({"poolclass": StaticPool} if in_memory else {}),
    )
    event.listen(engine, "connect", _sqlite_pragmas if not in_memory else _sqlite_foreign_keys)
    return engine


def _sqlite_foreign_keys(connection: sqlite3.Connection, _record: object) -> None:
    connection.execute("PRAGMA foreign_keys=ON")


def _sqlite_pragmas(connection: sqlite3.Connection, record: object) -> None:
    _sqlite_foreign_keys(connection, record)
    # WAL: readers do not block the writer (a purge does not stall submissions); the setting persists in the file.
    connection.execute("PRAGMA journal_mode=WAL")


def alembic_config(**attributes: object) -> Config:
    """Alembic's configuration without an ini file; `connection=` or `database_uri=` tells env.py where to go."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes.update(attributes)
    return config


def ensure_schema(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision` (alembic upgrade head): a no-op when it is already there."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def upgrade_database(database_uri: str, revision: str = "head") -> None:
    """`alembic upgrade head` against a URL, with an engine of its own."""
    engine = make_engine(database_uri)
    try:
        ensure_schema(engine, revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first upgrade."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def create_revision(engine: Engine, message: str, *, autogenerate: bool) -> None:
    """Write a new revision under migrations/versions, compared against the database when autogenerating."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection=connection), message=message, autogenerate=autogenerate)
