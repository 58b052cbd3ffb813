"""The concurrent retrieval of a person's rights right after a FranceConnect sign-in (data-providers.md B.4, A.8).

`RightsRetriever.retrieve` starts everything at once: the userinfo fetch (in the caller's thread), the C2S call and
CNAM `/me` ∥ `/me/beneficiaires`. A beneficiary's sections (`/caisse`, `/contrats`, `/medecin-traitant`,
`/exonerations`) start as soon as their NIR is known: the insured's when `/me` answers, the others' when both lists
are in. No pool worker ever waits on another task: a finishing task submits the next ones, and only the caller's
thread waits. All calls share one `Deadline`; at the deadline the retrieval returns what it has, and calls still
running are abandoned (their results ignored): they end by themselves, since each call is bounded by that deadline.
Expected outcomes become `SourceResult` values; only a failing userinfo (or a caller's bug) raises.
Logs: one summary line per retrieval, never a token, NIR, name or right.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from app import outbound
from app.connectors import api_particulier, cnam, ledger
from app.model import rights
from app.model.outcome import SOURCES, SourceResult

if TYPE_CHECKING:  # settings are passed in; connectors do not read configuration
    from app.connectors.settings import ProviderSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

# (outcome class, status, word of the reason code), first match wins.
_C2S_OUTCOMES: tuple[tuple[type[Exception], str, str], ...] = (
    (api_particulier.ApiParticulierNotFound, "not_found", "not_found"),
    (api_particulier.ApiParticulierTokenRefused, "refused", "token_refused"),
    (api_particulier.ApiParticulierForbidden, "refused", "forbidden"),
    (api_particulier.ApiParticulierUnprocessable, "unavailable", "unprocessable"),  # our request (422 00203…)
    (api_particulier.ApiParticulierRateLimited, "unavailable", "rate_limited"),
    (api_particulier.ApiParticulierConflict, "unavailable", "conflict"),
    (api_particulier.ApiParticulierUnavailable, "unavailable", "unavailable"),
    (api_particulier.ApiParticulierInvalidResponse, "unavailable", "invalid_response"),
)
_CNAM_OUTCOMES: tuple[tuple[type[Exception], str, str], ...] = (
    (cnam.CnamNotFound, "not_found", "not_found"),  # outside the régime général (MSA, MGEN…)
    (cnam.CnamRefused, "refused", "refused"),
    (cnam.CnamRateLimited, "unavailable", "rate_limited"),
    (cnam.CnamUnavailable, "unavailable", "unavailable"),
    (cnam.CnamInvalidResponse, "unavailable", "invalid_response"),
)
# Per-beneficiary section → (Beneficiary field, value when answered 404/empty, value when failed).
# A failed exonerations list stays None: () would claim "asked, and none".
_SECTIONS: dict[str, tuple[str, Any, Any]] = {
    "caisse": ("caisse", None, None), "contrats": ("contracts", (), ()),
    "medecin_traitant": ("medecin_traitant", None, None), "exonerations": ("exonerations", (), None),
}


@dataclass(frozen=True)
class Retrieval(Generic[T]):
    """The outcome of one sign-in's retrieval."""

    identity: T = field(repr=False)  # whatever the userinfo callable returned
    results: dict[str, SourceResult]  # one per requested source
    elapsed: float  # seconds, for logs and benchmarks


