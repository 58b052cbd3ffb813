"""The committed gunicorn.conf.py: it loads in gunicorn, and keeps what the logs must never carry out of them."""

from __future__ import annotations

import os
from pathlib import Path

from gunicorn.config import Config

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load() -> Config:
    config = Config()
    namespace: dict = {"__file__": str(CONF)}
    exec(compile(CONF.read_text(), str(CONF), "exec"), namespace)  # as gunicorn itself reads the file
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)
    return config


def test_the_access_log_never_writes_a_query_string():
    # The callback's query holds an authorization code and a state: %(r)s, %(q)s or %(u)s would log them.
    log_format = load().access_log_format
    assert "%(U)s" in log_format
    for unsafe in ("%(r)s", "%(q)s", "%({"):
        assert unsafe not in log_format


def test_the_app_is_created_in_each_worker_and_requests_are_bounded():
    config = load()
    assert config.preload_app is False  # thread pools made at creation would not survive a fork
    assert config.worker_class_str == "gthread"
    assert config.timeout > 30  # the longest sign-in: a retrieval bounded by RIGHTS_DEADLINE ≤ 30 s
    assert config.limit_request_fields <= 100


def test_the_master_gives_the_workers_a_metrics_folder_and_forgets_dead_workers(monkeypatch, tmp_path):
    namespace: dict = {"__file__": str(CONF)}
    exec(compile(CONF.read_text(), str(CONF), "exec"), namespace)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "-")  # restored (removed) after the test,
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")  # whatever on_starting sets

    class Server:
        pass

    server = Server()
    namespace["on_starting"](server)
    made = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert made.is_dir() and made.name.startswith("droits-connect-metrics-")
    (made / "gauge_livemax_4242.db").write_bytes(b"")

    class Worker:
        pid = 4242

    namespace["child_exit"](server, Worker())
    assert not (made / "gauge_livemax_4242.db").exists()  # a dead worker's live gauges leave the scrape
    namespace["on_exit"](server)
    assert not made.exists()


def test_each_worker_puts_what_it_built_out_of_the_collectors_reach():
    import gc

    namespace: dict = {"__file__": str(CONF)}
    exec(compile(CONF.read_text(), str(CONF), "exec"), namespace)
    before = gc.get_freeze_count()
    try:
        namespace["post_worker_init"](object())  # the worker has loaded the app (and this test's objects)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
