"""add NOK expert checklists and the library page cache of report runs

Revision ID: c4e8a1f2d9b7
Revises: c4e1a7d2f9b3
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_table
from survey_app.migration_data import restore_table

revision = "c4e8a1f2d9b7"
down_revision = "c4e1a7d2f9b3"
branch_labels = None
depends_on = None

_COUNTS = (
    "stand_info_present",
    "stand_info_required",
    "site_info_present",
    "site_info_required",
    "remote_channels",
    "comfort_conditions",
    "premises_accessibility",
    "service_accessibility",
)


def upgrade() -> None:
    op.create_table(
        "nok_checklists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_nok_checklists_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_nok_checklists_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_nok_checklists_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nok_checklists")),
        sa.UniqueConstraint(
            "campaign_id", "library_id", name=op.f("uq_nok_checklists_campaign_id")
        ),
    )
    restore_table(
        revision,
        "nok_checklists",
        ["id", "campaign_id", "library_id", *_COUNTS, "uploaded_by_id", "uploaded_at"],
    )
    op.create_table(
        "report_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["report_runs.id"],
            name=op.f("fk_report_cache_run_id_report_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_report_cache_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_cache")),
        sa.UniqueConstraint("run_id", "library_id", "key", name=op.f("uq_report_cache_run_id")),
    )


def downgrade() -> None:
    keep_table(revision, "nok_checklists")  # the cache is recomputed, the checklists are kept
    op.drop_table("report_cache")
    op.drop_table("nok_checklists")
