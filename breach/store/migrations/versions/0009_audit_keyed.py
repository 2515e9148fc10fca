"""the audit chain is keyed (HMAC) from a recorded position on, under a key named by its id

Revision ID: 0009_audit_keyed
Revises: 0008_us_filing_codes
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_audit_keyed"
down_revision = "0008_us_filing_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keyed_from", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("key_id")
        batch_op.drop_column("keyed_from")
