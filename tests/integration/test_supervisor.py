"""The dev stack's supervisor restarts a child that died, with growing back-off, and says so."""

from __future__ import annotations

import logging
import time

from devstack import supervisor
from devstack.supervisor import Child


def test_dead_child_is_restarted_with_growing_backoff(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(supervisor, "STABLE_AFTER_SECONDS", 60.0)
    child = Child("crasher", ["json.tool", "/nonexistent"], {}, tmp_path / "crasher.log")
    child.backoff = 0.2
    caplog.set_level(logging.WARNING, logger="devstack")
    child.start()
    deadline = time.monotonic() + 20
    while child.restarts < 2 and time.monotonic() < deadline:
        child.check()
        time.sleep(0.05)
    assert child.restarts == 2
    assert child.backoff == 0.8  # 0.2, then 0.4, doubling after each death
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("crasher exited with code 2; restarting in 0.2 s") for m in messages)
    assert any(m == "restarting crasher (restart 2)" for m in messages)
    child.terminate()
    child.wait(timeout=5)


def test_running_child_is_left_alone(tmp_path):
    child = Child("sleeper", ["http.server", "0", "--bind", "127.0.0.1"], {}, tmp_path / "s.log")
    child.start()
    try:
        for _ in range(5):
            child.check()
            time.sleep(0.05)
        assert child.restarts == 0 and child.restart_at is None
    finally:
        child.terminate()
        child.wait(timeout=5)
