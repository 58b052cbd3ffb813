"""What both provider stand-ins do with an incoming call before looking at their data: the sandbox state,
the bearer token, the day of the call and the fault scenario to apply, if any.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from flask import Response, current_app, request

from app.sandbox.providers import faults

if TYPE_CHECKING:
    from app.sandbox.state import SandboxState

# RFC 6750 §2.1 b64token: anything else after "Bearer " is a malformed token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def state() -> SandboxState:
    return current_app.extensions["fc_sandbox"]


def read_bearer() -> tuple[str, str]:
    """("absent" | "malformed" | "ok", token) from the Authorization header; the query string is not read."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return "absent", ""
    if not _B64TOKEN.fullmatch(value):
        return "malformed", ""
    return "ok", value


def today(st: SandboxState) -> dt.date:
    # In UTC; `cnam_payloads.parse_window` allows a day of slack for clients in time zones behind it.
    return dt.datetime.fromtimestamp(st.clock(), dt.UTC).date()


def fault_response(provider: str, path: str) -> Response | None:
    """The faulty answer this call gets, or None to answer normally (a `slow` fault has then already slept)."""
    st = state()
    kind, value = read_bearer()
    token = st.access_token(value) if kind == "ok" else None
    scenario = faults.pick(st.provider_faults, provider, path, token.provider_faults if token else (),
                           token.jti if token else None)
    if scenario is None:
        return None
    return faults.respond(provider, scenario, slow_seconds=st.provider_slow_seconds,
                          oversized_bytes=st.config.provider_oversized_bytes)
