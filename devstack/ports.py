"""Free loopback ports and waiting for a port to accept connections."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from pathlib import Path

_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
_handed_out: set[int] = set()  # never the same port twice from one process


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now, for a server that binds it later. Chosen below the kernel's ephemeral
    range: a port the kernel hands out itself (bind to 0) is also what it picks as the source
    port of outgoing connections, so one of the many connections a stack opens before the
    server binds could take it meanwhile."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randint(max(1024, low - 12_000), low - 1)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def reserve(port: int) -> None:
    """Never hand out `port`: it is promised to a server that binds it later (the gateway's
    port is known from the start, but the gateway starts last)."""
    _handed_out.add(port)


def _ephemeral_low() -> int:
    try:
        return int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def wait_for_port(
    host: str, port: int, *, timeout: float, alive: Callable[[], bool] = lambda: True
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"process for {host}:{port} exited before it listened")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")
