"""AIP-155 request ids: a create retried with the same request_id returns the first result.

The key is remembered in the create's own transaction, so a create and its key commit
together; a concurrent duplicate fails on the primary key and is answered from the first.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

IDEMPOTENCY = "idempotency_keys"


def define_idempotency_table(metadata: MetaData) -> Table:
    return Table(
        IDEMPOTENCY,
        metadata,
        Column("operation", Text, primary_key=True),
        Column("request_id", Text, primary_key=True),
        Column("resource_id", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


_KEYS = define_idempotency_table(MetaData())


async def remembered(db: AsyncConnection, *, operation: str, request_id: str) -> str | None:
    """The resource id an earlier call with this request id created, if any."""
    if not request_id:
        return None
    return await db.scalar(
        select(_KEYS.c.resource_id).where(
            _KEYS.c.operation == operation, _KEYS.c.request_id == request_id
        )
    )


async def remember(
    db: AsyncConnection, *, operation: str, request_id: str, resource_id: str
) -> bool:
    """Records the key; False when a concurrent call recorded it first."""
    if not request_id:
        return True
    inserted = await db.scalar(
        insert(_KEYS)
        .values(operation=operation, request_id=request_id, resource_id=resource_id)
        .on_conflict_do_nothing()
        .returning(_KEYS.c.request_id)
    )
    return inserted is not None
