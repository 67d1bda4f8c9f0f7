"""ticket_fact_history: every version of every ticket fact, for reports as of a moment

Existing facts get one version, valid from their ticket's latest recorded event; the rebuild
command (`python -m services.reporting.entrypoints.rebuild`) replaces it with the full history
from the ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FACT_COLUMNS = (
    "ticket_id, version, number, title, enterprise_id, requester_id, provider_id, engineer_id, "
    "service_type_id, service_type_path, service_level_id, priority, channel, status, "
    "created_at, approved_at, assigned_at, first_response_at, resolved_at, closed_at, "
    "cancelled_at, ended_at, finished_at, reopen_count, rating_score, rating_comment, "
    "response_due_at, resolution_due_at"
)


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _time(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "ticket_fact_history",
        sa.Column("ticket_id", sa.Text(), nullable=False),
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
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        _time("valid_to"),
        sa.PrimaryKeyConstraint("ticket_id", "valid_from", name="ticket_fact_history_pkey"),
    )
    op.create_index("ticket_fact_history_by_created", "ticket_fact_history", ["created_at"])
    op.create_index("ticket_fact_history_by_finished", "ticket_fact_history", ["finished_at"])
    op.execute(
        f"INSERT INTO ticket_fact_history ({_FACT_COLUMNS}, valid_from) "
        f"SELECT {', '.join('f.' + c.strip() for c in _FACT_COLUMNS.split(','))}, "
        "coalesce((SELECT max(greatest(l.recorded_at, l.occurred_at)) FROM ledger l "
        "WHERE l.aggregate_type = 'ticket' AND l.aggregate_id = f.ticket_id), f.created_at) "
        "FROM ticket_facts f"
    )


def downgrade() -> None:
    op.drop_table("ticket_fact_history")
