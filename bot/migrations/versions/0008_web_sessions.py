"""web session ids the server issued

``web_sessions`` holds a hash of every session id handed out in a cookie; the web chat accepts no
other. Sessions from before this table are adopted once (see ``bot.channels.web.issued``).

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("session_key", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_web_sessions_session_key", "web_sessions", ["session_key"])
    op.create_index("ix_web_sessions_created_at", "web_sessions", ["created_at"])


def downgrade() -> None:
    op.drop_table("web_sessions")
