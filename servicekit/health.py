"""Readiness that follows the dependencies a process needs (DESIGN.md §6).

A gRPC server's health reports NOT_SERVING while its database does not answer; a worker
process (outbox relay, consumer) serves only the health service, reporting what the worker
says of itself. Kubernetes probes and the gateway's /readyz read these.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[bool]]
# The health service name a liveness probe asks: SERVING while the process answers at all,
# whatever its dependencies say (a process waiting out an outage must not be restarted).
LIVENESS = "liveness"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def database_check(engine: AsyncEngine, *, timeout: float = 2.0) -> Check:
    """True while `SELECT 1` answers within `timeout`."""

    async def check() -> bool:
        try:
            async with asyncio.timeout(timeout), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception as error:
            log.warning("database check failed", extra={"error": repr(error)})
            return False

    return check


def flag_check(flag: Callable[[], bool]) -> Check:
    async def check() -> bool:
        return flag()

    return check


async def all_pass(checks: Sequence[Check]) -> bool:
    results = await asyncio.gather(*(check() for check in checks))
    return all(results)


async def watch(
    servicer: health.aio.HealthServicer,
    names: Sequence[str],
    checks: Sequence[Check],
    stop: asyncio.Event,
    *,
    interval: float = 1.0,
) -> None:
    """Sets every name SERVING or NOT_SERVING from the checks, every `interval` seconds."""
    last: bool | None = None
    while not stop.is_set():
        ready = await all_pass(checks)
        if ready != last:
            log.info("readiness changed", extra={"ready": ready})
            for name in ["", *names]:
                await servicer.set(name, SERVING if ready else NOT_SERVING)
            last = ready
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            continue


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Waits `seconds`, or less if `stop` is set meanwhile (every loop's back-off and idle
    wait: consumers, relays, the revocation feed)."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM: the one way processes learn they should stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_worker(
    work: Callable[[asyncio.Event], Awaitable[None]],
    *,
    listen: str,
    checks: Sequence[Check],
) -> None:
    """Runs `work(stop)` until a signal, serving gRPC health on `listen` from `checks`."""
    stop = stop_on_signals()
    server = aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port(listen)
    await server.start()
    await servicer.set(LIVENESS, SERVING)
    log.info("worker health served", extra={"port": port})
    watcher = asyncio.create_task(watch(servicer, [], checks, stop))
    try:
        await work(stop)
    finally:
        stop.set()
        await watcher
        await server.stop(0)
