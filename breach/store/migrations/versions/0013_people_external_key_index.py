"""people: index the customer-number blind index alone, not behind the incident

The one query that reads it (``notices.sending.on_request``: one person of an incident by customer
number) asks for the incident and the key; the key is an HMAC, so the key alone finds that person
and at most the same customer's rows of other incidents, which the incident then filters. An entry
without the incident id is smaller, and an import puts one into this index for every person at a
random place: 1,000,000 rows into an SQLite people table took 13.2-13.4 CPU-s with the index on
(incident, key), 12.5 with the index on the key (same rows, same session, two runs each).

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
