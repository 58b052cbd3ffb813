"""`flask delivery webhooks list [--dead] | replay ID | worker` on an app's outbox."""

from __future__ import annotations

import pytest

from app.extensions import services
from app.model.webhook import WebhookEvent

EVENT = WebhookEvent("journey.cancelled", "chu-demo", portal_reference="ADM-9")


@pytest.fixture
def app(make_app, tmp_path):
    # A queue nobody consumes: the rows stay as the test leaves them.
    return make_app(WEBHOOK_QUEUE=f"sqlite:///{tmp_path / 'queue.sqlite3'}")


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["delivery", "webhooks", *args])


def test_list_shows_the_rows_and_dead_ones_apart(app):
    outbox = services(app).dossiers.outbox
    assert invoke(app, "list").output == "no webhook in the outbox\n"
    pending, dead = outbox.record(EVENT), outbox.record(EVENT)
    outbox.failed(dead, "http_500", None)
    listed = invoke(app, "list").output
    assert pending in listed and dead in listed and "last_error=http_500" in listed
    only_dead = invoke(app, "list", "--dead").output
    assert dead in only_dead and pending not in only_dead and " dead " in only_dead
    assert "ADM-9" not in listed  # the payload is not printed


def test_replay_puts_a_dead_row_back_and_refuses_the_others(app):
    outbox = services(app).dossiers.outbox
    dead = outbox.record(EVENT)
    outbox.failed(dead, "http_500", None)
    result = invoke(app, "replay", dead)
    assert result.exit_code == 0 and result.output == f"webhook {dead} queued again\n"
    assert (outbox.get(dead).status, outbox.get(dead).attempts) == ("pending", 0)
    again = invoke(app, "replay", "msg_nope")
    assert again.exit_code == 1 and "no webhook 'msg_nope'" in again.output
    pending = outbox.record(EVENT)
    outbox.failed(pending, "http_500", outbox.get(pending).next_attempt_at)
    refused = invoke(app, "replay", pending)
    assert refused.exit_code == 1 and "only a dead one is replayed" in refused.output


def test_the_worker_refuses_an_immediate_queue(make_app):
    result = invoke(make_app(WEBHOOK_QUEUE="immediate"), "worker")
    assert result.exit_code == 1 and "immediate" in result.output
