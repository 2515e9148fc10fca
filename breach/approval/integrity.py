"""What an approval binds to, recomputed from the words themselves whenever they are about to leave.

A draft's stored ``content_hash`` is a column like any other: someone with database access can
change a draft's subject and text and, if they like, its hash too. So nothing trusts the column:
the hash of a draft is always recomputed from its subject, text and HTML (``content_hash``), and
compared three ways before anything is sent or published:

1. with the draft's own ``content_hash`` (an edit that forgot the column),
2. with the hash the ``notices.drafted`` audit entry recorded when the round was drafted (an edit
   that also rewrote the column; the audit chain is keyed, see ``breach.audit``), and
3. with the approval's ``drafts_hash`` over the whole round (an edit after approval).

``verify_drafts`` runs the same checks over every incident for ``breach audit verify``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from breach import audit
from breach.enums import ApprovalDecision
from breach.exceptions import DraftsTampered
from breach.store.tables import ApprovalRow, AuditEventRow, DraftRow

DRAFTED = "notices.drafted"
APPROVED = f"notices.{ApprovalDecision.APPROVED.value}"
SEND_REFUSED = "notices.send_refused"


def content_hash(subject: str, text: str, html: str | None) -> str:
    """sha256 over subject, text and html, NUL-separated so parts cannot run into each other."""
    payload = "\x00".join((subject, text, html or ""))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def label(draft: DraftRow) -> str:
    """'kind/language/channel' of a draft, with '/variant' when the notice is split (no content)."""
    base = f"{draft.kind}/{draft.language}/{draft.channel}"
    return f"{base}/{draft.variant}" if draft.variant else base


def recomputed(draft: DraftRow) -> str:
    """The draft's hash from its words as they are now."""
    return content_hash(draft.subject, draft.text, draft.html)


