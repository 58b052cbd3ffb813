"""The server-side session's contents: every key, and a typed read, write and clear for each.

No other module names a session key. Values are stored as plain data (the session store serialises with
msgpack) and rebuilt into `model` objects when read; an entry that no longer rebuilds (an older release's, a
tampered store) is dropped and logged by name, never by value, and reads as absent.

The FranceConnect room, the journeys and the pages all go through `current()`; tests may wrap the mapping that
`client.session_transaction()` yields in `SessionState` the same way.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, g, session

from app.franceconnect.client import AuthTransaction, VerifiedSignIn
from app.model.identity import Identity
from app.model.journey import Draft, JourneyContext, People, Receipt
from app.model.outcome import SOURCES, SourceResult
from app.model.rights import InvalidSessionValue
from app.model.signin import SignInRequest, SignInResult

log = logging.getLogger(__name__)
T = TypeVar("T")

# The session machinery's clocks.
CREATED = "_created"
SEEN = "_seen"
# FranceConnect: attempts started in this browser (state -> transaction and request), the signed-in person.
SIGN_INS = "fc_pending"
# A verified sign-in waiting (seconds) for its retrieval: the access token, its handle and the request, in the
# encrypted session only, taken once.
VERIFIED_SIGN_IN = "fc_verified"
IDENTITY = "identity"
ID_TOKEN = "fc_id_token"
LOGOUT_STATE = "fc_logout_state"
RIGHTS = "rights"  # source -> SourceResult
# Journeys: the contexts portals opened before sign-in, the signed-in one, its choices, draft and receipt.
OPENED_JOURNEYS = "journey_pending"
JOURNEY = "journey"
PEOPLE = "journey_people"
DRAFT = "journey_draft"
RECEIPT = "journey_receipt"

_STATE = "_dc_session_state"  # this request's SessionState, in flask.g
# "Seen" is recorded to 1/20 of the idle timeout (90 s of 30 min), so that most requests write no session.
SEEN_RESOLUTION = 20
MAX_SIGN_INS = 4  # a few tabs at once, not an unbounded list
MAX_OPENED_JOURNEYS = 4
# What a failed sign-in leaves: no personal data, and enough for « Réessayer » to resume the journey.
_KEPT_AFTER_FAILED_SIGN_IN = (OPENED_JOURNEYS,)
# What a stored dossier leaves: its receipt, and the ID token that FranceConnect's logout needs.
_ENDED_WITH_THE_DOSSIER = (RIGHTS, IDENTITY, DRAFT, PEOPLE, JOURNEY, OPENED_JOURNEYS)


class UnreadableSignIn(Exception):
    """This browser started an attempt with that state, but its entry no longer rebuilds."""

    def __init__(self, request: SignInRequest | None) -> None:
        super().__init__("unreadable sign-in attempt")
        self.request = request


@dataclass(frozen=True)
class PendingSignIn:
    transaction: AuthTransaction
    request: SignInRequest


class SessionState:
    """Typed access to one session mapping (Flask's `session`, or a test's `session_transaction()`)."""

    def __init__(self, data: MutableMapping[str, Any]) -> None:
        self._data = data
        # Typed values already rebuilt, by key, with the stored value they came from: a request reads the same
        # entries several times (the step's checks, its view, its template), and a rebuild is checked and costs.
        # A write stores a new value, never changes one in place, so `is` tells a stale entry.
        self._rebuilt: dict[str, tuple[Any, Any]] = {}

    def __bool__(self) -> bool:
        return bool(self._data)

    # -- clocks ---------------------------------------------------------------------------------------------
    def start_clocks(self, now: float | None = None) -> None:
        """Start the clocks of a session that has just received its first value (kept if already started)."""
        now = time.time() if now is None else now
        self._data.setdefault(CREATED, now)
        self._data.setdefault(SEEN, now)

    def restart_clocks(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._data[CREATED] = self._data[SEEN] = now

    @property
    def created_at(self) -> float | None:
        return _number(self._data.get(CREATED))

    def expiry(self, now: float, *, idle: int, absolute: int) -> str | None:
        """'absolute' or 'idle' when the session is past one of its lifetimes, else None (and it is seen now).

        "Seen" is written only when the last record is at least `idle / SEEN_RESOLUTION` old: a request that changes
        nothing else then leaves the stored session alone (no re-encryption, no write). The idle timeout thus ends a
        session between 95 % and 100 % of its length after the last request, never later; the store's own expiry
        (set at each write, which is never before the recorded "seen") cannot end it earlier."""
        created, seen = _number(self._data.get(CREATED)) or now, _number(self._data.get(SEEN)) or now
        if now - created > absolute:
            return "absolute"
        if now - seen > idle:
            return "idle"
        if SEEN not in self._data or now - seen >= idle / SEEN_RESOLUTION:
            self._data[SEEN] = now
        return None

    # -- FranceConnect attempts -----------------------------------------------------------------------------
    def add_sign_in(self, transaction: AuthTransaction, request: SignInRequest, *, ttl: float) -> None:
        pending = {state: entry for state, entry in self._sign_ins().items() if _live(entry, ttl)}
        while len(pending) >= MAX_SIGN_INS:
            pending.pop(next(iter(pending)))  # the oldest: attempts are kept in the order they started
        pending[transaction.state] = {"transaction": transaction.to_dict(), "request": request.to_dict()}
        self._data[SIGN_INS] = pending
        self.start_clocks()

    def take_sign_in(self, state: str) -> PendingSignIn | None:
        """The attempt started with `state`, removed so that each state is single-use; None when unknown.

        Raises UnreadableSignIn when the entry is there but does not rebuild (its request, when readable, with it).
        """
        pending = self._sign_ins()
        entry = pending.pop(state, None)
        if SIGN_INS in self._data:
            self._data[SIGN_INS] = pending
        if entry is None:
            return None
        entry = entry if isinstance(entry, Mapping) else {}
        request = _read(SignInRequest.from_dict, entry.get("request"))
        transaction = _read(AuthTransaction.from_dict, entry.get("transaction"))
        if request is None or transaction is None:
            raise UnreadableSignIn(request)
        return PendingSignIn(transaction, request)

    def hold_verified_sign_in(self, verified: VerifiedSignIn, request: SignInRequest) -> None:
        """Keep a verified sign-in for its retrieval; a newer one replaces it (one at a time per browser)."""
        self._data[VERIFIED_SIGN_IN] = {"verified": verified.to_dict(), "request": request.to_dict()}

    def take_verified_sign_in(self, handle: str) -> tuple[VerifiedSignIn, SignInRequest] | None:
        """The verified sign-in held with this handle, removed so that it serves once; None when there is none or
        the handle differs (left in place: a forged request cannot cancel the person's sign-in). An entry that no
        longer rebuilds is dropped."""
        entry = self._data.get(VERIFIED_SIGN_IN)
        if entry is None:
            return None
        verified = _read(VerifiedSignIn.from_dict, entry.get("verified") if isinstance(entry, Mapping) else None)
        request = _read(SignInRequest.from_dict, entry.get("request") if isinstance(entry, Mapping) else None)
        if verified is None or request is None:
            log.warning("dropping an unreadable verified sign-in")
            self._data.pop(VERIFIED_SIGN_IN, None)
            return None
        if not hmac.compare_digest(verified.handle.encode(), handle.encode()):
            return None
        self._data.pop(VERIFIED_SIGN_IN, None)
        return verified, request

    def pending_sign_in_count(self) -> int:
        return len(self._sign_ins())

    def _sign_ins(self) -> dict[str, Any]:
        pending = self._data.get(SIGN_INS)
        return dict(pending) if isinstance(pending, Mapping) else {}

    # -- the signed-in person -------------------------------------------------------------------------------
    def save_sign_in(self, result: SignInResult, *, id_token: str) -> None:
        self._data[IDENTITY] = result.identity.to_dict()
        self._data[ID_TOKEN] = id_token
        self._data[RIGHTS] = {source: outcome.to_dict() for source, outcome in result.rights.items()}
        if result.journey is not None:
            self._data[JOURNEY] = result.journey.to_dict()

    @property
    def signed_in(self) -> bool:
        return IDENTITY in self._data

    @property
    def identity(self) -> Identity | None:
        return self._typed(IDENTITY, Identity.from_dict)

    @property
    def id_token(self) -> str | None:
        value = self._data.get(ID_TOKEN)
        return value if isinstance(value, str) and value else None

    @property
    def rights(self) -> dict[str, SourceResult]:
        """The source results kept at sign-in; an unreadable one is dropped, not fatal."""
        stored = self._data.get(RIGHTS)
        if (rebuilt := self._rebuilt.get(RIGHTS)) is not None and rebuilt[0] is stored:
            return dict(rebuilt[1])
        results = {}
        for source, value in (stored.items() if isinstance(stored, Mapping) else ()):
            result = _read(SourceResult.from_dict, value)
            if result is None:
                log.warning("dropping an unreadable source result source=%s", source if source in SOURCES else "?")
            else:
                results[source] = result
        self._rebuilt[RIGHTS] = (stored, results)
        return dict(results)

    def start_logout(self, state: str) -> None:
        self._data[LOGOUT_STATE] = state
        self.start_clocks()

    @property
    def logout_state(self) -> str | None:
        value = self._data.get(LOGOUT_STATE)
        return value if isinstance(value, str) and value else None

    def take_logout_state(self) -> str | None:
        value = self._data.pop(LOGOUT_STATE, None)
        return value if isinstance(value, str) and value else None

    # -- journeys -------------------------------------------------------------------------------------------
    def open_journey(self, context: JourneyContext) -> None:
        opened = self._opened_journeys()
        opened.pop(context.key, None)
        opened[context.key] = context.to_dict()  # last opened last, so the oldest goes first
        while len(opened) > MAX_OPENED_JOURNEYS:
            opened.pop(next(iter(opened)))
        self._data[OPENED_JOURNEYS] = opened
        self.start_clocks()

    def opened_journey(self, journey: str, org: str) -> JourneyContext | None:
        """The context this browser opened for that journey and organisation before signing in."""
        return _read(JourneyContext.from_dict, self._opened_journeys().get(f"{journey}/{org}"))

    def opened_journey_keys(self) -> list[str]:
        return list(self._opened_journeys())

    def _opened_journeys(self) -> dict[str, Any]:
        opened = self._data.get(OPENED_JOURNEYS)
        return dict(opened) if isinstance(opened, Mapping) else {}

    @property
    def journey(self) -> JourneyContext | None:
        return self._typed(JOURNEY, JourneyContext.from_dict)

    @property
    def people(self) -> People | None:
        return self._typed(PEOPLE, People.from_dict)

    def choose_people(self, people: People) -> None:
        """Record who the dossier is about; a draft written for other people is dropped."""
        if self.people != people:
            self._data.pop(DRAFT, None)
        self._data[PEOPLE] = people.to_dict()

    @property
    def draft(self) -> Draft | None:
        return self._typed(DRAFT, Draft.from_dict)

    def save_draft(self, values: Mapping[str, Any], new_key: Callable[[], str]) -> None:
        """Keep what the person typed; the idempotency key is made once per draft and kept across edits."""
        held = self.draft
        self._data[DRAFT] = Draft(values=values, key=held.key if held else new_key()).to_dict()

    @property
    def receipt(self) -> Receipt | None:
        return self._typed(RECEIPT, Receipt.from_dict)

    def end_journey(self, receipt: Receipt) -> None:
        """The dossier is stored: keep its receipt (and the ID token for logout), nothing else of the journey."""
        self._pop(_ENDED_WITH_THE_DOSSIER)
        self._data[RECEIPT] = receipt.to_dict()

    def abandon_journey(self, journey: str, org: str) -> None:
        """The person gives up (or their sign-in failed): nothing personal stays, nor that journey's context."""
        self._pop((RIGHTS, IDENTITY, DRAFT, PEOPLE))
        current = self.journey
        if current is not None and (current.journey, current.org) == (journey, org):
            self._data.pop(JOURNEY, None)
        opened = self._opened_journeys()
        if opened.pop(f"{journey}/{org}", None) is not None:
            self._data[OPENED_JOURNEYS] = opened

    # -- clearing -------------------------------------------------------------------------------------------
    def clear(self) -> None:
        self._data.clear()

    def clear_after_failed_sign_in(self) -> None:
        kept = {key: self._data[key] for key in _KEPT_AFTER_FAILED_SIGN_IN if key in self._data}
        self._data.clear()
        self._data.update(kept)

    def _pop(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._data.pop(key, None)

    def _typed(self, key: str, rebuild: Callable[[Any], T]) -> T | None:
        value = self._data.get(key)
        if value is None:
            return None
        if (rebuilt := self._rebuilt.get(key)) is not None and rebuilt[0] is value:
            return rebuilt[1]
        result = _read(rebuild, value)
        if result is None:
            log.warning("dropping an unreadable session entry key=%s", key)
            self._data.pop(key, None)
        else:
            self._rebuilt[key] = (value, result)
        return result


def current() -> SessionState:
    """The typed view of this request's session: one per request, so each entry is rebuilt once."""
    data = session._get_current_object()  # and the proxy resolved once, not at every read
    state = g.get(_STATE)
    if state is None or state._data is not data:
        state = SessionState(data)
        setattr(g, _STATE, state)
    return state


def start_authenticated_session(app: Flask) -> SessionState:
    """Renew the session identifier (no fixation) and restart its clocks; the caller fills it after."""
    session.clear()
    state = current()
    state.restart_clocks()
    app.session_interface.regenerate(session)
    return state


def _read(rebuild: Callable[[Any], T], value: Any) -> T | None:
    if not isinstance(value, Mapping):
        return None
    try:
        return rebuild(value)
    except (InvalidSessionValue, TypeError, ValueError):
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _live(entry: Any, ttl: float) -> bool:
    transaction = _read(AuthTransaction.from_dict, entry.get("transaction") if isinstance(entry, Mapping) else None)
    return transaction is not None and not transaction.expired(time.time(), ttl)
