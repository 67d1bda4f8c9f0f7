"""What the benchmarks that drive the running dev stack share: starting it on free ports in a
scratch folder, and summarising latencies."""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from devstack.ports import free_port
from devstack.stack import Stack, StackOptions


@contextlib.contextmanager
def running_stack(settle_seconds: float = 10) -> Iterator[Stack]:
    """The whole dev stack (embedded PostgreSQL and broker, every service and worker as its
    own process, demo data), stopped afterwards; `settle_seconds` lets consumers join their
    groups and catch up with the demo data."""
    with tempfile.TemporaryDirectory() as folder:
        stack = Stack(StackOptions(data_dir=Path(folder), gateway_port=free_port(),
                                   free_ports=True))  # fmt: skip
        try:
            stack.start()
            time.sleep(settle_seconds)
            yield stack
        finally:
            stack.stop()


def summary(values: list[float]) -> str:
    """p50, p99 and mean of sorted millisecond values."""
    p50, p99 = values[len(values) // 2], values[max(0, int(len(values) * 0.99) - 1)]
    return f"p50 {p50:.0f} ms  p99 {p99:.0f} ms  mean {statistics.fmean(values):.0f} ms"
