"""staff console: indexes for the applications table and the overview, daily question counts

Revision ID: 0012
Revises: 0010

- ``status_applications.updated_at``: the "changed since" filter and the default sort of the
  console's applications table (newest changes first) read an index instead of the whole table.
- ``kb_unanswered.count``: the overview's ten most frequent unanswered questions.
- ``kb_question_days``: questions per local day and outcome (answer / suggest / fallback), counted
  by the bot as it answers, for the overview's chart; only a day, an outcome and a count.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_status_applications_updated_at", "status_applications", ["updated_at"])
    op.create_index("ix_kb_unanswered_count", "kb_unanswered", ["count"])
    op.create_table(
        "kb_question_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "outcome", name="pk_kb_question_days"),
    )


def downgrade() -> None:
    op.drop_table("kb_question_days")
    op.drop_index("ix_kb_unanswered_count", table_name="kb_unanswered")
    op.drop_index("ix_status_applications_updated_at", table_name="status_applications")
