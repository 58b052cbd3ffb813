"""The API's small parts on their own: key checks, cursors, problem details, settings, the Redis-backed limiter."""

from __future__ import annotations

import datetime as dt

import pytest

from app.config_values import ConfigError
from app.delivery import auth, problems
from app.delivery.cursor import CursorSigner, InvalidCursor, Position
from app.delivery.settings import load_delivery_settings
from app.model.organisation import Organisation, api_key_hash
from tests.delivery.conftest import HOSPITAL_KEY, MUTUELLE_KEY, bearer, keyed_registry

CHU = Organisation("chu-x", "CHU X", "hopital", "a@x.example", api_key_hashes=(api_key_hash(HOSPITAL_KEY),))
MUTUELLE = Organisation("mut-x", "Mutuelle X", "mutuelle", "a@y.example", api_key_hashes=(api_key_hash(MUTUELLE_KEY),))
SCOPE = {"organisation": "chu-x", "status": None, "since": None}
POSITION = Position(dt.datetime(2026, 11, 22, 13, 10, tzinfo=dt.UTC), "DC-2222-3333")


@pytest.mark.parametrize(("authorization", "organisation", "reason"), [
    (f"Bearer {HOSPITAL_KEY}", "chu-x", ""),
    (f"bearer   {MUTUELLE_KEY}", "mut-x", ""),
    (None, None, "missing"),
    ("Bearer dc_live_" + "q" * 43, None, "unknown"),
    (f"Basic {HOSPITAL_KEY}", None, "malformed"),
    (f"Bearer {HOSPITAL_KEY}x!", None, "malformed"),
])
def test_a_key_names_its_one_organisation(authorization, organisation, reason):
    outcome = auth.authenticate(authorization, [CHU, MUTUELLE])
    assert (outcome.organisation.id if outcome.organisation else None, outcome.reason) == (organisation, reason)


def test_a_key_two_organisations_share_is_refused():
    twin = Organisation("chu-y", "CHU Y", "hopital", "a@z.example", api_key_hashes=CHU.api_key_hashes)
    assert auth.authenticate(f"Bearer {HOSPITAL_KEY}", [CHU, twin]).reason == "ambiguous"


def test_the_limiter_names_a_key_by_a_short_hash_only():
    label = auth.key_label(f"Bearer {HOSPITAL_KEY}")
    assert label.startswith("key:") and HOSPITAL_KEY[8:] not in label and len(label) == 20
    assert auth.key_label(None) is None


def test_a_cursor_round_trips_within_its_scope_only():
    signer = CursorSigner("secret-" + "s" * 40)
    cursor = signer.encode(POSITION, scope=SCOPE)
    assert signer.decode(cursor, scope=SCOPE) == POSITION
    with pytest.raises(InvalidCursor):
        signer.decode(cursor, scope={**SCOPE, "organisation": "mut-x"})
    with pytest.raises(InvalidCursor):
        CursorSigner("another-secret-" + "s" * 40).decode(cursor, scope=SCOPE)
    with pytest.raises(InvalidCursor):
        signer.decode("x" * 600, scope=SCOPE)


def test_a_problem_has_a_stable_type_and_keeps_the_error_headers():
    from werkzeug.exceptions import MethodNotAllowed

    answer = problems.from_http_exception("https://dc.example/", MethodNotAllowed(valid_methods=["GET"]))
    assert answer.mimetype == "application/problem+json" and answer.headers["Allow"] == "GET"
    assert answer.json == {"type": "https://dc.example/api/v1/docs#problem-method-not-allowed",
                           "title": "Method not allowed", "status": 405,
                           "detail": "This path does not accept this method."}


def test_rate_limits_are_checked_at_start():
    assert load_delivery_settings({}).rate_limit == "120 per minute"
    assert load_delivery_settings({"API_AUTH_FAILURE_LIMIT": "5/second"}).auth_failure_limit == "5/second"
    with pytest.raises(ConfigError, match="API_RATE_LIMIT"):
        load_delivery_settings({"API_RATE_LIMIT": "lots"})


@pytest.mark.services
def test_limits_are_shared_through_redis_when_configured(make_app, tmp_path, redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("LIMITS:LIMITER/dc:ratelimit/*"):
        client.delete(key)
    overrides = {"REDIS_URL": redis_url, "API_RATE_LIMIT": "2 per minute", **keyed_registry(tmp_path / "r")}
    first, second = make_app(**overrides).test_client(), make_app(**overrides).test_client()
    assert first.get("/api/v1/dossiers", headers=bearer()).status_code == 200
    assert second.get("/api/v1/dossiers", headers=bearer()).status_code == 200
    # Two workers, one count: the third request is refused whichever worker gets it.
    assert first.get("/api/v1/dossiers", headers=bearer()).status_code == 429
    assert any(client.scan_iter("LIMITS:LIMITER/dc:ratelimit/*"))
    for key in client.scan_iter("LIMITS:LIMITER/dc:ratelimit/*"):
        client.delete(key)
