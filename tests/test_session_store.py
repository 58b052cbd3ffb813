"""The session store holds ciphertext only: a raw dump of the session table's files or of Redis mid-journey shows no
personal datum; keys rotate; an unreadable value is an empty session; abandoned sessions are purged; nothing
personal outlives the journey or the logout."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import pickle
import sqlite3
import stat
import time
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet, InvalidToken

from app.session_store import SESSIONS_FILE, SessionNotSaved, SessionTable
from tests.journeys.factories import ANGELA, PIERRE, c2s_ok, cnam_ok, family
from tests.journeys.support import csrf_token, journeys_app
from tests.journeys.test_views import MUTUELLE, session_of, sign_in, to_review

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
# What the journey puts in the session: the identity, the CNAM's family (NIRs, names, birth dates, médecin
# traitant) and the draft (address, phone, IBAN).
PERSONAL = [
    "MERCIER", "Pierre", "1969-03-17", PIERRE.email, "169039527790269", "SOPHIE", "1971-10-05", "271105935090375",
    "LOUIS", "114069527791187", "HAMIDI", "FR7630006000011234567890189", "612345678", "rue de l", "Pontoise",
]


def mid_journey(client):
    """Signed in at the mutuelle, the adhesion form filled in (IBAN included): on the review page."""
    sign_in(client, journey="adhesion", org="mutuelle-demo", identity=PIERRE,
            results={"c2s": c2s_ok(), "cnam": cnam_ok(family())})
    to_review(client, base=MUTUELLE, start_date=(dt.date.today() + dt.timedelta(days=10)).isoformat())
    assert session_of(client).draft is not None


def table_file(app) -> Path:
    return Path(app.instance_path) / SESSIONS_FILE


def stored_values(app) -> list[bytes]:
    """Every session's stored value, as anyone reading the table would see it."""
    with sqlite3.connect(table_file(app)) as db:
        return [value for (value,) in db.execute("SELECT value FROM sessions ORDER BY id")]


def store_file_dump(app) -> bytes:
    """The table's files as they are on disk: the database, its write-ahead log and its shared memory."""
    return b"".join(path.read_bytes() for path in table_file(app).parent.glob(SESSIONS_FILE + "*"))


def overwrite(app, **columns) -> None:
    """Change every stored session behind the app's back (one session in these tests)."""
    with sqlite3.connect(table_file(app)) as db:
        assert db.execute(f"UPDATE sessions SET {', '.join(f'{c} = ?' for c in columns)}",
                          tuple(columns.values())).rowcount == 1


def revealed(dump: bytes) -> list[str]:
    text = dump.lower()
    return [datum for datum in PERSONAL if datum.lower().encode() in text]


def test_a_dump_of_the_session_table_mid_journey_reveals_nothing(make_app):
    app = journeys_app(make_app)
    client = app.test_client()
    mid_journey(client)
    dump = store_file_dump(app)
    assert dump and revealed(dump) == []
    # The dump is not empty of the journey: it is there, encrypted with the instance folder's development key.
    key = (Path(app.instance_path) / "session_keys").read_text().strip()
    [value] = stored_values(app)
    assert revealed(Fernet(key).decrypt(value)) == PERSONAL


@pytest.mark.services
def test_a_dump_of_redis_mid_journey_reveals_nothing(make_app, redis_url):
    app = journeys_app(make_app, REDIS_URL=redis_url, SESSION_ENCRYPTION_KEYS=NEW_KEY)
    client = app.test_client()
    mid_journey(client)
    store = redis.Redis.from_url(redis_url)
    key = f"dc:session:{client.get_cookie('dc_session').value}"
    try:
        value = store.get(key)
        assert value and revealed(value) == []
        assert revealed(Fernet(NEW_KEY).decrypt(value)) == PERSONAL
        assert 0 < store.ttl(key) <= 1800
        # A changed byte in Redis: an empty session, the value deleted, no error.
        store.set(key, value[:-5] + (b"AAAAA" if value[-5:] != b"AAAAA" else b"BBBBB"))
        response = client.get(f"{MUTUELLE}/verification")
        assert response.status_code == 303 and "/verification" not in response.headers["Location"]
        assert not store.exists(key)
    finally:
        store.delete(key)


