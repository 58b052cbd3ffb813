"""`make run` starts the webhook worker beside the dev server and stops it with it."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from app import devserver
from tests.delivery.conftest import settings


def test_the_dev_server_starts_the_worker_command_production_runs(monkeypatch):
    started = []
    monkeypatch.setattr(devserver.subprocess, "Popen", lambda args: started.append(args) or "process")
    assert devserver.start_webhook_worker(SimpleNamespace(webhooks=settings(queue="sqlite:////tmp/q"))) == "process"
    assert started == [[sys.executable, "-m", "flask", "--app", "app", "delivery", "webhooks", "worker"]]
    assert devserver.start_webhook_worker(SimpleNamespace(webhooks=settings(queue="immediate"))) is None


def test_stopping_ends_the_worker_process():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    devserver.stop_webhook_worker(process)
    assert process.poll() is not None
    devserver.stop_webhook_worker(process)  # already gone: nothing to do
    devserver.stop_webhook_worker(None)
