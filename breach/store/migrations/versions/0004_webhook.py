"""webhook replay guard: digests of accepted Event Webhook requests

Revision ID: 0004_webhook
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_webhook"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_requests",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_webhook_requests")),
    )
    with op.batch_alter_table("webhook_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_requests_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_requests_received_at"))
    op.drop_table("webhook_requests")
