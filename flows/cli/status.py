"""`breach status ID`: one screen with everything about an incident (no personal data), in en, da or nb.

The words say what is true: "notified" only once a filing with the authority is recorded, a
deadline is "overdue" only once it has passed, and an approval is shown as it is recorded (checked
against the managers roster stored in the database; when none is stored, that is said).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.markup import escape

from breach import instants
from breach.approval import decisions as approval
from breach.approval import roster, rounds
from breach.clock import deadlines, filing
from breach.clock.us import done as us_done
from breach.clock.us import duties as us
from breach.enums import ApprovalDecision, DeadlineState, IncidentStatus
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from breach.jurisdictions.us.profile import UsProfile
from breach.people import regions
from breach.people.audience import Audience, audience
from breach.people.store import channel_counts
from breach.store.tables import DeadlineRow, IncidentRow
from breach.texts import text_in
from flows.cli.console import console, show_verdict, table
from flows.cli.words import words
from flows.runtime import Runtime
from notices.content.drafting import check_outcome, translation_gaps
from notices.report.notification import authority_params
from notices.report.rationale import rationale
from notices.sending import outbox
from notices.sending.uncertain import UncertainBatch, uncertain_batches


def status_word(incident: IncidentRow, *, filed: bool, authority_owed: bool, language: str) -> str:
    """The incident's state in words; 'notified' needs a recorded filing when the authority is owed one."""
    w, status = words(language), IncidentStatus(incident.status)
    if status == IncidentStatus.NOTIFIED:
        key = ("st_notified" if filed else "st_people_told") if authority_owed else "st_people_told_only"
        return w[key]
    return w[f"st_{status.value}"]


def show_status(rt: Runtime, incident_id: str, *, language: str = "en") -> None:
    """Print an incident's status, verdict, clocks, people, drafts, approvals and deliveries in
    `language` (en, da, nb, nl)."""
    w, now = words(language), instants.utcnow()
    with rt.sessions() as session:
        incident = incidents.get(session=session, incident_id=incident_id)
        facts = incidents.latest_facts(session=session, incident_id=incident_id).document
        assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
        filings = filing.filings_of(session=session, incident_id=incident_id)
        owed = bool(assessment and assessment.notify_authority)
        console.print(f"[bold]{incident.id}[/] {escape(incident.reference or '')}  {w['status']}: "
                      f"[bold]{status_word(incident, filed=bool(filings), authority_owed=owed, language=language)}[/]  "
                      f"{w['opened']} {instants.local_text(incident.opened_at, tz=incident.timezone, language=language)}")
        console.print(f"  {escape(_summary(facts, rt, language))}")
        if assessment is not None:
            _verdict(assessment.result, session=session, rt=rt, incident_id=incident_id, language=language)
        show_obligations(deadlines.deadlines_of(session=session, incident_id=incident_id), tz=incident.timezone, now=now,
                         language=language)
        for o in deadlines.pending_obligations(session=session, incident_id=incident_id, now=now):
            reason = (o.reason or w["not_started"]) if language == "en" else w["no_fixed_deadline"]  # the rules file's reasons are English
            console.print(f"  {deadlines.stored_name(o.id)} ({o.party}): [dim]{w['no_clock']}: {reason}[/]  "
                          f"[dim]{o.legal_basis.split(':')[0]}[/]")
        for line in us_lines(session=session, incident_id=incident_id, profile=rt.controller.us):
            console.print(line)
        counts = channel_counts(session=session, incident_id=incident_id)
        console.print(f"  {w['people']}: " + ", ".join(f"{w['ch_' + ch]} {n}" for ch, n in counts.items()))
        told = audience(session=session, incident_id=incident_id, result=assessment.result if assessment else {}, us=rt.controller.us)
        console.print("  " + told_line(told, w))
        if untold := rounds.untold_people(session=session, incident_id=incident_id):
            console.print("  [yellow]" + w["untold"].format(count=untold) + "[/]")
        _drafting(session=session, rt=rt, incident_id=incident_id, language=language)
        approved = approval_text(session=session, incident_id=incident_id, language=language,
                                 tz=incident.timezone)
        console.print(f"  {w['approval']}: {approved}")
        console.print(f"  {w['deliveries']}: {deliveries_text(outbox.delivery_counts(session=session, incident_id=incident_id), language)}")
        show_uncertain(uncertain_batches(session=session, incident_id=incident_id), incident_id=incident_id, tz=incident.timezone,
                       language=language)
        for f in filings:
            at = instants.local_text(f.filed_at, tz=incident.timezone, language=language)
            console.print("  " + w["filed"].format(authority=f.authority_code, seq=f.sequence, at=at, by=f.filed_by)
                          + (w["late"] if f.late else ""))


def us_lines(*, session: Any, incident_id: str, profile: UsProfile | None) -> list[str]:
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


def substitute_lines(*, session: Any, incident_id: str, profile: UsProfile) -> list[str]:
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


def _summary(facts: dict[str, Any], rt: Runtime, language: str) -> str:
    """The summary in the status language when the facts give it, else as written."""
    try:
        return text_in(facts, language, default_language=rt.controller.default_language).summary
    except Exception:  # MissingTranslation: the gap is listed below
        return str(facts.get("summary", ""))


