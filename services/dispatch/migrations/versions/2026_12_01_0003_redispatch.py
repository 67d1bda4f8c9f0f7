"""re-dispatch: the engineer a decision takes the ticket from

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "decisions",
        sa.Column("replaces_engineer_id", sa.Text(), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("decisions", "replaces_engineer_id")
