"""web chat sessions and inbox

Recent history per browser session (``web_messages``) and the inbox of pushes waiting for a web
user's next visit (``web_inbox``).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("session_key", sa.String(40), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_web_messages_session_id", "web_messages", ["session_key", "id"])
    op.create_index("ix_web_messages_created_at", "web_messages", ["created_at"])
    op.create_table(
        "web_inbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("session_key", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_web_inbox_idempotency_key"),
    )
    op.create_index("ix_web_inbox_session_key", "web_inbox", ["session_key"])


def downgrade() -> None:
    op.drop_table("web_inbox")
    op.drop_table("web_messages")