def _verdict(result: dict[str, Any], *, session: Any, rt: Runtime, incident_id: str, language: str) -> None:
    """English: the assessment with its rule ids. Danish and Norwegian: the same verdict in words, with the
    reasons written for the authority (no rule ids)."""
    if language == "en":
        show_verdict(result)
        return
    w = words(language)
    yn = {True: w["yes"], False: w["no"]}
    console.print(f"  {w['risk']}: [bold]{w.get('risk_' + str(result.get('risk')), result.get('risk'))}[/]   "
                  f"{w['notify_authority']}: [bold]{yn[bool(result.get('notify_authority'))]}[/]   "
                  f"{w['notify_people']}: [bold]{yn[bool(result.get('notify_subjects'))]}[/]")
    if result.get("authority"):
        console.print(f"  {w['lead_authority']}: {result['authority'].get('name')} ({result['authority'].get('code')})")
    params = authority_params(session=session, incident_id=incident_id, controller=rt.controller).model_copy(update={"language": language})
    for i, line in enumerate(rationale(params, None) or [], 1):
        console.print(f"   {i:>2}. {line}")


def _drafting(*, session: Any, rt: Runtime, incident_id: str, language: str) -> None:
    """Drafts, the content check's outcome, and languages left out for lack of free text."""
    w = words(language)
    gaps = translation_gaps(session=session, incident_id=incident_id, controller=rt.controller)
    for lang, fields in sorted(gaps.items()):
        console.print(f"  [red]{w['missing_text']}:[/] " + w["lacks"].format(language=lang, fields=", ".join(fields))
                      + f"  (breach translate {incident_id} --lang {lang} --file FILE)")
    drafts = approval.current_drafts(session=session, incident_id=incident_id)
    if not drafts:
        return
    console.print(table(w["drafts"], [w["kind"], w["language"], w["channel"], w["template"], w["hash"]],
                        [[w.get("k_" + d.kind, d.kind), d.language + (f" {d.variant}" if d.variant else ""),
                          w.get("ch_" + d.channel, d.channel), d.template_version, d.content_hash[:12]] for d in drafts]))
    check = check_outcome(session=session, incident_id=incident_id)
    if check is not None and check.get("drafts_hash") == approval.drafts_hash(drafts):
        outcome = "[green]" + w["check_passed"] + "[/]" if check.get("passed") else "[red]" + w["check_failed"] + "[/]"
        console.print(f"  {w['check']}: {outcome}")
        for finding in check.get("findings") or []:
            console.print(f"    {finding['where']}: {finding['code']}: {finding['message']}")


def approval_text(*, session: Any, incident_id: str, language: str, tz: str = "UTC") -> str:
    """The recorded approval of the current drafts, in words; never 'nothing sent' (that is the deliveries' line)."""
    w = words(language)
    managers = {entry.email for entry in roster.current(session=session)}
    drafts = approval.current_drafts(session=session, incident_id=incident_id)
    if not drafts:
        return w["no_drafts"]
    latest = approval.latest_decision(session=session, incident_id=incident_id)
    if latest is None or latest.round != drafts[0].round:
        return w["not_approved"]
    at = instants.local_text(latest.decided_at, tz=tz, language=language)
    if latest.decision != ApprovalDecision.APPROVED:
        return w["rejected"].format(actor=latest.actor, at=at)
    if latest.drafts_hash != approval.drafts_hash(drafts):
        return w["void"].format(actor=latest.actor, at=at)
    if not managers:
        return w["no_roster"].format(actor=latest.actor, at=at)
    if latest.actor not in managers:
        return w["off_roster"].format(actor=latest.actor, at=at)
    return w["approved"].format(actor=latest.actor, at=at)


def deliveries_text(counts: dict[str, dict[str, int]], language: str) -> str:
    """Deliveries per channel and state in words, e.g. 'e-mail: accepteret 880; brev: accepteret 112'."""
    w = words(language)
    if not counts:
        return w["nothing_yet"]
    return "; ".join(f"{w.get('ch_' + ch, ch)}: " + ", ".join(f"{w.get('ds_' + st, st)} {n}" for st, n in sorted(states.items()))
                     for ch, states in sorted(counts.items()))


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
            stopped = instants.local_text(d.stopped_at, tz=tz, language=language) if d.stopped_at else "?"
            lines.append(f"  {d.obligation} ({d.party}): [bold]{w['done']}[/] {w['at']} {stopped} ({w['no_limit']})")
        else:
            stopped = instants.local_text(d.stopped_at, tz=tz, language=language) if d.stopped_at else "?"
            lines.append(f"  {d.obligation} ({d.party}): [bold]{w.get('cs_' + str(d.state), d.state)}[/] {w['at']} {stopped} "
                         f"({w['was_due']} {instants.local_text(d.due_at, tz=tz, language=language)})")
    return lines


def show_obligations(rows: list[DeadlineRow], *, tz: str, now: datetime, language: str = "en") -> None:
    """Print every obligation of an incident (see ``obligation_lines``)."""
    if not rows:
        console.print(f"  {words(language)['no_clocks']}")
    for line in obligation_lines(rows, tz=tz, now=now, language=language):
        console.print(line)


def show_uncertain(found: list[UncertainBatch], *, incident_id: str, tz: str, language: str = "en") -> None:
    """Print the uncertain e-mail batches, their people, and the two commands that decide them."""
    if not found:
        return
    w = words(language)
    console.print(f"  [yellow]{w['uncertain']}: {len(found)}[/]")
    for b in found:
        since = instants.local_text(b.since, tz=tz, language=language) if b.since else "?"
        console.print("    " + w["uncertain_batch"].format(batch=b.batch_no, people=b.people, since=since, seen=b.seen_since))
    console.print(f"    {w['decide']}: breach batches resend|mark-delivered {incident_id} BATCH --reason ...", soft_wrap=True)
