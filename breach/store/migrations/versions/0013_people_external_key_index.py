"""people: index the customer-number blind index alone, not behind the incident

The one query that reads it (``notices.sending.on_request``: one person of an incident by customer
number) asks for the incident and the key; the key is an HMAC, so the key alone finds that person
and at most the same customer's rows of other incidents, which the incident then filters. An entry
without the incident id is smaller, and an import puts one into this index for every person at a
random place. Three 1,000,000-row imports each way into SQLite, alternated (same file, same session):
the store's inserts took 11.9-12.8 CPU-s with the index on the key, 12.8-13.5 with it behind the incident.

Revision ID: 0013_people_external_key_index
Revises: 0012_drop_people_batch_index
"""
from alembic import op


revision = "0013_people_external_key_index"
down_revision = "0012_drop_people_batch_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_people_incident_external_key", table_name="people")
    op.create_index("ix_people_external_key", "people", ["external_key"])


def downgrade() -> None:
    op.drop_index("ix_people_external_key", table_name="people")
    op.create_index("ix_people_incident_external_key", "people", ["incident_id", "external_key"])
