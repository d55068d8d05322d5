"""add staff accounts audit log lineage

Revision ID: 0ba936ded7c0
Revises: 650376dea2d6
Create Date: 2026-11-25 22:40:39.616247
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_columns
from survey_app.migration_data import keep_table
from survey_app.migration_data import restore_columns
from survey_app.migration_data import restore_table

revision = "0ba936ded7c0"
down_revision = "650376dea2d6"
branch_labels = None
depends_on = None

USER_COLUMNS = (
    "id",
    "email",
    "name",
    "password_hash",
    "role",
    "system_id",
    "library_id",
    "active",
    "locale",
    "created_at",
    "last_login_at",
)
AUDIT_COLUMNS = ("id", "at", "actor_id", "action", "target", "details")
VERSION_COLUMNS = ("source_format", "uploaded_by_id", "lineage")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("library_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role != 'library_staff' OR library_id IS NOT NULL",
            name=op.f("ck_users_staff_have_a_library"),
        ),
        sa.CheckConstraint(
            "NOT (system_id IS NOT NULL AND library_id IS NOT NULL)",
            name=op.f("ck_users_one_scope_level"),
        ),
        sa.ForeignKeyConstraint(
            ["library_id"], ["libraries.id"], name=op.f("fk_users_library_id_libraries")
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["library_systems.id"], name=op.f("fk_users_system_id_library_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "partial_policy", sa.String(length=10), nullable=False, server_default="discard"
            )
        )

    with op.batch_alter_table("instrument_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source_format", sa.String(length=10), nullable=False, server_default="yaml")
        )
        batch_op.add_column(sa.Column("uploaded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lineage", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_instrument_versions_uploaded_by_id_users"),
            "users",
            ["uploaded_by_id"],
            ["id"],
        )

    # what a downgrade of this revision kept comes back
    restore_table(revision, "users", USER_COLUMNS)
    restore_table(revision, "audit_events", AUDIT_COLUMNS)
    restore_columns(revision, "campaigns", ["partial_policy"])
    restore_columns(revision, "instrument_versions", VERSION_COLUMNS)


def downgrade() -> None:
    keep_columns(revision, "instrument_versions", VERSION_COLUMNS)
    keep_columns(revision, "campaigns", ["partial_policy"])
    keep_table(revision, "audit_events")
    keep_table(revision, "users")
    with op.batch_alter_table("instrument_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_instrument_versions_uploaded_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("lineage")
        batch_op.drop_column("uploaded_by_id")
        batch_op.drop_column("source_format")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("partial_policy")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    op.drop_table("users")
