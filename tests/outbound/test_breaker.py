"""The circuit breaker counts failing callers (sign-ins), not calls; it opens on several of them, then one trial."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import responses

from app import outbound
from app.outbound import observe


def make(clock, **kwargs):
    kwargs.setdefault("threshold", 3)
    return outbound.CircuitBreaker(cooldown=30, clock=clock, window=60, **kwargs)


def test_one_callers_failures_never_open_the_circuit(clock):
    breaker = make(clock)
    for _ in range(20):  # one sign-in: its retries and its several calls
        breaker.record("alice", success=False)
    assert breaker.state == "closed" and breaker.allow("bob")


def test_distinct_failing_callers_open_it_then_one_trial_caller_goes_through(clock):
    breaker = make(clock)
    for caller in ("a", "b"):
        breaker.record(caller, success=False)
    assert breaker.state == "closed"
    breaker.record("c", success=False)
    assert breaker.state == "open" and not breaker.allow("d")
    clock.advance(29.9)
    assert not breaker.allow("d")
    clock.advance(0.1)
    assert breaker.state == "half_open"
    assert breaker.allow("trial") and not breaker.allow("other")
    assert breaker.allow("trial")  # the trial sign-in's other calls
    breaker.record("late", success=True)  # a call begun before the circuit opened does not decide
    assert breaker.state == "half_open"
    breaker.record("trial", success=False)  # the trial failed: open for another cooldown
    assert breaker.state == "open"
    clock.advance(30)
    assert breaker.allow("second-trial")
    breaker.record("second-trial", success=True)
    assert breaker.state == "closed" and breaker.allow("x") and breaker.allow("y")
    for caller in ("a", "b"):  # the old failures were forgotten when it closed
        breaker.record(caller, success=False)
    assert breaker.state == "closed"


def test_failures_outside_the_window_are_forgotten(clock):
    breaker = make(clock)
    breaker.record("a", success=False)
    breaker.record("b", success=False)
    clock.advance(61)
    breaker.record("c", success=False)
    assert breaker.state == "closed"


def test_a_minority_of_failing_callers_keeps_it_closed(clock):
    breaker = make(clock)
    for i in range(10):
        breaker.record(f"ok-{i}", success=True)
    for i in range(5):
        breaker.record(f"ko-{i}", success=False)
    assert breaker.state == "closed"  # 5 failing of 15: below half
    for i in range(5, 10):
        breaker.record(f"ko-{i}", success=False)
    assert breaker.state == "open"  # 10 of 20


def test_a_single_trial_under_concurrency(clock):
    breaker = make(clock, threshold=1)
    breaker.record("a", success=False)
    clock.advance(30)
    barrier = threading.Barrier(16)

    def probe(i):
        barrier.wait()
        return breaker.allow(f"caller-{i}")

    with ThreadPoolExecutor(16) as pool:
        assert sorted(pool.map(probe, range(16))) == [False] * 15 + [True]


def test_a_caller_seen_again_stays_in_the_window_and_the_ones_before_it_leave(clock):
    state = outbound.MemoryState(clock)
    assert state.mark("seen", "a", 0, 60) == 1
    assert state.mark("seen", "b", 1, 60) == 2
    assert state.mark("seen", "a", 30, 60) == 2  # seen again: its window starts again
    # At 62 « b » (last seen at 1) is past the window; « a » (30) and « c » are in it.
    assert state.mark("seen", "c", 62, 60) == 2
    assert state.mark("seen", "d", 91, 60) == 2  # « a » gone too: « c » and « d »
    assert state.mark("seen", "e", 500, 60) == 1



class CountingState(outbound.MemoryState):
    def __init__(self, clock):
        super().__init__(clock)
        self.marks, self.reads = [], []

    def get(self, key):
        self.reads.append(key)
        return super().get(key)

    def mark(self, key, member, at, window):
        self.marks.append((key.rsplit(":", 1)[-1], member))
        return super().mark(key, member, at, window)


def test_a_sign_ins_successes_are_noted_once_a_second_and_failures_always(clock):
    store = CountingState(clock)
    breaker = make(clock, store=store)
    for _ in range(12):  # one sign-in's dozen calls, within a second
        breaker.record("alice", success=True)
    assert store.marks == [("seen", "alice")]
    breaker.record("alice", success=False)  # a failure is always counted
    assert store.marks[1:] == [("seen", "alice"), ("failed", "alice")]
    clock.advance(outbound.CircuitBreaker.NOTE_AGAIN_AFTER)
    breaker.record("alice", success=True)  # a second later: noted again, its time in the window kept current
    assert store.marks[-1] == ("seen", "alice")


def test_record_answers_the_state_it_leaves_the_circuit_in(clock):
    # What a call's metrics report, without reading the state again (a round trip to Redis a call).
    breaker = make(clock)
    steps = [("a", False), ("b", False), ("c", False)]  # the third failing caller opens it
    answers = [breaker.record(caller, success=ok) for caller, ok in steps]
    assert answers == ["closed", "closed", "open"] and breaker.state == "open"
    assert breaker.record("late", success=True) == "open"  # a call begun before it opened: still open
    clock.advance(30)
    assert breaker.allow("trial")
    assert breaker.record("late", success=True) == "half_open" == breaker.state  # not the trial: no decision
    assert breaker.record("trial", success=False) == "open" == breaker.state
    clock.advance(30)
    assert breaker.allow("second-trial")
    assert breaker.record("second-trial", success=True) == "closed" == breaker.state
    assert breaker.record("x", success=True) == "closed" and breaker.record("x", success=True) == "closed"


def test_a_call_reads_the_circuit_twice_not_three_times(clock, monkeypatch):
    # allow() before the call and record() after it; the metrics take record()'s answer.
    store = CountingState(clock)
    http = outbound.OutboundHttp("https://peer.example", provider="peer", clock=clock,
                                 breaker=make(clock, store=store, key="peer"))
    seen = []
    monkeypatch.setattr(observe, "_listeners", [seen.append])
    with responses.RequestsMock() as mocked:
        mocked.get("https://peer.example/x", json={})
        http.get("/x")
    assert store.reads.count("peer:open_until") == 2 and seen[-1].breaker_state == "closed"


def test_a_call_reads_its_gate_and_breaker_in_one_go_then_its_breaker(clock):
    # A shared store (Redis) is asked twice a call: both states before it, the breaker's after it.
    class Asked(CountingState):
        def __init__(self, clock):
            super().__init__(clock)
            self.asked = []

        def get_many(self, *keys):
            self.asked.append(keys)
            return super().get_many(*keys)

    store = Asked(clock)
    protection = outbound.Protection(make(clock, store=store, key="peer"),
                                     outbound.RateGate(clock=clock, store=store, key="peer"))
    http = outbound.provider_http("https://peer.example", provider="peer", clock=clock, protection=protection)
    with responses.RequestsMock() as mocked:
        mocked.get("https://peer.example/x", json={})
        http.get("/x")
    assert store.asked == [("peer:blocked_until", "peer:open_until")] and store.reads == ["peer:open_until"]
    protection.gate.block(5)  # a 429's wait: refused without calling, from the same single read
    with pytest.raises(outbound.OutboundRateLimited):
        http.get("/x")
    assert len(store.asked) == 2


def test_memory_state_reads_several_keys_at_once(clock):
    state = outbound.MemoryState(clock)
    state.put("a", "1", 10)
    assert state.get_many("a", "b") == ["1", None]
    clock.advance(10)
    assert state.get_many("a") == [None]
