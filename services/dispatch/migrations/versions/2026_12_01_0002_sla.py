"""SLA: business calendars, policies, and each ticket's clocks

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _audit() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        *_audit(),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column(
            "service_level_ids", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        _text("calendar_id"),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        *_audit(),
    )
    op.create_table(
        "sla_tickets",
        sa.Column("ticket_id", sa.Text(), primary_key=True),
        _text("policy_id"),
        _text("service_level_id"),
        _text("number"),
        _text("title"),
        _text("priority"),
        sa.Column("status", sa.Text(), nullable=False),
        _text("enterprise_id"),
        _text("provider_id"),
        _text("engineer_id"),
        _text("requester_id"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clocks", postgresql.JSONB(), nullable=False),
        sa.Column(
            "fired", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_index(
        "sla_tickets_next_due",
        "sla_tickets",
        ["next_due_at"],
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        "sla_tickets_policy_open",
        "sla_tickets",
        ["policy_id"],
        postgresql_where=sa.text("stopped_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("sla_tickets")
    op.drop_table("sla_policies")
    op.drop_table("business_calendars")
