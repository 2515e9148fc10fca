"""The Art. 33(5) breach register from the database: every breach, notified or not, with its reasoning.

Art. 33(5): the controller documents any personal data breach, "comprising the facts relating to
the personal data breach, its effects and the remedial action taken". A row carries the facts,
their effects, the remedial action, the verdict with its rationale, each obligation with its
deadline and whether it was met, and each filing with its receipt's SHA-256. Counts, never people.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach import instants
from breach.clock import deadlines, filing
from breach.incidents import service as incidents
from breach.store.tables import IncidentRow
from notices.output import ExportedFile, remember_export
from notices.params import load_table, report_consequences_for
from notices.register.entries import authority_deadline_met, write_register_csv, write_register_json
from notices.report.notification import people_told


def verdict_of(result: dict[str, Any]) -> str:
    """One word for the verdict: not_a_breach, document_only (Art. 33(5) only), notify_authority, notify_authority_and_subjects."""
    if not result:
        return "not_assessed"
    if result.get("personal_data_breach") is False:
        return "not_a_breach"
    if result.get("notify_subjects"):
        return "notify_authority_and_subjects" if result.get("notify_authority") else "notify_subjects"
    return "notify_authority" if result.get("notify_authority") else "document_only"


def _effects(facts: dict[str, Any]) -> list[str]:
    """Art. 33(5) 'its effects': the likely consequences of the breached data, plus harm already seen."""
    known = load_table("categories")["categories"]
    effects = report_consequences_for([c for c in facts.get("data_categories", []) if c in known], "en")
    return effects + (["Harm to the people has been observed"] if facts.get("harm_observed") else [])


def _in_range(moment: datetime, date_from: date | None, date_to: date | None) -> bool:
    """Whether a breach (by the time it became known, else opened) falls in [from, to], whole UTC days."""
    if date_from and moment < datetime.combine(date_from, time.min, tzinfo=UTC):
        return False
    return not (date_to and moment > datetime.combine(date_to, time.max, tzinfo=UTC))


def register_status(status: str, *, authority_owed: bool, filed: bool) -> str:
    """The incident status for the register: 'notified' only once a filing is recorded where one is owed."""
    return "people_told_authority_not_filed" if status == "notified" and authority_owed and not filed else status


def _times(facts: dict[str, Any], incident: IncidentRow, extra: dict[str, Any]) -> dict[str, Any]:
    """Occurred, detected, contained (UTC, ISO 8601) and every instant again on the controller's wall clock."""
    utc = {key: (instants.parse_instant(facts[key]).isoformat() if facts.get(key) else "")
           for key in ("occurred_at", "detected_at", "contained_at")}
    local = {f"{key}_local": instants.local_iso(instants.parse_instant(value), tz=incident.timezone) if value else ""
             for key, value in {**utc, "aware_at": extra["aware_at"], "authority_deadline": extra["authority_deadline"],
                                "notified_at": extra["notified_at"]}.items()}
    return {**utc, **local, "timezone": incident.timezone}


def _told(session: Session, incident_id: str) -> list[str]:
    """How and when people were told: per channel, how many deliveries were accepted, first and last."""
    return [f"{channel}: {told['count']} from {told['first_at']} to {told['last_at']}"
            for channel, told in sorted(people_told(session=session, incident_id=incident_id).items())]


def register_rows(*, session: Session, date_from: date | None = None, date_to: date | None = None,
                  now: datetime | None = None) -> Iterator[dict[str, Any]]:
    """One register row per incident, notified or not, with its verdict, reasoning, clocks and filings."""
    now = now or instants.utcnow()
    for incident in session.execute(select(IncidentRow).order_by(IncidentRow.opened_at, IncidentRow.id)).scalars():
        if not _in_range(incident.aware_at or incident.opened_at, date_from, date_to):
            continue
        facts = incidents.latest_facts(session=session, incident_id=incident.id).document
        assessment = incidents.latest_assessment(session=session, incident_id=incident.id)
        result = assessment.result if assessment else {}
        clocks = deadlines.deadlines_of(session=session, incident_id=incident.id)
        filed = filing.filing_summaries(filing.filings_of(session=session, incident_id=incident.id))
        authority_clocks = [c for c in clocks if c.obligation == "authority"]
        owed = bool(result.get("notify_authority"))
        row = {
            "incident_id": incident.id, "reference": incident.reference,
            "status": register_status(incident.status, authority_owed=owed, filed=bool(filed)),
            "opened_at": incident.opened_at.isoformat(), "aware_at": incident.aware_at.isoformat() if incident.aware_at else "",
            "summary": incident.summary, "breach_types": facts.get("breach_types", []), "data_categories": facts.get("data_categories", []),
            "subjects_affected": facts.get("subjects_affected"), "records_affected": facts.get("records_affected"),
            "effects": _effects(facts), "measures_taken": facts.get("measures_taken", []),
            "risk": result.get("risk", ""), "verdict": verdict_of(result),
            "notify_authority": result.get("notify_authority"), "notify_subjects": result.get("notify_subjects"),
            "rationale": [f"{r['rule']}: {r['finding']}" for r in result.get("rationale", [])],
            "authorities": filing.owed_authorities(result) if result.get("notify_authority") else [],
            "obligations": [f"{c.obligation}/{c.party} due {c.due_at.isoformat()}: {c.state}" for c in clocks],
            "authority_deadline": result.get("authority_deadline") or "",
            "notified_at": filed[0]["filed_at"] if filed else "",
            "deadline_met": authority_deadline_met([c.state for c in authority_clocks], due=[c.due_at for c in authority_clocks], now=now),
            "filings": [f"{f['authority_code']} #{f['sequence']} {f['filed_at']}{' late' if f['late'] else ''} "
                        f"receipt {f['receipt_name']} sha256 {f['receipt_sha256']}" for f in filed],
            "filings_detail": filed, "reasons_for_delay": incident.reasons_for_delay, "facts": facts,
            "late_filings": sum(1 for f in filed if f["late"]), "people_told": _told(session, incident.id),
        }
        yield {**row, **_times(facts, incident, row)}


def export_register(*, session: Session, out_dir: Path | None = None, actor: str, now: datetime,
                    fmt: Literal["csv", "json"] = "csv", path: Path | None = None,
                    date_from: date | None = None, date_to: date | None = None) -> ExportedFile:
    """Write the breach register (every incident in range) as CSV or JSON; its hash is audited."""
    if path is None:
        assert out_dir is not None, "give out_dir or path"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"breach-register.{fmt}"
    rows = register_rows(session=session, date_from=date_from, date_to=date_to, now=now)
    (write_register_json if fmt == "json" else write_register_csv)(rows, path)
    return remember_export(session=session, incident_id=None, kind=f"register_{fmt}", path=path, actor=actor, now=now)
