"""managers roster in the database, one-time approval codes, and the proof each approval carries

Revision ID: 0010_approval_identity
Revises: 0009_audit_keyed
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_approval_identity"
down_revision = "0009_audit_keyed"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "managers",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("logins", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_managers")),
    )
    op.create_table(
        "approval_codes",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=32), nullable=False),
        sa.Column("manager", sa.String(length=320), nullable=False),
        sa.Column("drafts_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wrong_attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_approval_codes_incident_id_incidents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_codes")),
    )
    op.create_index(op.f("ix_approval_codes_incident_id"), "approval_codes", ["incident_id"], unique=False)
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("proof_ref", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_column("proof_ref")
        batch_op.drop_column("proof")
    op.drop_index(op.f("ix_approval_codes_incident_id"), table_name="approval_codes")
    op.drop_table("approval_codes")
    op.drop_table("managers")
