"""people: region (US state), vulnerable, protected_address, esign_consent, notice variant, customer-number index; drafts: variant

Revision ID: 0006_people_jurisdictions
Revises: 0005_batch_claimed_by
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_people_jurisdictions"
down_revision = "0005_batch_claimed_by"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("vulnerable", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("protected_address", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("esign_consent", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("notice_variant", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("external_key", sa.LargeBinary(length=32), nullable=True))
        batch_op.create_index("ix_people_incident_external_key", ["incident_id", "external_key"])
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=40), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("variant")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_incident_external_key")
        for column in ("external_key", "notice_variant", "esign_consent", "protected_address", "vulnerable", "region"):
            batch_op.drop_column(column)
