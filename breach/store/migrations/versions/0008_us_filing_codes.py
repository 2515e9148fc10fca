"""filings: authority_code widened to 40 characters for US regulator codes (US-VT-AG-PRE, US-NY-AG-HIPAA)

Revision ID: 0008_us_filing_codes
Revises: 0007_email_events
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_us_filing_codes"
down_revision = "0007_email_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.alter_column("authority_code", existing_type=sa.String(length=10), type_=sa.String(length=40), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.alter_column("authority_code", existing_type=sa.String(length=40), type_=sa.String(length=10), existing_nullable=False)
