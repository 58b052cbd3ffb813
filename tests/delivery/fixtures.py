"""Realistic dossiers for the renderings, made by the real prefill and content builder (tests may use journeys;
app/delivery may not), from the journeys' test identities and rights."""

from __future__ import annotations

import datetime as dt

from app.journeys.content import build_content
from app.journeys.prefill import prefill
from app.model.dossier import StoredDossier
from app.model.journey import JourneyContext, People
from app.model.organisation import Organisation
from tests.journeys.factories import ANGELA, PIERRE, SIGNED_IN_AT, c2s_ok, cnam_ok, family

CHU = Organisation("chu-demo", "Centre hospitalier de Démonstration", "hopital", "admissions@chu-demo.example",
                   siret="26750045200011")
MUTUELLE = Organisation("mutuelle-demo", "Mutuelle de Démonstration", "mutuelle", "adhesion@mutuelle-demo.example")
STARTED = "2026-11-22T13:00:00+00:00"
SUBMITTED = "2026-11-22T13:10:00+00:00"
CREATED = dt.datetime(2026, 11, 22, 13, 10, 1, tzinfo=dt.UTC)

# What the person typed on the pre-admission form (the certified fields are never read from it).
TYPED = {
    "address": "12 rue des Lilas", "address_complement": "Bâtiment B", "postal_code": "75012", "city": "Paris",
    "phone": "+33612345678", "emergency_name": "Paul DUBOIS", "emergency_phone": "+33698765432",
    "emergency_link": "Frère", "trusted_name": "Marie MARTIN", "trusted_phone": "+33611223344",
    "complementary_name": "Mutuelle des Lilas", "complementary_number": "AD-778899",
    "consent_accuracy": True, "consent_transmission": True,
}


def _dossier(journey: str, organisation: Organisation, content: dict, reference: str) -> StoredDossier:
    return StoredDossier(reference=reference, organisation=organisation.id, journey=journey, status="submitted",
                         created_at=CREATED, content=content)


def preadmission(*, identity=ANGELA, results=None, people=None, declared=None, minor=False,
                 reference="DC-7K3M-Q9P2", signed=True) -> StoredDossier:
    """Angela pre-admits herself (CNAM and C2S certified) unless told otherwise."""
    results = {"c2s": c2s_ok(), "cnam": cnam_ok()} if results is None else results
    people = people or People()
    context = JourneyContext("preadmission", CHU.id, STARTED, ref="ADM-2026-0042", stay_date="2026-12-01",
                             stay_service="Chirurgie orthopédique", signed_in=True, signed=signed,
                             stay_type="hospitalisation_complete")
    values = prefill("preadmission", identity, results, people, signed_in_at=SIGNED_IN_AT)
    content = build_content(organisation=CHU, context=context, prefill=values,
                            declared=TYPED if declared is None else declared, people=people, identity=identity,
                            results=results, available_sources=("c2s", "cnam"), signed_in_at=SIGNED_IN_AT,
                            patient_minor=minor, submitted_at=SUBMITTED)
    return _dossier("preadmission", CHU, content, reference)


def preadmission_of_child() -> StoredDossier:
    """Pierre pre-admits his daughter Jeanne, an ayant droit: two holders of parental authority."""
    declared = {**TYPED, "sex": "F", "birth_place": "Pontoise", "birth_country": "99100", "c2s": "non",
                "guardian1_name": "Pierre DUBOIS", "guardian1_phone": "+33600000001",
                "guardian2_name": "Sophie DUBOIS", "guardian2_phone": "+33600000002",
                "complementary_name": "", "complementary_number": ""}
    return preadmission(identity=PIERRE, results={"cnam": cnam_ok(family())}, people=People("ayant_droit:2"),
                        declared=declared, minor=True, reference="DC-8M4N-R2T5")


def adhesion() -> StoredDossier:
    """Pierre joins a mutuelle for himself, his wife (CNAM) and a partner's child he types in."""
    results = {"c2s": c2s_ok(beneficiary=False), "cnam": cnam_ok(family())}
    people = People(covered=(0,), declared=1)
    context = JourneyContext("adhesion", MUTUELLE.id, STARTED, signed_in=True, signed=True, ref="M-1",
                             offer_code="F2", offer_label="Formule Équilibre", offer_start="2027-01-01")
    values = prefill("adhesion", PIERRE, results, people, signed_in_at=SIGNED_IN_AT)
    declared = {"sex": "M", "address": "3 allée des Tilleuls", "postal_code": "95000", "city": "Cergy",
                "phone": "+33612121212", "start_date": "2027-01-01", "iban": "FR7630006000011234567890189",
                "account_holder": "Pierre DUBOIS", "ben0_link": "enfant", "ben0_birth_name": "LEROY",
                "ben0_first_names": "Emma", "ben0_birth_date": "2016-04-02"}
    content = build_content(organisation=MUTUELLE, context=context, prefill=values, declared=declared,
                            people=people, identity=PIERRE, results=results, available_sources=("c2s", "cnam"),
                            signed_in_at=SIGNED_IN_AT, patient_minor=None, submitted_at=SUBMITTED)
    return _dossier("adhesion", MUTUELLE, content, "DC-9P5Q-S3U6")


def preadmission_with_nothing_certified() -> StoredDossier:
    """Someone pre-admits another person from an unsigned link, no source kept: only what they typed."""
    declared = {"birth_name": "ROUX", "first_names": "Léa", "birth_date": "2001-05-06", "sex": "F",
                "emergency_name": "Jean ROUX", "emergency_phone": "+33600000003", "emergency_link": "Père",
                "c2s": "inconnu"}
    return preadmission(results={}, people=People("other"), declared=declared, signed=False,
                        reference="DC-2A3B-4C5D")
