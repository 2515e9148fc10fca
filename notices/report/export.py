"""Exports: the authority filing pack (JSON, Markdown, PDF) per authority form, and supplementary reports.

Every file is stored with its SHA-256 in ``exports`` and the audit log. The content is made only
from the facts, the assessment and the filings of that moment, never from the clock: the export
time is passed in (``now``) and recorded beside the file, so exporting twice without a change
gives the same bytes and an auditor can rebuild what was sent (Art. 5(2), Art. 33(5)).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach.authorities import get_authority, known_code
from breach.clock import filing
from breach.controller import ControllerProfile
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from breach.store.tables import AssessmentRow, FactsRow
from notices.output import ExportedFile, atomic_output, remember_export
from notices.params import AuthorityNoticeParams
from notices.report.followup import build_followup, followup_markdown
from notices.report.forms import FORM_BY_AUTHORITY, build_form_pack
from notices.report.notification import authority_params
from notices.report.pack import build_filing_pack
from notices.report.views import filing_pack_markdown, write_filing_pack_pdf

TEMPLATES = ("edpb",)


def _write_text(path: Path, text: str) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def pack_json(pack: dict[str, Any]) -> str:
    """The canonical JSON text of a pack: same pack, same bytes."""
    return json.dumps(pack, ensure_ascii=False, indent=2, default=str) + "\n"


def _require_gdpr(result: dict[str, Any], incident_id: str) -> None:
    """Refuse a GDPR filing pack where the assessment found the GDPR does not apply (Art. 3)."""
    if result.get("gdpr_applies") is False:
        raise BreachError(f"the GDPR does not apply to {incident_id} (Art. 3, first reason of the assessment): there is no filing "
                          "with an EEA or UK authority; for US regulators use --authority US (or US-CA, US-CA-AG)")


def _authority_code(result: dict[str, Any], authority: str | None) -> str | None:
    """The authority asked for, or the lead authority the assessment picked."""
    if authority:
        return known_code(authority)  # a code becomes part of file names: only the table's own codes
    return (result.get("authority") or {}).get("code")


def pack_for(*, params: AuthorityNoticeParams, code: str | None, template: str | None,
             filings: list[dict[str, Any]], language: str | None = None) -> dict[str, Any]:
    """The pack in the right shape: the EDPB template, the authority's own form, or the Danish layout;
    in the authority's language unless ``language`` asks for another (e.g. the English version alongside)."""
    found = get_authority(code) if code else None
    authority = found.model_dump(mode="json") if found else None
    if template:
        if template not in TEMPLATES:
            raise BreachError(f"unknown template {template!r}; known: {', '.join(TEMPLATES)}")
        return build_form_pack(params, form=template, filings=filings, authority=authority, language=language)
    form = FORM_BY_AUTHORITY.get(code or "", "dk")
    if form != "dk":
        return build_form_pack(params, form=form, filings=filings, authority=authority, language=language)
    if found and found.code != "DK":
        # No form of its own on file: the Danish layout, in English unless the authority reads da/nb/nl.
        params = params.model_copy(update={"language": found.language if found.language in ("da", "nb", "nl") else "en"})
    if language:
        params = params.model_copy(update={"language": language})
    return build_filing_pack(params, authority=authority if code else None)


def export_filing_pack(*, session: Session, incident_id: str, controller: ControllerProfile, out_dir: Path, actor: str,
                       now: datetime, authority: str | None = None, template: str | None = None,
                       english: bool = False) -> list[ExportedFile]:
    """Write one authority's filing pack, in its language, as JSON (form fields), Markdown (copy-paste view) and PDF;
    with ``english``, the same pack in English alongside (``-en`` files). Hashes audited."""
    base = authority_params(session=session, incident_id=incident_id, controller=controller, as_of=now)
    _require_gdpr(base.assessment, incident_id)
    code = _authority_code(base.assessment, authority)
    rows = filing.filings_of(session=session, incident_id=incident_id, authority_code=code)
    params = base.model_copy(update={"notified_at": rows[0].filed_at if rows else None, "authority_reference": _reference(rows)})
    pack = pack_for(params=params, code=code, template=template, filings=filing.filing_summaries(rows))
    folder = out_dir / incident_id / "report"
    folder.mkdir(parents=True, exist_ok=True)
    lead = (base.assessment.get("authority") or {}).get("code")
    suffix = f"-{template}" if template else ("" if code in (None, lead) else f"-{code}")
    stem = f"{incident_id}-filing-pack{suffix}"
    files = _write_pack(session=session, incident_id=incident_id, pack=pack, folder=folder, stem=stem, kind="filing_pack",
                        actor=actor, now=now)
    if english and pack["language"] != "en":
        pack_en = pack_for(params=params, code=code, template=template, filings=filing.filing_summaries(rows), language="en")
        files += _write_pack(session=session, incident_id=incident_id, pack=pack_en, folder=folder, stem=f"{stem}-en",
                             kind="filing_pack_en", actor=actor, now=now)
    return files


