"""application status, bindings, HR contacts, invites (issue 4)

Reserved slot in the migration chain so features built in parallel never fork it. The feature that
owns this slot fills in upgrade/downgrade (and may rename the file, keeping revision ids).

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