def test_keys_rotate_the_old_one_decrypts_and_the_new_one_encrypts(make_app):
    before = journeys_app(make_app, SESSION_ENCRYPTION_KEYS=OLD_KEY).test_client()
    sign_in(before, journey="adhesion", org="mutuelle-demo")
    sid = before.get_cookie("dc_session").value

    rotated = journeys_app(make_app, SESSION_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY])
    client = rotated.test_client()
    client.set_cookie("dc_session", sid)
    assert session_of(client).identity == ANGELA  # written with the old key, read with it
    client.get(f"{MUTUELLE}/personnes")  # any request writes the session back, with the new key
    [token] = stored_values(rotated)
    assert Fernet(NEW_KEY).decrypt(token)
    with pytest.raises(InvalidToken):
        Fernet(OLD_KEY).decrypt(token)

    after = journeys_app(make_app, SESSION_ENCRYPTION_KEYS=NEW_KEY).test_client()
    after.set_cookie("dc_session", sid)
    assert session_of(after).identity == ANGELA  # the old key may now go


def test_a_session_whose_key_was_dropped_is_an_empty_session(make_app, caplog):
    before = journeys_app(make_app, SESSION_ENCRYPTION_KEYS=OLD_KEY).test_client()
    sign_in(before, journey="adhesion", org="mutuelle-demo")
    client = journeys_app(make_app, SESSION_ENCRYPTION_KEYS=NEW_KEY).test_client()
    client.set_cookie("dc_session", before.get_cookie("dc_session").value)
    with caplog.at_level(logging.WARNING, logger="app.session_store"):
        response = client.get(f"{MUTUELLE}/personnes")
    assert response.status_code == 303 and "/personnes" not in response.headers["Location"]
    assert "dropping an unreadable session reason=invalid_token" in caplog.text
    assert session_of(client).identity is None


def test_a_tampered_session_is_an_empty_session_not_an_error(make_app, caplog):
    app = journeys_app(make_app)
    client = app.test_client()
    mid_journey(client)
    [value] = stored_values(app)
    data = bytearray(value)
    data[40] = ord("A") if data[40] != ord("A") else ord("B")  # one byte of the ciphertext changed
    overwrite(app, value=bytes(data))
    tampered = f"dc:session:{client.get_cookie('dc_session').value}"
    with caplog.at_level(logging.WARNING, logger="app.session_store"):
        response = client.get(f"{MUTUELLE}/verification")
    assert response.status_code == 303 and "/verification" not in response.headers["Location"]
    assert "reason=invalid_token" in caplog.text
    # The unreadable value is deleted, not retried on every request.
    assert app.session_interface.inner.cache.get(tampered) is None and bytes(data) not in stored_values(app)
    assert session_of(client).draft is None


UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)


class Planted:
    def __reduce__(self):
        return _record_unpickling, ()


def test_a_planted_pickle_is_never_loaded(make_app, caplog):
    # Sessions written by earlier releases were pickles; one planted in the table must not run code.
    app = journeys_app(make_app)
    client = app.test_client()
    client.get("/")
    overwrite(app, value=pickle.dumps({"identity": Planted()}))
    with caplog.at_level(logging.WARNING, logger="app.session_store"):
        assert client.get(f"{MUTUELLE}/personnes").status_code == 303
    assert UNPICKLED == [] and "reason=invalid_token" in caplog.text


def test_the_session_table_is_private(make_app):
    previous = os.umask(0o022)
    try:
        app = journeys_app(make_app)
        mid_journey(app.test_client())
    finally:
        os.umask(previous)
    files = list(table_file(app).parent.glob(SESSIONS_FILE + "*"))
    assert table_file(app) in files and len(files) == 3  # the database, its log and its shared memory
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}


def test_an_expired_session_is_never_read_and_purge_deletes_the_abandoned_ones_only(make_app):
    app = journeys_app(make_app, SESSION_IDLE_TIMEOUT=600)
    abandoned, active = app.test_client(), app.test_client()
    mid_journey(abandoned)
    mid_journey(active)
    abandoned_id = f"dc:session:{abandoned.get_cookie('dc_session').value}"
    with sqlite3.connect(table_file(app)) as db:  # its idle timeout passed a minute ago
        db.execute("UPDATE sessions SET expires = ? WHERE id = ?", (int(time.time()) - 60, abandoned_id))
    assert session_of(abandoned).draft is None  # before any purge: past its time, as good as gone

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])
    assert result.exit_code == 0 and "deleted 1 expired session(s)" in result.output
    assert len(stored_values(app)) == 1 and session_of(active).draft is not None
    # Past everyone's idle timeout, nothing is left.
    table = SessionTable(table_file(app), idle_timeout=600)
    assert table.purge_expired(now=time.time() + 601) == 1 and stored_values(app) == []


@pytest.mark.services
def test_purge_has_nothing_to_do_with_redis(make_app, redis_url):
    result = make_app(REDIS_URL=redis_url).test_cli_runner().invoke(args=["sessions", "purge"])
    assert result.exit_code == 0 and "Redis" in result.output


