"""users' locale and time zone: messages in their language, times in their zone

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("locale", sa.Text(), nullable=False, server_default="zh-CN"))
    op.add_column(
        "users",
        sa.Column("time_zone", sa.Text(), nullable=False, server_default="Asia/Shanghai"),
    )


def downgrade() -> None:
    op.drop_column("users", "time_zone")
    op.drop_column("users", "locale")
