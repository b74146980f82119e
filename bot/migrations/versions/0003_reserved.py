"""application status, bindings, HR contacts (issue 4)

Reserved slot in the migration chain so features built in parallel never fork it. The feature that
owns this slot fills in upgrade/downgrade (and may rename the file, keeping revision ids).

Revision ID: 0003
Revises: 0002
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
