"""tickets carry their service type's path (root first) for rules and reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tickets",
        sa.Column(
            "service_type_path", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.execute(
        """
        WITH RECURSIVE up(ticket_id, type_id, path) AS (
            SELECT t.id, s.parent_id, ARRAY[t.service_type_id]
            FROM tickets t JOIN service_types s ON s.id = t.service_type_id
          UNION ALL
            SELECT up.ticket_id, s.parent_id, s.id || up.path
            FROM up JOIN service_types s ON s.id = up.type_id
        )
        UPDATE tickets SET service_type_path = up.path
        FROM up WHERE up.ticket_id = tickets.id AND up.type_id IS NULL
        """
    )


def downgrade() -> None:
    op.drop_column("tickets", "service_type_path")
