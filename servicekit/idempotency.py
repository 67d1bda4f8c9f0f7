"""AIP-155 request ids: a create retried with the same request_id returns the first result.

Keys are scoped to the caller (organisation and user): another caller's key never collides
with or reveals anything of yours. The same key with a different request is a conflict
(409), told apart by a fingerprint of the request. The key is remembered in the create's own
transaction, so a create and its key commit together; a concurrent duplicate fails on the
primary key and is answered from the first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from google.protobuf.message import Message
from sqlalchemy import Column, DateTime, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.errors import DomainError, ErrorCode

IDEMPOTENCY = "idempotency_keys"


def define_idempotency_table(metadata: MetaData) -> Table:
    return Table(
        IDEMPOTENCY,
        metadata,
        Column("scope", Text, primary_key=True, server_default=""),
        Column("operation", Text, primary_key=True),
        Column("request_id", Text, primary_key=True),
        Column("fingerprint", Text, nullable=False, server_default=""),
        Column("resource_id", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


_KEYS = define_idempotency_table(MetaData())


@dataclass(frozen=True)
class RequestKey:
    """One caller's request id for one operation, with the fingerprint of its request."""

    scope: str
    operation: str
    request_id: str
    fingerprint: str = ""


def caller_scope(organization_id: str, user_id: str) -> str:
    return f"{organization_id}/{user_id}"


def fingerprint(request: Message, *, ignore: tuple[str, ...] = ("request_id",)) -> str:
    """A digest of the request without its request id (deterministic serialisation)."""
    copy = type(request)()
    copy.CopyFrom(request)
    for name in ignore:
        if name in copy.DESCRIPTOR.fields_by_name:
            copy.ClearField(name)
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


async def remembered(db: AsyncConnection, key: RequestKey) -> str | None:
    """The resource id an earlier call with this key created, if any; a conflict when that
    call sent a different request."""
    if not key.request_id:
        return None
    row = (
        await db.execute(
            select(_KEYS.c.resource_id, _KEYS.c.fingerprint).where(
                _KEYS.c.scope == key.scope,
                _KEYS.c.operation == key.operation,
                _KEYS.c.request_id == key.request_id,
            )
        )
    ).first()
    if row is None:
        return None
    return earlier_result(key, fingerprint=row.fingerprint, resource_id=str(row.resource_id))


def earlier_result(key: RequestKey, *, fingerprint: str, resource_id: str) -> str:
    """The resource an earlier call with `key` made, unless it sent a different request."""
    if fingerprint and key.fingerprint and fingerprint != key.fingerprint:
        raise DomainError(
            "REQUEST_ID_REUSED",
            "this request_id was used for a different request",
            ErrorCode.ALREADY_EXISTS,
        )
    return resource_id


async def remember(db: AsyncConnection, key: RequestKey, *, resource_id: str) -> bool:
    """Records the key; False when a concurrent call recorded it first."""
    if not key.request_id:
        return True
    inserted = await db.scalar(
        insert(_KEYS)
        .values(
            scope=key.scope,
            operation=key.operation,
            request_id=key.request_id,
            fingerprint=key.fingerprint,
            resource_id=resource_id,
        )
        .on_conflict_do_nothing()
        .returning(_KEYS.c.request_id)
    )
    return inserted is not None


class RequestLog(Protocol):
    """The port use cases remember request ids through (`uow.requests`)."""

    async def remembered(self, key: RequestKey) -> str | None:
        """The resource id an earlier call with this key created, if any."""

    async def remember(self, key: RequestKey, *, resource_id: str) -> bool:
        """Records the key; False when a concurrent call recorded it first."""


class SqlRequestLog:
    """`RequestLog` on the service's `idempotency_keys` table, in the unit's transaction."""

    def __init__(self, db: AsyncConnection):
        self._db = db

    async def remembered(self, key: RequestKey) -> str | None:
        return await remembered(self._db, key)

    async def remember(self, key: RequestKey, *, resource_id: str) -> bool:
        return await remember(self._db, key, resource_id=resource_id)
