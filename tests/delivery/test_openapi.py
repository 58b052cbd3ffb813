"""schemathesis against the OpenAPI document the app serves: with a valid API key, no request it generates ends in
a 500, and every response conforms to the document (status, media type, headers, body). Then the same checks on
stored dossiers, which random references never hit: every representation, and the acknowledgement."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.delivery.conftest import MUTUELLE_KEY, bearer, keyed_registry
from tests.delivery.test_attachments_api import submit_with_file

EXAMPLES = 40  # per operation: the whole file stays within a few seconds


@pytest.fixture
def api_app(make_app, tmp_path):
    # Generous rate limits: the point here is conformance, not throttling (test_hostile.py covers that), and
    # schemathesis's own checks send requests without a key or with a bad one.
    return make_app(API_RATE_LIMIT="100000 per minute", API_AUTH_FAILURE_LIMIT="100000 per minute",
                    **keyed_registry(tmp_path / "registry"))


def test_the_api_conforms_to_its_openapi_document(api_app):
    document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in document.get_all_operations()]
    assert len(operations) == 4
    # Schema-valid requests (positive) and schema-invalid ones (negative, which must be refused with a 4xx).

    for operation, mode in itertools.product(operations, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def conforms(case):
            # Any string is a schema-valid cursor, but only one this service issued is a valid one (a 400 otherwise):
            # that check alone is left out for requests carrying a cursor.
            excluded = [positive_data_acceptance] if "cursor" in (case.query or {}) else []
            case.call_and_validate(headers=bearer(), excluded_checks=excluded)

        conforms()


def test_stored_dossiers_conform_in_every_representation(api_app, submit):
    document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    hospital, mutuelle = submit(), submit("mutuelle-demo")
    read = document["/api/v1/dossiers/{reference}"]["GET"]
    for reference, key, media_types in (
        (hospital, None, ("application/json", "application/fhir+json", "application/hl7-v2",
                          "x-application/hl7-v2+er7")),
        (mutuelle, MUTUELLE_KEY, ("application/json", "application/fhir+json", "application/hl7-v2")),
    ):
        for media_type in media_types:
            case = read.Case(path_parameters={"reference": reference})
            response = case.call_and_validate(headers={**bearer(key or bearer()["Authorization"][7:]),
                                                       "Accept": media_type})
            assert response.status_code in (200, 406)
    listing = document["/api/v1/dossiers"]["GET"].Case(query={"limit": 1})
    assert listing.call_and_validate(headers=bearer()).json()["next_cursor"] is None
    with_file, attachment = submit_with_file(api_app)
    download = document["/api/v1/dossiers/{reference}/attachments/{attachment_id}"]["GET"].Case(
        path_parameters={"reference": with_file, "attachment_id": attachment.id})
    assert download.call_and_validate(headers=bearer()).content.startswith(b"%PDF-")
    ack = document["/api/v1/dossiers/{reference}/ack"]["POST"].Case(path_parameters={"reference": hospital})
    for _ in range(2):
        assert ack.call_and_validate(headers=bearer()).json()["status"] == "delivered"
