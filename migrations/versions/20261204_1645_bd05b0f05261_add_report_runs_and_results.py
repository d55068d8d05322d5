"""add report runs and results (stored analyses of a campaign, computed in the background)

Revision ID: bd05b0f05261
Revises: 3582b01c59f4
Create Date: 2026-12-04 16:03:41.622156
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bd05b0f05261"
down_revision = "3582b01c59f4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.String(length=100), nullable=True),
        sa.Column("standard_version", sa.String(length=50), nullable=True),
        sa.Column("exclusions_applied", sa.Integer(), nullable=False),
        sa.Column("code_version", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("main_indicator", sa.String(length=200), nullable=True),
        sa.Column("responses_counted", sa.Integer(), nullable=True),
        sa.Column("libraries_counted", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name=op.f("ck_report_runs_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_report_runs_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["instrument_versions.id"],
            name=op.f("fk_report_runs_instrument_version_id_instrument_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_report_runs_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
    )
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_runs_campaign_status", ["campaign_id", "status"], unique=False
        )

    op.create_table(
        "report_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=True),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("indicator", sa.String(length=200), nullable=False),
        sa.Column("estimate", sa.Double(), nullable=True),
        sa.Column("ci_low", sa.Double(), nullable=True),
        sa.Column("ci_high", sa.Double(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("target", sa.Double(), nullable=True),
        sa.Column("shrunken", sa.Double(), nullable=True),
        sa.Column("shrunken_low", sa.Double(), nullable=True),
        sa.Column("shrunken_high", sa.Double(), nullable=True),
        sa.Column("rank", sa.Double(), nullable=True),
        sa.Column("rank_low", sa.Double(), nullable=True),
        sa.Column("rank_high", sa.Double(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_report_results_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["report_runs.id"],
            name=op.f("fk_report_results_run_id_report_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["library_systems.id"],
            name=op.f("fk_report_results_system_id_library_systems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_results")),
    )
    with op.batch_alter_table("report_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_results_run_indicator", ["run_id", "indicator"], unique=False
        )
        batch_op.create_index(
            "ix_report_results_run_library", ["run_id", "library_id"], unique=False
        )


def downgrade() -> None:
    # report runs are derived data: `survey-app reports run` computes them again
    with op.batch_alter_table("report_results", schema=None) as batch_op:
        batch_op.drop_index("ix_report_results_run_library")
        batch_op.drop_index("ix_report_results_run_indicator")

    op.drop_table("report_results")
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_report_runs_campaign_status")

    op.drop_table("report_runs")
