"""web chat message limits shared by every web process

``web_rate_limits``: one row per limited key (hashed session key or client address).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_rate_limits",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("tat", sa.Float(), nullable=False),
    )
    op.create_index("ix_web_rate_limits_tat", "web_rate_limits", ["tat"])


def downgrade() -> None:
    op.drop_table("web_rate_limits")
