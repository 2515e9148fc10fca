"""US regulator exports: per filing code a filled notice with the fields the regulator's form asks for, and the sample
consumer letter (PDF), plus an index of every US duty, its clock and what is still to do.

``breach export ID --authority US`` writes all of them, ``--authority US-CA`` one state's, ``--authority US-CA-AG``
one. The filled notice is JSON (field by field, with the form's wording), Markdown (to copy into the online form) and
PDF; a field the facts cannot answer is ``null`` and listed under ``missing``. The sample letter is the current
letter draft of the state's group with placeholders for the name and address (California: "a single sample copy ...
excluding any personally identifiable information", Cal. Civ. Code § 1798.82(f)). Files go to
``exports/<id>/us/``; each is hashed in ``exports`` and the audit log like every other export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach.approval.decisions import current_drafts
from breach.clock import deadlines
from breach.clock.us import duties as us
from breach.clock.us.done import filing_codes, notice_instants
from breach.controller import ControllerProfile
from breach.enums import Channel, DeadlineState, DeliveryState, NoticeKind
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from breach.jurisdictions.us.model import Obligation
from breach.jurisdictions.us.rules import RegulatorNotice, load_rules
from breach.people.regions import channel_counts_by_region, substitute_needs
from breach.store.tables import DeliveryRow, FilingRow, PersonRow
from notices.output import ExportedFile, atomic_output, remember_export
from notices.params import NAME_TAG_TEXT, load_table
from notices.report.us.answers import UsFilingContext, answer
from notices.report.us.pdf import write_us_pdf

US_LANGUAGE = "en-US"
SAMPLE_NAME = "[Name of resident]"
SAMPLE_ADDRESS = ["[Street address]", "[City, State ZIP]"]


@dataclass(frozen=True)
class _Incident:
    """What every filing of one incident is answered from (read once)."""

    facts: dict[str, Any]
    by_region: dict[str | None, dict[str, int]]
    notified: dict[str | None, int]
    given: dict[str, datetime]
    needs: dict[str, Any]
    total_people: int
    variants: dict[str, str]


def form_for(code: str, duty: Obligation) -> dict[str, Any]:
    """The form of a filing code, or the generic notice built from what the duty's statute requires."""
    table = load_table("us_regulator_forms")
    if code in table["forms"]:
        return dict(table["forms"][code])
    generic = table["generic"]
    pack_notice = _regulator_notice(duty)
    content = pack_notice.content if pack_notice is not None and isinstance(pack_notice.content, list) else []
    fields = [{"id": f"f{i}", "label": label, "answer": answer_id} for i, (label, answer_id) in enumerate(generic["always"])]
    seen = {f["answer"] for f in fields}
    for element in content:
        label, answer_id = generic["content"][element]
        if answer_id not in seen:
            fields.append({"id": element, "label": label, "answer": answer_id})
            seen.add(answer_id)
    how = pack_notice.how if pack_notice is not None else "Send the notice to the recipient named in the statute."
    return {"title": f"{duty.recipient}: breach notice ({duty.citation})", "form_url": None, "how": how, "verified": False,
            "last_verified": None, "sources": [], "sections": [{"title": "Notice", "fields": fields}],
            "note": "No form of its own on file: the fields are what the statute asks the notice to contain (rule pack regulator "
                    "content); check the regulator's page for a form."}


def _regulator_notice(duty: Obligation) -> RegulatorNotice | None:
    """The rule pack's regulator notice a duty comes from (its content list and how to file)."""
    if duty.jurisdiction == "US" or duty.kind != "regulator":
        return None
    entry = load_rules().jurisdiction(duty.jurisdiction)
    return next((n for n in entry.regulator_notices if f"US-{entry.code}-{n.code}" == duty.filing_code), None)


def build_us_notice(code: str, duty: Obligation, ctx: UsFilingContext, *, due: str | None, status: str) -> dict[str, Any]:
    """One filled notice: header (recipient, where and how to file, due, verification) and the form's answered fields."""
    form = form_for(code, duty)
    sections = []
    for section in form["sections"]:
        fields = []
        for field in section["fields"]:
            local = replace(ctx, choices=field.get("choices", {}))
            fields.append({"id": field["id"], "question": field["label"], "answer": answer(field["answer"], local)})
        sections.append({"title": section["title"], "fields": fields})
    return {
        "kind": "us_regulator_notice", "language": US_LANGUAGE, "filing_code": code, "incident_id": ctx.incident_id,
        "title": form["title"], "recipient": duty.recipient, "jurisdiction": duty.jurisdiction, "citation": duty.citation,
        "deadline_text": duty.deadline_text, "due_at": due, "status": status, "form_url": form.get("form_url"), "how": form["how"],
        "form_verified": form["verified"], "form_last_verified": form.get("last_verified"), "form_sources": form.get("sources", []),
        "form_note": form.get("note", ""), "rule_verified": duty.verified, "rule_confidence": duty.confidence,
        "sections": sections,
        "missing": [f"{s['title']}: {f['question']}" for s in sections for f in s["fields"] if f["answer"] is None],
    }


