"""knowledge feedback and unanswered questions

Two tables without any user id: votes per answer (entry) and scrubbed unanswered questions.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("vote", sa.SmallInteger(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_kb_feedback_entry_id", "kb_feedback", ["entry_id"])
    op.create_table(
        "kb_unanswered",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("top_entry_id", sa.String(64), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_kb_unanswered_key"),
    )
    op.create_index("ix_kb_unanswered_last_at", "kb_unanswered", ["last_at"])


def downgrade() -> None:
    op.drop_table("kb_unanswered")
    op.drop_table("kb_feedback")
