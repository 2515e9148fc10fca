"""reconciliation evidence: Event Webhook events per delivery, and the Email Activity API's shared rate window

Revision ID: 0007_email_events
Revises: 0006_people_jurisdictions
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_email_events"
down_revision = "0006_people_jurisdictions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("incident_id", sa.String(length=32), nullable=False),
        sa.Column("batch_key", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_events")),
        sa.UniqueConstraint("delivery_id", "event", name=op.f("uq_email_events_delivery_id")),
    )
    op.create_table(
        "rate_windows",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("calls", sa.JSON(), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rate_windows")),
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
    op.drop_table("email_events")
