"""permission integration.webhook.write (notify's outbound webhooks), granted to the built-in
enterprise and provider admin roles

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op

from services.identity.adapters.reference_data import sync_reference_data

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sync_reference_data(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM permissions WHERE code IN ('integration', 'integration.webhook.write')")
