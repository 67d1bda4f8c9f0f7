"""Unit of work: one transaction per command, committing the change and its events together."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import MetaData, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from ticketing.events.v1 import envelope_pb2

from servicekit.idempotency import SqlRequestLog
from servicekit.messaging_tables import define_messaging_tables

_OUTBOX, _ = define_messaging_tables(MetaData())


class UnitOfWork:
    """`async with UnitOfWork(engine) as uow: ...; await uow.publish(...); await uow.commit()`.
    Leaving the block without commit rolls everything back, events included. Repositories
    work on `uow.connection` (SQLAlchemy Core; no ORM session, which costs CPU per statement)."""

    def __init__(self, engine: AsyncEngine | None, *, joining: AsyncConnection | None = None):
        """`joining`: a transaction someone else owns (a consumer's, beside its inbox row);
        the unit works inside it and leaves commit and rollback to the owner."""
        self._engine = engine
        self._joined = joining is not None
        if joining is not None:
            self.connection = joining
        self.requests: SqlRequestLog

    async def __aenter__(self) -> UnitOfWork:
        if not self._joined:
            assert self._engine is not None
            self.connection = await self._engine.connect()
            await self.connection.begin()
        self.requests = SqlRequestLog(self.connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._joined:
            return
        if self.connection.in_transaction():
            await self.connection.rollback()
        await self.connection.close()

    async def publish(
        self, topic: str, envelope: envelope_pb2.EventEnvelope, *, key: str = ""
    ) -> None:
        """Adds the event to the outbox inside this transaction, keyed by `key` (default: the
        aggregate id). An entity topic is compacted by key, so each entity needs its own."""
        await self.connection.execute(
            insert(_OUTBOX),
            {
                "event_id": envelope.event_id,
                "topic": topic,
                "key": key or envelope.aggregate_id,
                "event_type": envelope.event_type,
                "payload": envelope.SerializeToString(),
            },
        )

    async def commit(self) -> None:
        if not self._joined:
            await self.connection.commit()
