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

from breach.clock import deadlines, filing
from breach.incidents import service as incidents
from breach.store.tables import IncidentRow
from notices.output import ExportedFile, remember_export
from notices.params import load_table, report_consequences_for
from notices.register.entries import write_register_csv, write_register_json


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


def register_rows(*, session: Session, date_from: date | None = None, date_to: date | None = None) -> Iterator[dict[str, Any]]:
    """One register row per incident, notified or not, with its verdict, reasoning, clocks and filings."""
    for incident in session.execute(select(IncidentRow).order_by(IncidentRow.opened_at, IncidentRow.id)).scalars():
        if not _in_range(incident.aware_at or incident.opened_at, date_from, date_to):
            continue
        facts = incidents.latest_facts(session=session, incident_id=incident.id).document
        assessment = incidents.latest_assessment(session=session, incident_id=incident.id)
        result = assessment.result if assessment else {}
        clocks = deadlines.deadlines_of(session=session, incident_id=incident.id)
        filed = filing.filing_summaries(filing.filings_of(session=session, incident_id=incident.id))
        authority_clocks = [c for c in clocks if c.obligation == "authority"]
        yield {
            "incident_id": incident.id, "reference": incident.reference, "status": incident.status,
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
            "deadline_met": "" if not authority_clocks else all(c.state == "met" for c in authority_clocks),
            "filings": [f"{f['authority_code']} #{f['sequence']} {f['filed_at']}{' late' if f['late'] else ''} "
                        f"receipt {f['receipt_name']} sha256 {f['receipt_sha256']}" for f in filed],
            "filings_detail": filed, "reasons_for_delay": incident.reasons_for_delay, "facts": facts,
            "late_filings": sum(1 for f in filed if f["late"]),
        }


def export_register(*, session: Session, out_dir: Path | None = None, actor: str, now: datetime,
                    fmt: Literal["csv", "json"] = "csv", path: Path | None = None,
                    date_from: date | None = None, date_to: date | None = None) -> ExportedFile:
    """Write the breach register (every incident in range) as CSV or JSON; its hash is audited."""
    if path is None:
        assert out_dir is not None, "give out_dir or path"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"breach-register.{fmt}"
    rows = register_rows(session=session, date_from=date_from, date_to=date_to)
    (write_register_json if fmt == "json" else write_register_csv)(rows, path)
    return remember_export(session=session, incident_id=None, kind=f"register_{fmt}", path=path, actor=actor, now=now)
