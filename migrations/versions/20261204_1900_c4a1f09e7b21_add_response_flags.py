"""add response flags (why a response is suspect: kiosk interval, burst, partial; kept, shown)

Revision ID: c4a1f09e7b21
Revises: bd05b0f05261
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_columns
from survey_app.migration_data import restore_columns

revision = "c4a1f09e7b21"
down_revision = "bd05b0f05261"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: every stored response stays unflagged
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flags", sa.JSON(), nullable=True))
    restore_columns(revision, "responses", ("flags",))  # kept by a downgrade


def downgrade() -> None:
    keep_columns(revision, "responses", ("flags",))
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("flags")
