"""The concurrent retrieval: outcomes as values, scope of the calls, partial results, deadline, concurrency, logs."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from app.connectors import api_particulier, cnam
from app.connectors.retrieval import RightsRetriever
from app.connectors.settings import ProviderSettings
from app.model import rights
from app.model.outcome import SourceResult
from tests.connectors import API_PARTICULIER_BASE, CNAM_BASE
from tests.connectors import payloads as p

TOKEN = "fc-access-token-0123456789abcdef"
API_KEY = "cnam-api-key-42"
SIRET = "13002526500013"
C2S_URL = API_PARTICULIER_BASE + api_particulier.C2S_PATH
NIR_DAUGHTER = "218039912611762"
DAUGHTER = {"nir": NIR_DAUGHTER, "nom_famille": "FOURNIER", "prenom": "JADE", "date_naissance": "2018-03-09",
            "rang_naissance": 1, "qualite": "enfant"}
FAMILY = [p.ME, p.BENEFICIAIRES[1], DAUGHTER]  # the insured is listed too, as /me/beneficiaires does
NIRS = sorted([p.NIR_INSURED, p.NIR_CHILD, NIR_DAUGHTER])
SECTIONS = {"/caisse": p.CAISSE, "/contrats": p.CONTRATS, "/medecin-traitant": p.MEDECIN_TRAITANT,
            "/exonerations": p.EXONERATIONS}


def make_settings(**overrides) -> ProviderSettings:
    values = dict(sources=("c2s", "cnam"), deadline=5.0, connect_timeout=1.0, call_timeout=5.0,
                  api_particulier_url=API_PARTICULIER_BASE, recipient=SIRET, cnam_url=CNAM_BASE,
                  cnam_api_key=API_KEY, cnam_exonerations=False)
    values.update(overrides)
    return ProviderSettings(**values)


@pytest.fixture
def make_retriever():
    made = []

    def make(max_workers=32, **overrides):
        # Retries back off without sleeping: the tests stay fast, the deadline logic is unchanged.
        retriever = RightsRetriever(make_settings(**overrides), max_workers=max_workers, sleep=lambda _: None)
        made.append(retriever)
        return retriever

    yield make
    for retriever in made:
        retriever.close()



def retrieve(retriever, sources=("c2s", "cnam"), token=TOKEN, **kwargs):
    return retriever.retrieve(access_token=token, sources=sources, userinfo=lambda: "identity", **kwargs)


def stub_cnam(mocked_responses, beneficiaires=FAMILY, failures=None):
    """CNAM answering /me, /me/beneficiaires and every section of any NIR. `failures`: {(path, nir): answer}, with
    nir None for the two lists; an answer is a status, (status, content type, body), or an exception to raise."""
    failures = failures or {}

    def route(path, payload):
        def callback(request):
            failure = failures.get((path, request.headers.get("nir")))
            if isinstance(failure, Exception):
                raise failure
            if isinstance(failure, int):
                return failure, {}, ""
            if failure is not None:
                return failure[0], {"Content-Type": failure[1]}, failure[2]
            return 200, {"Content-Type": "application/json"}, json.dumps(payload)
        return callback

    for path, payload in {"/me": p.ME, "/me/beneficiaires": beneficiaires, **SECTIONS}.items():
        mocked_responses.add_callback("GET", CNAM_BASE + path, callback=route(path, payload))


def calls_to(rsps, path):
    """The `nir` headers of the calls to a CNAM path, sorted (None: no header)."""
    wanted = urlsplit(CNAM_BASE + path).path
    return sorted((c.request.headers.get("nir") for c in rsps.calls if urlsplit(c.request.url).path == wanted),
                  key=str)


def c2s_calls(mocked_responses):
    return [c for c in mocked_responses.calls if c.request.url.startswith(C2S_URL)]


def people(result):
    return (result.data.insured, *result.data.beneficiaries)


# ---- outcomes become values


@pytest.mark.parametrize(
    ("status", "body", "expected", "reason"),
    [
        (200, p.C2S_FREE, "ok", "c2s_ok"),
        (404, p.ERROR_404_CNAV, "not_found", "c2s_not_found_37003"),
        (404, p.ERROR_404_RNCPS, "not_found", "c2s_not_found_40003"),
        (404, p.V2_ERROR_404, "not_found", "c2s_not_found_404"),
        (422, p.ERROR_422_NOT_IDENTIFIED, "not_found", "c2s_not_found_00366"),
        (422, p.ERROR_422, "unavailable", "c2s_unprocessable_00203"),  # our request lacks recipient: not the person
        (401, p.ERROR_401_FC_TOKEN, "refused", "c2s_token_refused_50002"),
        (403, p.ERROR_403, "refused", "c2s_forbidden_00100"),
        (409, p.ERROR_409, "unavailable", "c2s_conflict_00015"),
        (429, p.ERROR_429, "unavailable", "c2s_rate_limited_00429"),
        (502, p.ERROR_502_CNAV, "unavailable", "c2s_unavailable_37999"),
        (504, p.ERROR_504_TIMEOUT, "unavailable", "c2s_unavailable_37002"),
        (400, p.V2_ERROR_400, "unavailable", "c2s_unprocessable_400"),  # our recipient is wrong, not the person
        (200, {"data": {}}, "unavailable", "c2s_invalid_response_200"),
        (requests.ConnectionError(), None, "unavailable", "c2s_connection_error"),
        (requests.ReadTimeout(), None, "unavailable", "c2s_timeout"),
    ],
)
def test_c2s_outcomes(make_retriever, mocked_responses, status, body, expected, reason):
    if isinstance(status, Exception):
        mocked_responses.get(C2S_URL, body=status)
    else:
        mocked_responses.get(C2S_URL, status=status, json=body)
    retrieval = retrieve(make_retriever(), sources=("c2s",))
    assert list(retrieval.results) == ["c2s"]
    result = retrieval.results["c2s"]
    assert (result.source, result.status, result.reason, result.partial) == ("c2s", expected, reason, False)
    if expected == "ok":
        assert result.data == rights.C2SStatus(True, False, dt.date(2023, 2, 1))
    else:
        assert result.data is None
    assert dt.datetime.fromisoformat(result.retrieved_at).utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("answer", "expected", "reason"),
    [
        (404, "not_found", "cnam_not_found_404"),  # outside the régime général
        ((200, "application/json", ""), "not_found", "cnam_not_found_empty"),
        ((200, "application/json", "null"), "not_found", "cnam_not_found_empty"),
        (401, "refused", "cnam_refused_401"),
        (403, "refused", "cnam_refused_403"),
        (429, "unavailable", "cnam_rate_limited_429"),
        (500, "unavailable", "cnam_unavailable_500"),
        (503, "unavailable", "cnam_unavailable_503"),
        ((200, "text/html", "<html>maintenance</html>"), "unavailable", "cnam_invalid_response_200"),
        ((200, "application/json", '{"nir": "123"}'), "unavailable", "cnam_invalid_response"),
        (requests.ConnectionError(), "unavailable", "cnam_connection_error"),
        (requests.ReadTimeout(), "unavailable", "cnam_timeout"),
    ],
)
def test_cnam_outcomes_of_me(make_retriever, mocked_responses, answer, expected, reason):
    stub_cnam(mocked_responses, failures={("/me", None): answer})
    retrieval = retrieve(make_retriever(), sources=("cnam",))
    assert list(retrieval.results) == ["cnam"]
    result = retrieval.results["cnam"]
    assert (result.source, result.status, result.reason, result.partial, result.data) == (
        "cnam", expected, reason, False, None)
    assert calls_to(mocked_responses, "/caisse") == calls_to(mocked_responses, "/contrats") == []  # no NIR asked about
    assert result.retrieved_at


def test_a_bug_becomes_internal_error_without_its_message(make_retriever, mocked_responses, monkeypatch, caplog):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    stub_cnam(mocked_responses)

    def broken(*args, nir, **kwargs):
        raise KeyError(nir)

    monkeypatch.setattr(cnam, "fetch_caisse", broken)
    with caplog.at_level(logging.DEBUG):
        results = retrieve(make_retriever()).results
    assert (results["cnam"].status, results["cnam"].reason, results["cnam"].data) == (
        "unavailable", "cnam_internal_error", None)
    assert results["c2s"].status == "ok"
    assert "exception=KeyError" in caplog.text
    assert not any(nir in caplog.text for nir in NIRS)


def test_a_malformed_token_is_an_internal_error_of_each_source(make_retriever, mocked_responses):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    stub_cnam(mocked_responses)
    results = retrieve(make_retriever(), token="not a token\r\n").results
    assert {s: (r.status, r.reason) for s, r in results.items()} == {
        "c2s": ("unavailable", "c2s_internal_error"), "cnam": ("unavailable", "cnam_internal_error")}
    assert len(mocked_responses.calls) == 0  # the token never went out


# ---- which sources, which calls


@pytest.mark.parametrize("sources", [("c2s",), ("cnam",), (), ("cnam", "c2s")])
def test_only_requested_sources_are_called(make_retriever, mocked_responses, sources):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    stub_cnam(mocked_responses)
    retrieval = retrieve(make_retriever(), sources=sources)
    assert sorted(retrieval.results) == sorted(sources)
    assert all(r.status == "ok" for r in retrieval.results.values())
    assert len(c2s_calls(mocked_responses)) == ("c2s" in sources)
    assert bool(calls_to(mocked_responses, "/me")) == ("cnam" in sources)
    assert retrieval.identity == "identity"


def test_a_source_this_deployment_does_not_enable_is_not_called(make_retriever, mocked_responses):
    stub_cnam(mocked_responses)
    results = retrieve(make_retriever(sources=("cnam",))).results
    assert (results["c2s"].status, results["c2s"].reason) == ("unavailable", "c2s_disabled")
    assert results["cnam"].status == "ok"
    assert c2s_calls(mocked_responses) == []


def test_an_unknown_source_is_a_bug_of_the_caller(make_retriever, mocked_responses):
    asked = []
    with pytest.raises(ValueError, match="unknown source"):
        make_retriever().retrieve(access_token=TOKEN, sources=("c2s", "caf"), userinfo=lambda: asked.append(1))
    assert asked == [] and len(mocked_responses.calls) == 0


def test_userinfo_runs_in_the_callers_thread_and_its_result_is_the_identity(make_retriever, mocked_responses):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    identity, threads = object(), []

    def userinfo():
        threads.append(threading.current_thread())
        return identity

    retrieval = make_retriever().retrieve(access_token=TOKEN, sources=("c2s",), userinfo=userinfo)
    assert retrieval.identity is identity and threads == [threading.current_thread()]
    assert 0 <= retrieval.elapsed < 1
    assert "identity" not in repr(retrieval)


def test_a_parent_with_two_children_gets_three_beneficiaries_with_details(make_retriever, mocked_responses):
    stub_cnam(mocked_responses)
    result = retrieve(make_retriever(), sources=("cnam",)).results["cnam"]
    assert (result.status, result.reason, result.partial) == ("ok", "cnam_ok", False)
    insured = result.data.insured
    assert (insured.nir, insured.first_name, insured.qualite) == (p.NIR_INSURED, "AUDREY", "assure")
    children = [(b.nir, b.first_name) for b in result.data.beneficiaries]
    assert children == [(p.NIR_CHILD, "LUCAS"), (NIR_DAUGHTER, "JADE")]  # the insured, listed too, comes once
    for person in people(result):
        assert person.caisse.id == "01261" and person.caisse.address.city == "Angers"
        assert [c.nature for c in person.contracts] == ["AMO"]
        assert person.medecin_traitant.numero_am == "491234567"
        assert person.exonerations is None  # not asked for
    sent = mocked_responses
    assert calls_to(sent, "/caisse") == calls_to(sent, "/contrats") == calls_to(sent, "/medecin-traitant") == NIRS
    assert calls_to(mocked_responses, "/exonerations") == []


def test_the_scope_of_each_call(make_retriever, mocked_responses):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    stub_cnam(mocked_responses, beneficiaires=FAMILY + [{"prenom": "SANS", "qualite": "autre"}])
    result = retrieve(make_retriever()).results["cnam"]
    (c2s,) = c2s_calls(mocked_responses)
    assert c2s.request.url == C2S_URL + "?recipient=" + SIRET
    assert c2s.request.headers["Authorization"] == "Bearer " + TOKEN
    assert "nir" not in c2s.request.headers and "X-API-Key" not in c2s.request.headers
    for call in mocked_responses.calls:
        if call.request.url.startswith(CNAM_BASE):
            assert call.request.headers["Authorization"] == "Bearer " + TOKEN
            assert call.request.headers["X-API-Key"] == API_KEY
            assert urlsplit(call.request.url).query == ""
    assert calls_to(mocked_responses, "/me") == calls_to(mocked_responses, "/me/beneficiaires") == [None]
    # The nir header carries only the NIRs /me and /me/beneficiaires returned, each once per section.
    assert calls_to(mocked_responses, "/caisse") == NIRS
    # A listed person without NIR is kept, without details: the result says it is partial.
    (nameless,) = [b for b in result.data.beneficiaries if b.nir is None]
    assert nameless.first_name == "SANS" and nameless.caisse is None
    assert (result.status, result.reason, result.partial) == ("ok", "cnam_partial_details", True)


@pytest.mark.parametrize(("asked", "allowed", "called"), [(True, True, True), (True, False, False),
                                                          (False, True, False)])
def test_exemptions_need_the_request_and_the_deployment(make_retriever, mocked_responses, asked, allowed, called):
    stub_cnam(mocked_responses)
    result = retrieve(make_retriever(cnam_exonerations=allowed), sources=("cnam",),
                      include_exonerations=asked).results["cnam"]
    assert calls_to(mocked_responses, "/exonerations") == (NIRS if called else [])
    for person in people(result):
        assert person.exonerations == ((rights.Exoneration(
            start=dt.date(2024, 9, 1), end=dt.date(2025, 4, 30), motif_code="MAT", motif_label="Maternité",
            motif_long_label="Exonération au titre de la maternité", presumed_pregnancy_date=dt.date(2024, 8, 20),
            actual_delivery_date=dt.date(2025, 4, 2)),) if called else None)


def test_the_medecin_traitant_can_be_left_out(make_retriever, mocked_responses):
    stub_cnam(mocked_responses)
    result = retrieve(make_retriever(), sources=("cnam",), include_medecin_traitant=False).results["cnam"]
    assert calls_to(mocked_responses, "/medecin-traitant") == []
    assert all(person.medecin_traitant is None for person in people(result))
    assert (result.reason, result.partial) == ("cnam_ok", False)


# ---- partial results


def test_a_failing_section_leaves_it_empty_and_the_result_partial(make_retriever, mocked_responses):
    stub_cnam(mocked_responses, failures={("/contrats", p.NIR_CHILD): 503, ("/exonerations", NIR_DAUGHTER): 401})
    result = retrieve(make_retriever(cnam_exonerations=True), sources=("cnam",),
                      include_exonerations=True).results["cnam"]
    assert (result.status, result.reason, result.partial) == ("ok", "cnam_partial_details", True)
    insured, child, daughter = people(result)
    assert child.contracts == () and child.caisse.id == "01261"
    assert daughter.exonerations is None and daughter.contracts  # None: unknown, not "none"
    assert insured.contracts and insured.exonerations


def test_an_absent_section_is_not_a_failure(make_retriever, mocked_responses):
    stub_cnam(mocked_responses, failures={("/caisse", p.NIR_INSURED): 404, ("/medecin-traitant", p.NIR_CHILD): 404})
    result = retrieve(make_retriever(), sources=("cnam",)).results["cnam"]
    assert (result.status, result.reason, result.partial) == ("ok", "cnam_ok", False)
    insured, child, _ = people(result)
    assert insured.caisse is None and child.medecin_traitant is None and insured.medecin_traitant is not None


@pytest.mark.parametrize("failure", [503, 403, (200, "application/json", "{}"), requests.ConnectionError()])
def test_when_the_list_of_beneficiaries_fails_the_insured_comes_alone(make_retriever, mocked_responses, failure):
    stub_cnam(mocked_responses, failures={("/me/beneficiaires", None): failure})
    result = retrieve(make_retriever(), sources=("cnam",)).results["cnam"]
    assert (result.status, result.reason, result.partial) == ("ok", "cnam_partial_beneficiaires", True)
    assert result.data.beneficiaries == ()
    assert result.data.insured.nir == p.NIR_INSURED and result.data.insured.caisse.id == "01261"
    assert calls_to(mocked_responses, "/caisse") == [p.NIR_INSURED]


# ---- many retrievals at once share one retriever


def test_concurrent_retrievals_keep_their_own_results(make_retriever, mocked_responses):
    def c2s(request):
        if request.headers["Authorization"].endswith("found"):
            return 200, {"Content-Type": "application/json"}, json.dumps(p.C2S_WITH_PARTICIPATION)
        return 404, {"Content-Type": "application/json"}, json.dumps(p.ERROR_404_RNCPS)

    mocked_responses.add_callback("GET", C2S_URL, callback=c2s)
    stub_cnam(mocked_responses)
    retriever = make_retriever()
    tokens = [f"token-{i}-{'found' if i % 2 else 'missing'}" for i in range(12)]
    with ThreadPoolExecutor(len(tokens)) as pool:
        retrievals = list(pool.map(lambda t: retriever.retrieve(access_token=t, sources=("c2s", "cnam"),
                                                                userinfo=lambda: t), tokens))
    for token, retrieval in zip(tokens, retrievals, strict=True):
        assert retrieval.identity == token
        assert retrieval.results["c2s"].status == ("ok" if token.endswith("found") else "not_found")
        assert retrieval.results["cnam"].reason == "cnam_ok"
        assert [b.caisse.id for b in people(retrieval.results["cnam"])] == ["01261"] * 3


# ---- the session round trip, reprs and logs


def test_results_survive_the_session_as_plain_values(make_retriever, mocked_responses):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    stub_cnam(mocked_responses, failures={("/caisse", p.NIR_CHILD): 503})
    results = list(retrieve(make_retriever(cnam_exonerations=True), include_exonerations=True).results.values())
    results.append(SourceResult("c2s", "unavailable", "c2s_deadline", retrieved_at="2026-05-01T10:00:00.000+00:00"))
    for result in results:
        stored = json.loads(json.dumps(result.to_dict()))
        assert stored == result.to_dict()  # only dicts, lists, str, int, bool and None: no tuple, date or object
        assert SourceResult.from_dict(stored) == result


@pytest.mark.parametrize("change", [
    {"source": "caf"}, {"status": "absent"}, {"data": None}, {"data": {"insured": "x"}}, {"partial": "yes"},
    {"reason": None}, {"status": "not_found"},
])
def test_a_stale_session_value_is_refused(change):
    stored = {"source": "cnam", "status": "ok", "reason": "cnam_ok", "data": {"insured": {"nir": p.NIR_INSURED}},
              "retrieved_at": "", "partial": False}
    assert SourceResult.from_dict(stored).data.insured.nir == p.NIR_INSURED
    with pytest.raises(rights.InvalidSessionValue) as exc:
        SourceResult.from_dict({**stored, **change})
    assert p.NIR_INSURED not in str(exc.value)


def test_logs_and_reprs_hold_no_token_nir_name_or_right(make_retriever, mocked_responses, caplog):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    stub_cnam(mocked_responses, failures={("/caisse", p.NIR_CHILD): 503})
    with caplog.at_level(logging.DEBUG):
        retrieval = retrieve(make_retriever(cnam_exonerations=True), include_exonerations=True)
    summaries = [r.getMessage() for r in caplog.records if r.name == "app.connectors.retrieval"]
    assert len(summaries) == 1
    assert "c2s=ok c2s_reason=c2s_ok" in summaries[0] and "cnam=ok cnam_reason=cnam_partial_details" in summaries[0]
    text = caplog.text + repr(retrieval) + repr(retrieval.results)
    for secret in (TOKEN, API_KEY, *NIRS, "FOURNIER", "AUDREY", "LUCAS", "JADE", "MARTIN", "CLAIRE", "Angers",
                   "Maine-et-Loire", "2023-02-01", "MAT"):
        assert secret not in text


# ---- against a real (loopback) server: deadline, abandonment, concurrency


class _Providers(http.server.BaseHTTPRequestHandler):
    BODIES = {"/apip" + api_particulier.C2S_PATH: p.C2S_FREE, "/cnam/me": p.ME, "/cnam/me/beneficiaires": FAMILY,
              **{"/cnam" + path: body for path, body in SECTIONS.items()}}

    def do_GET(self):
        server, path = self.server, urlsplit(self.path).path
        with server.lock:
            server.in_flight += 1
            server.peak = max(server.peak, server.in_flight)
        try:
            if path in server.stalls:
                server.stopping.wait(5)  # never answers while the test runs
                return
            time.sleep(server.delay)
            body = json.dumps(self.BODIES[path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with server.lock:
                server.in_flight -= 1

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # every call of a retrieval connects at once


@pytest.fixture
def loopback():
    server = _Server(("127.0.0.1", 0), _Providers)
    server.lock, server.stopping = threading.Lock(), threading.Event()
    server.in_flight = server.peak = 0
    server.delay, server.stalls = 0.0, set()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.urls = {"api_particulier_url": base + "/apip", "cnam_url": base + "/cnam"}
    yield server
    server.stopping.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=2)


def test_a_failing_userinfo_is_re_raised_without_waiting_for_the_providers(make_retriever, loopback):
    loopback.stalls = set(_Providers.BODIES)
    retriever = make_retriever(**loopback.urls)

    def userinfo():
        raise RuntimeError("userinfo refused")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="userinfo refused"):
        retriever.retrieve(access_token=TOKEN, sources=("c2s", "cnam"), userinfo=userinfo)
    assert time.monotonic() - started < 0.5  # the deadline is 5 s


def test_a_provider_that_never_answers_is_abandoned_at_the_deadline(make_retriever, loopback, caplog):
    loopback.stalls = set(_Providers.BODIES)
    retriever = make_retriever(deadline=0.5, max_workers=2, **loopback.urls)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="app.connectors.retrieval"):
        retrieval = retrieve(retriever)
    (summary,) = [r for r in caplog.records if r.name == "app.connectors.retrieval"]
    assert summary.levelno == logging.WARNING and "c2s=unavailable" in summary.getMessage()
    assert time.monotonic() - started < 0.5 + 0.5
    assert {s: r.status for s, r in retrieval.results.items()} == {"c2s": "unavailable", "cnam": "unavailable"}
    assert retrieval.results["c2s"].reason in ("c2s_timeout", "c2s_deadline")
    assert retrieval.results["cnam"].reason in ("cnam_timeout", "cnam_deadline")
    # The abandoned calls end by themselves: the next retrieval gets the workers and its answers.
    loopback.stalls = set()
    again = retrieve(retriever)
    assert [r.reason for r in again.results.values()] == ["c2s_ok", "cnam_ok"]


def test_calls_that_overrun_the_deadline_are_abandoned_and_queued_ones_never_start(make_retriever, monkeypatch):
    release, listed = threading.Event(), []

    def stuck(*args, **kwargs):  # a call that does not honour the deadline (it should never happen)
        release.wait(5)
        raise cnam.CnamUnavailable("late")

    monkeypatch.setattr(api_particulier, "fetch_c2s_status", stuck)
    monkeypatch.setattr(cnam, "fetch_me", stuck)
    monkeypatch.setattr(cnam, "fetch_beneficiaires", lambda *args, **kwargs: listed.append(1) or ())
    retriever = make_retriever(deadline=0.3, max_workers=1)  # /me/beneficiaires waits behind /me
    started = time.monotonic()
    retrieval = retrieve(retriever)
    assert time.monotonic() - started < 0.3 + 0.2
    assert [(r.status, r.reason) for r in retrieval.results.values()] == [
        ("unavailable", "c2s_deadline"), ("unavailable", "cnam_deadline")]
    release.set()
    time.sleep(0.1)
    assert listed == []  # cancelled at the deadline
    assert retrieval.results["cnam"].reason == "cnam_deadline"  # a late answer changes nothing


def test_sections_still_running_at_the_deadline_leave_the_people(make_retriever, loopback):
    loopback.stalls = {"/cnam/caisse"}
    started = time.monotonic()
    result = retrieve(make_retriever(deadline=0.6, **loopback.urls), sources=("cnam",)).results["cnam"]
    assert time.monotonic() - started < 0.6 + 0.5
    assert result.status == "ok" and result.partial
    # Each /caisse either timed out (details) or was still running when the retrieval gave up (deadline).
    assert result.reason in ("cnam_partial_deadline", "cnam_partial_details", "cnam_partial_details_deadline",
                             "cnam_partial_deadline_details")
    assert [(b.nir, b.caisse, len(b.contracts)) for b in people(result)] == [
        (p.NIR_INSURED, None, 1), (p.NIR_CHILD, None, 1), (NIR_DAUGHTER, None, 1)]


def test_calls_run_concurrently(make_retriever, loopback):
    loopback.delay = 0.2
    retriever = make_retriever(cnam_exonerations=True, **loopback.urls)
    started = time.monotonic()
    retrieval = retrieve(retriever, include_exonerations=True)
    elapsed = time.monotonic() - started
    assert [r.reason for r in retrieval.results.values()] == ["c2s_ok", "cnam_ok"]
    sequential = 0.2 * (1 + 2 + 3 * 4)  # C2S, the two CNAM lists, 4 sections for each of 3 people: 3 s
    # The longest chain is a list then a section: 0.4 s. A correctness check of concurrency, not a benchmark.
    assert 0.4 <= elapsed < 0.6 * sequential
    assert retrieval.elapsed == pytest.approx(elapsed, abs=0.05)
    assert loopback.peak >= 4


def test_the_recipient_is_the_organisation_receiving_the_data(make_retriever, mocked_responses):
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    retrieve(make_retriever(), sources=("c2s",), recipient="12345678200010")
    (c2s,) = c2s_calls(mocked_responses)
    assert c2s.request.url == C2S_URL + "?recipient=12345678200010"
