"""The part of every service's unit-of-work port that is the same everywhere: a transaction
entered with `async with`, committed explicitly, with its request-id log. A service's port
(`services/<svc>/service_layer/ports.py`) adds its repositories and how it emits events."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from servicekit.idempotency import RequestLog


class UnitPort(Protocol):
    """`async with deps.uow() as uow: ...; await uow.commit()`. Leaving the block without
    commit changes nothing, events included."""

    @property
    def requests(self) -> RequestLog: ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
