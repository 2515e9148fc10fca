"""`breach status ID`: one screen with everything about an incident (no personal data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from breach import instants
from breach.approval import decisions as approval
from breach.clock import deadlines, filing, us, us_done
from breach.enums import DeadlineState
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from breach.jurisdictions.us.profile import UsProfile
from breach.people import regions
from breach.people.audience import Audience, audience
from breach.people.store import channel_counts
from breach.store.tables import DeadlineRow
from flows.cli.console import console, show_verdict, table
from flows.cli.words import words
from flows.runtime import Runtime
from notices.sending import outbox


def show_status(rt: Runtime, incident_id: str, *, language: str = "en") -> None:
    """Print an incident's status, verdict, clocks, people, drafts, approvals and deliveries in
    `language` (en, da, nb, nl)."""
    w = words(language)
    with rt.sessions() as session:
        incident = incidents.get(session=session, incident_id=incident_id)
        console.print(f"[bold]{incident.id}[/] {incident.reference or ''}  {w['status']}: [bold]{incident.status}[/]  "
                      f"{w['opened']} {incident.opened_at.isoformat()}")
        console.print(f"  {incident.summary}")
        assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
        if assessment is not None:
            show_verdict(assessment.result)
        now = instants.utcnow()
        show_obligations(deadlines.deadlines_of(session=session, incident_id=incident_id), tz=incident.timezone, now=now,
                         language=language)
        for o in deadlines.pending_obligations(session=session, incident_id=incident_id, now=now):
            console.print(f"  {deadlines.stored_name(o.id)} ({o.party}): [dim]{w['no_clock']}: {o.reason or w['not_started']}[/]  "
                          f"[dim]{o.legal_basis.split(':')[0]}[/]")
        for line in us_lines(session=session, incident_id=incident_id, profile=rt.controller.us):
            console.print(line)
        console.print(f"  {w['people']}: {channel_counts(session=session, incident_id=incident_id)}")
        told = audience(session=session, incident_id=incident_id, result=assessment.result if assessment else {}, us=rt.controller.us)
        console.print("  " + told_line(told, w))
        drafts = approval.current_drafts(session=session, incident_id=incident_id)
        if drafts:
            console.print(table(w["drafts"], [w["kind"], w["language"], w["channel"], w["template"], w["hash"]],
                                [[d.kind, d.language + (f" {d.variant}" if d.variant else ""), d.channel, d.template_version,
                                  d.content_hash[:12]] for d in drafts]))
        try:
            ok = approval.require_approved(session=session, incident_id=incident_id, roster=rt.settings.managers)
            console.print("  " + w["approved"].format(actor=ok.actor, at=ok.decided_at.isoformat()))
        except Exception as exc:  # NotApproved carries the reason to show
            console.print(f"  {w['approval']}: [yellow]{exc}[/]")
        console.print(f"  {w['deliveries']}: {outbox.delivery_counts(session=session, incident_id=incident_id)}")
        for f in filing.filings_of(session=session, incident_id=incident_id):
            console.print("  " + w["filed"].format(authority=f.authority_code, seq=f.sequence, at=f.filed_at.isoformat(), by=f.filed_by)
                          + (w["late"] if f.late else ""))


def us_lines(*, session: Session, incident_id: str, profile: UsProfile | None) -> list[str]:
    """US duties without a clock (no outer limit), people with no state, and every rule not verified."""
    if profile is None:
        return []
    try:
        us.assess_us(session=session, incident_id=incident_id, profile=profile)
    except BreachError as exc:
        return [f"  [yellow]{exc}[/]"]
    lines = []
    for name, o in us.pending(session=session, incident_id=incident_id, profile=profile):
        flag = "" if o.verified else f" [red]{us.UNVERIFIED}[/]"
        lines.append(f"  {name} ({o.jurisdiction}): [dim]no clock: {o.deadline_text[:90]}[/]{flag}  [dim]{o.citation}[/]")
    codes = us_done.filing_codes(session=session, incident_id=incident_id, profile=profile)
    stopped = {(r.obligation, r.party) for r in deadlines.deadlines_of(session=session, incident_id=incident_id)
               if r.state != DeadlineState.RUNNING}
    open_codes = [code for code, (name, o) in sorted(codes.items()) if (name, o.jurisdiction) not in stopped]
    if open_codes:
        lines.append(f"  US filings still to make: {', '.join(open_codes)}  [dim](record each: breach filed {incident_id} "
                     "--authority CODE --receipt FILE; export: breach export ID --authority US)[/]")
    lines += substitute_lines(session=session, incident_id=incident_id, profile=profile)
    _, unknown = us.residents(session=session, incident_id=incident_id)
    if unknown:
        lines.append(f"  [yellow]{unknown} US people without a state in the people file: no state law could be applied to them[/]")
    found = us.assess_us(session=session, incident_id=incident_id, profile=profile)
    if found and found.unverified:
        lines.append(f"  [red]US rules NOT VERIFIED: {', '.join(found.unverified)}[/] (check docs/us-law.md before relying on them)")
    return lines


def substitute_lines(*, session: Session, incident_id: str, profile: UsProfile) -> list[str]:
    """The substitute-notice actions of every told state whose conditions are met (website, e-mail, statewide media)."""
    found = us.assess_us(session=session, incident_id=incident_id, profile=profile)
    if found is None:
        return []
    states = sorted({o.jurisdiction for o in found.obligations if o.kind == "individuals" and o.jurisdiction != us.FEDERAL})
    needs = regions.substitute_needs(session=session, incident_id=incident_id, profile=profile, states=states)
    return [f"  [yellow]{line}[/]" for need in needs for line in need.actions(website_url=profile.website_notice_url)]


def told_line(told: Audience, w: dict[str, str]) -> str:
    """Who is (or was) told: everyone, nobody, or the assessment's subset and why the rest are not."""
    if told.who == "us" and told.rule:
        states = ", ".join(told.rule["us_states"]) or "-"
        why = f"  [dim]{told.not_told_why}[/]" if told.not_told else ""
        return w["told_us"].format(n=told.told, states=states, rest=told.not_told) + why
    if told.who == "subset" and told.rule:
        columns = " / ".join(c["column"] for c in told.rule.get("any", [told.rule]))
        return w["told_subset"].format(n=told.told, columns=columns, rest=told.not_told) + f"  [dim]{told.why}[/]"
    return w["told_everyone"].format(n=told.told) if told.who == "everyone" else w["told_nobody"]


