"""provider-owned rules: a rule's stage (the platform's PROVIDER rules choose the provider, a
provider's own ENGINEER rules how its engineers get the ticket), the platform rule each
decision went through, engineers' weekly shifts (a business calendar), and the priority an SLA
escalation raises a ticket to

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rules", sa.Column("stage", sa.Text(), server_default="provider", nullable=False))
    op.create_index("rules_of_provider", "rules", ["provider_id", "stage"])
    op.add_column(
        "decisions", sa.Column("provider_rule_id", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "decisions",
        sa.Column("provider_rule_version", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE decisions SET provider_rule_id = rule_id, provider_rule_version = rule_version"
    )
    op.add_column(
        "engineers", sa.Column("shift_calendar_id", sa.Text(), server_default="", nullable=False)
    )
    op.add_column("decisions", sa.Column("priority", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("decisions", "priority")
    op.drop_column("engineers", "shift_calendar_id")
    op.drop_column("decisions", "provider_rule_version")
    op.drop_column("decisions", "provider_rule_id")
    op.drop_index("rules_of_provider", "rules")
    op.drop_column("rules", "stage")
