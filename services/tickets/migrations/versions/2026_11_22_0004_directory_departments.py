"""directory departments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:14:42.420374
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_departments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_directory_departments_enterprise_id"),
        "directory_departments",
        ["enterprise_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_directory_departments_enterprise_id"), table_name="directory_departments"
    )
    op.drop_table("directory_departments")
