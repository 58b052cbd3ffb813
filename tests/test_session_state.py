"""The typed view of the session: one per request, each entry rebuilt once, and never stale after a write."""

from __future__ import annotations

from unittest import mock

from app import sessions
from app.model.journey import Draft, People
from app.model.outcome import SourceResult
from tests.journeys.factories import ANGELA, c2s_ok, cnam_ok
from tests.journeys.test_views import sign_in


def test_one_state_per_request_and_each_entry_rebuilt_once(app):
    client = app.test_client()
    sign_in(client)
    with client.session_transaction() as stored:
        data = dict(stored)
    with app.test_request_context("/"):
        from flask import session

        session.update(data)
        assert sessions.current() is sessions.current()
        with mock.patch.object(SourceResult, "from_dict", wraps=SourceResult.from_dict) as rebuilt:
            first = sessions.current().rights
            second = sessions.current().rights
        assert first == second and rebuilt.call_count == len(first) == 2
        second.pop("cnam")  # a caller's copy: the next read is whole again
        assert set(sessions.current().rights) == {"c2s", "cnam"}
        assert sessions.current().identity == ANGELA


def test_a_write_is_read_back_at_once_within_the_request(app):
    with app.test_request_context("/"):
        state = sessions.current()
        state.choose_people(People(patient="self"))
        assert state.people == People(patient="self")
        state.choose_people(People(patient="other"))  # cached before: must not be read stale
        assert sessions.current().people == People(patient="other")
        state.save_draft({"phone": "0612345678"}, new_key=lambda: "k" * 32)
        assert state.draft == Draft(values={"phone": "0612345678"}, key="k" * 32)
        state.save_draft({"phone": "0698765432"}, new_key=lambda: "other")
        assert state.draft.values == {"phone": "0698765432"} and state.draft.key == "k" * 32
        state.save_sign_in(mock.Mock(identity=ANGELA, rights={"c2s": c2s_ok()}, journey=None), id_token="t")
        assert set(state.rights) == {"c2s"}
        state.save_sign_in(mock.Mock(identity=ANGELA, rights={"c2s": c2s_ok(), "cnam": cnam_ok()}, journey=None),
                           id_token="t")
        assert set(state.rights) == {"c2s", "cnam"}
