"""Child processes of the dev stack, restarted with back-off when they die (DESIGN.md §8)."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.catalogue import ROOT

log = logging.getLogger("devstack")
MAX_BACKOFF_SECONDS = 30.0
STABLE_AFTER_SECONDS = 30.0  # a child that ran this long starts its back-off afresh


@dataclass
class Child:
    """One supervised process: `python -m <module>` with its own log file."""

    name: str
    module: list[str]
    env: dict[str, str]
    log_file: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    restart_at: float | None = None
    backoff: float = field(default=1.0)
    uses_broker: bool = False  # a relay or consumer: restarted afresh when the broker is

    def start(self) -> None:
        output = open(self.log_file, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.module],
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    def check(self) -> None:
        """Schedules a restart of a dead child, or performs one that is due."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                log.warning("restarting %s (restart %d)", self.name, self.restarts)
                self.start()
            return
        assert self.process is not None
        code = self.process.poll()
        if code is None:
            return
        if now - self.started_at >= STABLE_AFTER_SECONDS:
            self.backoff = 1.0
        log.warning(
            "%s exited with code %s; restarting in %.1f s (log: %s)",
            self.name,
            code,
            self.backoff,
            self.log_file,
        )
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)

    def stop_now(self, grace: float = 2.0) -> None:
        """Stops it within `grace` seconds (killed after that), not to be restarted until
        `start` is called; not a failure: no back-off, not counted."""
        self.terminate()
        self.wait(timeout=grace)
        self.restart_at = None

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            log.info("stopping %s", self.name)
            self.process.terminate()

    def wait(self, timeout: float) -> None:
        if not self.process:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
