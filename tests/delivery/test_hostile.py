"""The pull API against a hostile or clumsy client: every refusal is a problem, none is a 500, logs carry no key
and no personal datum."""

from __future__ import annotations

import logging

import pytest

from tests.delivery.conftest import (
    HOSPITAL_KEY,
    HOSPITAL_NEW_KEY,
    MUTUELLE_KEY,
    REVOKED_KEY,
    bearer,
    keyed_registry,
)
from tests.journeys.factories import PIERRE

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["type"] == f"http://localhost/api/v1/docs#problem-{slug}" and body["status"] == status
    assert body["title"] and body["detail"]
    return body


@pytest.mark.parametrize("authorization", [
    None, "", "Basic ZGM6bGl2ZQ==", "Bearer", "Bearer ", "Bearer dc_live_short", "Bearer dc_test_" + "x" * 43,
    f"Bearer {HOSPITAL_KEY} extra", f"Token {HOSPITAL_KEY}", "Bearer " + "dc_live_" + "x" * 600,
])
def test_no_key_or_a_malformed_one_is_a_401(api, submit, authorization):
    reference = submit()
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, url in (("GET", "/api/v1/dossiers"), ("GET", f"/api/v1/dossiers/{reference}"),
                        ("POST", f"/api/v1/dossiers/{reference}/ack")):
        response = api.open(url, method=method, headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused_and_the_remaining_one_works(make_app, tmp_path):
    # The hospital revoked its first key (flask organisations revoke-api-key): only the new one is left.
    overrides = keyed_registry(tmp_path / "registry")
    app = make_app(**overrides)
    client = app.test_client()
    assert client.get("/api/v1/dossiers", headers=bearer(REVOKED_KEY)).status_code == 401
    assert client.get("/api/v1/dossiers", headers=bearer(HOSPITAL_NEW_KEY)).status_code == 200


def test_the_cli_revocation_takes_effect_at_the_next_start(make_app, tmp_path):
    from app.model.organisation import api_key_hash

    overrides = keyed_registry(tmp_path / "registry")
    app = make_app(**overrides)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["organisations", "revoke-api-key", "chu-demo", api_key_hash(HOSPITAL_KEY)[7:20]])
    assert result.exit_code == 0, result.output
    restarted = make_app(**overrides).test_client()
    assert restarted.get("/api/v1/dossiers", headers=bearer(HOSPITAL_KEY)).status_code == 401
    assert restarted.get("/api/v1/dossiers", headers=bearer(HOSPITAL_NEW_KEY)).status_code == 200


def test_another_organisations_dossier_is_the_same_404_as_an_unknown_one(api, api_app, submit):
    theirs = submit("mutuelle-demo")
    unknown = "DC-2222-3333"
    for path in ("/api/v1/dossiers/{}", "/api/v1/dossiers/{}/ack"):
        method = "POST" if path.endswith("ack") else "GET"
        foreign = api.open(path.format(theirs), method=method, headers=bearer(HOSPITAL_KEY))
        missing = api.open(path.format(unknown), method=method, headers=bearer(HOSPITAL_KEY))
        assert assert_problem(foreign, 404, "not-found") == assert_problem(missing, 404, "not-found")
    assert api.get("/api/v1/dossiers", headers=bearer(HOSPITAL_KEY)).json["items"] == []
    mine = api.get(f"/api/v1/dossiers/{theirs}", headers=bearer(MUTUELLE_KEY)).json
    assert mine["status"] == "submitted"  # the hospital's ack did nothing


