"""send batches record who claimed them, so a second sender leaves a live sender's batch alone

Revision ID: 0005_batch_claimed_by
Revises: 0004_webhook
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_batch_claimed_by"
down_revision = "0004_webhook"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("send_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send_batches", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
