"""The huey tasks: in immediate mode for the logic, and a real consumer process killed and restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.delivery.webhooks import jobs
from app.extensions import services
from app.model.webhook import WebhookEvent
from tests.conftest import base_config
from tests.delivery.conftest import SECRET, sender_for, settings
from tests.delivery.receiver import Receiver
from tests.portal import demo_registry
from tests.sandbox.server import run_wsgi

ROOT = Path(__file__).resolve().parents[2]
EVENT = WebhookEvent("journey.cancelled", "chu-demo", portal_reference="ADM-9")


def immediate_jobs(outbox, url, clock, **changes):
    webhook_jobs = jobs.register(jobs.make_huey(settings(**changes)), sender_for(outbox, url, clock, **changes))
    outbox.listen(webhook_jobs.enqueue)
    return webhook_jobs


def test_the_commit_hint_delivers_at_once_and_a_failure_schedules_the_retry(outbox, clock):
    receiver = Receiver(500)
    with run_wsgi(receiver) as base_url:
        webhook_jobs = immediate_jobs(outbox, f"{base_url}/hooks", clock)
        outbox_id = outbox.record(EVENT)
        assert len(receiver.received) == 1 and outbox.get(outbox_id).status == "pending"
        [scheduled] = webhook_jobs.huey.scheduled()
        assert scheduled.args == (outbox_id,) and scheduled.name == "webhooks.deliver"
        clock.advance(60)
        webhook_jobs.sweep()  # the periodic sweep finds the due row even if the scheduled task were lost
    assert outbox.get(outbox_id).status == "delivered"
    assert [r.id for r in receiver.received] == [outbox_id, outbox_id]


def test_the_queue_follows_the_settings(tmp_path):
    assert type(jobs.make_huey(settings(queue="immediate"))).__name__ == "MemoryHuey"
    sqlite = jobs.make_huey(settings(queue=f"sqlite:///{tmp_path / 'q' / 'queue.sqlite3'}"))
    assert type(sqlite).__name__ == "SqliteHuey" and (tmp_path / "q").is_dir()
    assert type(jobs.make_huey(settings(queue="redis://127.0.0.1:6399/0"))).__name__ == "RedisHuey"


def _start_worker(config: dict, instance: Path, log: Path) -> subprocess.Popen:
    with log.open("ab") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "tests.delivery.worker_process", json.dumps(config),
                                 str(instance)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.services)])
def queue(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    url = request.getfixturevalue("redis_url")
    jobs.make_huey(settings(queue=url)).flush()  # this test's queue starts empty
    return url


def test_a_worker_killed_between_commit_and_send_delivers_after_restart(tmp_path, queue):
    """A real huey consumer in its own process, the queue (SQLite or Redis) and the database shared with the web
    side: the worker dies (SIGKILL), dossiers are committed meanwhile (one hint queued, one hint lost), a new
    worker sends both."""
    receiver = Receiver()
    with run_wsgi(receiver) as base_url:
        instance = tmp_path / "instance"
        config = base_config(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dossiers.sqlite3'}",
            WEBHOOK_QUEUE=queue,
            **demo_registry(tmp_path, webhook={"url": f"{base_url}/hooks", "secret": SECRET}),
        )
        from app import create_app

        app = create_app(config, instance_path=str(instance))
        log = tmp_path / "worker.log"
        worker = _start_worker(config, instance, log)
        try:
            time.sleep(1.5)  # let it start, then kill it without a chance to clean up
            worker.kill()
            worker.wait()
            store = services(app).dossiers
            submitted = store.submit(
                idempotency_key="form-key-kill-1", organisation="chu-demo", journey="preadmission",
                content={"a": 1}, retention_days=90,
                events=[WebhookEvent("dossier.submitted", "chu-demo", portal_reference="ADM-1")])
            # A second row whose enqueue is lost (written by an outbox nobody listens to): only the sweep sees it.
            from app.dossiers.outbox import Outbox

            lost = Outbox(store.engine).record(EVENT)
            time.sleep(0.5)
            assert receiver.received == []
            worker = _start_worker(config, instance, log)
            received = receiver.wait_for(2, timeout=30)
        finally:
            _stop(worker)
    assert sorted(json.loads(r.body)["type"] for r in received) == ["dossier.submitted", "journey.cancelled"], \
        log.read_text()
    assert len(received) == 2
    by_type = {json.loads(r.body)["type"]: r for r in received}
    assert json.loads(by_type["dossier.submitted"].body)["data"]["dossier_reference"] == submitted.reference
    assert by_type["journey.cancelled"].id == lost
    assert {e.status for e in store.outbox.entries()} == {"delivered"}


@pytest.mark.services
def test_the_worker_uses_redis_when_redis_url_is_set(tmp_path, redis_url):
    from app import create_app

    app = create_app(base_config(REDIS_URL=redis_url), instance_path=str(tmp_path / "instance"))
    assert services(app).settings.webhooks.queue == redis_url
