"""Exports: the authority filing pack (JSON, Markdown, PDF) and the breach register (Art. 33(5))."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach import audit, deadlines, filing, incidents
from breach.controller import ControllerProfile
from breach.store.tables import ExportRow, IncidentRow
from notices.drafting import authority_params
from notices.register import write_register_csv
from notices.report import build_filing_pack, filing_pack_markdown, write_filing_pack_pdf


@dataclass(frozen=True)
class ExportedFile:
    kind: str
    path: Path
    sha256: str


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _remember(*, session: Session, incident_id: str | None, kind: str, path: Path, actor: str, now: datetime) -> ExportedFile:
    digest = _digest(path)
    session.add(ExportRow(incident_id=incident_id, kind=kind, path=str(path), sha256=digest, created_at=now))
    audit.record(session=session, action="export.written", actor=actor, at=now, incident_id=incident_id,
                 details={"kind": kind, "file": path.name, "sha256": digest})
    return ExportedFile(kind, path, digest)


def export_filing_pack(*, session: Session, incident_id: str, controller: ControllerProfile, out_dir: Path, actor: str, now: datetime) -> list[ExportedFile]:
    """Write the filing pack as JSON (form fields), Markdown (copy-paste view) and PDF; each hash is audited."""
    filings = filing.filings_of(session=session, incident_id=incident_id)
    params = authority_params(session=session, incident_id=incident_id, controller=controller,
                              notified_at=filings[0].filed_at if filings else None)
    pack = build_filing_pack(params)
    folder = out_dir / incident_id / "report"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{incident_id}-filing-pack"
    _write_text(folder / f"{stem}.json", json.dumps(pack, ensure_ascii=False, indent=2, default=str))
    _write_text(folder / f"{stem}.md", filing_pack_markdown(pack))
    write_filing_pack_pdf(pack, folder / f"{stem}.pdf")
    return [_remember(session=session, incident_id=incident_id, kind=f"filing_pack_{suffix}", path=folder / f"{stem}.{suffix}", actor=actor, now=now)
            for suffix in ("json", "md", "pdf")]


def register_rows(*, session: Session) -> Iterator[dict[str, Any]]:
    """One register row per incident, notified or not, with its verdict and reasoning."""
    for incident in session.execute(select(IncidentRow).order_by(IncidentRow.opened_at)).scalars():
        facts = incidents.latest_facts(session=session, incident_id=incident.id).document
        assessment = incidents.latest_assessment(session=session, incident_id=incident.id)
        result = assessment.result if assessment else {}
        clocks = deadlines.deadlines_of(session=session, incident_id=incident.id)
        filed = filing.filings_of(session=session, incident_id=incident.id)
        yield {
            "incident_id": incident.id, "reference": incident.reference, "status": incident.status,
            "opened_at": incident.opened_at.isoformat(), "aware_at": incident.aware_at.isoformat() if incident.aware_at else "",
            "summary": incident.summary, "breach_types": facts.get("breach_types", []), "data_categories": facts.get("data_categories", []),
            "subjects_affected": facts.get("subjects_affected"), "measures_taken": facts.get("measures_taken", []),
            "risk": result.get("risk", ""), "notify_authority": result.get("notify_authority"), "notify_subjects": result.get("notify_subjects"),
            "rationale": [f"{r['rule']}: {r['finding']}" for r in result.get("rationale", [])],
            "authority_deadline": result.get("authority_deadline") or "",
            "notified_at": filed[0].filed_at.isoformat() if filed else "",
            "deadline_met": "" if not clocks else all(c.state == "met" for c in clocks if c.obligation == "authority"),
        }


def export_register(*, session: Session, out_dir: Path, actor: str, now: datetime) -> ExportedFile:
    """Write the breach register (every incident) as CSV."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "breach-register.csv"
    write_register_csv(register_rows(session=session), path)
    return _remember(session=session, incident_id=None, kind="register_csv", path=path, actor=actor, now=now)
