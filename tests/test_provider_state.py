"""Provider protection shared across workers and instances: the breaker counts sign-ins, not calls; the breaker,
the 429 back-off and API Particulier's call budget are shared through Redis (two retrievers stand for two
instances, each with its own state objects)."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from app import outbound
from app.config_values import ConfigError
from app.connectors import settings as connectors_settings
from app.connectors.retrieval import RightsRetriever
from app.connectors.settings import load_provider_settings
from app.extensions import services
from app.provider_state import CallBudget, RedisState, build_protections
from tests.clock import FakeClock
from tests.connectors import API_PARTICULIER_BASE
from tests.connectors import payloads as p
from tests.connectors.test_retrieval import C2S_URL, make_settings, retrieve, stub_cnam


@pytest.fixture
def make_retriever():
    made = []

    def make(redis_url=None, prefix=None, **overrides):
        settings = make_settings(**overrides)
        retriever = RightsRetriever(settings, sleep=lambda _: None,
                                    protections=build_protections(settings, redis_url, prefix or _prefix()))
        made.append(retriever)
        return retriever

    yield make
    for retriever in made:
        retriever.close()


def _prefix() -> str:
    return f"test:{uuid.uuid4().hex}"


def cnam_reason(retriever):
    return retrieve(retriever, sources=("cnam",)).results["cnam"].reason


def test_one_persons_cnam_502_does_not_degrade_the_next_sign_in(make_retriever, mocked_responses):
    retriever = make_retriever()
    failures = {("/me", None): 502, ("/me/beneficiaires", None): 502}
    stub_cnam(mocked_responses, failures=failures)
    assert cnam_reason(retriever) == "cnam_unavailable_502"  # six failing calls, retries included: one sign-in
    failures.clear()
    assert cnam_reason(retriever) == "cnam_ok"


def test_distinct_failing_sign_ins_open_the_circuit(make_retriever, mocked_responses):
    retriever = make_retriever()
    stub_cnam(mocked_responses, failures={("/me", None): 502, ("/me/beneficiaires", None): 502})
    for _ in range(2):
        assert cnam_reason(retriever) == "cnam_unavailable_502"
    assert cnam_reason(retriever) == "cnam_circuit_open"  # its first failure is the third: its retries stop
    calls = len(mocked_responses.calls)
    assert cnam_reason(retriever) == "cnam_circuit_open"
    assert len(mocked_responses.calls) == calls


def test_two_instances_share_the_breaker_through_redis(make_retriever, mocked_responses, redis_url):
    prefix = _prefix()
    one, other = make_retriever(redis_url, prefix), make_retriever(redis_url, prefix)
    failures = {("/me", None): 502, ("/me/beneficiaires", None): 502}
    stub_cnam(mocked_responses, failures=failures)
    for _ in range(2):
        assert cnam_reason(one) == "cnam_unavailable_502"
    # The third failing sign-in, on the other instance, counts with the first two: it opens the shared circuit.
    assert cnam_reason(other) == "cnam_circuit_open"
    calls = len(mocked_responses.calls)
    assert cnam_reason(one) == cnam_reason(other) == "cnam_circuit_open"
    assert len(mocked_responses.calls) == calls
    assert cnam_reason(make_retriever(redis_url)) == "cnam_unavailable_502"  # other keys: its own circuit


def test_two_instances_share_the_429_back_off_through_redis(make_retriever, mocked_responses, redis_url):
    prefix = _prefix()
    one, other = make_retriever(redis_url, prefix), make_retriever(redis_url, prefix)
    mocked_responses.get(C2S_URL, status=429, json=p.ERROR_429, headers={"Retry-After": "120"})
    assert retrieve(one, sources=("c2s",)).results["c2s"].reason == "c2s_rate_limited_00429"
    assert retrieve(other, sources=("c2s",)).results["c2s"].reason == "c2s_rate_limited_locally"
    assert len(mocked_responses.calls) == 1


def test_beyond_the_call_budget_c2s_is_unavailable_without_calling(make_retriever, mocked_responses):
    retriever = make_retriever(api_particulier_per_second=2)
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    reasons = [retrieve(retriever, sources=("c2s",)).results["c2s"].reason for _ in range(3)]
    assert reasons == ["c2s_ok", "c2s_ok", "c2s_outbound_limit"]
    assert len(mocked_responses.calls) == 2


def test_the_per_second_and_per_minute_limits_hold_across_two_instances(redis_url):
    key = _prefix()
    one, other = (CallBudget(redis_url, key, per_second=5, per_minute=8) for _ in range(2))
    first_second = [budget.take() for _ in range(5) for budget in (one, other)]
    assert first_second.count(True) == 5  # per second, both instances together
    time.sleep(1.05)
    next_second = [budget.take() for _ in range(3) for budget in (one, other)]
    assert next_second.count(True) == 3  # 8 a minute, both instances together


def test_the_call_budget_cannot_exceed_api_particuliers_limits():
    for key, value in (("API_PARTICULIER_MAX_PER_SECOND", 21), ("API_PARTICULIER_MAX_PER_MINUTE", 1001)):
        with pytest.raises(ConfigError, match="12 h"):
            load_provider_settings({**connectors_settings.DEFAULTS, key: value}, production=False, sandbox=True,
                                   sandbox_url="http://127.0.0.1:5001")


def test_the_half_open_trial_is_one_sign_in_across_instances(redis_url):
    clock, key = FakeClock(1_800_000_000.0), _prefix()
    one, other = (outbound.CircuitBreaker(3, 30, clock, store=RedisState(redis.Redis.from_url(redis_url)), key=key)
                  for _ in range(2))
    for caller, breaker in (("a", one), ("b", other), ("c", one)):
        breaker.record(caller, success=False)
    assert one.state == other.state == "open"
    clock.advance(30)
    assert other.allow("trial") and not one.allow("someone-else") and one.allow("trial")
    one.record("trial", success=True)
    assert other.state == "closed" and other.allow("anyone")


def test_a_redis_outage_keeps_the_breaker_in_memory_and_closes_the_budget(make_retriever, mocked_responses):
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once
    retriever = make_retriever(unreachable)
    stub_cnam(mocked_responses)
    mocked_responses.get(C2S_URL, json=p.C2S_FREE)
    results = retrieve(retriever).results
    assert results["cnam"].reason == "cnam_ok"  # the breaker and the back-off fell back to this process
    assert results["c2s"].reason == "c2s_outbound_limit"  # no shared count: API Particulier is not called
    assert not [c for c in mocked_responses.calls if c.request.url.startswith(C2S_URL)]


def test_the_factory_shares_the_back_off_between_apps_with_the_same_redis(make_app, mocked_responses, redis_url):
    config = dict(REDIS_URL=redis_url, RIGHTS_SOURCES="c2s", API_PARTICULIER_URL=API_PARTICULIER_BASE,
                  API_PARTICULIER_RECIPIENT="13002526500013")
    one, other = (services(make_app(**config)).retriever for _ in range(2))
    mocked_responses.get(C2S_URL, status=429, json=p.ERROR_429, headers={"Retry-After": "2"})
    try:
        assert retrieve(one, sources=("c2s",)).results["c2s"].reason == "c2s_rate_limited_00429"
        assert retrieve(other, sources=("c2s",)).results["c2s"].reason == "c2s_rate_limited_locally"
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter("dc:provider:*"):  # the deployment's own keys: no other test inherits them
            client.delete(key)
        one.close()
        other.close()


def test_a_gates_and_a_breakers_state_are_read_in_one_redis_round_trip(redis_url):
    key = f"dc:test:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    store = RedisState(client)
    try:
        store.put(f"{key}:open_until", "123.5", 30)
        assert store.get_many(f"{key}:blocked_until", f"{key}:open_until") == [None, "123.5"]
        commands = []
        original = client.execute_command
        client.execute_command = lambda *args, **kwargs: commands.append(args[0]) or original(*args, **kwargs)
        store.get_many(f"{key}:blocked_until", f"{key}:open_until")
        assert commands == ["MGET"]
    finally:
        client.delete(f"{key}:open_until")
