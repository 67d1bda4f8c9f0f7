"""Dispatch's tables (SQLAlchemy Core). The migrations create exactly these.

Rules and their versions; the read model of what dispatch routes on (providers, designations,
engineers from identity's events; tickets from tickets' events) with each engineer's
availability and round-robin position; the decisions and their state."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Sequence,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.idempotency import define_idempotency_table
from servicekit.messaging_tables import audit_columns, define_messaging_tables, text_column

metadata = MetaData()
outbox, inbox = define_messaging_tables(metadata)
idempotency_keys = define_idempotency_table(metadata)
assignment_sequence = Sequence("assignment_seq", metadata=metadata)


def _texts(name: str) -> Column[list[str]]:
    return Column(name, ARRAY(Text), nullable=False, server_default="{}")


rules = Table(
    "rules",
    metadata,
    Column("id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("definition", JSONB, nullable=False),  # conditions, target, strategy (see mapping)
    Column("provider_id", Text, nullable=False),
    Column("stage", Text, nullable=False, server_default="provider"),
    Column("deleted_at", DateTime(timezone=True)),
    *audit_columns(),
)
Index("rules_order", rules.c.position, rules.c.created_at)
Index("rules_of_provider", rules.c.provider_id, rules.c.stage)

rule_versions = Table(
    "rule_versions",
    metadata,
    Column("rule_id", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("definition", JSONB, nullable=False),  # the whole rule as it was
    text_column("actor_id"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

providers = Table(
    "providers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("active", Boolean, nullable=False),
)

designations = Table(
    "designations",
    metadata,
    Column("enterprise_id", Text, primary_key=True),
    Column("provider_id", Text, primary_key=True),
)

engineers = Table(
    "engineers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("provider_id", Text, nullable=False, index=True),
    text_column("display_name"),
    _texts("skills"),
    Column("active", Boolean, nullable=False),
    Column("availability", Text, nullable=False, server_default="on_duty"),
    Column("away_until", DateTime(timezone=True)),
    Column("capacity", Integer, nullable=False, server_default="10"),
    Column("last_assigned_seq", BigInteger, nullable=False, server_default="0"),
    text_column("shift_calendar_id"),  # his weekly shifts: a business calendar ("": always)
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("enterprise_id", Text, nullable=False),
    _texts("service_type_path"),
    text_column("service_level_id"),
    text_column("priority"),
    text_column("channel"),
    Column("custom_fields", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", Text, nullable=False),
    text_column("provider_id"),
    text_column("engineer_id"),
    Column("version", Integer, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
)
Index("tickets_engineer_open", tickets.c.engineer_id, tickets.c.status)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("ticket_id", Text, nullable=False, index=True),
    Column("kind", Text, nullable=False),
    text_column("rule_id"),
    Column("rule_version", Integer, nullable=False, server_default="0"),
    text_column("provider_id"),
    text_column("engineer_id"),
    text_column("strategy"),
    Column("claim_until", DateTime(timezone=True)),
    Column("candidates", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("excluded", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    text_column("explanation"),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    text_column("last_error"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("applied_at", DateTime(timezone=True)),
    # When to look again for an engineer (claim window over; none was free): see routing.py.
    Column("recheck_at", DateTime(timezone=True)),
    text_column("replaces_engineer_id"),  # a re-dispatch: the engineer it takes the ticket from
    text_column("provider_rule_id"),  # the platform rule that chose the provider
    Column("provider_rule_version", Integer, nullable=False, server_default="0"),
    text_column("priority"),  # PRIORITY_RAISED: the priority the ticket is raised to
)
Index("decisions_pending", decisions.c.created_at, postgresql_where=text("state = 'pending'"))
Index("decisions_recheck", decisions.c.recheck_at, postgresql_where=text("recheck_at IS NOT NULL"))

# --- SLA ------------------------------------------------------------------------------------

business_calendars = Table(
    "business_calendars",
    metadata,
    Column("id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("definition", JSONB, nullable=False),  # zone, hours, holidays (see repositories/sla)
    *audit_columns(),
)

sla_policies = Table(
    "sla_policies",
    metadata,
    Column("id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("display_name", Text, nullable=False),
    _texts("service_level_ids"),
    text_column("calendar_id"),
    Column("definition", JSONB, nullable=False),  # warnings, escalations, approval pause
    *audit_columns(),
)

# One row per ticket with SLA targets: its clocks (start, target, pauses, met) and which alerts
# were raised, as JSON; `next_due_at` is the timer's (partial index: only rows with something
# left to raise); the deadlines are columns so a repair can count what moved.
sla_tickets = Table(
    "sla_tickets",
    metadata,
    Column("ticket_id", Text, primary_key=True),
    text_column("policy_id"),
    text_column("service_level_id"),
    text_column("number"),
    text_column("title"),
    text_column("priority"),
    Column("status", Text, nullable=False),
    text_column("enterprise_id"),
    text_column("provider_id"),
    text_column("engineer_id"),
    text_column("requester_id"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("clocks", JSONB, nullable=False),
    Column("fired", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("stopped_at", DateTime(timezone=True)),
    Column("next_due_at", DateTime(timezone=True)),
    Column("response_due_at", DateTime(timezone=True)),
    Column("resolution_due_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
Index(
    "sla_tickets_next_due",
    sla_tickets.c.next_due_at,
    postgresql_where=text("next_due_at IS NOT NULL"),
)
Index(
    "sla_tickets_policy_open", sla_tickets.c.policy_id, postgresql_where=text("stopped_at IS NULL")
)
