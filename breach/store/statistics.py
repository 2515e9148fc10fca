"""The planner's table statistics after a bulk write, so that one incident's rows are found through the right index.

Every index of `people` and `deliveries` starts with the incident. Until PostgreSQL's statistics
know an incident, the planner estimates it at a single row and may read its rows through any of
them: measured on PostgreSQL 15 with five earlier incidents of 200,000 people analysed and a new
one written, reading one batch of 1,000 deliveries (`incident_id, channel, batch_no`) went
through the unique index `(incident_id, person_id, draft_id, channel)` and filtered all 200,000
rows of the incident: 66 ms per batch instead of under 1 ms, and the whole send 2.2 times slower
(bench/scale.py, 2026-12-05). PostgreSQL's documentation advises running ANALYZE after bulk
loading for this reason ("Populating a Database", section 14.4.9; autovacuum gets there only
later, after its thresholds and naptime). SQLite keeps no statistics unless asked and plans
from the indexes' shapes, so there is nothing to refresh.

ANALYZE runs in its own short transaction after the bulk write has committed: it samples a fixed
number of rows (300 x default_statistics_target), so its cost does not grow with the table, and
it takes a lock that only another ANALYZE or VACUUM of the same table waits for.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker


def refresh(sessions: sessionmaker[Session], *tables: Any) -> list[str]:
    """ANALYZE the tables (mapped classes) on PostgreSQL; returns the names analysed (none elsewhere)."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return []
    names = [table.__tablename__ for table in tables]
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for name in names:
            connection.exec_driver_sql(f'ANALYZE "{name}"')
    return names
