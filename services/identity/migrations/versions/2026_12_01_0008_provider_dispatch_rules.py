"""dispatch.write granted to the built-in provider admin role: a provider keeps its own
engineer-stage dispatch rules

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

from services.identity.adapters.reference_data import sync_reference_data

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sync_reference_data(op.get_bind())


def downgrade() -> None:
    op.execute(
        "UPDATE roles SET permission_codes = array_remove(permission_codes, 'dispatch.write')"
        " WHERE id = 'provider-admin'"
    )
