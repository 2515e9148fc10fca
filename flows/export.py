"""Export the authority filing pack and the breach register."""

from __future__ import annotations

from prefect import flow, task

from breach import clock
from notices.exporting import export_filing_pack, export_register
from flows.progress import emit
from flows.runtime import runtime


@task
def write_exports(incident_id: str) -> dict[str, str]:
    """Write filing pack (JSON, Markdown, PDF) and the register (CSV); returns kind -> path."""
    rt = runtime()
    out = rt.settings.data_dir / "exports"
    with rt.sessions.begin() as session:
        now = clock.utcnow()
        files = export_filing_pack(session=session, incident_id=incident_id, controller=rt.controller, out_dir=out, actor=rt.actor, now=now)
        files.append(export_register(session=session, out_dir=out, actor=rt.actor, now=now))
    paths = {f.kind: str(f.path) for f in files}
    emit("exported", incident_id=incident_id, paths=paths)
    return paths


@flow(name="export-reports")
def export_reports(incident_id: str) -> dict[str, str]:
    """Export an incident's filing pack and the whole breach register."""
    return write_exports(incident_id)
