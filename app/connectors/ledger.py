"""The ledger of one rights retrieval: the state its tasks share, and the reading of their outcomes.

An outcome is what one provider call ended with: a value, or the exception it raised (expected outcomes of a
connector's family, or a bug). Logs and reasons carry codes only, never personal data.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from app import outbound


@dataclass(frozen=True)
class Outcome:
    value: Any = field(repr=False)
    error: Exception | None = field(repr=False)
    at: float  # on the retriever's clock
    retrieved_at: str


Outcomes = dict[tuple[str, ...], Outcome]  # key: ("c2s",), ("me",), ("beneficiaires",) or (nir, section)


class Run:
    """The state of one retrieval, shared by its tasks; the mutable fields are guarded by `changed`."""

    def __init__(self, access_token: str, deadline: outbound.Deadline, sections: tuple[str, ...]) -> None:
        self.access_token, self.deadline, self.sections = access_token, deadline, sections
        self.changed = threading.Condition(threading.Lock())
        self.outcomes: Outcomes = {}
        self.outstanding = 0  # tasks submitted and not finished
        self.futures: list[Future[None]] = []
        self.nirs: set[str] = set()  # NIRs whose sections were started: each once
        self.abandoned = False  # past the deadline, or userinfo failed: later outcomes are ignored


def source_of(key: tuple[str, ...]) -> str:
    return "c2s" if key == ("c2s",) else "cnam"


def failure(source: str, error: Exception, table: tuple[tuple[type[Exception], str, str], ...]) -> tuple[str, str]:
    """(status, reason code) of an expected failure; a bug (any other exception) is re-raised."""
    for kind, status, word in table:
        if isinstance(error, kind):
            cause = error.__cause__
            if isinstance(cause, outbound.OutboundError):
                return status, f"{source}_{cause.reason}"  # timeout, deadline_passed, circuit_open…
            detail = getattr(error, "error_code", None) or getattr(error, "status_code", None)
            if word == "not_found" and detail == 200:
                detail = "empty"  # CNAM: a 200 with an empty or null body
            return status, "_".join(str(part) for part in (source, word, detail) if part)
    raise error


def raise_if_bug(error: Exception | None, expected: type[Exception]) -> None:
    if error is not None and not isinstance(error, expected):
        raise error


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