def _write_pack(*, session: Session, incident_id: str, pack: dict[str, Any], folder: Path, stem: str, kind: str, actor: str,
                now: datetime) -> list[ExportedFile]:
    """One pack as JSON, Markdown and PDF, each remembered with its hash."""
    _write_text(folder / f"{stem}.json", pack_json(pack))
    _write_text(folder / f"{stem}.md", filing_pack_markdown(pack))
    write_filing_pack_pdf(pack, folder / f"{stem}.pdf")
    return [remember_export(session=session, incident_id=incident_id, kind=f"{kind}_{ext}", path=folder / f"{stem}.{ext}",
                            actor=actor, now=now) for ext in ("json", "md", "pdf")]


def _reference(rows: list[Any]) -> str | None:
    """The authority's case number from the first filing that recorded one (follow-ups carry it)."""
    return next((row.authority_reference for row in rows if getattr(row, "authority_reference", None)), None)


def _as_of(*, session: Session, incident_id: str, at: datetime) -> tuple[FactsRow | None, AssessmentRow | None]:
    """The facts and assessment versions that were current at ``at`` (what the last filing said)."""
    facts = session.execute(select(FactsRow).where(FactsRow.incident_id == incident_id, FactsRow.recorded_at <= at)
                            .order_by(FactsRow.version.desc()).limit(1)).scalar_one_or_none()
    assessment = session.execute(select(AssessmentRow).where(AssessmentRow.incident_id == incident_id, AssessmentRow.assessed_at <= at)
                                 .order_by(AssessmentRow.version.desc()).limit(1)).scalar_one_or_none()
    return facts, assessment


def export_followup(*, session: Session, incident_id: str, controller: ControllerProfile, out_dir: Path, actor: str,
                    now: datetime, authority: str | None = None, template: str | None = None) -> list[ExportedFile]:
    """Art. 33(4): the next numbered supplementary report, with what changed since the last filing."""
    base = authority_params(session=session, incident_id=incident_id, controller=controller, as_of=now)
    _require_gdpr(base.assessment, incident_id)
    code = _authority_code(base.assessment, authority)
    rows = filing.filings_of(session=session, incident_id=incident_id, authority_code=code)
    if not rows:
        raise BreachError(f"{incident_id} has no filing with {code or 'the authority'} yet: record it with `breach filed` first")
    last = rows[-1]
    facts_then, assessment_then = _as_of(session=session, incident_id=incident_id, at=last.filed_at)
    now_params = base.model_copy(update={"notified_at": rows[0].filed_at, "authority_reference": _reference(rows)})
    then_params = now_params.model_copy(update={
        "facts": facts_then.document if facts_then else base.facts,
        "assessment": assessment_then.result if assessment_then else base.assessment,
    })
    summaries = filing.filing_summaries(rows)
    current = pack_for(params=now_params, code=code, template=template, filings=summaries)
    previous = pack_for(params=then_params, code=code, template=template, filings=summaries)
    latest = incidents.latest_facts(session=session, incident_id=incident_id)
    report = build_followup(previous=previous, current=current, number=len(rows), since=last.filed_at.isoformat(),
                            facts_versions={"at_last_filing": facts_then.version if facts_then else None, "now": latest.version},
                            facts_before=then_params.facts, facts_after=base.facts, people_counts=base.people_counts)
    folder = out_dir / incident_id / "report"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{incident_id}-followup-{code or 'authority'}-{len(rows):02d}"
    _write_text(folder / f"{stem}.json", pack_json(report))
    _write_text(folder / f"{stem}.md", followup_markdown(report))
    return [remember_export(session=session, incident_id=incident_id, kind=f"followup_{ext}", path=folder / f"{stem}.{ext}",
                      actor=actor, now=now) for ext in ("json", "md")]
