"""Running a one-off command of a service (a snapshot, a key rotation): settings, logging,
the service's wiring, the use case, and the database pool closed afterwards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.logs import configure_logging
from servicekit.settings import BaseServiceSettings


class HasEngine(Protocol):
    engine: AsyncEngine


S = TypeVar("S", bound=BaseServiceSettings)
D = TypeVar("D", bound=HasEngine)


async def run_once(
    settings: S,
    *,
    service: str,
    build_deps: Callable[[S], D],
    command: Callable[[D], Awaitable[object]],
) -> None:
    configure_logging(service=service, level=settings.log_level)
    deps = build_deps(settings)
    try:
        await command(deps)
    finally:
        await deps.engine.dispose()
