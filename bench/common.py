"""What the benchmarks that drive the running dev stack share: starting it on free ports in a
scratch folder, and summarising latencies."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

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


async def raise_wifi_tickets(
    client: httpx.AsyncClient, requester: dict[str, str], rate: float, seconds: float
) -> list[str]:
    """Raises demo Wi-Fi tickets as `requester` at a fixed rate; returns their ids."""
    types = (await client.get("/v1/service-types", headers=requester)).json()["serviceTypes"]
    wifi = next(t["serviceTypeId"] for t in types if t["displayName"] == "Wi-Fi")
    body = {"title": "bench", "serviceTypeId": wifi, "customFields": {"floor": 3}}
    ids: list[str] = []

    async def create() -> None:
        answer = await client.post("/v1/tickets", json=body, headers=requester)
        ids.append(answer.raise_for_status().json()["ticketId"])

    tasks, started = [], time.monotonic()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(create()))
    await asyncio.gather(*tasks)
    return ids