def drafts_hash(drafts: Sequence[DraftRow]) -> str:
    """One hash over every draft's recomputed content hash: what an approval binds to."""
    joined = "\n".join(f"{d.kind}|{d.language}|{d.channel}|{recomputed(d)}" for d in drafts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _audited_for(draft: DraftRow, drafted: dict[str, set[str]]) -> set[str] | None:
    """The hashes (or 12-character prefixes) the drafting entry recorded under this draft's label; older entries
    name no variant, so a split notice's drafts share one label there."""
    return drafted.get(label(draft)) or drafted.get(f"{draft.kind}/{draft.language}/{draft.channel}")


def drafted_details(drafts: Sequence[DraftRow], round_no: int) -> dict[str, Any]:
    """The ``notices.drafted`` audit details: labels with short hashes (for people) and full hashes (for checks)."""
    return {"round": round_no, "drafts": [f"{label(d)}:{d.content_hash[:12]}" for d in drafts],
            "hashes": {label(d): d.content_hash for d in drafts}}


def changed_drafts(drafts: Iterable[DraftRow], *, drafted: dict[str, set[str]] | None = None) -> list[str]:
    """Labels of drafts whose words no longer give their stored hash, or a hash audited when drafted."""
    out = []
    for draft in drafts:
        digest = recomputed(draft)
        audited = _audited_for(draft, drafted) if drafted is not None else None
        if digest != draft.content_hash or (drafted is not None and not any(digest.startswith(a) for a in audited or ())):
            out.append(label(draft))
    return out


def audited_hashes(entries: Iterable[AuditEventRow], round_no: int) -> dict[str, set[str]] | None:
    """The hashes (full, or 12-character prefixes in older entries) a round's ``notices.drafted`` entry recorded, by label."""
    for entry in entries:
        if entry.action != DRAFTED or entry.details.get("round") != round_no:
            continue
        found: dict[str, set[str]] = {}
        if isinstance(entry.details.get("hashes"), dict):
            pairs = [(str(k), str(v)) for k, v in entry.details["hashes"].items()]
        else:
            pairs = [tuple(str(item).rsplit(":", 1)) for item in entry.details.get("drafts", []) if ":" in str(item)]  # type: ignore[misc]
        for name, digest in pairs:
            found.setdefault(name, set()).add(digest)
        return found
    return None


def require_words(*, session: Session, incident_id: str, drafts: Sequence[DraftRow], approved_hash: str,
                  entries: list[AuditEventRow] | None = None) -> None:
    """The drafts' words give their stored hashes, the hashes audited when drafted, and the approved hash; DraftsTampered naming them."""
    if changed := changed_drafts(drafts):
        raise DraftsTampered(incident_id, changed)
    if entries is None:
        entries = audit.events_for(session=session, incident_id=incident_id, actions=(DRAFTED,))
    drafted = audited_hashes(entries, drafts[0].round) if drafts else None
    if drafted is not None and (changed := changed_drafts(drafts, drafted=drafted)):
        approved_as_they_are = approved_hash == drafts_hash(drafts)  # changed before the manager looked: they approved these words
        raise DraftsTampered(incident_id, changed, reason="the drafts are not what the audit log recorded when they were drafted"
                             if approved_as_they_are else "the drafts changed after approval")
    if approved_hash != drafts_hash(drafts):
        raise DraftsTampered(incident_id, [label(d) for d in drafts])


def _round_drafts(session: Session, incident_id: str, round_no: int) -> list[DraftRow]:
    stmt = (select(DraftRow).where(DraftRow.incident_id == incident_id, DraftRow.round == round_no)
            .order_by(DraftRow.kind, DraftRow.language, DraftRow.channel).execution_options(populate_existing=True))
    return list(session.execute(stmt).scalars())


def _round_approval(session: Session, incident_id: str, round_no: int) -> ApprovalRow | None:
    stmt = (select(ApprovalRow).where(ApprovalRow.incident_id == incident_id, ApprovalRow.round == round_no)
            .order_by(ApprovalRow.id.desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def require_unchanged(*, session: Session, incident_id: str, rounds: Iterable[int]) -> None:
    """Per batch, just before sending: each round's words still give the hash its approval bound, and both the drafting
    and the approval have entries in the audit log that verify on their own (HMAC; no walk of the whole chain per batch)."""
    # only the drafting and approval entries (a handful), each checked by its own HMAC: cheap enough for every batch
    entries = audit.sealed(session=session, rows=audit.events_for(session=session, incident_id=incident_id, actions=(DRAFTED, APPROVED)))
    for round_no in sorted(set(rounds)):
        drafts = _round_drafts(session, incident_id, round_no)
        labels = [label(d) for d in drafts]
        latest = _round_approval(session, incident_id, round_no)
        if latest is None or latest.decision != ApprovalDecision.APPROVED:
            raise DraftsTampered(incident_id, labels, reason="the round is no longer approved")
        if audited_hashes(entries, round_no) is None:
            raise DraftsTampered(incident_id, labels, reason="the drafts have no notices.drafted entry in the audit log")
        require_words(session=session, incident_id=incident_id, drafts=drafts, approved_hash=latest.drafts_hash, entries=entries)
        wanted = (latest.actor, round_no, latest.drafts_hash)
        if not any(e.action == APPROVED and (e.actor, e.details.get("round"), e.details.get("drafts_hash")) == wanted for e in entries):
            raise DraftsTampered(incident_id, labels, reason="the approval has no entry in the audit log")


def record_refusal(*, sessions: sessionmaker[Session], incident_id: str, error: DraftsTampered, actor: str, now: datetime,
                   where: str) -> None:
    """Audit a send or publication refused because the words changed (its own transaction, kept whatever follows)."""
    with sessions.begin() as session:
        audit.record(session=session, action=SEND_REFUSED, actor=actor, at=now, incident_id=incident_id,
                     details={"where": where, "reason": error.reason, "drafts": error.drafts})


def verify_drafts(*, session: Session) -> list[str]:
    """Every draft against its words, its drafted audit entry and its round's approval; one line per problem."""
    problems: list[str] = []
    rounds = session.execute(select(DraftRow.incident_id, DraftRow.round).distinct().order_by(DraftRow.incident_id, DraftRow.round)).all()
    for incident_id, round_no in rounds:
        drafts = _round_drafts(session, incident_id, round_no)
        entries = audit.events_for(session=session, incident_id=incident_id)
        drafted = audited_hashes(entries, round_no)
        where = f"{incident_id} round {round_no}"
        if drafted is None:
            problems.append(f"{where}: drafts without a notices.drafted entry in the audit log")
        if changed := changed_drafts(drafts, drafted=drafted):
            problems.append(f"{where}: words changed since they were drafted ({', '.join(changed)})")
        latest = _round_approval(session, incident_id, round_no)
        if latest is not None and latest.decision == ApprovalDecision.APPROVED and latest.drafts_hash != drafts_hash(drafts):
            problems.append(f"{where}: drafts changed after approval by {latest.actor}")
    return problems
