"""The C2S connector on API Particulier's own staging payloads (etalab/siade_staging_data, vendored under
tests/vendor/api_particulier with their commit): each answer gives what the payload says."""

from __future__ import annotations

import datetime as dt

import pytest

from app.connectors import api_particulier as A
from tests.connectors.test_api_particulier import URL, fetch, http  # noqa: F401 (the fixture)
from tests.sandbox.published import staging_payloads

CASES = {f"{folder}/{name}": case for folder in ("staging", "staging_identite")
         for name, case in staging_payloads(folder).items()}
# The published error codes → the connector's outcome (README, "What the providers' answers become").
ERRORS = {"00100": A.ApiParticulierForbidden, "00366": A.ApiParticulierNotFound, "00429": A.ApiParticulierRateLimited,
          "37002": A.ApiParticulierUnavailable, "37003": A.ApiParticulierNotFound,
          "37999": A.ApiParticulierUnavailable}


def test_the_france_connect_routes_payloads_are_all_here():
    # The FranceConnect route's own folder: three beneficiaries and one unknown person.
    assert sorted(n for n in CASES if n.startswith("staging/")) == [
        "staging/404.yaml", "staging/fake_france_connect_cnaf.yml", "staging/fake_france_connect_cnaf_2.yml",
        "staging/france_connect_cnaf.yml"]


@pytest.mark.parametrize("name", sorted(n for n, case in CASES.items() if case["status"] == 200))
def test_each_published_status_reads_as_published(http, clock, mocked_responses, name):  # noqa: F811
    case = CASES[name]
    mocked_responses.get(URL, body=case["raw"], status=200, content_type="application/json")
    data = case["payload"]["data"]
    status = fetch(http, clock)
    assert status.is_beneficiary is data["est_beneficiaire"]
    # Not a beneficiary: staging sends false, the document says null; both mean "not applicable" (A.6).
    assert status.with_participation == (data["avec_participation"] if data["est_beneficiaire"] else None)
    start = data["date_debut_droit"]
    assert status.start_date == (dt.date.fromisoformat(start) if start else None)


@pytest.mark.parametrize("name", sorted(n for n, case in CASES.items() if case["status"] != 200))
def test_each_published_error_becomes_its_outcome(http, clock, mocked_responses, name):  # noqa: F811
    case = CASES[name]
    mocked_responses.get(URL, body=case["raw"], status=case["status"], content_type="application/json")
    (error,) = case["payload"]["errors"]
    with pytest.raises(A.ApiParticulierError) as raised:
        fetch(http, clock)
    assert type(raised.value) is ERRORS[error["code"]]
    assert (raised.value.status_code, raised.value.error_code) == (case["status"], error["code"])
    for text in (error["title"], error["detail"]):
        assert text not in str(raised.value)  # codes only, never the provider's text

