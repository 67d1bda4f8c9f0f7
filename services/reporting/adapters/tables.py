"""Reporting's tables (SQLAlchemy Core). The migrations create exactly these.

The ledger keeps every consumed event as it arrived (the replay source), partitioned by the
month it occurred in; `ticket_facts` is the projection the reports count (one row per ticket,
domain/facts.py); `names` the display names of organisations and people from identity's
events."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY  # .contains() is @>, the GIN index's

from servicekit.idempotency import define_idempotency_table
from servicekit.messaging_tables import define_messaging_tables, text_column

metadata = MetaData()
outbox, inbox = define_messaging_tables(metadata)  # the inbox: each event applied once
idempotency_keys = define_idempotency_table(metadata)  # every service's first migration has it
LEDGER_PARTITIONS = r"ledger_(default|\d{6})"  # made at run time, not in tables.py


def _time(name: str) -> Column:  # type: ignore[type-arg]
    return Column(name, DateTime(timezone=True), nullable=True)


ledger = Table(
    "ledger",
    metadata,
    Column("event_id", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    text_column("event_type"),
    text_column("aggregate_type"),
    text_column("aggregate_id"),
    Column("aggregate_version", BigInteger, nullable=False, server_default="0"),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("envelope", LargeBinary, nullable=False),
    PrimaryKeyConstraint("event_id", "occurred_at", name="ledger_pkey"),
    Index("ledger_by_aggregate", "aggregate_type", "aggregate_id", "aggregate_version"),
    Index("ledger_by_recorded", "recorded_at"),
    postgresql_partition_by="RANGE (occurred_at)",
)


def _fact_columns() -> list[Column]:  # type: ignore[type-arg]
    """What a ticket fact holds besides its ticket id (fresh columns for each table)."""
    return [
        Column("version", BigInteger, nullable=False),
        text_column("number"),
        text_column("title"),
        text_column("enterprise_id"),
        text_column("requester_id"),
        text_column("provider_id"),
        text_column("engineer_id"),
        text_column("service_type_id"),
        Column("service_type_path", ARRAY(Text), nullable=False, server_default="{}"),
        text_column("service_level_id"),
        text_column("priority"),
        text_column("channel"),
        text_column("status"),
        Column("created_at", DateTime(timezone=True), nullable=False),
        _time("approved_at"),
        _time("assigned_at"),
        _time("first_response_at"),
        _time("resolved_at"),
        _time("closed_at"),
        _time("cancelled_at"),
        _time("ended_at"),
        _time("finished_at"),
        Column("reopen_count", Integer, nullable=False, server_default="0"),
        Column("rating_score", Integer, nullable=False, server_default="0"),
        text_column("rating_comment"),
        _time("response_due_at"),
        _time("resolution_due_at"),
        # From dispatch's SLA events (None: not known): whether each target was missed.
        Column("response_breached", Boolean),
        Column("resolution_breached", Boolean),
    ]


ticket_facts = Table(
    "ticket_facts",
    metadata,
    Column("ticket_id", Text, primary_key=True),
    *_fact_columns(),
    Index("ticket_facts_by_created", "created_at"),
    Index("ticket_facts_by_enterprise", "enterprise_id", "created_at"),
    Index("ticket_facts_by_provider", "provider_id", "created_at"),
    Index("ticket_facts_by_engineer", "engineer_id", "created_at"),
    Index("ticket_facts_by_type_path", "service_type_path", postgresql_using="gin"),
    Index("ticket_facts_by_finished", text("finished_at DESC"), text("ticket_id DESC")),
    Index("ticket_facts_by_resolved", "resolved_at"),
    Index("ticket_facts_by_closed", "closed_at"),
    Index("ticket_facts_by_cancelled", "cancelled_at"),
    Index("ticket_facts_by_ended", "ended_at"),
    # The backlog at a moment counts the still open (few) and those ended since.
    Index("ticket_facts_open", "created_at", postgresql_where=text("ended_at IS NULL")),
)

# Every version of every fact, for reports "as of" a moment: the fact as it stood from
# `valid_from` (when what was known of the ticket changed) until `valid_to` (None: still).
ticket_fact_history = Table(
    "ticket_fact_history",
    metadata,
    Column("ticket_id", Text, nullable=False),
    *_fact_columns(),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    _time("valid_to"),
    PrimaryKeyConstraint("ticket_id", "valid_from", name="ticket_fact_history_pkey"),
    Index("ticket_fact_history_by_created", "created_at"),
    Index("ticket_fact_history_by_finished", "finished_at"),
)

names = Table(
    "names",
    metadata,
    Column("kind", Text, nullable=False),
    Column("id", Text, nullable=False),
    text_column("name"),
    PrimaryKeyConstraint("kind", "id", name="names_pkey"),
)