def test_nothing_personal_remains_after_submission_nor_after_logout(make_app, mocked_responses):
    app = journeys_app(make_app)
    client = app.test_client()
    mid_journey(client)
    review = client.get(f"{MUTUELLE}/verification").get_data(as_text=True)
    assert client.post(f"{MUTUELLE}/envoi", data={"csrf_token": csrf_token(review)}).status_code == 303
    key = Fernet((Path(app.instance_path) / "session_keys").read_text().strip())
    [value] = stored_values(app)
    plain = key.decrypt(value)
    assert revealed(plain) == [] and b"journey_receipt" in plain  # the receipt and the ID token for logout

    receipt = client.get(f"{MUTUELLE}/recepisse").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(receipt)}, follow_redirects=True)
    leftovers = b"".join(key.decrypt(value) for value in stored_values(app))
    assert revealed(leftovers) == [] and b"id-token" not in leftovers and b"journey_receipt" not in leftovers


# ---- writes: only a changed session is stored


def _stored_bytes(app, client) -> bytes:
    interface = app.session_interface.inner
    return interface.cache.get(interface._get_store_id(client.get_cookie("dc_session").value))


def test_a_request_that_changes_nothing_writes_no_session(app):
    client = app.test_client()
    client.get("/")  # the sign-in form's CSRF token opens the session
    client.get("/")  # and the next request starts its clocks
    stored = _stored_bytes(app, client)
    response = client.get("/")
    # Each encryption draws a new IV: identical bytes mean the value was not written again.
    assert _stored_bytes(app, client) == stored
    assert "Set-Cookie" not in response.headers


def test_the_idle_clock_is_written_once_older_than_its_resolution(app):
    from app import sessions

    client = app.test_client()
    client.get("/")
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    with client.session_transaction() as session:
        session[sessions.SEEN] = time.time() - idle / sessions.SEEN_RESOLUTION - 1
    stored = _stored_bytes(app, client)
    response = client.get("/")
    with client.session_transaction() as session:
        assert session[sessions.SEEN] > time.time() - 5
    assert _stored_bytes(app, client) != stored and "dc_session=" in response.headers["Set-Cookie"]


def test_a_session_is_written_whole_and_private_whatever_the_umask(tmp_path):
    previous = os.umask(0)  # the file's own mode must not depend on the process's umask
    try:
        table = SessionTable(tmp_path / SESSIONS_FILE, idle_timeout=600)
        assert table.set("dc:session:one", b"first", timeout=600)
        assert table.set("dc:session:one", b"second", timeout=600)  # over the previous one
    finally:
        os.umask(previous)
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o600}
    assert table.get("dc:session:one") == b"second" and table.get("dc:session:two") is None
    with sqlite3.connect(tmp_path / SESSIONS_FILE) as db:
        [(expires,)] = db.execute("SELECT expires FROM sessions").fetchall()
    assert time.time() + 590 < expires <= time.time() + 600
    assert table.delete("dc:session:one") and table.get("dc:session:one") is None


@contextlib.contextmanager
def write_locked(path: Path, monkeypatch):
    """A table holding one session (« kept »), and another process holding its write lock past the wait (a full
    disk fails at the commit instead: the same way out). Yields a table opened meanwhile, which waits 50 ms."""
    assert SessionTable(path, idle_timeout=600).set("dc:session:one", b"kept", timeout=600)
    monkeypatch.setattr(SessionTable, "BUSY_TIMEOUT", 0.05)
    waiting = SessionTable(path, idle_timeout=600)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield waiting
    finally:
        blocker.execute("ROLLBACK")
    assert waiting.get("dc:session:one") == b"kept"


def test_a_session_that_cannot_be_written_is_reported_and_the_previous_one_kept(tmp_path, caplog, monkeypatch):
    with write_locked(tmp_path / SESSIONS_FILE, monkeypatch) as writer, caplog.at_level(logging.WARNING):
        assert writer.set("dc:session:one", b"lost", timeout=600) is False
    assert "reason=session_write_failed error=OperationalError" in caplog.text and "dc:session" not in caplog.text


def test_a_session_that_cannot_be_deleted_is_an_error_not_a_silent_success(tmp_path, monkeypatch):
    # A logout or an ended journey whose row stays must not read as done: the session guard turns this into its 503.
    with write_locked(tmp_path / SESSIONS_FILE, monkeypatch) as deleter, pytest.raises(SessionNotSaved):
        deleter.delete("dc:session:one")
    table = SessionTable(tmp_path / SESSIONS_FILE, idle_timeout=600)
    assert table.delete("dc:session:one") and table.get("dc:session:one") is None
