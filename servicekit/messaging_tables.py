"""The outbox and inbox (processed events) tables every service database has, defined once
for both the code that uses them and the migrations that create them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

OUTBOX = "outbox"
INBOX = "processed_events"


def outbox_columns() -> list[Column[Any]]:
    return [
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", Text, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
    ]


def inbox_columns() -> list[Column[Any]]:
    return [
        Column("consumer", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def audit_columns() -> list[Column[Any]]:
    """created_at and updated_at, as every service's main tables have them."""
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def text_column(name: str) -> Column[str]:
    """A required text column whose absence is the empty string (no NULLs to tell apart)."""
    return Column(name, Text, nullable=False, server_default="")


def define_messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    outbox = Table(OUTBOX, metadata, *outbox_columns())
    Index("outbox_unsent_idx", outbox.c.id, postgresql_where=text("sent_at IS NULL"))
    inbox = Table(INBOX, metadata, *inbox_columns())
    return outbox, inbox


def create_messaging_tables(op) -> None:  # type: ignore[no-untyped-def]
    """For a service's first Alembic migration: outbox, inbox and idempotency keys."""
    from servicekit.idempotency import define_idempotency_table

    metadata = MetaData()
    define_messaging_tables(metadata)
    define_idempotency_table(metadata)
    metadata.create_all(op.get_bind())
