"""Write-lock rows before reading them, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Executable, update
from sqlalchemy.orm import Session


def changed_rows(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched."""
    result = session.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(statement).__name__} is not an UPDATE or DELETE: it reports no row count")
    return result.rowcount


def write_lock(session: Session, entity: Any, *where: Any) -> int:
    """Write-lock the rows of `entity` matching `where` for the rest of the transaction; returns how many matched.

    A no-op UPDATE (the primary key set to itself): on PostgreSQL it locks the rows, so a second
    writer waits and then reads the committed values; on SQLite it opens the write transaction, which
    serialises writers across processes. `SELECT ... FOR UPDATE` does nothing on SQLite, and a plain
    SELECT first would let two processes read the same values and both act on them. Read the rows
    afterwards with `populate_existing` so the session does not hand back a copy it read before.
    """
    key = entity.__mapper__.primary_key[0]
    stmt = update(entity).where(*where).values({key.key: key}).execution_options(synchronize_session=False)
    return changed_rows(session, stmt)
