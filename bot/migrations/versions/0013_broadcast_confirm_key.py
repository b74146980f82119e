"""broadcasts created in the console carry the one-time key of their confirm form

Revision ID: 0013
Revises: 0012

``broadcasts.confirm_key``: a random key the console puts in the preview's confirm form. The
broadcast is inserted with it under a unique index, so a second submit of the same form (a double
click, a browser retry, a second console process) cannot create a second broadcast: its insert
fails on the index and the console shows the first one's progress. NULL for chat and CLI broadcasts.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("broadcasts", sa.Column("confirm_key", sa.String(64), nullable=True))
    op.create_index("ix_broadcasts_confirm_key", "broadcasts", ["confirm_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_broadcasts_confirm_key", table_name="broadcasts")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("confirm_key")
