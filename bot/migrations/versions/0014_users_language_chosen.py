"""users remember whether they chose their language themselves

Revision ID: 0014
Revises: 0013

``users.language_chosen``: true once the user picked the language with /lang (or the web page's
中文 / English toggle). A question written in the other language switches only a user whose
language was guessed (from the Telegram client or the browser); an explicit choice is never
changed by a guess. Existing users start as not chosen: their earlier /lang was not recorded.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language_chosen", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language_chosen")
