"""phrasing candidates, question references and short-lived user notes

``kb_question_refs`` and ``kb_candidates`` hold no user id: a reference names a scrubbed question by
a short hash (what a button carries), a candidate is a scrubbed question with the entry that turned
out to answer it and a count. ``user_notes`` keeps a few minutes' worth of per-user context (a
pending rephrase after 👎, the facts a personal-case question told for the self-check); rows expire
and are deleted with the user.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_question_refs",
        sa.Column("ref", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_kb_question_refs_created_at", "kb_question_refs", ["created_at"])
    op.create_table(
        "kb_candidates",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", "entry_id", name="uq_kb_candidates_key_entry"),
    )
    op.create_table(
        "user_notes",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_user_notes_expires_at", "user_notes", ["expires_at"])


def downgrade() -> None:
    op.drop_table("user_notes")
    op.drop_table("kb_candidates")
    op.drop_table("kb_question_refs")
