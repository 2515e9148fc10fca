"""The case file of one incident as Markdown: what whoever opens it needs in front of them.

Verdict and every rule that fired, each clock in the controller's time zone with the time left,
people per channel and language (counts only), every draft in full for an invented sample person
and what changed since a manager last saw them, approvals and refusals, deliveries, and the
exported files. It names no affected person: only counts reach it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from breach import audit, instants
from breach.approval.decisions import REFUSED
from breach.clock.deadlines import deadlines_of
from breach.incidents import service as incidents
from breach.store.tables import ApprovalRow, ExportRow, PersonRow
from notices.casefile.drafts import drafts_section
from notices.casefile.text import inline, table
from notices.sending.outbox import delivery_counts


def case_file_markdown(*, session: Session, incident_id: str, now: datetime) -> str:
    """The whole case file, section by section."""
    incident = incidents.get(session=session, incident_id=incident_id)
    zone = incident.timezone
    facts = incidents.latest_facts(session=session, incident_id=incident_id)
    head = (f"# Case file {incident_id}\n\n"
            f"**Status:** {incident.status} · **reference:** {inline(incident.reference or '(none)')} · "
            f"**facts version:** {facts.version} · **opened by** `{inline(incident.opened_by)}` "
            f"{instants.local_text(incident.opened_at, tz=zone)} · **refreshed** {instants.local_text(now, tz=zone)}\n\n"
            f"{inline(incident.summary)}\n")
    sections = [head, verdict_section(session=session, incident_id=incident_id),
                clocks_section(session=session, incident_id=incident_id, zone=zone, now=now),
                people_section(session=session, incident_id=incident_id),
                drafts_section(session=session, incident_id=incident_id),
                approvals_section(session=session, incident_id=incident_id, zone=zone),
                deliveries_section(session=session, incident_id=incident_id),
                exports_section(session=session, incident_id=incident_id)]
    return "\n".join(sections)


def _yes(value: Any) -> str:
    return "**yes**" if value else "no"


def verdict_section(*, session: Session, incident_id: str) -> str:
    """The newest assessment with every rule that fired."""
    row = incidents.latest_assessment(session=session, incident_id=incident_id)
    if row is None:
        return "## Verdict\n\nNot assessed yet.\n"
    result: dict[str, Any] = row.result or {}
    severity = result.get("severity") or {}
    authority = result.get("authority") or {}
    lead = f" ({inline(authority.get('name'))}, {inline(authority.get('code'))})" if authority else ""
    line = (f"Risk **{row.risk}** · ENISA severity {severity.get('score')} ({severity.get('band')}) · "
            f"notify the authority {_yes(row.notify_authority)}{lead} · notify the people {_yes(row.notify_subjects)}"
            + (" · public communication **yes** (Art. 34(3)(c))" if result.get("public_communication") else ""))
    rules = [f"{i}. **{inline(entry.get('rule'))}**: {inline(entry.get('finding'))}"
             for i, entry in enumerate(result.get("rationale", []), 1)]
    return (f"## Verdict (assessment {row.version} of facts version {row.facts_version}; {inline(row.rules_version)})\n\n"
            f"{line}\n\nEvery rule that fired:\n\n" + "\n".join(rules) + "\n")


def clocks_section(*, session: Session, incident_id: str, zone: str, now: datetime) -> str:
    """Each deadline in the controller's zone and in UTC, with the time left."""
    rows = deadlines_of(session=session, incident_id=incident_id)
    if not rows:
        return "## Clocks\n\nNo clock started (nothing to notify, or the moment of awareness is unknown).\n"
    lines = []
    for r in rows:
        left = instants.relative_text(r.due_at, now=now) if r.state == "running" else "stopped"
        lines.append([f"{r.obligation} ({r.party})", instants.local_text(r.due_at, tz=zone), r.due_at.isoformat(), left, r.state,
                      r.legal_basis])
    return f"## Clocks (shown in {zone})\n\n" + table(["obligation", f"due ({zone})", "due (UTC)", "left", "state", "legal basis"], lines)


def people_section(*, session: Session, incident_id: str) -> str:
    """How many people per language and channel (counts, never names)."""
    stmt = (select(PersonRow.language, PersonRow.channel, func.count()).where(PersonRow.incident_id == incident_id)
            .group_by(PersonRow.language, PersonRow.channel))
    counts: dict[str, dict[str, int]] = {}
    for language, channel, n in session.execute(stmt):
        counts.setdefault(language, {})[channel] = int(n)
    if not counts:
        return "## People\n\nNo people imported yet.\n"
    channels = ["email", "letter", "none"]
    rows: list[list[object]] = [[lang, *(counts[lang].get(c, 0) for c in channels), sum(counts[lang].values())] for lang in sorted(counts)]
    rows.append(["all", *(sum(c.get(ch, 0) for c in counts.values()) for ch in channels), sum(sum(c.values()) for c in counts.values())])
    return "## People\n\n" + table(["language", "e-mail", "letter", "no channel (listed, not contacted)", "total"], rows)


def approvals_section(*, session: Session, incident_id: str, zone: str) -> str:
    """Every decision (with how the approver proved who they are) and the refused attempts."""
    decisions = session.execute(select(ApprovalRow).where(ApprovalRow.incident_id == incident_id).order_by(ApprovalRow.id)).scalars()
    rows: list[list[object]] = [[instants.local_text(a.decided_at, tz=zone), a.decision, a.actor, a.proof or "none", a.round,
                                 a.drafts_hash[:16], a.comment] for a in decisions]
    refused = [e for e in audit.events_for(session=session, incident_id=incident_id) if e.action == REFUSED]
    text = "## Approvals\n\n" + (table(["when", "decision", "manager", "proof", "round", "drafts hash", "comment"], rows)
                                 if rows else "No decision yet.\n")
    if refused:
        text += "\nRefused attempts:\n\n" + table(["when", "as", "why"], [[instants.local_text(e.at, tz=zone), e.actor,
                                                                          e.details.get("reason")] for e in refused[-10:]])
    return text


def deliveries_section(*, session: Session, incident_id: str) -> str:
    """Deliveries per channel and state."""
    counts = delivery_counts(session=session, incident_id=incident_id)
    if not counts:
        return "## Deliveries\n\nNothing sent yet.\n"
    rows: list[list[object]] = [[channel, state, n] for channel, states in sorted(counts.items()) for state, n in sorted(states.items())]
    return "## Deliveries\n\n" + table(["channel", "state", "count"], rows)


def exports_section(*, session: Session, incident_id: str) -> str:
    """The newest file of each exported kind, as a link on the worker's disk, with its SHA-256."""
    # the register (incident_id NULL) covers every incident, this one included
    stmt = select(ExportRow).where(or_(ExportRow.incident_id == incident_id, ExportRow.incident_id.is_(None))).order_by(ExportRow.id)
    newest = {row.kind: row for row in session.execute(stmt).scalars()}
    if not newest:
        return "## Exports\n\nNothing exported yet.\n"
    lines = [f"- {inline(kind)}: [{inline(row.path)}](<file://{row.path.replace('>', '%3E')}>) (sha256 `{row.sha256[:16]}`)"
             for kind, row in sorted(newest.items())]
    return "## Exports\n\n" + "\n".join(lines) + "\n"
