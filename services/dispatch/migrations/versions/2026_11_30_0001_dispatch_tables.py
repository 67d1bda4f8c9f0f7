"""dispatch tables: rules and versions, the routing read model, decisions; outbox, inbox,
idempotency keys

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

NOW = sa.text("now()")


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _texts(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False)


def _jsonb(name: str, empty: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, postgresql.JSONB(), server_default=sa.text(f"'{empty}'::jsonb"), nullable=False
    )


def upgrade() -> None:
    create_messaging_tables(op)
    op.execute("CREATE SEQUENCE assignment_seq")
    op.create_table(
        "rules",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        sa.Column("provider_id", sa.Text(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_index("rules_order", "rules", ["position", "created_at"])
    op.create_table(
        "rule_versions",
        sa.Column("rule_id", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        _text("actor_id"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "designations",
        sa.Column("enterprise_id", sa.Text(), primary_key=True),
        sa.Column("provider_id", sa.Text(), primary_key=True),
    )
    op.create_table(
        "engineers",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("provider_id", sa.Text(), nullable=False),
        _text("display_name"),
        _texts("skills"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("availability", sa.Text(), server_default="on_duty", nullable=False),
        sa.Column("away_until", sa.DateTime(timezone=True)),
        sa.Column("capacity", sa.Integer(), server_default="10", nullable=False),
        sa.Column("last_assigned_seq", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.create_index("ix_engineers_provider_id", "engineers", ["provider_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        _texts("service_type_path"),
        _text("service_level_id"),
        _text("priority"),
        _text("channel"),
        _jsonb("custom_fields", "{}"),
        sa.Column("status", sa.Text(), nullable=False),
        _text("provider_id"),
        _text("engineer_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("tickets_engineer_open", "tickets", ["engineer_id", "status"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("ticket_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        _text("rule_id"),
        sa.Column("rule_version", sa.Integer(), server_default="0", nullable=False),
        _text("provider_id"),
        _text("engineer_id"),
        _text("strategy"),
        sa.Column("claim_until", sa.DateTime(timezone=True)),
        _jsonb("candidates", "[]"),
        _jsonb("excluded", "[]"),
        _text("explanation"),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _text("last_error"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True)),
        sa.Column("recheck_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_decisions_ticket_id", "decisions", ["ticket_id"])
    op.create_index(
        "decisions_pending",
        "decisions",
        ["created_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "decisions_recheck",
        "decisions",
        ["recheck_at"],
        postgresql_where=sa.text("recheck_at IS NOT NULL"),
    )


def downgrade() -> None:
    for table in ("decisions", "tickets", "engineers", "designations", "providers"):
        op.drop_table(table)
    op.drop_table("rule_versions")
    op.drop_table("rules")
    op.execute("DROP SEQUENCE assignment_seq")
    for table in ("idempotency_keys", "processed_events", "outbox"):
        op.drop_table(table)
