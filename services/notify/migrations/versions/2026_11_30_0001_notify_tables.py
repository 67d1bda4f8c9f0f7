"""notify tables: the directory of people and roles, the message centre; outbox, inbox,
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


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def upgrade() -> None:
    create_messaging_tables(op)
    op.execute("CREATE SEQUENCE message_seq")
    op.create_table(
        "people",
        sa.Column("id", sa.Text(), primary_key=True),
        _text("kind"),
        _text("organization_id"),
        _text("display_name"),
        _text("email"),
        _text("phone"),
        sa.Column("role_ids", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.create_index("people_by_organization", "people", ["organization_id", "kind"])
    op.create_table(
        "roles",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column(
            "permission_codes", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("creation_seen", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column(
            "seq",
            sa.BigInteger(),
            server_default=sa.text("nextval('message_seq')"),
            nullable=False,
            unique=True,
        ),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        _text("ticket_id"),
        _text("ticket_number"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "user_id", name="messages_once_per_event"),
    )
    op.create_index("messages_of_user", "messages", ["user_id", sa.text("seq DESC")])
    op.create_index(
        "messages_unread_of_user",
        "messages",
        ["user_id", "category"],
        postgresql_where=sa.text("read_at IS NULL"),
    )


def downgrade() -> None:
    for table in ("messages", "tickets", "roles", "people"):
        op.drop_table(table)
    op.execute("DROP SEQUENCE message_seq")
    for table in ("idempotency_keys", "processed_events", "outbox"):
        op.drop_table(table)
