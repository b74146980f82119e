"""staff console: accounts, setup links, sessions, sign-in attempts, audit log

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(40), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_sign_in_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("login", name="uq_staff_accounts_login"),
    )
    op.create_table(
        "staff_setup_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("staff_accounts.id", ondelete="CASCADE",
                  name="fk_staff_setup_tokens_account_id_staff_accounts"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_staff_setup_tokens_account_id", "staff_setup_tokens", ["account_id"])
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("staff_accounts.id", ondelete="CASCADE",
                  name="fk_console_sessions_account_id_staff_accounts"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("csrf_secret", sa.String(64), nullable=False),
    )
    op.create_index("ix_console_sessions_account_id", "console_sessions", ["account_id"])
    op.create_index("ix_console_sessions_last_seen_at", "console_sessions", ["last_seen_at"])
    op.create_table(
        "console_sign_in_attempts",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_console_sign_in_attempts_last_failure_at", "console_sign_in_attempts", ["last_failure_at"])
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("login", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
    )
    op.create_index("ix_console_audit_at", "console_audit", ["at"])
    op.create_index("ix_console_audit_login_at", "console_audit", ["login", "at"])
    op.create_index("ix_console_audit_action", "console_audit", ["action"])


def downgrade() -> None:
    op.drop_table("console_audit")
    op.drop_table("console_sign_in_attempts")
    op.drop_table("console_sessions")
    op.drop_table("staff_setup_tokens")
    op.drop_table("staff_accounts")