class RightsRetriever:
    """Fetches C2S and CNAM rights concurrently under one deadline. Thread-safe: one instance serves every request."""

    def __init__(self, settings: ProviderSettings, *, max_workers: int = 32,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 protections: Mapping[str, outbound.Protection] | None = None) -> None:
        """One `OutboundHttp` (breaker, 429 block, connection pool) and one thread pool per enabled provider, shared
        across requests: a stalled provider can fill its own pool, never the other's. `max_workers` is per provider.
        `protections`: per source, the breaker, gate and budget the factory built (shared across processes); a
        source without one is guarded in this process only."""
        self._settings, self._clock = settings, clock
        timeouts: dict[str, Any] = dict(connect_timeout=settings.connect_timeout, call_timeout=settings.call_timeout,
                                        clock=clock, sleep=sleep, pool_size=max_workers)
        urls = {"c2s": (settings.api_particulier_url, "api_particulier"), "cnam": (settings.cnam_url, "cnam")}
        protections = protections or {}
        self._http = {s: outbound.provider_http(urls[s][0], provider=urls[s][1], protection=protections.get(s),
                                                breaker_threshold=settings.breaker_sign_ins,
                                                breaker_cooldown=settings.breaker_cooldown, **timeouts)
                      for s in SOURCES if s in settings.sources}
        self._pools = {s: ThreadPoolExecutor(max_workers, thread_name_prefix=f"rights-{s}") for s in self._http}

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        for http in self._http.values():
            http.close()

    def retrieve(self, *, access_token: str, sources: Collection[str], userinfo: Callable[[], T],
                 include_medecin_traitant: bool = True, include_exonerations: bool = False,
                 recipient: str | None = None) -> Retrieval[T]:
        """The identity from `userinfo()` and one `SourceResult` per requested source, by the deadline.

        `userinfo` runs in the caller's thread (so a Flask context stays usable) while the providers are called;
        whatever it raises is re-raised at once. A requested source this deployment does not enable is not called
        and gets `unavailable` / `<source>_disabled`. Exemptions are fetched only when asked for here *and* allowed
        by `settings.cnam_exonerations` (healthcare establishments only, B.1). `recipient` is the SIRET of the
        organisation that receives the data (API Particulier's `recipient`), else the deployment's.
        """
        if unknown := set(sources) - set(SOURCES):
            raise ValueError(f"unknown source(s): {', '.join(sorted(unknown))}")
        started = self._clock()
        sections = ("caisse", "contrats") + ("medecin_traitant",) * include_medecin_traitant + (
            "exonerations",) * (include_exonerations and self._settings.cnam_exonerations)
        run = ledger.Run(access_token, outbound.Deadline.after(self._settings.deadline, self._clock), sections)
        with run.changed:
            if "c2s" in sources and "c2s" in self._http:
                self._submit(run, "c2s", ("c2s",), functools.partial(
                    api_particulier.fetch_c2s_status, self._http["c2s"], access_token=access_token,
                    recipient=recipient or self._settings.recipient, deadline=run.deadline))
            if "cnam" in sources and "cnam" in self._http:
                ask = dict(access_token=access_token, api_key=self._settings.cnam_api_key, deadline=run.deadline)
                self._submit(run, "cnam", ("me",), functools.partial(cnam.fetch_me, self._http["cnam"], **ask))
                self._submit(run, "cnam", ("beneficiaires",),
                             functools.partial(cnam.fetch_beneficiaires, self._http["cnam"], **ask))
        try:
            identity = userinfo()
        except BaseException:
            self._abandon(run)
            raise
        with run.changed:
            while run.outstanding and (left := run.deadline.remaining()) > 0:
                run.changed.wait(left)
        outcomes = self._abandon(run)
        results, ms = {}, {}
        for source in (s for s in SOURCES if s in sources):
            results[source] = self._result(source, outcomes, sections)
            done = [o.at for key, o in outcomes.items() if ledger.source_of(key) == source]
            ms[source] = round(((max(done) if done else self._clock()) - started) * 1000)
        elapsed = self._clock() - started
        self._log_summary(results, ms, elapsed)
        return Retrieval(identity, results, elapsed)

    # ---- tasks: each records its outcome and starts what it unblocks; none waits on another

    def _submit(self, run: ledger.Run, source: str, key: tuple[str, ...], call: Callable[[], Any]) -> None:
        """Start `call` in the source's pool; `run.changed` is held by the caller."""
        run.outstanding += 1
        # A copy of the submitter's context: the task's log lines carry the request's correlation id.
        run.futures.append(self._pools[source].submit(contextvars.copy_context().run, self._task, run, key, call))

    def _task(self, run: ledger.Run, key: tuple[str, ...], call: Callable[[], Any]) -> None:
        value, error = None, None
        if not run.abandoned:  # a stale read only costs one call that the deadline bounds anyway
            try:
                value = call()
            except Exception as exc:  # a value; a bug becomes "<source>_internal_error" in _result
                error = exc
        outcome = ledger.Outcome(value, error, self._clock(), ledger.now_iso())
        with run.changed:
            if run.abandoned:
                return
            run.outcomes[key] = outcome
            if key in (("me",), ("beneficiaires",)):
                self._start_sections(run)
            run.outstanding -= 1
            run.changed.notify_all()

    def _start_sections(self, run: ledger.Run) -> None:
        """Start the sections of each NIR that /me or /me/beneficiaires returned, once /me succeeded. Only these NIRs
        go out in the `nir` header."""
        me, listed = run.outcomes.get(("me",)), run.outcomes.get(("beneficiaires",))
        if me is None or me.error is not None:
            return
        people = (me.value, *(listed.value if listed is not None and listed.error is None else ()))
        for nir in (p.nir for p in people if p.nir is not None and p.nir not in run.nirs):
            run.nirs.add(nir)
            for section in run.sections:
                call = functools.partial(getattr(cnam, f"fetch_{section}"), self._http["cnam"], nir=nir,
                                         access_token=run.access_token, api_key=self._settings.cnam_api_key,
                                         deadline=run.deadline)
                try:
                    self._submit(run, "cnam", (nir, section), call)
                except RuntimeError:  # the retriever was closed meanwhile: the app is stopping
                    run.outstanding -= 1
                    closed = cnam.CnamUnavailable("closed")
                    run.outcomes[(nir, section)] = ledger.Outcome(None, closed, self._clock(), "")

    def _abandon(self, run: ledger.Run) -> ledger.Outcomes:
        """Stop listening: later outcomes are ignored and tasks not yet started never run. Returns the outcomes."""
        with run.changed:
            run.abandoned = True
            outcomes, futures = dict(run.outcomes), list(run.futures)
        for future in futures:
            future.cancel()
        return outcomes

    # ---- outcomes → results

    def _result(self, source: Any, outcomes: ledger.Outcomes, sections: tuple[str, ...]) -> SourceResult:
        if source not in self._http:
            return SourceResult(source, "unavailable", f"{source}_disabled")
        try:
            return _c2s_result(outcomes) if source == "c2s" else _cnam_result(outcomes, sections)
        except Exception as exc:
            # A bug must not become a 500 for the person. Its type only: a message may hold personal data.
            logger.error("rights retrieval internal_error source=%s exception=%s", source, type(exc).__name__)
            return SourceResult(source, "unavailable", f"{source}_internal_error", retrieved_at=ledger.now_iso())

    def _log_summary(self, results: dict[str, SourceResult], ms: dict[str, int], elapsed: float) -> None:
        calm = all(r.status in ("ok", "not_found") for r in results.values())
        logger.log(logging.INFO if calm else logging.WARNING, "rights retrieval elapsed_ms=%d %s",
                   round(elapsed * 1000),
                   " ".join(f"{s}={r.status} {s}_reason={r.reason} {s}_ms={ms[s]}" for s, r in results.items()))


