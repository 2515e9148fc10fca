"""After a bulk write the planner knows the new incident, so a batch is read through the batch index (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from breach.controller import load_profile
from breach.keys.cipher import MultiKeyCipher
from breach.people.rows import external_key_of
from breach.people.store import import_people
from breach.people.store import refresh_statistics as refresh_people
from breach.store.session import engine_for, session_factory
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.sending import outbox
from notices.sending.batches import email_batch_rows
from notices.sending.on_request import person_by_customer_number
from tests.conftest import NOW
from tests.factories import approve, make_incident, set_roster, write_people_csv

pytestmark = pytest.mark.integration

MANAGER, RESPONDER = "manager@example.com", "responder@example.com"
CIPHER = MultiKeyCipher.from_master_keys([b"s" * 32])
PEOPLE, BATCH = 2_000, 100


def _approved_outbox(sessions: sessionmaker[Session], folder: Path) -> str:
    """An approved incident of PEOPLE e-mail people in batches of BATCH, its outbox written and committed."""
    folder.mkdir()
    rows = [[f"Person {i}", "da", f"person.{i}@example.org", "", "", "", "", "DK"] for i in range(PEOPLE)]
    with sessions.begin() as session:
        incident_id = make_incident(session=session, now=NOW, reference=f"ST-{uuid.uuid4().hex[:12]}")
        import_people(session=session, incident_id=incident_id, path=write_people_csv(folder / "people.csv", rows), cipher=CIPHER,
                      batch_size=BATCH, actor=RESPONDER, now=NOW)
        draft_notices(session=session, incident_id=incident_id, controller=load_profile(EXAMPLES / "controller.json"),
                      actor=RESPONDER, now=NOW)
        set_roster(session=session, now=NOW, managers=[MANAGER])
        approve(session=session, incident_id=incident_id, now=NOW, actor=MANAGER)
        outbox.fill_outbox(session=session, incident_id=incident_id, batch_size=BATCH, actor=RESPONDER, now=NOW)
    return incident_id


def _plan(engine: Engine, incident_id: str) -> tuple[str, float | None]:
    """How the database reads one batch: the plan as text, and (PostgreSQL) the rows it expects from deliveries."""
    statement = email_batch_rows(incident_id, 7)
    with engine.connect() as connection:
        compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
        if engine.dialect.name != "postgresql":
            plan = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            return " ".join(str(row[-1]) for row in plan), None
        document = connection.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    plans = json.loads(document) if isinstance(document, str) else document  # the driver may decode the JSON itself
    stack, found, expected = [plans[0]["Plan"]], [], None
    while stack:
        node = stack.pop()
        found.append(json.dumps({k: node.get(k) for k in ("Node Type", "Index Name", "Relation Name")}))
        if node.get("Relation Name") == "deliveries":
            expected = float(node["Plan Rows"])
        stack.extend(node.get("Plans", []))
    return " ".join(found), expected


def test_a_new_incident_is_known_to_the_planner_once_its_outbox_is_written(db_url: str, tmp_path: Path) -> None:
    engine = engine_for(db_url)
    sessions = session_factory(db_url)
    _approved_outbox(sessions, tmp_path / "earlier")
    outbox.refresh_statistics(sessions)  # the statistics know the earlier incident, not the next one
    incident_id = _approved_outbox(sessions, tmp_path / "new")
    analysed = outbox.refresh_statistics(sessions)
    plan, expected = _plan(engine, incident_id)
    assert "ix_deliveries_incident_batch" in plan  # not the unique index that starts with the incident too
    if engine.dialect.name == "postgresql":
        assert analysed == ["deliveries", "send_batches"]
        assert refresh_people(sessions) == ["people"]
        assert expected is not None and expected >= BATCH / 4  # one batch, not "one row" (an incident it has never seen)
    else:
        assert analysed == [] and refresh_people(sessions) == []  # SQLite plans from the indexes' shapes: nothing to refresh


def test_a_person_is_found_by_customer_number_through_the_index_on_the_key(db_url: str, tmp_path: Path) -> None:
    """`breach letter --person` reads one index entry, not the incident's people (migration 0013)."""
    engine = engine_for(db_url)
    sessions = session_factory(db_url)
    header = ["name", "language", "email", "external_id"]
    with sessions.begin() as session:
        incidents = []
        for n in range(2):  # the same customer numbers in two incidents: the incident still decides
            incident_id = make_incident(session=session, now=NOW, reference=f"EK-{uuid.uuid4().hex[:12]}")
            rows = [[f"Person {i}", "da", f"person.{i}@example.org", f"C-{i}"] for i in range(500)]
            import_people(session=session, incident_id=incident_id, path=write_people_csv(tmp_path / f"p{n}.csv", rows, header),
                          cipher=CIPHER, batch_size=BATCH, actor=RESPONDER, now=NOW)
            incidents.append(incident_id)
    refresh_people(sessions)
    key = external_key_of("C-42", CIPHER.index_key)
    statement = person_by_customer_number(incidents[1], key)
    with sessions() as session:
        found = session.execute(statement).scalar_one()
        assert (found.incident_id, found.line) == (incidents[1], 44)  # the header is line 1, person 0 line 2
    with engine.connect() as connection:
        compiled = statement.compile(connection)  # bound: a key has no literal form in every dialect
        if engine.dialect.name == "postgresql":
            explained = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar_one()
            plan = json.dumps(explained)
        else:
            values = tuple(compiled.params[name] for name in compiled.positiontup or ())
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values))
    assert "ix_people_external_key" in plan, plan
