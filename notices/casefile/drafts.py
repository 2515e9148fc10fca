"""The drafts section of the case file: every draft in full for an invented sample person, and what
changed since the version a manager last saw (decided on)."""

from __future__ import annotations

import difflib
import textwrap

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach.approval.decisions import current_drafts, drafts_hash
from breach.store.tables import ApprovalRow, DraftRow
from notices.casefile.text import fenced, inline
from notices.content.render import NAME_TAG_HTML, NAME_TAG_TEXT

# Invented people, never a real person's data: each real notice carries its own recipient's name.
SAMPLE_NAMES = {"da": "Mette Eksempel", "nb": "Kari Eksempel", "en": "Alex Example", "nl": "Sanne Voorbeeld"}
SAMPLE_FALLBACK = "Alex Example"


def sample_name(language: str) -> str:
    """The invented person a draft is shown for, in the draft's language."""
    return SAMPLE_NAMES.get(language, SAMPLE_FALLBACK)


def for_sample(text: str, language: str) -> str:
    """A draft's text as the sample person would read it."""
    name = sample_name(language)
    return text.replace(NAME_TAG_TEXT, name).replace(NAME_TAG_HTML, name)


WIDTH = 96  # for display only: lines are wrapped so the UI shows them without scrolling sideways


def wrapped(text: str, *, diff: bool = False) -> str:
    """Long lines wrapped at WIDTH; a continued list item or diff line keeps its marker's indentation."""
    out = []
    for line in text.splitlines():
        marker = line[:1] if diff and line[:1] in "+- " else ""
        body = line[len(marker):]
        indent = marker + ("  " if body.startswith(("- ", "• ")) else "")
        out.extend(textwrap.wrap(body, WIDTH, initial_indent=marker, subsequent_indent=indent or marker,
                                 break_long_words=False, break_on_hyphens=False) or [line])
    return "\n".join(out)


def label(draft: DraftRow) -> str:
    """kind / language / channel."""
    return f"{draft.kind} / {draft.language} / {draft.channel}"


def drafts_section(*, session: Session, incident_id: str) -> str:
    """What changed since the round a manager last decided on, then every current draft in full."""
    drafts = current_drafts(session=session, incident_id=incident_id)
    if not drafts:
        return "## Drafts\n\nNothing drafted yet.\n"
    first = drafts[0]
    samples = ", ".join(sorted({sample_name(d.language) for d in drafts}))
    out = [f"## Drafts (round {first.round}, {len(drafts)} drafts, hash `{drafts_hash(drafts)[:16]}`)\n",
           f"Drafted by {inline(first.drafted_by)}.\n",
           changes_section(session=session, incident_id=incident_id, drafts=drafts),
           "### Every draft in full\n",
           f"Each draft as an invented sample person would get it ({samples}); every real notice carries its own recipient's name. "
           "Long lines are wrapped here for reading.\n"]
    for draft in drafts:
        out.append(f"#### {label(draft)}\n")
        out.append(f"**Subject:** {inline(for_sample(draft.subject, draft.language))}\n")
        out.append(fenced(wrapped(for_sample(draft.text, draft.language))))
        out.append(f"Template `{draft.template_version}`, content hash `{draft.content_hash[:16]}`.\n")
    return "\n".join(out)


def _seen_round(session: Session, incident_id: str) -> ApprovalRow | None:
    stmt = select(ApprovalRow).where(ApprovalRow.incident_id == incident_id).order_by(ApprovalRow.id.desc()).limit(1)
    return session.execute(stmt).scalar_one_or_none()


def changes_section(*, session: Session, incident_id: str, drafts: list[DraftRow]) -> str:
    """A unified diff per draft against the round of the newest decision, when that round is older."""
    seen = _seen_round(session, incident_id)
    head = "### Changes since the version a manager saw\n\n"
    if seen is None:
        return head + "No manager has decided on any version yet: everything above is new.\n"
    if seen.round == drafts[0].round:
        return head + f"A manager ({inline(seen.actor)}) already decided on this version (round {seen.round}): {seen.decision}.\n"
    stmt = select(DraftRow).where(DraftRow.incident_id == incident_id, DraftRow.round == seen.round)
    before = {label(d): d for d in session.execute(stmt).scalars()}
    now = {label(d): d for d in drafts}
    comment = f"comment: {inline(seen.comment)}" if seen.comment else "no comment"
    out = [head + f"Compared with round {seen.round}, which {inline(seen.actor)} {seen.decision} ({comment}).\n"]
    for name in sorted(before.keys() | now.keys()):
        old, new = before.get(name), now.get(name)
        if old is not None and new is not None and old.content_hash == new.content_hash:
            continue
        old_lines = [] if old is None else [f"Subject: {old.subject}", *old.text.splitlines()]
        new_lines = [] if new is None else [f"Subject: {new.subject}", *new.text.splitlines()]
        diff = difflib.unified_diff(old_lines, new_lines, f"round {seen.round}", f"round {drafts[0].round}", lineterm="", n=1)
        state = "new" if old is None else "removed" if new is None else "changed"
        out.append(f"**{name}** ({state}):\n")
        out.append(fenced(wrapped("\n".join(diff), diff=True), "diff"))
    if len(out) == 1:
        out.append("The drafts' words did not change.\n")
    return "\n".join(out)
