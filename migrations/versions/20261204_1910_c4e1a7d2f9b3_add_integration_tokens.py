"""add integration tokens and the writer of each response (issue 12 §1)

Revision ID: c4e1a7d2f9b3
Revises: d7e3a5b19c42
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_columns
from survey_app.migration_data import keep_table
from survey_app.migration_data import restore_columns
from survey_app.migration_data import restore_table

revision = "c4e1a7d2f9b3"
down_revision = "d7e3a5b19c42"
branch_labels = None
depends_on = None

WRITER_COLUMNS = ("writer_kind", "writer_id")
TOKEN_COLUMNS = (
    "id",
    "name",
    "token_sha256",
    "hint",
    "channel",
    "campaign_id",
    "system_id",
    "library_id",
    "created_at",
    "created_by_id",
    "revoked_at",
    "revoked_by_id",
)


def upgrade() -> None:
    op.create_table(
        "integration_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("library_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "NOT (system_id IS NOT NULL AND library_id IS NOT NULL)",
            name=op.f("ck_integration_tokens_one_scope_level"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_integration_tokens_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["library_systems.id"],
            name=op.f("fk_integration_tokens_system_id_library_systems"),
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_integration_tokens_library_id_libraries"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_integration_tokens_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_integration_tokens_revoked_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_integration_tokens_token_sha256")),
    )
    restore_table(revision, "integration_tokens", TOKEN_COLUMNS)  # kept by a downgrade
    # nullable: responses stored before credentials existed name no writer
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("writer_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("writer_id", sa.Integer(), nullable=True))
    restore_columns(revision, "responses", WRITER_COLUMNS)


def downgrade() -> None:
    keep_columns(revision, "responses", WRITER_COLUMNS)
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("writer_id")
        batch_op.drop_column("writer_kind")
    keep_table(revision, "integration_tokens")
    op.drop_table("integration_tokens")
