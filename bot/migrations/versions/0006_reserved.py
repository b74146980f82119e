"""web chat sessions and inbox (issue 6)

Reserved slot in the migration chain so features built in parallel never fork it. The feature that
owns this slot fills in upgrade/downgrade (and may rename the file, keeping revision ids).

Revision ID: 0006
Revises: 0005
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
