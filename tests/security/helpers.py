"""Builders for the security catalogue: an incident drafted through the domain, people files, the database by hand."""

from __future__ import annotations

import json
import sqlite3
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from breach import instants
from breach.incidents import service as incidents
from breach.people.store import import_people
from flows.runtime import Runtime
from notices.content.drafting import draft_notices
from tests.factories import facts_doc, write_people_csv

# Two e-mail people (Danish, Norwegian) and one letter (English, a postal address in Leeds).
PEOPLE = [
    ["Åse Nordmann", "nb", "aase@example.org", "", "Storgata 1", "0155", "Oslo", "NO"],
    ["Søren Kjær", "da", "soren@example.com", "", "Nørregade 7", "1165", "København K", "DK"],
    ["Rhys Thistlewood", "en", "", "letter", "86 Harbour Lane", "LS6 5UJ", "Leeds", "GB"],
]


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def facts_file(folder: Path, **overrides: Any) -> Path:
    """A valid facts file with a fresh reference."""
    return write_json(folder / f"facts-{time.time_ns()}.json", facts_doc(reference=f"SEC-{time.time_ns()}", **overrides))


def drafted(rt: Runtime, folder: Path, people: list[list[str]] | None = None, **facts: Any) -> str:
    """Open, assess, import and draft through the domain (what the flows run), as the responder; returns the incident id."""
    now = instants.utcnow()
    csv_path = write_people_csv(folder / f"people-{time.time_ns()}.csv", PEOPLE if people is None else people)
    with rt.sessions.begin() as session:
        opened = incidents.open_incident(session=session, document=facts_doc(reference=f"SEC-{time.time_ns()}", **facts),
                                         actor=rt.actor, timezone=rt.controller.timezone, now=now)
        incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=rt.actor, now=now)
        import_people(session=session, incident_id=opened.incident_id, path=csv_path, cipher=rt.cipher, batch_size=1000,
                      actor=rt.actor, now=now, default_country="DK")
        assert draft_notices(session=session, incident_id=opened.incident_id, controller=rt.controller, actor=rt.actor, now=now)
    return opened.incident_id


def sql(home: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """What an insider with database access does: plain sqlite3 on the database file, committed."""
    with sqlite3.connect(home / "breach.db") as connection:
        rows = connection.execute(statement, params).fetchall()
    connection.close()
    return rows


def emails(home: Path, incident_id: str) -> list[EmailMessage]:
    """Every .eml the outbox holds for an incident, parsed."""
    folder = home / "outbox" / incident_id / "email"
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]  # type: ignore[misc]


def letters(home: Path, incident_id: str) -> list[Path]:
    """Every letter PDF of an incident."""
    return sorted((home / "outbox" / incident_id / "letters").glob("*.pdf"))


def audit_actions(home: Path, incident_id: str) -> list[str]:
    """The incident's audit entries' actions, oldest first."""
    return [row[0] for row in sql(home, "SELECT action FROM audit_events WHERE incident_id = ? ORDER BY seq", incident_id)]
