"""Service types and levels read on every ticket create, kept for a few seconds per process.
This replica's own catalogue changes clear it at once; another replica's show within
`catalog_cache_seconds` (default 5)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.tickets.domain.catalog import ServiceLevel, ServiceType
from services.tickets.service_layer.ports import TicketsUnit

T = TypeVar("T")


class CatalogCache:
    def __init__(self, ttl_seconds: float):
        self._ttl = ttl_seconds
        self._entries: dict[tuple[str, str], tuple[float, object]] = {}

    async def service_type(self, uow: TicketsUnit, type_id: str) -> ServiceType | None:
        return await self._get(("type", type_id), lambda: uow.catalog.get_type(type_id))

    async def has_children(self, uow: TicketsUnit, type_id: str) -> bool:
        found = await self._get(("children", type_id), lambda: uow.catalog.has_children(type_id))
        return bool(found)

    async def service_level(self, uow: TicketsUnit, level_id: str) -> ServiceLevel | None:
        return await self._get(("level", level_id), lambda: uow.catalog.get_level(level_id))

    def invalidate(self) -> None:
        self._entries.clear()

    async def _get(self, key: tuple[str, str], load: Callable[[], Awaitable[T | None]]) -> T | None:
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]  # type: ignore[return-value]
        found = await load()
        if found is not None and self._ttl > 0:
            self._entries[key] = (time.monotonic() + self._ttl, found)
        return found
