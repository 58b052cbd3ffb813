"""Opening the room and its commands on a bare Flask app: `flask db upgrade|current`, `flask dossiers purge|rekey`."""

from __future__ import annotations

import datetime as dt
import gc
import weakref

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from app.config import DEFAULTS
from app.dossiers import cli, database
from app.dossiers.attachments import AttachmentStore
from app.dossiers.audit import AuditTrail
from app.dossiers.crypto import DossierCipher
from app.dossiers.room import DossiersRoom, open_room
from app.dossiers.settings import load_dossier_settings
from app.dossiers.store import DossierStore
from tests.dossiers.conftest import PSEUDONYM_KEY

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
_ROOMS: weakref.WeakKeyDictionary[Flask, DossiersRoom] = weakref.WeakKeyDictionary()


def room_of(app: Flask) -> DossiersRoom:
    return _ROOMS[app]


@pytest.fixture
def make_app(database_uri, tmp_path):
    apps = []

    def factory(keys=(KEY_A,), upgrade_schema=True) -> Flask:
        config = {**DEFAULTS, "SQLALCHEMY_DATABASE_URI": database_uri, "DOSSIER_ENCRYPTION_KEYS": list(keys),
                  "AUDIT_PSEUDONYM_KEY": PSEUDONYM_KEY}
        settings = load_dossier_settings(config, production=False, instance_path=str(tmp_path / "instance"))
        app = Flask(__name__)
        cli.register(app, _ROOMS.setdefault(app, open_room(settings, upgrade_schema=upgrade_schema)))
        apps.append(app)  # kept alive until teardown: the engine is disposed when its app goes
        return app

    yield factory
    for app in apps:
        room_of(app).store.engine.dispose()


@pytest.fixture
def runner(make_app):
    """`runner("dossiers", "rekey", keys=[…])`: the command's result on an app opened with those keys."""

    def invoke(*args: str, app: Flask | None = None, **options):
        return (app or make_app(**options)).test_cli_runner().invoke(args=list(args))

    return invoke


def past_store(app: Flask, days_ago: int, keys=(KEY_A,)) -> DossierStore:
    """A store whose clock is `days_ago` in the past, on the app's database, to create data that is due."""
    engine = room_of(app).store.engine

    def clock():
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)

    audit = AuditTrail(engine, pseudonym_key=PSEUDONYM_KEY, retention_days=365, clock=clock)
    return DossierStore(engine, DossierCipher(keys), audit=audit, clock=clock)


def test_db_upgrade_and_current(make_app, runner):
    app = make_app(upgrade_schema=False)
    assert runner("db", "current", app=app).output == "none (run flask db upgrade)\n"
    result = runner("db", "upgrade", app=app)
    assert result.exit_code == 0 and result.output == "Database at revision 0005 (head).\n"
    assert runner("db", "current", app=app).output == "0005 (head)\n"


def test_init_app_builds_the_store_and_upgrades_on_request(make_app):
    app = make_app(upgrade_schema=True)
    assert isinstance(room_of(app).store, DossierStore)
    assert isinstance(room_of(app).audit, AuditTrail)
    assert database.current_revision(room_of(app).store.engine) == database.head_revision()


def test_purge_command_prints_counts(make_app, runner):
    app = make_app()
    old = past_store(app, days_ago=40)
    old.submit(idempotency_key="form-cli-0001", organisation="org-1", journey="adhesion", content={"a": 1},
               retention_days=30)
    old.submit(idempotency_key="form-cli-0002", organisation="org-1", journey="preadmission", content={"a": 2},
               retention_days=90)
    AuditTrail(room_of(app).store.engine, pseudonym_key=PSEUDONYM_KEY, retention_days=365,
               clock=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=366)).record("journey_started")
    result = runner("dossiers", "purge", app=app)
    assert result.exit_code == 0, result.output
    assert result.output == "Purged 1 dossier(s) and 1 audit event(s).\n"


def test_rekey_command(make_app, runner):
    reference = room_of(make_app(keys=[KEY_A])).store.submit(
        idempotency_key="form-cli-rekey", organisation="org-1", journey="adhesion", content={"a": 1},
        retention_days=30).reference
    result = runner("dossiers", "rekey", keys=[KEY_B, KEY_A])
    assert result.exit_code == 0 and result.output == "Re-encrypted 1 dossier(s) with the first key.\n"
    assert room_of(make_app(keys=[KEY_B])).store.get(reference).content == {"a": 1}


def test_rekey_command_fails_clearly_when_a_key_is_missing(make_app, runner):
    reference = room_of(make_app(keys=[KEY_A])).store.submit(
        idempotency_key="form-cli-lost", organisation="org-1", journey="adhesion", content={"a": 1},
        retention_days=30).reference
    result = runner("dossiers", "rekey", keys=[KEY_B])
    assert result.exit_code == 1
    assert reference in result.output and "DOSSIER_ENCRYPTION_KEYS" in result.output
    assert KEY_A not in result.output and KEY_B not in result.output


def test_engine_is_disposed_with_its_app(tmp_path):
    config = {**DEFAULTS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gc.sqlite3'}"}
    app = Flask(__name__)
    room = open_room(load_dossier_settings(config, production=False, instance_path=str(tmp_path)),
                     upgrade_schema=True)
    cli.register(app, room)
    engine = room.engine
    del room
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert engine.pool.checkedin() == 1
    del app
    gc.collect()
    assert engine.pool.checkedin() == 0  # disposed: the pooled connection was closed, not left to the collector


def test_purge_command_takes_the_files_of_drafts_never_sent(make_app, runner):
    app = make_app()
    engine = room_of(app).store.engine
    abandoned = AttachmentStore(engine, DossierCipher([KEY_A]),
                                clock=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=25))
    abandoned.add(draft_key="abandoned-draft-key", organisation="org-1", journey="preadmission",
                  kind="convocation", media_type="application/pdf", name="a.pdf", data=b"%PDF-1.4\n%%EOF\n")
    result = runner("dossiers", "purge", app=app)
    assert result.exit_code == 0, result.output
    assert result.output == "Purged 0 dossier(s) and 0 audit event(s).\nPurged 1 attachment(s).\n"
    assert room_of(app).store.attachments.for_draft("abandoned-draft-key") == []
