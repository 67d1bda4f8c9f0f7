"""notify: people's locale and time zone (each message in its reader's language)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people", sa.Column("locale", sa.Text(), server_default="zh-CN", nullable=False))
    op.add_column(
        "people",
        sa.Column("time_zone", sa.Text(), server_default="Asia/Shanghai", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("people", "time_zone")
    op.drop_column("people", "locale")
