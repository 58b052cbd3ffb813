"""Helpers shared by the journeys' view and integration tests: database counts, CSRF tokens, form values."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dossiers.models import AuditEvent, Dossier
from app.extensions import services
from app.organisations.settings import DEMO_FILE

# The demo registry and both data sources, at addresses the tests' mocked responses answer: a journeys app.
PROVIDERS = {"RIGHTS_SOURCES": "c2s cnam", "API_PARTICULIER_URL": "https://particulier.test",
             "API_PARTICULIER_RECIPIENT": "13002526500013", "CNAM_API_URL": "https://cnam.test",
             "CNAM_API_KEY": "test-key"}


def journeys_app(make_app, **overrides):
    return make_app(**{"ORGANISATIONS_FILE": str(DEMO_FILE), **PROVIDERS, **overrides})


REFERENCE = re.compile(r'data-reference="(DC-[0-9A-Z]{4}-[0-9A-Z]{4})"')

# Valid answers for every field a person may have to type; a test sends only those its form asks.
DECLARED = {
    "birth_name": "MERCIER", "usage_name": "", "first_names": "Louis", "sex": "M", "birth_date": "2014-06-12",
    "birth_place": "Pontoise", "birth_country": "France",
    "address": "12 rue de l’Église", "address_complement": "", "postal_code": "95300", "city": "Pontoise",
    "city_code": "95500",
    "phone": "06 12 34 56 78", "email": "contact@yopmail.com",
    "nir": "1 69 03 95 277 902 69", "regime": "general", "caisse": "CPAM du Val-d'Oise",
    "amo_start": "", "amo_end": "", "exoneration": "", "c2s": "inconnu",
    "complementary_name": "", "complementary_number": "", "medecin_traitant": "",
    "emergency_who": "other", "guardian1_who": "other",  # « Vous-même » is tested on its own
    "emergency_name": "Sophie Dubois", "emergency_phone": "0698765432", "emergency_link": "Conjoint ou conjointe",
    "trusted_name": "", "trusted_phone": "", "guardian1_name": "Pierre Dubois", "guardian1_phone": "0611223344",
    "guardian2_name": "", "guardian2_phone": "",
    "start_date": "", "iban": "FR76 3000 6000 0112 3456 7890 189", "account_holder": "Pierre Dubois",
    "previous_insurer": "Mutuelle Ancienne", "consent_sepa": "y", "consent_accuracy": "y",
    "consent_transmission": "y",
}


def dossier_count(app) -> int:
    with Session(services(app).dossiers.engine) as session:
        return session.scalar(select(func.count()).select_from(Dossier))


def audit_details(app, event: str) -> list[str]:
    with Session(services(app).audit.engine) as session:
        return list(session.scalars(select(AuditEvent.detail).where(AuditEvent.event == event)
                                    .order_by(AuditEvent.id)))


def audit_row_count(app) -> int:
    with Session(services(app).audit.engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                     html).group(0).rsplit('value="', 1)[1].rstrip('"')


def field_names(html: str, form_index: int = -1) -> list[str]:
    """The names of the inputs and selects of the page's form that holds them (not the logout form)."""
    forms = re.findall(r"<form[^>]*>(.*?)</form>", html, re.S)
    body = max(forms, key=len) if form_index == -1 else forms[form_index]
    names = list(dict.fromkeys(re.findall(r'<(?:input|select)[^>]*name="([^"]+)"', body)))
    if 'name="find_city"' in body and "city_code" not in names:
        names.append("city_code")  # what a person chooses once « Trouver la commune » listed the communes
    return names
