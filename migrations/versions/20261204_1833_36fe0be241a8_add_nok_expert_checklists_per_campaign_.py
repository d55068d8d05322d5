"""add NOK expert checklists per campaign and library

Revision ID: 36fe0be241a8
Revises: bd05b0f05261
Create Date: 2026-12-04 18:33:18.680990
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_table
from survey_app.migration_data import restore_table

revision = "36fe0be241a8"
down_revision = "bd05b0f05261"
branch_labels = None
depends_on = None

COLUMNS = (
    "id",
    "campaign_id",
    "library_id",
    "stand_info_present",
    "stand_info_required",
    "site_info_present",
    "site_info_required",
    "remote_channels",
    "comfort_conditions",
    "premises_accessibility",
    "service_accessibility",
    "entered_by_id",
    "entered_at",
)


def upgrade() -> None:
    op.create_table(
        "nok_checklists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("stand_info_present", sa.Integer(), nullable=False),
        sa.Column("stand_info_required", sa.Integer(), nullable=False),
        sa.Column("site_info_present", sa.Integer(), nullable=False),
        sa.Column("site_info_required", sa.Integer(), nullable=False),
        sa.Column("remote_channels", sa.Integer(), nullable=False),
        sa.Column("comfort_conditions", sa.Integer(), nullable=False),
        sa.Column("premises_accessibility", sa.Integer(), nullable=False),
        sa.Column("service_accessibility", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stand_info_present >= 0 AND stand_info_required > 0 "
            "AND stand_info_present <= stand_info_required "
            "AND site_info_present >= 0 AND site_info_required > 0 "
            "AND site_info_present <= site_info_required "
            "AND remote_channels >= 0 AND comfort_conditions >= 0 "
            "AND premises_accessibility >= 0 AND service_accessibility >= 0",
            name=op.f("ck_nok_checklists_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_nok_checklists_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["users.id"],
            name=op.f("fk_nok_checklists_entered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_nok_checklists_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nok_checklists")),
        sa.UniqueConstraint(
            "campaign_id", "library_id", name=op.f("uq_nok_checklists_campaign_id")
        ),
    )
    restore_table(revision, "nok_checklists", COLUMNS)


def downgrade() -> None:
    # expert counts are entered by people: kept in a copy and put back by the upgrade
    keep_table(revision, "nok_checklists")
    op.drop_table("nok_checklists")
