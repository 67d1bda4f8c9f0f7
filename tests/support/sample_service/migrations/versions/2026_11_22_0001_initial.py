"""Outbox, inbox, widgets and counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from servicekit.messaging_tables import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "widgets",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "counters",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("applied", sa.BigInteger, nullable=False),
        sa.Column("last_version", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_table("widgets")
    op.drop_table("processed_events")
    op.drop_table("outbox")
