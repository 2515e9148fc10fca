"""Export the authority filing pack (or a supplementary report) and the breach register."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, task
from sqlalchemy.orm import Session

from breach import instants
from breach.approval import integrity
from breach.exceptions import DraftsTampered, NotApproved
from breach.incidents import service as incidents
from flows.case_file import refresh_case_file
from flows.progress import emit
from flows.runtime import runtime
from notices.content.public_notice import export_public_notices
from notices.output import ExportedFile
from notices.register.export import export_register
from notices.report.export import export_filing_pack, export_followup
from notices.report.us.filings import export_us_filings


@task
def write_exports(incident_id: str, authority: str | None = None, template: str | None = None,
                  followup: bool = False, english: bool = False) -> dict[str, str]:
    """Write the filing pack (JSON, Markdown, PDF) or the next supplementary report, the US filings, and the register (CSV)."""
    rt = runtime()
    out = rt.settings.data_dir / "exports"
    tampered: DraftsTampered | None = None
    with rt.sessions.begin() as session:
        now = instants.utcnow()
        files = _filings(session, incident_id, authority, template, followup, english, out=out, now=now)
        files.append(export_register(session=session, out_dir=out, actor=rt.actor, now=now))
        try:
            files += export_public_notices(session=session, incident_id=incident_id,
                                           out_dir=out, actor=rt.actor, now=now)
        except NotApproved as exc:  # Art. 34(3)(c) pages leave only once approved; say so rather than skip silently
            emit("public_notice_pending", incident_id=incident_id, reason=str(exc))
            tampered = exc if isinstance(exc, DraftsTampered) else None
    if tampered is not None:
        integrity.record_refusal(sessions=rt.sessions, incident_id=incident_id, error=tampered, actor=rt.actor, now=instants.utcnow(),
                                 where="public notice")
    paths = {f.kind: str(f.path) for f in files}
    emit("exported", incident_id=incident_id, paths=paths)
    return paths


def _filings(session: Session, incident_id: str, authority: str | None, template: str | None, followup: bool, english: bool, *,
             out: Path, now: datetime) -> list[ExportedFile]:
    """The GDPR filing pack (unless the GDPR does not apply, Art. 3) and, for a US profile, the US regulator filings."""
    rt = runtime()
    us_asked = bool(authority and authority.strip().upper().startswith("US"))
    if us_asked:
        return export_us_filings(session=session, incident_id=incident_id, controller=rt.controller, out_dir=out, actor=rt.actor,
                                 now=now, which=authority or "US")
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    gdpr = (assessment.result if assessment else {}).get("gdpr_applies") is not False
    files: list[ExportedFile] = []
    if followup:
        files += export_followup(session=session, incident_id=incident_id, controller=rt.controller, out_dir=out, actor=rt.actor,
                                 now=now, authority=authority, template=template)
    elif gdpr or authority or template:  # asked for explicitly where the GDPR does not apply: refused with the reason
        files += export_filing_pack(session=session, incident_id=incident_id, controller=rt.controller, out_dir=out, actor=rt.actor,
                                    now=now, authority=authority, template=template, english=english)
    if rt.controller.us is not None and not (authority or template or followup):
        files += export_us_filings(session=session, incident_id=incident_id, controller=rt.controller, out_dir=out, actor=rt.actor,
                                   now=now)
    return files


@flow(name="export-reports")
def export_reports(incident_id: str, authority: str | None = None, template: str | None = None,
                   followup: bool = False, english: bool = False) -> dict[str, str]:
    """Export an incident's filing pack (per authority form or template, in its language; with ``english`` the
    English version alongside) and the whole breach register."""
    paths = write_exports(incident_id, authority, template, followup, english)
    refresh_case_file(incident_id)
    return paths
