"""Export the authority filing pack (or a supplementary report) and the breach register."""

from __future__ import annotations

from prefect import flow, task

from breach import instants
from breach.exceptions import NotApproved
from flows.case_file import refresh_case_file
from flows.progress import emit
from flows.runtime import runtime
from notices.content.public_notice import export_public_notices
from notices.register.export import export_register
from notices.report.export import export_filing_pack, export_followup


@task
def write_exports(incident_id: str, authority: str | None = None, template: str | None = None,
                  followup: bool = False, english: bool = False) -> dict[str, str]:
    """Write the filing pack (JSON, Markdown, PDF) or the next supplementary report, and the register (CSV)."""
    rt = runtime()
    out = rt.settings.data_dir / "exports"
    with rt.sessions.begin() as session:
        now = instants.utcnow()
        if followup:
            files = export_followup(session=session, incident_id=incident_id, controller=rt.controller, out_dir=out, actor=rt.actor,
                                    now=now, authority=authority, template=template)
        else:
            files = export_filing_pack(session=session, incident_id=incident_id, controller=rt.controller, out_dir=out,
                                       actor=rt.actor, now=now, authority=authority, template=template, english=english)
        files.append(export_register(session=session, out_dir=out, actor=rt.actor, now=now))
        try:
            files += export_public_notices(session=session, incident_id=incident_id,
                                           out_dir=out, actor=rt.actor, now=now)
        except NotApproved as exc:  # Art. 34(3)(c) pages leave only once approved; say so rather than skip silently
            emit("public_notice_pending", incident_id=incident_id, reason=str(exc))
    paths = {f.kind: str(f.path) for f in files}
    emit("exported", incident_id=incident_id, paths=paths)
    return paths


@flow(name="export-reports")
def export_reports(incident_id: str, authority: str | None = None, template: str | None = None,
                   followup: bool = False, english: bool = False) -> dict[str, str]:
    """Export an incident's filing pack (per authority form or template, in its language; with ``english`` the
    English version alongside) and the whole breach register."""
    paths = write_exports(incident_id, authority, template, followup, english)
    refresh_case_file(incident_id)
    return paths