def us_notice_markdown(pack: dict[str, Any]) -> str:
    """A copy-paste view of one filled notice, in the form's order."""
    flags = [] if pack["rule_verified"] else ["the rule behind this duty is NOT VERIFIED (docs/us-law.md)"]
    flags += [] if pack["form_verified"] else ["the form's fields were NOT VERIFIED against the form itself"]
    out = [f"# {pack['title']}", "", f"- **Filing code:** {pack['filing_code']} (record it: `breach filed {pack['incident_id']} "
           f"--authority {pack['filing_code']} --receipt FILE`)", f"- **Recipient:** {pack['recipient']} ({pack['citation']})",
           f"- **How:** {pack['how']}"]
    out += [f"- **Form:** {pack['form_url']}"] if pack["form_url"] else []
    out += [f"- **Deadline:** {pack['due_at'] or pack['deadline_text']}", f"- **Status:** {pack['status']}"]
    out += [f"- **Warning:** {flag}" for flag in flags]
    out += [f"- **Not answered by the facts ({len(pack['missing'])}):** fill these in on the form"] if pack["missing"] else []
    out += ["", f"_{pack['form_note']}_", ""] if pack["form_note"] else [""]
    for number, section in enumerate(pack["sections"], start=1):
        out += [f"## {number}. {section['title']}", ""]
        for field in section["fields"]:
            out += [f"**{field['question']}**", "", _text(field["answer"]), ""]
    return "\n".join(out).rstrip() + "\n"


