"""API Particulier C2S connector: request, documented payloads, status → outcome table, strict parsing."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import requests
import responses

from app import outbound
from app.connectors import api_particulier
from app.model.rights import C2SStatus
from tests.connectors import API_PARTICULIER_BASE, make_http
from tests.connectors import payloads as p

URL = API_PARTICULIER_BASE + "/v3/dss/complementaire_sante_solidaire/france_connect"
SIRET = "13002526500013"
TOKEN = "fc-access-token-0123456789abcdef"



@pytest.fixture
def http(clock):
    client = make_http(clock, provider="api_particulier")
    yield client
    client.close()



def fetch(http, clock, token=TOKEN, recipient=SIRET):
    return api_particulier.fetch_c2s_status(
        http, access_token=token, recipient=recipient, deadline=outbound.Deadline.after(10, clock)
    )


def refused(http, clock, error):
    with pytest.raises(error) as exc:
        fetch(http, clock)
    return exc.value


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (p.C2S_FREE, C2SStatus(True, False, dt.date(2023, 2, 1))),
        (p.C2S_WITH_PARTICIPATION, C2SStatus(True, True, dt.date(2023, 6, 1))),
        (p.C2S_NOT_BENEFICIARY, C2SStatus(False, None, None)),
    ],
)
def test_documented_payloads(http, clock, mocked_responses, payload, expected):
    mocked_responses.get(URL, json=payload)
    status = fetch(http, clock)
    assert status == expected
    assert status.participation_reliable is False  # A.6 data-quality alert


def test_the_request_carries_only_the_recipient_and_the_fc_token(http, clock, mocked_responses):
    mocked_responses.get(URL, json=p.C2S_FREE)
    fetch(http, clock)
    (call,) = mocked_responses.calls
    assert call.request.url == URL + "?recipient=" + SIRET
    assert call.request.headers["Authorization"] == "Bearer " + TOKEN
    assert call.request.headers["Accept"] == "application/json"
    assert not {"X-Api-Key", "Cookie", "Cache-Control"} & set(call.request.headers)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"est_beneficiaire": False, "avec_participation": None, "date_debut_droit": None}, (False, None, None)),
        ({"est_beneficiaire": False}, (False, None, None)),
        ({"est_beneficiaire": True, "avec_participation": None, "date_debut_droit": None}, (True, None, None)),
        ({"est_beneficiaire": True, "avec_participation": False, "date_debut_droit": "2024-01-31", "new": 1},
         (True, False, dt.date(2024, 1, 31))),
    ],
)
def test_tolerated_variants(http, clock, mocked_responses, data, expected):
    mocked_responses.get(URL, json={"data": data, "links": {}, "meta": {}, "extra": "ignored"})
    status = fetch(http, clock)
    assert (status.is_beneficiary, status.with_participation, status.start_date) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"est_beneficiaire": "true", "avec_participation": False, "date_debut_droit": None}},
        {"data": {"est_beneficiaire": 1, "avec_participation": False, "date_debut_droit": None}},
        {"data": {"avec_participation": False, "date_debut_droit": None}},  # scope masked the attributes
        {"data": {"est_beneficiaire": True, "avec_participation": "false", "date_debut_droit": None}},
        {"data": {"est_beneficiaire": True, "avec_participation": 0, "date_debut_droit": None}},
        {"data": {"est_beneficiaire": True, "avec_participation": True, "date_debut_droit": "01/06/2023"}},
        {"data": {"est_beneficiaire": True, "avec_participation": True, "date_debut_droit": "2023-02-30"}},
        {"data": {"est_beneficiaire": True, "avec_participation": True, "date_debut_droit": 20230601}},
        {"data": {"est_beneficiaire": True, "avec_participation": True, "date_debut_droit": "2023-06-01T00:00:00"}},
        {"data": {"est_beneficiaire": False, "avec_participation": True, "date_debut_droit": None}},  # contradiction
        {"data": None},
        {"data": []},
        p.C2S_V2_WITH_PARTICIPATION,  # a v2 body on the v3 route
        p.C2S_V2_NOT_BENEFICIARY,
        [p.C2S_FREE],
    ],
)
def test_wrong_shapes_are_invalid_responses(http, clock, mocked_responses, body):
    mocked_responses.get(URL, json=body)
    error = refused(http, clock, api_particulier.ApiParticulierInvalidResponse)
    assert error.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>Maintenance</body></html>", "text/html"),  # a portal or proxy page with a 200
        (json.dumps(p.C2S_FREE), "text/html"),
        (json.dumps(p.C2S_FREE), "text/plain"),
        ("{not json", "application/json"),
        ('{"data": {"est_beneficiaire": NaN}}', "application/json"),
        ("", "application/json"),
    ],
)
def test_non_json_bodies_are_invalid_responses(http, clock, mocked_responses, body, content_type):
    mocked_responses.get(URL, body=body, content_type=content_type)
    error = refused(http, clock, api_particulier.ApiParticulierInvalidResponse)
    assert error.__cause__ is None and error.__suppress_context__  # the decode error holds the body


A = api_particulier


@pytest.mark.parametrize(
    ("status", "body", "error", "code", "kind"),
    [
        (401, p.ERROR_401_FC_TOKEN, A.ApiParticulierTokenRefused, "50002", None),
        (403, p.ERROR_403, A.ApiParticulierForbidden, "00100", None),
        (404, p.ERROR_404_RNCPS, A.ApiParticulierNotFound, "40003", None),
        (404, p.ERROR_404_CNAF_MSA, A.ApiParticulierNotFound, "35003", None),
        (404, p.ERROR_404_CNAV, A.ApiParticulierNotFound, "37003", None),
        (404, p.V2_ERROR_404, A.ApiParticulierNotFound, None, "not_found"),
        (404, "<html>Not Found</html>", A.ApiParticulierInvalidResponse, None, None),  # not the provider's 404
        (409, p.ERROR_409, A.ApiParticulierConflict, "00015", None),
        (422, p.ERROR_422, A.ApiParticulierUnprocessable, "00203", None),
        (422, p.ERROR_422_NOT_IDENTIFIED, A.ApiParticulierNotFound, "00366", None),
        (422, p.v3_error("00999", "Entité non traitable", "?"), A.ApiParticulierUnprocessable, "00999", None),
        (400, p.V2_ERROR_400, A.ApiParticulierUnprocessable, None, "bad_request"),
        (429, p.ERROR_429, A.ApiParticulierRateLimited, "00429", None),
        (500, {}, A.ApiParticulierUnavailable, None, None),
        (502, p.ERROR_502_CNAV, A.ApiParticulierUnavailable, "37999", None),
        (503, p.V2_ERROR_503, A.ApiParticulierUnavailable, None, "network_error"),
        (504, p.ERROR_504_TIMEOUT, A.ApiParticulierUnavailable, "37002", None),
        (504, p.V2_ERROR_504, A.ApiParticulierUnavailable, None, "gateway_timeout"),
        (204, "", A.ApiParticulierInvalidResponse, None, None),
    ],
)
def test_status_to_outcome(http, clock, mocked_responses, status, body, error, code, kind):
    if isinstance(body, str):
        mocked_responses.get(URL, status=status, body=body, content_type="text/html")
    else:
        mocked_responses.get(URL, status=status, json=body)
    raised = refused(http, clock, error)
    assert type(raised) is error
    assert (raised.status_code, raised.error_code, raised.error_kind) == (status, code, kind)
    assert "allocataire" not in str(raised).lower() and "jeton" not in str(raised).lower()  # codes only


@pytest.mark.parametrize(
    "body",
    [
        {"errors": [{"code": "5000", "title": "t", "detail": "d"}]},
        {"errors": [{"code": "500021", "title": "t", "detail": "d"}]},
        {"errors": [{"code": 50002, "title": "t", "detail": "d"}]},
        {"errors": [{"code": "50002\n", "title": "t", "detail": "d"}]},
        {"errors": ["50002"]},
        {"errors": []},
        {"error": "Not Found With Spaces"},
        {"error": 404},
        "not an object",
    ],
)
def test_malformed_error_envelopes_give_no_code(http, clock, mocked_responses, body):
    mocked_responses.get(URL, status=401, json=body)
    raised = refused(http, clock, A.ApiParticulierTokenRefused)
    assert (raised.error_code, raised.error_kind) == (None, None)


def test_429_carries_retry_after_without_sleeping_and_blocks_the_next_call(http, clock, mocked_responses):
    mocked_responses.get(URL, status=429, json=p.ERROR_429, headers={"Retry-After": "3600"})
    raised = refused(http, clock, A.ApiParticulierRateLimited)
    assert raised.retry_after == 3600.0 and clock.sleeps == []
    raised = refused(http, clock, A.ApiParticulierRateLimited)
    assert raised.status_code is None and raised.retry_after == pytest.approx(3600.0)
    assert len(mocked_responses.calls) == 1


def test_gateway_errors_are_retried_before_giving_up(http, clock, mocked_responses):
    mocked_responses.get(URL, status=502, json=p.ERROR_502_CNAV)
    mocked_responses.get(URL, json=p.C2S_FREE)
    assert fetch(http, clock).is_beneficiary
    assert len(mocked_responses.calls) == 2


@pytest.mark.parametrize(
    ("mock", "error", "reason"),
    [
        ({"body": requests.ReadTimeout("slow")}, A.ApiParticulierUnavailable, "timeout"),
        ({"body": requests.ConnectionError("refused")}, A.ApiParticulierUnavailable, "connection_error"),
        ({"status": 302, "headers": {"Location": "https://evil.example/"}}, A.ApiParticulierInvalidResponse,
         "redirect_refused"),
        ({"json": p.C2S_FREE, "headers": {"Content-Length": str(2 * 1024 * 1024)}},
         A.ApiParticulierInvalidResponse, "too_large"),
    ],
)
def test_transport_outcomes(http, clock, mocked_responses, mock, error, reason):
    mocked_responses.get(URL, **mock)
    raised = refused(http, clock, error)
    assert str(raised) == reason and isinstance(raised.__cause__, outbound.OutboundError)


def test_an_open_circuit_fails_fast(clock, mocked_responses):
    http = make_http(clock, breaker_threshold=1)
    mocked_responses.get(URL, status=500)
    refused(http, clock, A.ApiParticulierUnavailable)
    assert str(refused(http, clock, A.ApiParticulierUnavailable)) == "circuit_open"
    assert len(mocked_responses.calls) == 1
    http.close()


@pytest.mark.parametrize(
    ("token", "recipient"),
    [
        ("", SIRET), ("abc\r\nX-Injected: 1", SIRET), ("abc def", SIRET),
        (TOKEN, "1300252650001"), (TOKEN, 13002526500013), (TOKEN, SIRET + "\n"), (TOKEN, "130025265OOO13"),
    ],
)
def test_bad_inputs_never_reach_the_network(http, clock, mocked_responses, token, recipient):
    with pytest.raises(ValueError) as exc:
        fetch(http, clock, token=token, recipient=recipient)
    assert "abc" not in str(exc.value) and "Injected" not in str(exc.value)
    assert len(mocked_responses.calls) == 0


def test_status_survives_the_session_and_hides_its_values():
    status = C2SStatus(True, True, dt.date(2023, 6, 1))
    stored = json.loads(json.dumps(status.to_dict()))
    assert stored == {"is_beneficiary": True, "with_participation": True, "start_date": "2023-06-01",
                      "participation_reliable": False}
    assert C2SStatus.from_dict(stored) == status
    assert repr(status) == "C2SStatus(participation_reliable=False)"


def test_logs_hold_no_token_nor_rights(http, clock, mocked_responses, caplog):
    caplog.set_level(logging.DEBUG, logger="app")  # an answered call is a debug line
    mocked_responses.get(URL, json=p.C2S_WITH_PARTICIPATION)
    status = fetch(http, clock)
    mocked_responses.replace(responses.GET, URL, status=404, json=p.ERROR_404_CNAV)
    with pytest.raises(A.ApiParticulierNotFound):
        fetch(http, clock)
    assert "path=/v3/dss/complementaire_sante_solidaire/france_connect status=200" in caplog.text
    for secret in (TOKEN, SIRET, "2023-06-01", "avec_participation", "Dossier allocataire", repr(status.start_date)):
        assert secret not in caplog.text
