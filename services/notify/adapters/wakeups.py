"""Waking message streams across processes with PostgreSQL LISTEN/NOTIFY (implements
`ports.Wakeups`).

Why LISTEN/NOTIFY: the change and its wake-up commit together (NOTIFY inside the writing
transaction is delivered at commit, never before and never for a rolled-back change), every
notify replica hears every wake-up with one connection each, and it needs nothing we do not
run already. A wake-up only says "look again": streams read what is new from the database by
position, so a lost wake-up (a reconnecting listener) delays, never loses, and one process
waking many times sends nothing twice. After every (re)connect all watchers are woken."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import psycopg
from sqlalchemy.engine import make_url

from services.notify.adapters.tables import WAKE_CHANNEL

log = logging.getLogger(__name__)


class PgWakeups:
    def __init__(self, database_url: str, *, retry_seconds: float = 1.0):
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._retry = retry_seconds
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def watch(self, user_id: str) -> AsyncIterator[asyncio.Event]:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="notify-wakeups")
        event = asyncio.Event()
        self._watchers.setdefault(user_id, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._watchers.get(user_id, set())
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(user_id, None)

    @property
    def watching(self) -> int:
        return sum(len(w) for w in self._watchers.values())

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {WAKE_CHANNEL}")
                    self._wake_all()  # whatever changed while we were not listening
                    async for notice in connection.notifies():
                        for event in self._watchers.get(notice.payload, ()):
                            event.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away: streams poll meanwhile
                log.warning("listening for message wake-ups failed: %r", error)
                self._wake_all()
                await asyncio.sleep(self._retry)

    def _wake_all(self) -> None:
        for watchers in self._watchers.values():
            for event in watchers:
                event.set()
