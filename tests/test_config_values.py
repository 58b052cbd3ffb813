"""Development secrets in the instance folder: one key however many workers start together, never a partial one."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.config_values import ConfigError, instance_secret


def racing_writers(count: int, write) -> list[str]:
    """Run `count` writers whose key generation all overlap, so each believes it is the first."""
    together = threading.Barrier(count, timeout=5)
    candidates = iter(f"candidate-{n}" for n in range(count))
    lock = threading.Lock()

    def generate() -> str:
        with lock:
            candidate = next(candidates)
        together.wait()
        return candidate

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: write(generate), range(count)))


def test_writers_starting_together_all_get_the_same_key(tmp_path):
    keys = racing_writers(8, lambda generate: instance_secret(str(tmp_path), "key", generate))
    assert len(set(keys)) == 1 and keys[0].startswith("candidate-")
    assert (tmp_path / "key").read_text() == keys[0] + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["key"]  # no draft left behind


def test_key_file_is_private_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        instance_secret(str(tmp_path / "instance"), "key", lambda: "k")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "instance" / "key").stat().st_mode) == 0o600


def test_existing_key_is_kept(tmp_path):
    (tmp_path / "key").write_text("kept\n")
    assert instance_secret(str(tmp_path), "key", lambda: pytest.fail("must not generate")) == "kept"


def test_a_symlink_planted_at_the_name_is_not_written_through(tmp_path):
    target = tmp_path / "elsewhere" / "stolen"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "key").symlink_to(target)
    with pytest.raises(ConfigError, match="key cannot be read"):
        instance_secret(str(tmp_path), "key", lambda: "secret")
    assert not target.exists()


def test_an_empty_key_file_is_refused_not_used(tmp_path):
    # What an older writer left when it died between creating the file and writing the key.
    (tmp_path / "key").write_text("\n")
    with pytest.raises(ConfigError, match="key is empty: delete it"):
        instance_secret(str(tmp_path), "key", lambda: "secret")


def test_a_writer_that_dies_leaves_nothing_behind(tmp_path):
    def crash() -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        instance_secret(str(tmp_path), "key", crash)
    assert list(tmp_path.iterdir()) == []
    assert instance_secret(str(tmp_path), "key", lambda: "next") == "next"
