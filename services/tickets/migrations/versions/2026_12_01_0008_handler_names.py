"""directory: engineers' numbers and providers' names, so a ticket shows who handles it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "directory_people", sa.Column("number", sa.Text(), server_default="", nullable=False)
    )
    op.create_table(
        "directory_providers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("directory_providers")
    op.drop_column("directory_people", "number")
