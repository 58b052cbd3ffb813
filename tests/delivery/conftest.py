"""Fixtures of the delivery room's tests.

Webhooks: a migrated database (SQLite and PostgreSQL), its outbox, and an organisation whose webhook is a loopback
receiver. Pull API: the demo registry with API keys (two for the hospital, to rotate), an app serving it, and
dossiers stored straight through the store."""

from __future__ import annotations

import base64
import itertools

import pytest

from app.delivery.webhooks.sender import WebhookSender
from app.delivery.webhooks.settings import WebhookSettings
from app.dossiers.outbox import Outbox
from app.extensions import services
from app.journeys.content import build_content
from app.journeys.prefill import prefill
from app.model.journey import JourneyContext, People
from app.model.organisation import Organisation, Webhook, api_key_hash
from tests.journeys.factories import PIERRE, SIGNED_IN_AT, c2s_ok, cnam_ok, family
from tests.portal import demo_registry

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()






@pytest.fixture
def outbox(engine, clock) -> Outbox:
    return Outbox(engine, clock=clock)


def settings(**changes) -> WebhookSettings:
    values = {"max_attempts": 8, "backoff_base": 60, "backoff_cap": 6 * 3600, "timeout": 1.0,
              "queue": "immediate", "workers": 1}
    values.update(changes)
    return WebhookSettings(**values)


def organisation(url: str, secret: str = SECRET) -> Organisation:
    return Organisation(id="chu-demo", name="CHU de Démonstration", kind="hopital", contact="dpo@chu.test",
                        webhook=Webhook(url=url, secret=secret))


def sender_for(outbox: Outbox, url: str | None, clock, **changes) -> WebhookSender:
    organisations = {"chu-demo": organisation(url)} if url else {}
    return WebhookSender(outbox, organisations, settings(**changes), clock=clock, rng=lambda: 0.0)


HOSPITAL_KEY = "dc_live_" + "h" * 43
HOSPITAL_NEW_KEY = "dc_live_" + "n" * 43  # a rotation: both are active
MUTUELLE_KEY = "dc_live_" + "m" * 43
REVOKED_KEY = "dc_live_" + "r" * 43  # was the hospital's; not in the registry any more
KEYS = {"chu-demo": [HOSPITAL_KEY, HOSPITAL_NEW_KEY], "mutuelle-demo": [MUTUELLE_KEY]}
SUBMITTED_AT = "2026-11-22T13:10:00+00:00"


def keyed_registry(directory, **changes) -> dict:
    return demo_registry(directory, per_organisation={
        slug: {"api_key_hashes": [api_key_hash(key) for key in keys]} for slug, keys in KEYS.items()}, **changes)


def bearer(key: str = HOSPITAL_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def content_of(journey: str) -> dict:
    """A dossier's content as a journey builds it (app/journeys/content.py)."""
    organisation = (Organisation("chu-demo", "Centre hospitalier de Démonstration", "hopital", "a@chu.example")
                    if journey == "preadmission" else
                    Organisation("mutuelle-demo", "Mutuelle de Démonstration", "mutuelle", "a@mutuelle.example"))
    results = {"c2s": c2s_ok(), "cnam": cnam_ok(family())}
    people = People(patient="ayant_droit:1") if journey == "preadmission" else People(covered=(0, 1), declared=1)
    context = JourneyContext(journey, organisation.id, "2026-11-22T13:00:00+00:00", ref="ADM-1",
                             stay_date="2026-12-01", stay_service="Pédiatrie", offer_code="ESS",
                             offer_label="Essentiel", offer_start="2027-01-01", signed_in=True, signed=True)
    values = prefill(journey, PIERRE, results, people, signed_in_at=SIGNED_IN_AT)
    declared = {"sex": "F", "c2s": "inconnu"} if journey == "preadmission" else {
        "ben0_first_names": "Paul", "ben0_birth_name": "MERCIER", "ben0_link": "enfant"}
    return build_content(organisation=organisation, context=context, prefill=values, declared=declared,
                         people=people, identity=PIERRE, results=results, available_sources=("c2s", "cnam"),
                         signed_in_at=SIGNED_IN_AT, patient_minor=True, submitted_at=SUBMITTED_AT)


@pytest.fixture
def api_app(make_app, tmp_path):
    return make_app(**keyed_registry(tmp_path / "registry"))


@pytest.fixture
def api(api_app):
    return api_app.test_client()


@pytest.fixture
def submit(api_app):
    """Store a dossier as a journey would; returns its reference."""
    counter = itertools.count()

    def submit_one(organisation: str = "chu-demo") -> str:
        journey = "preadmission" if organisation == "chu-demo" else "adhesion"
        store = services(api_app).dossiers
        return store.submit(idempotency_key=f"test-dossier-{next(counter):04d}", organisation=organisation,
                            journey=journey, content=content_of(journey), retention_days=90).reference

    return submit_one
