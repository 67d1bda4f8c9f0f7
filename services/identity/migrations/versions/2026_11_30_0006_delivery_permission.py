"""permission notification.delivery.read (notify's delivery log), granted to platform admins

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

from services.identity.adapters.reference_data import sync_reference_data

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sync_reference_data(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM permissions WHERE code = 'notification.delivery.read'")
