"""built-in roles for service accounts (service-dispatch)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op

from services.identity.adapters.reference_data import sync_reference_data

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sync_reference_data(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM roles WHERE id LIKE 'service-%' AND built_in")