def test_a_path_that_is_not_a_reference_is_a_404_problem(api):
    assert_problem(api.get("/api/v1/dossiers/not-a-reference", headers=bearer()), 404, "not-found")
    assert_problem(api.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(api.delete("/api/v1/dossiers", headers=bearer()), 405, "method-not-allowed")


@pytest.mark.parametrize("query", ["limit=201", "limit=0", "limit=-1", "limit=many", "status=purged",
                                   "since=yesterday", "since=2026-11-22T13:00:00", "unknown=1", "cursor="])
def test_bad_query_parameters_are_a_400(api, query):
    body = assert_problem(api.get(f"/api/v1/dossiers?{query}", headers=bearer()), 400, "invalid-request")
    assert body["errors"]


def test_a_forged_or_moved_cursor_is_a_400(api, submit):
    for _ in range(3):
        submit()
    submit("mutuelle-demo")
    cursor = api.get("/api/v1/dossiers?limit=1", headers=bearer()).json["next_cursor"]
    payload, mac = cursor.split(".")
    forged = [
        "garbage", "a.b", "é.é", payload + "." + mac[:-2] + ("AA" if not mac.endswith("AA") else "BB"),
        payload[:-2] + "xx." + mac, cursor + ".x",
    ]
    for bad in forged:
        assert_problem(api.get("/api/v1/dossiers", query_string={"cursor": bad}, headers=bearer()), 400,
                       "invalid-cursor")
    # A genuine cursor, with other filters or by another organisation, is refused too.
    assert_problem(api.get(f"/api/v1/dossiers?cursor={cursor}&status=submitted", headers=bearer()), 400,
                   "invalid-cursor")
    assert_problem(api.get(f"/api/v1/dossiers?cursor={cursor}", headers=bearer(MUTUELLE_KEY)), 400,
                   "invalid-cursor")
    assert api.get(f"/api/v1/dossiers?limit=1&cursor={cursor}", headers=bearer()).status_code == 200


@pytest.mark.parametrize(("path", "accept"), [
    ("/api/v1/dossiers", "text/html"), ("/api/v1/dossiers", "application/fhir+json"),
    ("/api/v1/dossiers/{}", "application/xml"), ("/api/v1/dossiers/{}", "text/plain"),
])
def test_a_wrong_accept_is_a_406(api, submit, path, accept):
    reference = submit()
    assert_problem(api.get(path.format(reference), headers={**bearer(), "Accept": accept}), 406, "not-acceptable")


def test_brute_force_is_stopped_per_client_address(api, submit):
    submit()
    for number in range(10):
        key = "dc_live_" + f"{number:02d}" + "g" * 41
        assert api.get("/api/v1/dossiers", headers=bearer(key)).status_code == 401
    blocked = api.get("/api/v1/dossiers", headers=bearer("dc_live_" + "z" * 43))
    assert_problem(blocked, 429, "too-many-requests")
    assert int(blocked.headers["Retry-After"]) > 0
    # Even a good key waits: the address is what is blocked, for the rest of the window.
    assert api.get("/api/v1/dossiers", headers=bearer()).status_code == 429
    other = api.get("/api/v1/dossiers", headers=bearer(), environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200


def test_each_key_has_its_own_rate_limit(make_app, tmp_path):
    client = make_app(API_RATE_LIMIT="3 per minute", **keyed_registry(tmp_path / "registry")).test_client()
    for _ in range(3):
        assert client.get("/api/v1/dossiers", headers=bearer()).status_code == 200
    assert_problem(client.get("/api/v1/dossiers", headers=bearer()), 429, "too-many-requests")
    assert client.get("/api/v1/dossiers", headers=bearer(MUTUELLE_KEY)).status_code == 200


def test_logs_carry_no_key_and_no_personal_datum(api, submit, caplog):
    caplog.set_level(logging.DEBUG)
    reference = submit()
    api.get("/api/v1/dossiers", headers=bearer())
    api.get(f"/api/v1/dossiers/{reference}", headers=bearer())
    api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(), "Accept": "application/fhir+json"})
    api.post(f"/api/v1/dossiers/{reference}/ack", headers=bearer())
    api.get("/api/v1/dossiers", headers=bearer(REVOKED_KEY))
    api.get("/api/v1/dossiers", headers={"Authorization": "Bearer dc_live_short"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert reference in text and "reason=unknown" in text and "reason=malformed" in text
    for secret in (HOSPITAL_KEY, REVOKED_KEY, "dc_live_short", HOSPITAL_KEY[8:24], PIERRE.family_name,
                   PIERRE.given_name, PIERRE.birthdate, "Pédiatrie"):
        assert secret not in text


def test_a_failing_rendering_is_a_500_problem_that_logs_no_content(api, submit, monkeypatch, caplog):
    from app.delivery import fhir

    def broken(dossier, organisation):
        raise ValueError(f"cannot render {dossier.content['declarant']['birth_name']['value']}")

    monkeypatch.setattr(fhir, "to_fhir_bundle", broken)
    reference = submit()
    response = api.get(f"/api/v1/dossiers/{reference}", headers={**bearer(), "Accept": "application/fhir+json"})
    assert_problem(response, 500, "internal-error")
    assert PIERRE.family_name not in response.get_data(as_text=True)
    assert "type=ValueError" in caplog.text and PIERRE.family_name not in caplog.text
