"""The session store holds ciphertext only: a raw dump of the files or of Redis mid-journey shows no personal datum;
keys rotate; an unreadable value is an empty session; abandoned files are purged; nothing personal outlives the
journey or the logout."""

from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import stat
import struct
import time
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet, InvalidToken

from app.session_store import SessionFiles
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


def session_files(app) -> list[Path]:
    return sorted(p for p in (Path(app.instance_path) / "sessions").iterdir() if p.is_file())


def revealed(dump: bytes) -> list[str]:
    text = dump.lower()
    return [datum for datum in PERSONAL if datum.lower().encode() in text]


def test_a_dump_of_the_session_files_mid_journey_reveals_nothing(make_app):
    app = journeys_app(make_app)
    client = app.test_client()
    mid_journey(client)
    dump = b"".join(path.read_bytes() for path in session_files(app))
    assert dump and revealed(dump) == []
    # The dump is not empty of the journey: it is there, encrypted with the instance folder's development key.
    key = (Path(app.instance_path) / "session_keys").read_text().strip()
    [path] = session_files(app)
    assert revealed(Fernet(key).decrypt(path.read_bytes()[4:])) == PERSONAL


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
    [path] = session_files(rotated)
    token = path.read_bytes()[4:]
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


def test_a_tampered_session_file_is_an_empty_session_not_an_error(make_app, caplog):
    app = journeys_app(make_app)
    client = app.test_client()
    mid_journey(client)
    [path] = session_files(app)
    data = bytearray(path.read_bytes())
    data[40] = ord("A") if data[40] != ord("A") else ord("B")  # one byte of the ciphertext changed
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="app.session_store"):
        response = client.get(f"{MUTUELLE}/verification")
    assert response.status_code == 303 and "/verification" not in response.headers["Location"]
    assert "reason=invalid_token" in caplog.text
    assert not path.exists()  # the unreadable value is deleted, not retried on every request
    assert session_of(client).draft is None


UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)


class Planted:
    def __reduce__(self):
        return _record_unpickling, ()


def test_a_planted_pickle_is_never_loaded(make_app, caplog):
    # Sessions written by an earlier release were pickles; a file planted in the folder must not run code.
    app = journeys_app(make_app)
    client = app.test_client()
    client.get("/")
    [path] = session_files(app)
    path.write_bytes(struct.pack("I", int(time.time()) + 600) + pickle.dumps({"identity": Planted()}))
    with caplog.at_level(logging.WARNING, logger="app.session_store"):
        assert client.get(f"{MUTUELLE}/personnes").status_code == 303
    assert UNPICKLED == [] and "reason=invalid_token" in caplog.text


def test_session_files_are_private(make_app):
    previous = os.umask(0o022)
    try:
        app = journeys_app(make_app)
        mid_journey(app.test_client())
    finally:
        os.umask(previous)
    folder = Path(app.instance_path) / "sessions"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in session_files(app)} == {0o600}


def test_purge_deletes_the_abandoned_session_files_only(make_app):
    app = journeys_app(make_app, SESSION_IDLE_TIMEOUT=600)
    abandoned, active = app.test_client(), app.test_client()
    mid_journey(abandoned)
    mid_journey(active)
    files = SessionFiles(Path(app.instance_path) / "sessions", idle_timeout=600)
    abandoned_file = Path(files._get_filename(f"dc:session:{abandoned.get_cookie('dc_session').value}"))
    with abandoned_file.open("r+b") as file:  # its idle timeout passed a minute ago
        file.write(struct.pack("I", int(time.time()) - 60))

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])
    assert result.exit_code == 0 and "deleted 1 expired session(s)" in result.output
    assert not abandoned_file.exists()
    assert session_of(active).draft is not None
    # Past everyone's idle timeout, nothing is left.
    assert files.purge_expired(now=time.time() + 601) == 1 and session_files(app) == []


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
    [path] = session_files(app)
    plain = key.decrypt(path.read_bytes()[4:])
    assert revealed(plain) == [] and b"journey_receipt" in plain  # the receipt and the ID token for logout

    receipt = client.get(f"{MUTUELLE}/recepisse").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(receipt)}, follow_redirects=True)
    leftovers = b"".join(key.decrypt(p.read_bytes()[4:]) for p in session_files(app))
    assert revealed(leftovers) == [] and b"id-token" not in leftovers and b"journey_receipt" not in leftovers


# ---- writes: only a changed session is stored


def _stored_bytes(app, client) -> bytes:
    interface = app.session_interface.inner
    store_id = interface._get_store_id(client.get_cookie("dc_session").value)
    return Path(interface.cache._get_filename(store_id)).read_bytes()


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


def test_a_session_file_is_written_whole_private_and_without_leftovers(tmp_path):
    files = SessionFiles(tmp_path / "sessions", idle_timeout=600)
    previous = os.umask(0)  # the file's own mode must not depend on the process's umask
    try:
        assert files.set("dc:session:one", b"first", timeout=600)
        assert files.set("dc:session:one", b"second", timeout=600)  # over the previous one
    finally:
        os.umask(previous)
    (written,) = session_files_in(tmp_path / "sessions")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert files.get("dc:session:one") == b"second"
    (expires,) = struct.unpack("I", written.read_bytes()[:4])
    assert time.time() + 590 < expires <= time.time() + 600


def test_a_session_file_that_cannot_be_written_is_reported_and_leaves_nothing(tmp_path, caplog):
    files = SessionFiles(tmp_path / "sessions", idle_timeout=600)
    assert files.set("dc:session:one", b"kept", timeout=600)
    # Something in the way of the rename (a full disk fails at the write instead): the same path out.
    blocked = Path(files._get_filename("dc:session:two"))
    blocked.mkdir()
    (blocked / "inside").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        assert files.set("dc:session:two", b"lost", timeout=600) is False
    assert "reason=session_write_failed error=" in caplog.text and "dc:session" not in caplog.text
    assert files.get("dc:session:one") == b"kept"
    kept = Path(files._get_filename("dc:session:one")).name
    assert [p.name for p in session_files_in(tmp_path / "sessions")] == [kept]


def session_files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())
