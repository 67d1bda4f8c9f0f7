"""notify: people's WeChat openid (subscribe messages)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "people", sa.Column("wechat_openid", sa.Text(), server_default="", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("people", "wechat_openid")
