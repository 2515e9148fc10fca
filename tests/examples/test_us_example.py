"""The US worked examples: Tallyhook Scheduling, Inc. (CA, MA, NY, TX) end to end without Prefect, and a HIPAA
business associate's duties. Golden files: the duties with their clocks, the general and the Massachusetts notice,
the first page of the Massachusetts letter (text; the PNG beside it was looked at)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from breach.clock import deadlines
from breach.clock.us import duties as us
from breach.controller import load_profile
from breach.enums import DeliveryState
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from breach.jurisdictions.us.model import UsBreachFacts, UsController
from breach.jurisdictions.us.obligations import us_obligations
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import channel_counts, import_people
from breach.store.tables import DeliveryRow, SendBatchRow
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.content.render import personalize
from notices.letters.pdf import Letter, write_letters_pdf
from notices.sending.on_request import queue_requested_letter
from tests.examples.golden import check, first_page_png, keep_picture, normalised, pdf_text
from tests.examples.test_nl_example import _notice
from tests.factories import approve, set_roster

pytestmark = pytest.mark.integration
EXAMPLE = EXAMPLES / "us"
ACTOR, MANAGER = "responder@example.com", "manager@example.com"
CIPHER = MultiKeyCipher.from_master_keys([b"u" * 32])
PROFILE = load_profile(EXAMPLE / "controller.json")


def open_us_example(session, now, tmp_path: Path) -> str:
    document = json.loads((EXAMPLE / "facts.json").read_text(encoding="utf-8"))
    document["reference"] = f"{document['reference']}-{tmp_path.name}"
    opened = incidents.open_incident(session=session, document=document, actor=ACTOR, timezone="America/Chicago", now=now)
    incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    import_people(session=session, incident_id=opened.incident_id, path=EXAMPLE / "people.csv", cipher=CIPHER, batch_size=1000,
                  actor=ACTOR, now=now, default_country="US")
    assert PROFILE.us is not None
    us.start_us_clocks(session=session, incident_id=opened.incident_id, profile=PROFILE.us, actor=ACTOR, now=now)
    return opened.incident_id


def _duties_text(session, incident_id: str) -> str:
    assert PROFILE.us is not None
    rows = [r for r in deadlines.deadlines_of(session=session, incident_id=incident_id) if r.obligation.startswith("us.")]
    lines = [f"{r.obligation} {r.party} due {r.due_at.isoformat()} | {r.legal_basis}" for r in rows]
    lines += [f"{name} {o.jurisdiction} no clock: {o.deadline_text} | {o.citation}"
              for name, o in us.pending(session=session, incident_id=incident_id, profile=PROFILE.us)]
    return "\n".join(lines) + "\n"


def test_us_example_duties_clocks_and_notices(session, now, tmp_path) -> None:
    incident_id = open_us_example(session, now, tmp_path)
    assert channel_counts(session=session, incident_id=incident_id) == {"email": 956, "letter": 164, "none": 0}
    assert us.residents(session=session, incident_id=incident_id) == ({"CA": 517, "MA": 129, "NY": 209, "TX": 258}, 7)
    check("us/duties.txt", _duties_text(session, incident_id))

    rows = draft_notices(session=session, incident_id=incident_id, controller=PROFILE, actor=ACTOR, now=now)
    us_drafts = {(r.variant, r.channel): r for r in rows if r.language == "en-US"}
    assert set(us_drafts) == {("", "email"), ("", "letter"), ("MA", "email"), ("MA", "letter")}
    general = personalize(_notice(us_drafts["", "email"]), "Casey Hollister").text
    massachusetts = personalize(_notice(us_drafts["MA", "email"]), "Riley Ingram").text
    check("us/email.general.txt", normalised(general, incident_id))
    check("us/email.MA.txt", normalised(massachusetts, incident_id))
    # Massachusetts forbids the nature of the breach and the number of residents (ch. 93H, s. 3(b)).
    assert "stolen employee password" in general and "stolen employee password" not in massachusetts
    assert "18 months" not in massachusetts and "24 months of credit monitoring" in massachusetts
    for text in (general, massachusetts):
        for heading in ("What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"):
            assert heading in text
        assert "Social Security number" in text and "security freeze" in text and "Equifax" in text

    letter = personalize(_notice(us_drafts["MA", "letter"]), "Riley Ingram")
    pdf = tmp_path / "ma-letter.pdf"
    ingram = Letter(delivery_id="1", language="en-US", recipient_name="Riley Ingram",
                    address_lines=["42 Cedar Lane", "Worcester, MA 01609"],
                    subject=letter.subject, body_text=letter.text, sender=PROFILE, date=date(2026, 12, 2), reference=incident_id)
    write_letters_pdf([ingram], pdf)
    check("us/letter.MA.page1.txt", normalised(pdf_text(pdf, last=1), incident_id))
    keep_picture("us/letter.MA.page1.png", first_page_png(pdf, tmp_path / "ma-letter.png"))


def test_a_letter_on_request_is_queued_once_after_sending(session, now, tmp_path) -> None:
    incident_id = open_us_example(session, now, tmp_path)
    draft_notices(session=session, incident_id=incident_id, controller=PROFILE, actor=ACTOR, now=now)
    with pytest.raises(BreachError, match="approv|Approv"):
        queue_requested_letter(session=session, incident_id=incident_id, external_id="TH-000003", cipher=CIPHER,
                               actor=ACTOR, now=now)
    set_roster(session=session, now=now, managers=[MANAGER])
    approve(session=session, incident_id=incident_id, now=now, actor=MANAGER, comment="")
    with pytest.raises(BreachError, match="nothing has been sent"):
        queue_requested_letter(session=session, incident_id=incident_id, external_id="TH-000003", cipher=CIPHER,
                               actor=ACTOR, now=now)
    session.add(SendBatchRow(incident_id=incident_id, channel="email", batch_no=0, state="done", attempts=1))
    batch = queue_requested_letter(session=session, incident_id=incident_id, external_id=" TH-000003 ", cipher=CIPHER,
                                   actor=ACTOR, now=now)
    queued = session.query(DeliveryRow).filter_by(incident_id=incident_id, channel="letter", batch_no=batch).all()
    assert len(queued) == 1 and queued[0].state == DeliveryState.PENDING
    with pytest.raises(BreachError, match="already has a letter"):
        queue_requested_letter(session=session, incident_id=incident_id, external_id="TH-000003", cipher=CIPHER,
                               actor=ACTOR, now=now)
    with pytest.raises(BreachError, match="no person"):
        queue_requested_letter(session=session, incident_id=incident_id, external_id="TH-999999", cipher=CIPHER,
                               actor=ACTOR, now=now)


def test_hipaa_business_associate_owes_the_covered_entity_and_the_states_their_duties() -> None:
    facts = UsBreachFacts(data_categories=frozenset({"name", "health", "insurance", "date_of_birth"}), encryption="none",
                          discovered_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC), phi_involved=True)
    found = us_obligations(facts, UsController(role="processor", hipaa_business_associate=True), {"CA": 40, "TX": 12})
    text = "\n".join(f"{o.jurisdiction} {o.kind} -> {o.recipient} | due {o.due_at.isoformat() if o.due_at else o.deadline_text} | "
                     f"{o.citation} | verified {o.verified}" for o in found.obligations) + "\n"
    check("hipaa-ba/duties.txt", text)
    kinds = {(o.jurisdiction, o.kind) for o in found.obligations}
    assert ("US", "covered_entity") in kinds and not {k for j, k in kinds if k in ("individuals", "hhs")}