def _c2s_result(outcomes: ledger.Outcomes) -> SourceResult:
    outcome = outcomes.get(("c2s",))
    if outcome is None:
        return SourceResult("c2s", "unavailable", "c2s_deadline", retrieved_at=ledger.now_iso())
    if outcome.error is None:
        return SourceResult("c2s", "ok", "c2s_ok", outcome.value, outcome.retrieved_at)
    status, reason = ledger.failure("c2s", outcome.error, _C2S_OUTCOMES)
    return SourceResult("c2s", status, reason, retrieved_at=outcome.retrieved_at)


def _cnam_result(outcomes: ledger.Outcomes, sections: tuple[str, ...]) -> SourceResult:
    me = outcomes.get(("me",))
    if me is None:
        return SourceResult("cnam", "unavailable", "cnam_deadline", retrieved_at=ledger.now_iso())
    if me.error is not None:
        status, reason = ledger.failure("cnam", me.error, _CNAM_OUTCOMES)
        return SourceResult("cnam", status, reason, retrieved_at=me.retrieved_at)
    missing: list[str] = []  # why the result is partial
    listed = outcomes.get(("beneficiaires",))
    if listed is None or listed.error is not None:
        ledger.raise_if_bug(listed.error if listed else None, cnam.CnamError)
        missing.append("beneficiaires")
    people, seen = [me.value], {me.value.nir}
    for person in (listed.value if listed is not None and listed.error is None else ()):
        if person.nir is None or person.nir not in seen:  # the insured is usually listed too
            people.append(person)
            seen.add(person.nir)
    for i, person in enumerate(people):
        if person.nir is None:
            missing.append("details")  # no NIR to ask about
            continue
        values = {}
        for section in sections:
            attr, absent, failed = _SECTIONS[section]
            outcome = outcomes.get((person.nir, section))
            if outcome is None:
                values[attr] = failed
                missing.append("deadline")
            elif outcome.error is None:
                values[attr] = outcome.value
            elif isinstance(outcome.error, cnam.CnamNotFound):
                values[attr] = absent
            else:
                ledger.raise_if_bug(outcome.error, cnam.CnamError)
                values[attr] = failed
                missing.append("details")
        people[i] = dataclasses.replace(person, **values)
    reason = "cnam_partial_" + "_".join(dict.fromkeys(missing)) if missing else "cnam_ok"
    at = max(o.retrieved_at for key, o in outcomes.items() if ledger.source_of(key) == "cnam")
    return SourceResult("cnam", "ok", reason, rights.CnamRights(insured=people[0], beneficiaries=tuple(people[1:])),
                        at, partial=bool(missing))