def _text(value: Any) -> str:
    if value is None:
        return "(not in the facts: fill in)"
    if isinstance(value, list):
        return "\n".join(f"- {item}" for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _incident(session: Session, incident_id: str, controller: ControllerProfile, states: list[str]) -> _Incident:
    assert controller.us is not None
    facts = incidents.latest_facts(session=session, incident_id=incident_id).document
    given = DeliveryRow.state.in_((DeliveryState.ACCEPTED.value, DeliveryState.DELIVERED.value))
    stmt = (select(PersonRow.region, func.count(func.distinct(DeliveryRow.person_id)))
            .join(PersonRow, PersonRow.id == DeliveryRow.person_id).where(DeliveryRow.incident_id == incident_id, given)
            .group_by(PersonRow.region))
    needs = {n.jurisdiction: n for n in substitute_needs(session=session, incident_id=incident_id, profile=controller.us, states=states)}
    by_region = channel_counts_by_region(session=session, incident_id=incident_id)
    variants = select(PersonRow.region, PersonRow.notice_variant).where(PersonRow.incident_id == incident_id,
                                                                          PersonRow.region.is_not(None)).distinct()
    moments = us.notice_given(session=session, incident_id=incident_id) or notice_instants(session=session, incident_id=incident_id)
    return _Incident(facts=facts, by_region=by_region, notified={r: int(n) for r, n in session.execute(stmt)}, given=moments,
                     needs=needs, total_people=sum(sum(c.values()) for c in by_region.values()),
                     variants={str(r): v for r, v in session.execute(variants)})


def _wanted(codes: dict[str, tuple[str, Obligation]], which: str) -> list[str]:
    """The filing codes ``which`` names: US (all, maybe none), US-CA (a state's), or one code; BreachError when it names none."""
    key = which.strip().upper()
    picked = [code for code in sorted(codes) if key == "US" or code == key or code.startswith(key + "-")]
    if not picked and key != "US":
        raise BreachError(f"no US filing matches {key}; this incident's filing codes: {', '.join(sorted(codes)) or 'none'}")
    return picked


def export_us_filings(*, session: Session, incident_id: str, controller: ControllerProfile, out_dir: Path, actor: str, now: datetime,
                      which: str = "US") -> list[ExportedFile]:
    """Write the filled notice of every US filing ``which`` names, the sample letters they attach, and the index."""
    if controller.us is None:
        raise BreachError("US filings need the controller profile's `us` block (docs/us-law.md)")
    found = us.assess_us(session=session, incident_id=incident_id, profile=controller.us)
    if found is None and which.strip().upper() == "US":
        return []  # nobody in a known US state: no US duty to file
    codes = filing_codes(session=session, incident_id=incident_id, profile=controller.us)
    picked = _wanted(codes, which)
    told = sorted({o.jurisdiction for o in (found.obligations if found else ()) if o.kind == "individuals" and o.jurisdiction != "US"})
    data = _incident(session, incident_id, controller, told)
    folder = out_dir / incident_id / "us"
    folder.mkdir(parents=True, exist_ok=True)
    rows = {(r.obligation, r.party): r for r in deadlines.deadlines_of(session=session, incident_id=incident_id)}
    first = min(data.given.values(), default=now)
    samples = _samples(session=session, incident_id=incident_id, controller=controller, folder=folder, dated=first.date())
    files: list[ExportedFile] = []
    for code in picked:
        name, duty = codes[code]
        ctx = _context(session, incident_id, controller, data, duty, rows, samples, codes)
        pack = build_us_notice(code, duty, ctx, due=_due(rows, name, duty), status=_status(rows.get((name, duty.jurisdiction))))
        files += _write(session, incident_id, folder, code, pack, actor=actor, now=now)
    files += [remember_export(session=session, incident_id=incident_id, kind=f"us/sample_letter/{v or 'general'}", path=path, actor=actor,
                              now=now) for v, path in sorted(samples.items())]
    index = us_index(incident_id=incident_id, controller=controller, duties=found.obligations if found else (), rows=rows, data=data,
                     unverified=list(found.unverified) if found else [], files=[f.path.name for f in files])
    return files + _write_index(session, incident_id, folder, index, actor=actor, now=now)


def us_index(*, incident_id: str, controller: ControllerProfile, duties: Any, rows: dict[tuple[str, str], Any], data: _Incident,
             unverified: list[str], files: list[str]) -> dict[str, Any]:
    """Every US duty with its clock, status and filing code; the substitute-notice actions; what is not verified."""
    assert controller.us is not None
    listed = []
    for name, o in us.clock_names(list(duties)):
        listed.append({"duty": name, "jurisdiction": o.jurisdiction, "recipient": o.recipient, "due_at": _due(rows, name, o),
                       "deadline_text": o.deadline_text, "status": _status(rows.get((name, o.jurisdiction))), "filing_code": o.filing_code,
                       "citation": o.citation, "verified": o.verified})
    contacts = load_table("us_contacts")
    states = {d["jurisdiction"] for d in listed}
    used = [*contacts["cras"], contacts["ftc"], *(e for code, e in contacts["attorneys_general"].items() if code in states),
            *(e for code, found in contacts["state_agencies"].items() if code in states for e in found)]
    shaky = [e["name"] for e in used if not e.get("verified")]
    actions = [line for need in data.needs.values() for line in need.actions(website_url=controller.us.website_notice_url)]
    return {"kind": "us_duties", "incident_id": incident_id, "controller_name": controller.name, "duties": listed,
            "substitute_notice": actions, "unverified_rules": unverified, "unverified_contacts": shaky, "files": files}


def us_index_markdown(index: dict[str, Any]) -> str:
    """The index as Markdown: one table of duties, then actions, warnings and files."""
    out = [f"# US duties of {index['incident_id']} ({index['controller_name']})", "",
           "| duty | where | recipient | due | status | file with | citation |", "|---|---|---|---|---|---|---|"]
    for d in index["duties"]:
        flag = "" if d["verified"] else " (NOT VERIFIED)"
        out.append(f"| {d['duty']} | {d['jurisdiction']} | {d['recipient']} | {d['due_at'] or d['deadline_text'][:60]} | {d['status']} | "
                   f"{d['filing_code'] or '-'} | {d['citation']}{flag} |")
    if index["substitute_notice"]:
        out += ["", "## Substitute notice", ""] + [f"- {line}" for line in index["substitute_notice"]]
    if index["unverified_rules"] or index["unverified_contacts"]:
        out += ["", "## Not verified", ""]
        out += [f"- Rules of {', '.join(index['unverified_rules'])}: check docs/us-law.md"] if index["unverified_rules"] else []
        out += [f"- Contact details printed in the notices: {', '.join(index['unverified_contacts'])} "
                "(notices/data/us_contacts.json)"] if index["unverified_contacts"] else []
    out += ["", "## Files", ""] + [f"- {name}" for name in index["files"]]
    return "\n".join(out) + "\n"


def _write_index(session: Session, incident_id: str, folder: Path, index: dict[str, Any], *, actor: str,
                 now: datetime) -> list[ExportedFile]:
    with atomic_output(folder / "index.json") as tmp:
        tmp.write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with atomic_output(folder / "index.md") as tmp:
        tmp.write_text(us_index_markdown(index), encoding="utf-8")
    return [remember_export(session=session, incident_id=incident_id, kind=f"us/index_{ext}", path=folder / f"index.{ext}", actor=actor,
                            now=now) for ext in ("json", "md")]


def _context(session: Session, incident_id: str, controller: ControllerProfile, data: _Incident, duty: Obligation,
             rows: dict[tuple[str, str], Any], samples: dict[str, Path], codes: dict[str, tuple[str, Obligation]]) -> UsFilingContext:
    assert controller.us is not None
    state = duty.jurisdiction
    channels = data.by_region.get(state, {}) if state != "US" else _summed(data.by_region)
    residents = sum(channels.values())
    notified = data.notified.get(state, 0) if state != "US" else sum(data.notified.values())
    variant = data.variants.get(state, "")
    cra = rows.get(("us.consumer_reporting_agencies", state))
    earlier = session.execute(select(func.count()).where(FilingRow.incident_id == incident_id,
                                                         FilingRow.authority_code == duty.filing_code))
    return UsFilingContext(
        incident_id=incident_id, facts=data.facts, controller=controller, profile=controller.us, duty=duty, residents=residents,
        channels=channels, notified=notified, notice_given=data.given, total_people=data.total_people,
        substitute=[n for s, n in data.needs.items() if s == state or state == "US"],
        media_required=any(o.kind == "media" for _, o in codes.values()),
        cra_done=None if cra is None else cra.state != DeadlineState.RUNNING,
        sample_notice=samples[variant].name if variant in samples else None, earlier_filings=int(earlier.scalar_one()))


def _summed(by_region: dict[str | None, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in by_region.values():
        for channel, n in counts.items():
            total[channel] = total.get(channel, 0) + n
    return total


def _due(rows: dict[tuple[str, str], Any], name: str, duty: Obligation) -> str | None:
    row = rows.get((name, duty.jurisdiction))
    due = row.due_at if row is not None and row.state != DeadlineState.DONE else duty.due_at
    return due.isoformat(timespec="seconds") if due else None


def _status(row: Any) -> str:
    if row is None:
        return "not filed yet (no clock: the statute sets no outer time limit)"
    if row.state == DeadlineState.RUNNING:
        return "not filed yet (clock running)"
    return f"{row.state} at {row.stopped_at.isoformat(timespec='seconds')}"


def _write(session: Session, incident_id: str, folder: Path, code: str, pack: dict[str, Any], *, actor: str,
           now: datetime) -> list[ExportedFile]:
    stem = folder / code
    with atomic_output(stem.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(pack, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with atomic_output(stem.with_suffix(".md")) as tmp:
        tmp.write_text(us_notice_markdown(pack), encoding="utf-8")
    write_us_pdf(pack, stem.with_suffix(".pdf"))
    return [remember_export(session=session, incident_id=incident_id, kind=f"us/{code}_{ext}", path=stem.with_suffix(f".{ext}"),
                            actor=actor, now=now) for ext in ("json", "md", "pdf")]


def _samples(*, session: Session, incident_id: str, controller: ControllerProfile, folder: Path, dated: date) -> dict[str, Path]:
    """The sample letter of each US letter group: its current letter draft, with placeholders for the name and address,
    dated the day the notices were given (or ``dated`` before then)."""
    from notices.letters.pdf import Letter, write_letters_pdf

    out = {}
    for draft in current_drafts(session=session, incident_id=incident_id):
        if draft.kind != NoticeKind.SUBJECT_NOTICE.value or draft.language != US_LANGUAGE or draft.channel != Channel.LETTER.value:
            continue
        path = folder / f"sample-letter{'-' + draft.variant if draft.variant else ''}.pdf"
        letter = Letter(delivery_id="sample", language="en-US", recipient_name=SAMPLE_NAME, address_lines=SAMPLE_ADDRESS,
                        subject=draft.subject.replace(NAME_TAG_TEXT, SAMPLE_NAME), body_text=draft.text.replace(NAME_TAG_TEXT, SAMPLE_NAME),
                        sender=controller, date=dated, reference=incident_id)
        write_letters_pdf([letter], path)
        out[draft.variant] = path
    return out
