"""reporting tables: the event ledger (partitioned by month), ticket facts, names; inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit.messaging_tables import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _time(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "ledger",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        _text("event_type"),
        _text("aggregate_type"),
        _text("aggregate_id"),
        sa.Column("aggregate_version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "occurred_at", name="ledger_pkey"),
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.create_index(
        "ledger_by_aggregate", "ledger", ["aggregate_type", "aggregate_id", "aggregate_version"]
    )
    op.create_index("ledger_by_recorded", "ledger", ["recorded_at"])
    # Months get their own partitions as they come (adapters/ledger.py); an event of a month
    # that has none (one that occurred before reporting first ran) lands here.
    op.execute("CREATE TABLE ledger_default PARTITION OF ledger DEFAULT")
    op.create_table(
        "ticket_facts",
        sa.Column("ticket_id", sa.Text(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        _text("number"),
        _text("title"),
        _text("enterprise_id"),
        _text("requester_id"),
        _text("provider_id"),
        _text("engineer_id"),
        _text("service_type_id"),
        sa.Column(
            "service_type_path", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        _text("service_level_id"),
        _text("priority"),
        _text("channel"),
        _text("status"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _time("approved_at"),
        _time("assigned_at"),
        _time("first_response_at"),
        _time("resolved_at"),
        _time("closed_at"),
        _time("cancelled_at"),
        _time("ended_at"),
        _time("finished_at"),
        sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating_score", sa.Integer(), server_default="0", nullable=False),
        _text("rating_comment"),
        _time("response_due_at"),
        _time("resolution_due_at"),
    )
    op.create_index("ticket_facts_by_created", "ticket_facts", ["created_at"])
    for column in ("enterprise_id", "provider_id", "engineer_id"):
        name = column.removesuffix("_id")
        op.create_index(f"ticket_facts_by_{name}", "ticket_facts", [column, "created_at"])
    op.create_index(
        "ticket_facts_by_type_path",
        "ticket_facts",
        ["service_type_path"],
        postgresql_using="gin",
    )
    op.create_index(
        "ticket_facts_by_finished",
        "ticket_facts",
        [sa.text("finished_at DESC"), sa.text("ticket_id DESC")],
    )
    for column in ("resolved_at", "closed_at", "cancelled_at", "ended_at"):
        name = column.removesuffix("_at")
        op.create_index(f"ticket_facts_by_{name}", "ticket_facts", [column])
    op.create_table(
        "names",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        _text("name"),
        sa.PrimaryKeyConstraint("kind", "id", name="names_pkey"),
    )


def downgrade() -> None:
    op.drop_table("names")
    op.drop_table("ticket_facts")
    op.drop_table("ledger")
    for table in ("idempotency_keys", "processed_events", "outbox"):
        op.drop_table(table)
