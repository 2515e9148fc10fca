"""Insert people rows in bulk inside the caller's transaction: PostgreSQL's COPY, SQLite's executemany.

The rows are already validated, de-duplicated and sealed (breach.people.store); this is only the
fastest way each driver has to put many of them into the ``people`` table. Both go through the
session's own connection, so the rows belong to the caller's transaction: nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from breach.store.tables import PersonRow

COLUMNS = ("incident_id", "line", "batch_no", "language", "channel", "wants_letter", "country", "region", "vulnerable",
           "protected_address", "esign_consent", "external_key", "dedup_key", "contact_enc")
_TABLE = PersonRow.__tablename__
_COPY = f"COPY {_TABLE} ({', '.join(COLUMNS)}) FROM STDIN"
_INSERT_QMARK = f"INSERT INTO {_TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
# SQLite's page cache while importing (negative: KiB). The unique index on the blind index takes rows in
# random order; with the default 2 MB most inserts miss the cache, with 64 MB a million rows' index fits.
SQLITE_CACHE_KIB = 65_536


class PeopleWriter:
    """Writes tuples in COLUMNS order through the session's connection."""

    def __init__(self, session: Session) -> None:
        self.session = session
        connection = session.connection()
        self.dialect = connection.dialect.name
        self._cache_size: int | None = None
        if self.dialect == "sqlite":
            self._cache_size = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
            connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")

    def close(self) -> None:
        """Give the connection back its own settings."""
        if self._cache_size is not None:
            self.session.connection().exec_driver_sql(f"PRAGMA cache_size={self._cache_size}")
            self._cache_size = None

    def write(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert the rows, read once as they come (an iterator is fine, so is none)."""
        connection = self.session.connection()
        driver = connection.connection.driver_connection  # the DBAPI connection, in the session's transaction
        if self.dialect == "postgresql":
            with driver.cursor() as cursor, cursor.copy(_COPY) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        elif self.dialect == "sqlite":
            cursor = driver.cursor()  # type: ignore[union-attr]
            try:
                cursor.executemany(_INSERT_QMARK, rows)
            finally:
                cursor.close()
        else:  # any other database SQLAlchemy speaks: its own executemany
            if batch := [dict(zip(COLUMNS, row, strict=True)) for row in rows]:
                connection.execute(insert(PersonRow), batch)