def obligation_lines(rows: list[DeadlineRow], *, tz: str, now: datetime, language: str = "en") -> list[str]:
    """One Rich line per stored obligation: state and time left, coloured by urgency (green > 24 h, yellow > 6 h, red)."""
    w = words(language)
    lines = []
    for d in rows:
        due = instants.deadline_text(d.due_at, now=now, tz=tz, language=language)
        if d.state == DeadlineState.RUNNING:
            state = w["overdue"] if instants.is_overdue(d.due_at, now=now) else w["running"]
            colour = instants.urgency(d.due_at, now=now)
            lines.append(f"  [{colour}]{d.obligation} ({d.party}) {w['due']} {due} = {d.due_at.isoformat()}: {state}[/]  "
                         f"[dim]{d.legal_basis.split(':')[0]}[/]")
        elif d.state == DeadlineState.DONE:  # a duty with no outer limit (US "without unreasonable delay"), done
            stopped = instants.local_text(d.stopped_at, tz=tz) if d.stopped_at else "?"
            lines.append(f"  {d.obligation} ({d.party}): [bold]{w['done']}[/] {w['at']} {stopped} ({w['no_limit']})")
        else:
            stopped = instants.local_text(d.stopped_at, tz=tz) if d.stopped_at else "?"
            due = instants.local_text(d.due_at, tz=tz)
            lines.append(f"  {d.obligation} ({d.party}): [bold]{d.state}[/] {w['at']} {stopped} ({w['was_due']} {due})")
    return lines


def show_obligations(rows: list[DeadlineRow], *, tz: str, now: datetime, language: str = "en") -> None:
    """Print every obligation of an incident (see ``obligation_lines``)."""
    if not rows:
        console.print(f"  {words(language)['no_clocks']}")
    for line in obligation_lines(rows, tz=tz, now=now, language=language):
        console.print(line)
