"""knowledge feedback and unanswered questions (issue 3)

Reserved slot in the migration chain so features built in parallel never fork it. The feature that
owns this slot fills in upgrade/downgrade (and may rename the file, keeping revision ids).

Revision ID: 0002
Revises: 0001
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
