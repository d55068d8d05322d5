"""add survey drafts (unfinished web questionnaires kept server-side for a few hours)

Revision ID: 3582b01c59f4
Revises: b7e2c4a91d3f
Create Date: 2026-12-04 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3582b01c59f4"
down_revision = "b7e2c4a91d3f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_survey_drafts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_survey_drafts_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_drafts")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_survey_drafts_token_sha256")),
    )
    with op.batch_alter_table("survey_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_drafts_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    # drafts are transient (they expire within hours): dropping them loses unfinished forms only
    with op.batch_alter_table("survey_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_drafts_updated_at"))
    op.drop_table("survey_drafts")
