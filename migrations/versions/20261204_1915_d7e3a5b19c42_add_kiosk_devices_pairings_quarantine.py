"""add kiosk devices, pairings, quarantine (issue 11: kiosk tablets)

Revision ID: d7e3a5b19c42
Revises: c4a1f09e7b21
Create Date: 2026-12-04 18:36:10.937356
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from survey_app.migration_data import keep_table
from survey_app.migration_data import restore_table

revision = "d7e3a5b19c42"
down_revision = "c4a1f09e7b21"
branch_labels = None
depends_on = None

#: pairing codes live 15 minutes: a downgrade drops the open ones (devices and quarantine are kept)
LOSES = ("kiosk_pairings",)

DEVICE_COLUMNS = (
    "id",
    "public_id",
    "name",
    "library_id",
    "service_point_id",
    "campaign_id",
    "token_hash",
    "pin_salt",
    "pin_hash",
    "pin_iterations",
    "opening_hours",
    "created_at",
    "paired_at",
    "revoked_at",
    "last_contact_at",
    "app_version",
    "instrument",
    "queue_depth",
    "oldest_unsent_at",
    "recent_submits",
)
QUARANTINE_COLUMNS = ("id", "device_id", "client_uuid", "status", "code", "at")


def upgrade() -> None:
    op.create_table(
        "kiosk_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("pin_salt", sa.String(length=64), nullable=True),
        sa.Column("pin_hash", sa.String(length=128), nullable=True),
        sa.Column("pin_iterations", sa.Integer(), nullable=True),
        sa.Column("opening_hours", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("app_version", sa.String(length=64), nullable=True),
        sa.Column("instrument", sa.String(length=100), nullable=True),
        sa.Column("queue_depth", sa.Integer(), nullable=True),
        sa.Column("oldest_unsent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recent_submits", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_kiosk_devices_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["library_id"], ["libraries.id"], name=op.f("fk_kiosk_devices_library_id_libraries")
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_kiosk_devices_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_devices")),
        sa.UniqueConstraint("public_id", name=op.f("uq_kiosk_devices_public_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kiosk_devices_token_hash")),
    )
    with op.batch_alter_table("kiosk_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kiosk_devices_library_id"), ["library_id"], unique=False
        )

    op.create_table(
        "kiosk_pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["kiosk_devices.id"],
            name=op.f("fk_kiosk_pairings_device_id_kiosk_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_pairings")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_kiosk_pairings_code_hash")),
    )
    with op.batch_alter_table("kiosk_pairings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kiosk_pairings_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "kiosk_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("client_uuid", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["kiosk_devices.id"],
            name=op.f("fk_kiosk_quarantine_device_id_kiosk_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_quarantine")),
        sa.UniqueConstraint("device_id", "client_uuid", name=op.f("uq_kiosk_quarantine_device_id")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responses_device_id"), ["device_id"], unique=False)
    restore_table(revision, "kiosk_devices", DEVICE_COLUMNS)  # kept by a downgrade
    restore_table(revision, "kiosk_quarantine", QUARANTINE_COLUMNS)


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_device_id"))
    keep_table(revision, "kiosk_quarantine")
    keep_table(revision, "kiosk_devices")

    op.drop_table("kiosk_quarantine")
    with op.batch_alter_table("kiosk_pairings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_pairings_device_id"))

    op.drop_table("kiosk_pairings")
    with op.batch_alter_table("kiosk_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_devices_library_id"))

    op.drop_table("kiosk_devices")
