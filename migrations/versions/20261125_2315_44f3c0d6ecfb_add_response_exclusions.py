"""add response exclusions (quality control: excluded responses are kept, marked, not deleted)

Revision ID: 44f3c0d6ecfb
Revises: 0ba936ded7c0
Create Date: 2026-11-25 23:15:10.166021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_columns
from survey_app.migration_data import restore_columns

revision = "44f3c0d6ecfb"
down_revision = "0ba936ded7c0"
branch_labels = None
depends_on = None

EXCLUSION_COLUMNS = ("excluded_at", "excluded_reason", "excluded_by_id")


def upgrade() -> None:
    # all three nullable: every stored response stays included
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("excluded_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("excluded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_excluded_by_id_users"), "users", ["excluded_by_id"], ["id"]
        )
    restore_columns(revision, "responses", EXCLUSION_COLUMNS)  # kept by a downgrade


def downgrade() -> None:
    keep_columns(revision, "responses", EXCLUSION_COLUMNS)
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_responses_excluded_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("excluded_by_id")
        batch_op.drop_column("excluded_reason")
        batch_op.drop_column("excluded_at")
