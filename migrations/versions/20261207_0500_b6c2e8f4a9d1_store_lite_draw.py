"""store the battery items a response's form offered in a campaign with a Lite form

Revision ID: b6c2e8f4a9d1
Revises: a3d9e5f7c1b8
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_columns
from survey_app.migration_data import restore_columns

revision = "b6c2e8f4a9d1"
down_revision = "a3d9e5f7c1b8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for the responses already stored: which items their forms offered is not known
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lite_items", sa.JSON(none_as_null=True), nullable=True))
    restore_columns(revision, "responses", ("lite_items",))  # kept by a downgrade


def downgrade() -> None:
    keep_columns(revision, "responses", ("lite_items",))
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("lite_items")
