"""Migrations: the head revision builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.dossiers import database, models


def test_upgrade_creates_the_tables_and_indexes(database_uri):
    database.upgrade_database(database_uri)
    engine = database.make_engine(database_uri)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        assert {"dossiers", "audit_events", "used_launch_tokens", "alembic_version"} <= tables
        indexes = {index["name"]: index for index in inspector.get_indexes("dossiers")}
        assert indexes["ix_dossiers_reference"]["unique"] and indexes["ix_dossiers_idempotency_key"]["unique"]
        assert indexes["ix_dossiers_purge_after"]["column_names"] == ["purge_after"]
        audit_indexes = {index["name"] for index in inspector.get_indexes("audit_events")}
        assert "ix_audit_events_purge_after" in audit_indexes
        launch_uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("used_launch_tokens")}
        assert ("organisation", "jti_hash") in launch_uniques
        assert database.current_revision(engine) == database.head_revision() == "0005"
    finally:
        engine.dispose()


def test_migration_head_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, models.Base.metadata) == []


def test_upgrade_is_a_no_op_at_head(engine):
    database.ensure_schema(engine)
    assert database.current_revision(engine) == database.head_revision()


def test_downgrade_to_base_removes_the_tables(engine):
    with engine.begin() as connection:
        command.downgrade(database.alembic_config(connection=connection), "base")
    assert not {"dossiers", "audit_events", "used_launch_tokens"} & set(inspect(engine).get_table_names())
    assert database.current_revision(engine) is None
