"""What the service writes under instance/ is readable by its owner only (0600), whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from app.delivery.webhooks import jobs
from app.delivery.webhooks.settings import WebhookSettings
from app.dossiers.database import make_engine


@pytest.fixture(autouse=True)
def permissive_umask():
    previous = os.umask(0o022)  # the usual default, which leaves new files world-readable (0644)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sqlite_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def test_the_dossiers_database_and_its_wal_are_private(tmp_path):
    database = tmp_path / "instance" / "droits-connect.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x TEXT)"))
            connection.execute(text("INSERT INTO t VALUES ('written')"))
        files = sqlite_files(database)
        assert len(files) == 3  # WAL mode: the database, its write-ahead log and its shared memory
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        engine.dispose()


def test_a_database_an_earlier_release_left_readable_is_made_private(tmp_path):
    database = tmp_path / "droits-connect.sqlite3"
    make_engine(f"sqlite:///{database}").dispose()
    database.chmod(0o644)
    Path(f"{database}-wal").write_bytes(b"")
    Path(f"{database}-wal").chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == mode(Path(f"{database}-wal")) == 0o600


def test_the_webhook_queue_file_is_private(tmp_path):
    queue = tmp_path / "instance" / "webhook-queue.sqlite3"
    huey = jobs.make_huey(WebhookSettings(max_attempts=3, backoff_base=1, backoff_cap=60, timeout=5,
                                         queue=f"sqlite:///{queue}"))
    huey.storage.enqueue(b"a task")
    files = sqlite_files(queue)
    assert queue in files and {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_the_factory_creates_private_files_in_the_instance_folder(app):
    instance = Path(app.instance_path)
    created = [p for p in instance.rglob("*") if p.is_file()]
    assert any(p.name == "droits-connect.sqlite3" for p in created)
    assert {p.name: mode(p) for p in created} == {p.name: 0o600 for p in created}
