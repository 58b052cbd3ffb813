"""Dossiers: their vocabulary and the values the dossiers room hands back. Standard library only.

A dossier's content is health data (C2S status, affiliation, hospital stay): never logged, never shown in a
repr, never put in an exception message. Its reference and counts are what logs may carry.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

Journey = Literal["preadmission", "adhesion"]
JOURNEYS: tuple[Journey, ...] = ("preadmission", "adhesion")

DossierStatus = Literal["submitted", "delivered"]
STATUSES: tuple[DossierStatus, ...] = ("submitted", "delivered")

AuditEventName = Literal[
    "journey_started",
    "sign_in_succeeded",
    "sign_in_failed",
    "source_outcome",
    "dossier_submitted",
    "dossier_delivered",
    "dossier_purged",
    "attachment_downloaded",
]
AUDIT_EVENTS: tuple[AuditEventName, ...] = typing.get_args(AuditEventName)

# Read aloud over the phone or copied from a receipt: no 0/O nor 1/I to confuse. 32 symbols, 8 of them per
# reference = 40 random bits; collisions are caught by the unique constraint and retried.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_PATTERN = re.compile(r"^DC-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")
# An organisation's identifier in the registry (a slug or a SIRET), stored in clear to route dossiers.
ORGANISATION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def new_reference() -> str:
    """A random reference such as DC-7K3M-Q9P2."""
    symbols = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"DC-{symbols[:4]}-{symbols[4:]}"


def is_reference(text: str) -> bool:
    # fullmatch: `$` alone would accept a trailing newline.
    return isinstance(text, str) and REFERENCE_PATTERN.fullmatch(text) is not None


def is_organisation(text: str) -> bool:
    return isinstance(text, str) and ORGANISATION_PATTERN.fullmatch(text) is not None


@dataclass(frozen=True)
class SubmittedDossier:
    """The outcome of a submission: `created` is False when the idempotency key had already been used."""

    reference: str
    created: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredDossier:
    """A decrypted dossier. Health data: `content` never appears in a repr or a log."""

    reference: str
    organisation: str
    journey: Journey
    status: DossierStatus
    created_at: dt.datetime
    content: dict[str, Any] = field(repr=False)
    delivered_at: dt.datetime | None = None
    purge_after: dt.datetime | None = None  # when the retention purge deletes it


@dataclass(frozen=True)
class DossierSummary:
    """What routes a dossier, without its content: a listing decrypts nothing."""

    reference: str
    organisation: str
    journey: Journey
    status: DossierStatus
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    purge_after: dt.datetime


@dataclass(frozen=True)
class PurgeReport:
    dossiers: int
    audit_events: int
    attachments: int = 0  # the purged dossiers' files and the files of drafts never sent
