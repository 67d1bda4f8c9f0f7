"""ticket_facts_open: a partial index of the tickets not ended, for the backlog at a moment

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ticket_facts_open",
        "ticket_facts",
        ["created_at"],
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ticket_facts_open", table_name="ticket_facts")
