"""FranceConnect sign-in views: login (POST), callback, retrieval, logout, logout callback, error page.

Kept thin: the protocol lives in `client.py`; here we bind state and nonce to the browser's session,
turn typed failures into French pages, and log a reason code (never a token or a claim value).
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Blueprint, Flask, current_app, g, make_response, redirect, render_template, request, url_for
from flask import session as flask_session

from app import sessions
from app.correlation import is_correlation_id
from app.franceconnect.client import (
    TRANSACTION_TTL,
    FranceConnectClient,
    TokenResult,
    VerifiedSignIn,
    is_authorization_code,
    random_alphanumeric,
)
from app.franceconnect.errors import (
    FranceConnectConfigError,
    FranceConnectError,
    FranceConnectUnavailable,
)
from app.franceconnect.settings import FranceConnectSettings
from app.model.signin import SignInRequest, SignInResult

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/auth")

_STATE = re.compile(r"[A-Za-z0-9_-]{22,128}")
# Where to go after sign-in: a path of this service only (no scheme, host, query or "//"), so the
# parameter cannot become an open redirect. Always fullmatch: `$` would let a final newline through.
_NEXT = re.compile(r"/(?!/)[A-Za-z0-9/_-]{0,200}")
DEFAULT_NEXT = "/mon-espace"

# What a sign-in is for: given a checked `next` path and the sources the person chose (None when the page
# offered no choice), the caller's planner returns the request, with the scopes to ask for. This room
# requests those scopes and hands the request back; it never interprets sources.
SignInPlanner = Callable[[str, list[str] | None], SignInRequest]
# What the callback does once the ID token is verified: fetch the identity (and whatever the request needs).
SignInHook = Callable[[FranceConnectClient, TokenResult, SignInRequest], SignInResult]
# Hears of every failed attempt with its reason code, and the request when it is known.
FailureHook = Callable[[str, SignInRequest | None], None]

# Callback `error` values FranceConnect documents; the user caused the first, FranceConnect the next two,
# and the rest mean our integration is broken (shared/reference/franceconnect.md §3).
_ERROR_MOTIFS = {
    "access_denied": "annule",
    "server_error": "indisponible",
    "temporarily_unavailable": "indisponible",
    "invalid_scope": "configuration",
    "invalid_request": "configuration",
    "invalid_acr": "configuration",
    "unsupported_response_type": "configuration",
}
MOTIFS = ("annule", "indisponible", "configuration", "expire", "echec", "identite")
# The userinfo was verified but lacks what anchors a person (birth name, birth date) or holds an unknown value:
# a clear refusal that says so, not "we could not verify" (franceconnect.client.fetch_userinfo).
_IDENTITY_REASONS = ("userinfo_invalid_identity",)
_EXTENSION = "franceconnect"


@dataclass
class SignInRoom:
    """What the views use, wired once by the factory; tests may swap a hook."""

    client: FranceConnectClient
    plan: SignInPlanner
    hook: SignInHook
    on_failure: FailureHook | None = None
    # Revocations run after the response: the person does not wait for them.
    background: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="fc-revoke"))


def init_app(app: Flask, settings: FranceConnectSettings, *, plan: SignInPlanner, sign_in_hook: SignInHook,
             on_failure: FailureHook | None = None) -> None:
    app.extensions[_EXTENSION] = SignInRoom(FranceConnectClient(settings), plan, sign_in_hook, on_failure)
    app.register_blueprint(bp)

    @app.context_processor
    def _signed_in() -> dict:
        return {"signed_in": sessions.current().signed_in}


def room(app: Flask | None = None) -> SignInRoom:
    return (app or current_app).extensions[_EXTENSION]


def fetch_identity_only(client: FranceConnectClient, token: TokenResult, request: SignInRequest) -> SignInResult:
    """A sign-in hook for a deployment that fetches no rights."""
    return SignInResult(identity=client.fetch_userinfo(token))


def _fail(motif: str, reason: str, *, level: int = logging.WARNING, sign_in: SignInRequest | None = None,
          keep_session: bool = False):
    """End a failed attempt: no session left, a reason in the log, a French page at a clean URL.

    Only an attempt this browser started (a valid state) may end the session: a callback without one may be a
    cross-site request, and it leaves a signed-in session and its draft as they were (keep_session)."""
    log.log(level, "franceconnect login failed motif=%s reason=%s", motif, reason)
    on_failure = room().on_failure
    if on_failure is not None:
        try:
            on_failure(reason, sign_in)
        except Exception as error:  # the person must still get their page
            log.error("sign-in failure hook failed type=%s", type(error).__name__)
    if not keep_session:
        sessions.current().clear_after_failed_sign_in()
    retry = {}
    if sign_in is not None and sign_in.next_path != DEFAULT_NEXT and _NEXT.fullmatch(sign_in.next_path):
        # The retry button starts the same sign-in again: same destination, same sources.
        retry = {"next": sign_in.next_path, "sources": ",".join(sign_in.sources) or "none"}
    response = redirect(url_for("auth.error", motif=motif, ref=g.correlation_id, **retry), 303)
    return _no_leak(response)


def _no_leak(response):
    # The callback URL carries a code and a state: keep them out of Referer headers and caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _single(name: str) -> str | None:
    """A query parameter given at most once; duplicates are an attack or a bug, never a choice to make."""
    values = request.args.getlist(name)
    if len(values) > 1:
        return "\x00"  # matches no pattern, so the caller rejects it
    return values[0] if values else None


def _safe_next(next_path: str | None) -> str:
    if next_path and not _NEXT.fullmatch(next_path):
        log.warning("login refused an unsafe next parameter")
        return DEFAULT_NEXT
    return next_path or DEFAULT_NEXT


@bp.post("/login")
def login():
    signin_room = room()
    chosen = request.form.getlist("sources") if request.form.get("sources_chosen") == "1" else None
    sign_in = signin_room.plan(_safe_next(request.form.get("next")), chosen)
    try:
        tx = signin_room.client.new_transaction()
        url = signin_room.client.authorize_url(tx, scopes=sign_in.scopes)
    except FranceConnectConfigError as error:
        return _fail("configuration", error.reason, level=logging.ERROR)
    except FranceConnectError as error:
        return _fail("indisponible", error.reason)
    sessions.current().add_sign_in(tx, sign_in, ttl=TRANSACTION_TTL)
    log.info("franceconnect login started")
    return redirect(url, 303)


@bp.get("/callback")
def callback():
    state = _single("state")
    try:
        # Taking makes each state single-use, whatever happens next.
        pending = sessions.current().take_sign_in(state) if state and _STATE.fullmatch(state) else None
    except sessions.UnreadableSignIn as unreadable:
        return _fail("expire", "state_expired", sign_in=unreadable.request)
    sign_in = pending.request if pending else None

    error = _single("error")
    if error is not None:
        return _provider_error(error, sign_in)
    if pending is None:
        return _fail("expire", "state_missing" if state is None else "state_unknown_or_used", keep_session=True)
    if pending.transaction.expired(time.time(), TRANSACTION_TTL):
        return _fail("expire", "state_expired", sign_in=sign_in)
    code = _single("code")
    if not is_authorization_code(code):
        return _fail("echec", "code_missing_or_malformed", sign_in=sign_in)
    return _complete(code, pending.transaction, sign_in)


def _provider_error(error: str, sign_in: SignInRequest | None):
    known = error in _ERROR_MOTIFS
    motif = _ERROR_MOTIFS.get(error, "configuration")
    # Who must act sets the level: the person (info), FranceConnect (warning), or us (error).
    level = {"annule": logging.INFO, "indisponible": logging.WARNING}.get(motif, logging.ERROR)
    log.log(level, "franceconnect returned an error error=%s state_known=%s",
            error if known else "unknown", sign_in is not None)
    return _fail(motif, f"callback_error_{error if known else 'unknown'}", level=level, sign_in=sign_in,
                 keep_session=sign_in is None)


def _complete(code: str, tx, sign_in: SignInRequest):
    signin_room = room()
    try:
        token = signin_room.client.exchange_code(code, tx)
    except FranceConnectError as error:
        return _protocol_failure(error, sign_in)
    if not sign_in.sources:
        return _finish(token, sign_in)
    # Data sources to call may take seconds (the rights' deadline): rather than leaving FranceConnect's consent
    # page frozen, answer at once with a page that says so and moves on by itself, without script, to the retrieval.
    # The access token waits for it in the encrypted server-side session only, under a single-use handle.
    verified = VerifiedSignIn(random_alphanumeric(), token, time.time())
    sessions.current().hold_verified_sign_in(verified, sign_in)
    log.info("franceconnect sign-in verified, retrieval follows")
    url = url_for("auth.retrieval", id=verified.handle)
    return _no_leak(make_response(render_template("auth/retrieving.html", retrieval_url=url)))


@bp.get("/recuperation")
def retrieval():
    handle = _single("id")
    held = sessions.current().take_verified_sign_in(handle) if handle and _STATE.fullmatch(handle) else None
    if held is None:
        # Not this browser's verified sign-in (a forged link, or one already used): leave its session alone.
        return _fail("expire", "retrieval_unknown_or_used", keep_session=True)
    verified, sign_in = held
    if verified.expired(time.time()):
        return _fail("expire", "retrieval_expired", sign_in=sign_in)
    return _finish(verified.token, sign_in)


def _protocol_failure(error: FranceConnectError, sign_in: SignInRequest):
    if isinstance(error, FranceConnectUnavailable):
        return _fail("indisponible", error.reason, sign_in=sign_in)
    if isinstance(error, FranceConnectConfigError):
        return _fail("configuration", error.reason, level=logging.ERROR, sign_in=sign_in)
    if error.reason in _IDENTITY_REASONS:
        return _fail("identite", error.reason, sign_in=sign_in)
    return _fail("echec", error.reason, level=logging.ERROR, sign_in=sign_in)


def _finish(token: TokenResult, sign_in: SignInRequest):
    """Fetch what the request needs with the access token, then open the signed-in session."""
    signin_room = room()
    try:
        result = signin_room.hook(signin_room.client, token, sign_in)
    except FranceConnectError as error:
        return _protocol_failure(error, sign_in)

    # The identity and the rights are fetched: the access token has no further use here.
    # The copied context carries the correlation id into the revocation's log line.
    signin_room.background.submit(contextvars.copy_context().run, _revoke_quietly, signin_room.client, token)
    sessions.start_authenticated_session(current_app).save_sign_in(result, id_token=token.id_token)
    log.info("franceconnect login succeeded")
    return _no_leak(redirect(_safe_next(sign_in.next_path), 303))


def _revoke_quietly(client: FranceConnectClient, token: TokenResult) -> None:
    try:
        if client.revoke(token):
            log.info("franceconnect access token revoked")
    except FranceConnectError as error:
        # It expires within 60 s anyway; a failed revocation only shortens nothing.
        log.warning("franceconnect revocation failed reason=%s", error.reason)
    except Exception as error:
        log.error("franceconnect revocation crashed type=%s", type(error).__name__)


@bp.get("/erreur")
def error():
    motif = request.args.get("motif")
    if motif not in MOTIFS:
        motif = "echec"
    ref = request.args.get("ref")
    next_path = request.args.get("next") or ""
    retry = None
    if _NEXT.fullmatch(next_path):
        # The planner keeps only the sources this deployment uses: the page echoes the request it returns.
        retry = room().plan(next_path, (request.args.get("sources") or "").split(","))
    return render_template("auth/error.html", motif=motif, ref=ref if is_correlation_id(ref) else None,
                           fc_next=retry.next_path if retry else None,
                           fc_chosen_sources=list(retry.sources) if retry else None,
                           # Opaque to this room: the template asks the journeys whether a way back exists.
                           retry_journey=retry.journey if retry else None,
                           retry_organisation=retry.organisation if retry else None), 400


@bp.post("/logout")
def logout():
    state = sessions.current()
    id_token = state.id_token
    state.clear()
    if not id_token:
        return redirect(url_for("pages.index"), 303)
    logout_state = random_alphanumeric()
    state.start_logout(logout_state)
    current_app.session_interface.regenerate(flask_session)
    try:
        url = room().client.logout_url(id_token, logout_state)
    except FranceConnectError as error:
        # Our session is gone already; FranceConnect's will expire on its own (30 min idle).
        log.warning("franceconnect logout url unavailable reason=%s", error.reason)
        return redirect(url_for("auth.logout_callback"), 303)
    log.info("logout: local session destroyed, redirecting to franceconnect")
    return redirect(url, 303)


@bp.get("/logout/callback")
def logout_callback():
    state = sessions.current()
    expected = state.logout_state
    given = _single("state")
    if given is None:
        log.info("logout callback without state")
    elif not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("logout callback with an unknown state")
    else:
        # Only the state our logout sent may end the session: a cross-site GET here changes nothing.
        state.clear()
    return render_template("auth/logged_out.html")
