"""add the instrument review's cache of charts and intervals, kept with the report runs

Revision ID: e5b2c8d4a1f6
Revises: c4e8a1f2d9b7
Create Date: 2026-12-05 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e5b2c8d4a1f6"
down_revision = "c4e8a1f2d9b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["instrument_versions.id"],
            name=op.f("fk_review_cache_instrument_version_id_instrument_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["report_runs.id"],
            name=op.f("fk_review_cache_run_id_report_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cache")),
        sa.UniqueConstraint(
            "instrument_version_id", "key", name=op.f("uq_review_cache_instrument_version_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("review_cache")  # a cache: recomputed on the next view
