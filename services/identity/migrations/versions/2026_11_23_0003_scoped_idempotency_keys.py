"""idempotency keys scoped to the caller, with a fingerprint of the request

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "idempotency_keys", sa.Column("scope", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "idempotency_keys",
        sa.Column("fingerprint", sa.Text(), server_default="", nullable=False),
    )
    op.drop_constraint("idempotency_keys_pkey", "idempotency_keys", type_="primary")
    op.create_primary_key(
        "idempotency_keys_pkey", "idempotency_keys", ["scope", "operation", "request_id"]
    )


def downgrade() -> None:
    op.drop_constraint("idempotency_keys_pkey", "idempotency_keys", type_="primary")
    op.create_primary_key("idempotency_keys_pkey", "idempotency_keys", ["operation", "request_id"])
    op.drop_column("idempotency_keys", "fingerprint")
    op.drop_column("idempotency_keys", "scope")
