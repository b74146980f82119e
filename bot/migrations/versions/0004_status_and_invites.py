"""application status, bindings, HR contacts, invites

Tables of ``bot/status/models.py``. (The file keeps its reserved name so the chain never forks.)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_units",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_status_units_name"),
    )
    op.create_table(
        "status_applications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("status_units.id"), nullable=False),
        sa.Column("applicant_name", sa.String(50), nullable=False),
        sa.Column("id_tail_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_at", UTCDateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("number", name="uq_status_applications_number"),
    )
    op.create_index("ix_status_applications_level", "status_applications", ["level"])
    op.create_index("ix_status_applications_unit_id", "status_applications", ["unit_id"])
    op.create_index("ix_status_applications_state", "status_applications", ["state"])
    op.create_table(
        "status_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("status_applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_status_history_application_id", "status_history", ["application_id"])
    op.create_table(
        "status_hr_contacts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("status_units.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "unit_id", name="uq_status_hr_contacts_user_unit"),
    )
    op.create_index("ix_status_hr_contacts_user_id", "status_hr_contacts", ["user_id"])
    op.create_index("ix_status_hr_contacts_unit_id", "status_hr_contacts", ["unit_id"])
    op.create_table(
        "status_bindings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("status_applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "application_id", name="uq_status_bindings_user_app"),
    )
    op.create_index("ix_status_bindings_user_id", "status_bindings", ["user_id"])
    op.create_index("ix_status_bindings_application_id", "status_bindings", ["application_id"])
    op.create_table(
        "status_invites",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("status_units.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("used_by_user_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("code_hash", name="uq_status_invites_code_hash"),
    )
    op.create_index("ix_status_invites_unit_id", "status_invites", ["unit_id"])
    op.create_table(
        "status_bind_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("chat_key", sa.String(90), nullable=False),
        sa.Column("target_hash", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_status_bind_attempts_chat_key", "status_bind_attempts", ["chat_key"])
    op.create_index("ix_status_bind_attempts_target_hash", "status_bind_attempts", ["target_hash"])
    op.create_index("ix_status_bind_attempts_at", "status_bind_attempts", ["at"])


def downgrade() -> None:
    for table in (
        "status_bind_attempts",
        "status_invites",
        "status_bindings",
        "status_hr_contacts",
        "status_history",
        "status_applications",
        "status_units",
    ):
        op.drop_table(table)
