"""`make up` as a child process, for the browser tests and benchmarks that need the whole suite:
its own PostgreSQL and broker, free ports, demo data, stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.catalogue import ROOT
from devstack.ports import free_port


@dataclass
class Suite:
    process: subprocess.Popen[bytes]
    base_url: str
    output: Path

    def database_server_url(self) -> str:
        """The embedded PostgreSQL server's URL, as `make up` printed it."""
        found = re.search(r"^\s*postgres\s+(\S+)", self.output.read_text(), re.MULTILINE)
        if not found:
            raise RuntimeError(f"no postgres line in {self.output}")
        return found.group(1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_suite(data_dir: Path, timeout: float = 120) -> Suite:
    """Starts the suite with its data and logs in `data_dir`; returns once /readyz answers."""
    port = free_port()
    env = os.environ | {
        "TICKETING_DEV_DATA_DIR": str(data_dir),
        "TICKETING_GATEWAY_PORT": str(port),
        "TICKETING_DEV_FREE_PORTS": "1",
    }
    for name in ("TICKETING_DEV_DATABASE_URL", "TICKETING_DEV_KAFKA_BOOTSTRAP"):
        env.pop(name, None)
    data_dir.mkdir(parents=True, exist_ok=True)
    output = data_dir / "devstack.out"
    with open(output, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    suite = Suite(process, f"http://127.0.0.1:{port}", output)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the suite exited:\n{output.read_text(errors='replace')}")
        try:
            ready = httpx.get(f"{suite.base_url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            ready = False
        if ready and "Press Ctrl-C" in output.read_text(errors="replace"):
            return suite
        time.sleep(0.5)
    suite.stop()
    raise TimeoutError(f"the suite was not ready in {timeout:.0f} s:\n{output.read_text()}")
