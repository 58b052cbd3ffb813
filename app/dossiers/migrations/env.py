"""Alembic environment: runs the revisions against the connection or URL given by `database.alembic_config`."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from app.dossiers import database, models

config = context.config
target_metadata = models.Base.metadata
# Any constant: serialises concurrent upgrades (several workers starting at once) on PostgreSQL.
MIGRATION_LOCK = 0x64635F6D6967  # "dc_mig"


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Revisions must not import the models: they describe the schema as it was when they were written.
    if type_ == "type" and isinstance(obj, models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        # SQLite cannot ALTER most things: autogenerate emits "move and copy" batches for it.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = database.make_engine(config.attributes["database_uri"])
    try:
        with engine.connect() as connection:
            run_migrations(connection)
            connection.commit()
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(url=config.attributes["database_uri"], target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
