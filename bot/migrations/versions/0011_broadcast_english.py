"""broadcasts may carry an English version of their text

``broadcasts.text_en``: the English text staff wrote for English readers (NULL when there is none:
those readers get the Chinese text with a one-line English note on top). Kept for the history and
for the office to see what each reader was sent.

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("broadcasts", sa.Column("text_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("text_en")
