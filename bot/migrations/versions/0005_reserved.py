"""subscriptions, broadcasts, reminder log (issue 5)

Reserved slot in the migration chain so features built in parallel never fork it. The feature that
owns this slot fills in upgrade/downgrade (and may rename the file, keeping revision ids).

Revision ID: 0005
Revises: 0004
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
