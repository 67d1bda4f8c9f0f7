"""Permission catalogue and built-in roles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

from services.identity.adapters.reference_data import sync_reference_data

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sync_reference_data(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM roles WHERE built_in")
    op.execute("DELETE FROM permissions")
