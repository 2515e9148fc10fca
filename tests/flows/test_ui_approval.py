"""Responder and manager do their whole job in a real browser, against a real `prefect server`.

The responder opens an incident through the breach-response deployment's Run form; the case-file
artifact shows the verdict and the full Danish e-mail; the manager, with the code from the outbox,
sends the drafts back; the responder corrects the facts (same reference: a new facts version, new
drafts) and the case file shows what changed; then a non-roster address, a wrong code and the used
code are refused in the same browser session, and the manager approves with the new code: the
notices go out. Screenshots of the three forms are written to docs/images/ (shown in the README).
"""

from __future__ import annotations

import json
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from breach.approval import decisions as approval
from breach.audit import events_for
from breach.store.tables import FactsRow, IncidentRow
from flows.cli.demo import code_from_outbox
from notices.sending.outbox import delivery_counts
from tests.conftest import REPO
from tests.factories import write_people_csv
from tests.support import prefect_forms as forms
from tests.support.live_prefect import MANAGER, LivePrefect, wait

pytestmark = [pytest.mark.flows, pytest.mark.sqlite_only]  # its own SQLite file: the PostgreSQL pass would only repeat it

IMAGES = REPO / "docs" / "images"
# Danish readers only: the facts' free text is given in Danish (the controller's language), so every notice can be drafted
PEOPLE = [["Ulla Ui", "da", "ulla@example.com", "", "Nørregade 7", "1165", "København K", "DK"],
          ["Viggo Brev", "da", "", "letter", "Vestergade 3", "8000", "Aarhus C", "DK"]]
FIRST_SUMMARY = "En angriber har kopieret kundedatabasen fra vores bookingsystem."
SECOND_SUMMARY = "En angriber har kopieret kundedatabasen fra vores bookingsystem via en stjålet adgangskode til en support-konto."


def _facts(reference: str, summary: str) -> dict:
    return {"reference": reference, "summary": summary, "breach_types": ["confidentiality"],
            "data_categories": ["name", "email", "credentials"], "cause": "external_attack", "exfiltration": "confirmed",
            "recipient": "hostile", "accessed": "confirmed", "subjects_affected": 2,
            "measures_taken": ["Vi har lukket angriberens adgang og nulstillet alle adgangskoder."],  # Art. 34(2): what was done
            "controller": {"name": "Nordlys Bookings ApS", "country": "DK"}}


def _new_run(live: LivePrefect, before: set[str]) -> str:
    def created() -> str | None:
        fresh = [r["id"] for r in live.runs_of_deployment() if r["id"] not in before]
        return fresh[0] if fresh else None
    return str(wait("the flow run the Run form created", created, 60, live.worker))


def _incident(live: LivePrefect, reference: str) -> str:
    with live.sessions()() as session:
        return str(session.execute(select(IncidentRow.id).where(IncidentRow.reference == reference)).scalar_one())


def _case_file(page, live: LivePrefect, incident_id: str, *expected: str, screenshot: Path | None = None, anchor: str = "Verdict") -> str:
    """Open the newest case file in the UI and check that it shows ``expected``; returns its text as shown."""
    artifact = live.latest_case_file(incident_id)
    page.goto(f"{live.ui}/artifacts/artifact/{artifact['id']}")
    heading = page.get_by_role("heading", name=f"Case file {incident_id}")
    heading.wait_for()
    shown = page.locator("article", has=heading).first.inner_text()
    for text in expected:
        assert text in shown, f"the case file does not show {text!r}"
    if screenshot is not None:
        page.get_by_role("heading", name=anchor).first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot))
    return str(shown)


def test_responder_and_manager_do_their_whole_job_in_the_browser(tmp_path: Path) -> None:
    start = forms.sync_playwright()
    IMAGES.mkdir(parents=True, exist_ok=True)
    reference = f"SIEM-{time.time_ns()}"
    people = write_people_csv(tmp_path / "people.csv", PEOPLE)
    with LivePrefect(tmp_path) as live, start() as pw:
        browser = pw.chromium.launch(executable_path=forms.CHROMIUM, args=forms.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(60_000)
        deployment_id, outbox = live.deployment_id(), live.data_dir / "outbox"

        # 1. the responder opens the incident in the deployment's Run form
        forms.open_incident(page, ui=live.ui, deployment_id=deployment_id, facts=_facts(reference, FIRST_SUMMARY),
                            people_path=str(people), screenshot=IMAGES / "ui-run-form.png")
        first = _new_run(live, set())
        paused = live.wait_paused(first)
        incident_id = _incident(live, reference)

        # 2. the case file: verdict, rules, clock, and the Danish e-mail in full for the invented sample person
        _case_file(page, live, incident_id, "Risk high", "Datatilsynet", "art34_1_notify_subjects", "authority (DK)",
                   "subject_notice / da / email", "Kære Mette Eksempel", FIRST_SUMMARY, "No manager has decided")

        # 3. the manager sends the drafts back, proving who they are with the code e-mailed to the roster address
        code_a, _ = code_from_outbox(outbox, incident_id)
        forms.resume(page, ui=live.ui, run_id=first, approver=MANAGER, code=code_a, decision="reject",
                     comment="Sig hvordan angriberen kom ind.")
        assert live.wait_final(first)["type"] == "COMPLETED"

        # 4. the responder corrects the facts: same reference, so the same incident with a new facts version
        before = {r["id"] for r in live.runs_of_deployment()}
        forms.open_incident(page, ui=live.ui, deployment_id=deployment_id, facts=_facts(reference, SECOND_SUMMARY), people_path=str(people))
        second = _new_run(live, before)
        paused = live.wait_paused(second)
        assert _incident(live, reference) == incident_id
        _case_file(page, live, incident_id, "Risk high", "Every rule that fired", "Clocks (shown in Europe/Copenhagen)",
                   screenshot=IMAGES / "ui-case-file.png", anchor=f"Case file {incident_id}")
        _case_file(page, live, incident_id, "Changes since the version a manager saw", f"-{FIRST_SUMMARY}", f"+{SECOND_SUMMARY[:80]}",
                   "Sig hvordan angriberen kom ind.", "Kære Mette Eksempel", screenshot=IMAGES / "ui-case-file-drafts.png",
                   anchor="Changes since the version a manager saw")
        code_b, _ = code_from_outbox(outbox, incident_id)
        assert code_b != code_a

        # 5. refused in the same session: an address not on the roster, a wrong code, the used code
        wrong = f"{(int(code_b) + 1) % 10**8:08d}"
        for approver, code, why in (("intruder@example.org", code_b, "not on the managers roster"), (MANAGER, wrong, "wrong approval code"),
                                    (MANAGER, code_a, "already used")):
            forms.resume(page, ui=live.ui, run_id=second, approver=approver, code=code)
            paused = live.wait_paused(second, after=paused["id"])
            shown = forms.resume_form_text(page, ui=live.ui, run_id=second)
            assert why in shown, shown

        # 6. approved with the new code: the notices go out
        shown = forms.resume(page, ui=live.ui, run_id=second, approver=MANAGER, code=code_b, comment="Godkendt.",
                             screenshot=IMAGES / "ui-approval-form.png")
        assert "Drafts' hash" in shown and "Read the case file first" in shown and "Deadline: authority (DK) due" in shown
        assert live.wait_final(second)["type"] == "COMPLETED", live.logs()
        _case_file(page, live, incident_id, "approved", "Godkendt.", "accepted")
        browser.close()

    with live.sessions()() as session:
        row = approval.require_approved(session=session, incident_id=incident_id)
        assert (row.actor, row.proof, row.comment) == (MANAGER, "code", "Godkendt.")
        assert delivery_counts(session=session, incident_id=incident_id) == {"email": {"accepted": 1}, "letter": {"accepted": 1}}
        refused = [e.details["kind"] for e in events_for(session=session, incident_id=incident_id) if e.action == approval.REFUSED]
        assert refused == ["not_on_roster", "wrong_code", "code_used"]  # each once, though the resumed run read them again
        versions = session.execute(select(FactsRow.version).where(FactsRow.incident_id == incident_id)).scalars().all()
        assert sorted(versions) == [1, 2]
    [eml] = (outbox / incident_id / "email").glob("*.eml")
    message = BytesParser(policy=policy.default).parse(eml.open("rb"))
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message["To"].addresses[0].addr_spec == "ulla@example.com" and "Kære Ulla Ui" in text and SECOND_SUMMARY in text
    for image in ("ui-run-form.png", "ui-case-file.png", "ui-case-file-drafts.png", "ui-approval-form.png"):
        assert (IMAGES / image).stat().st_size > 20_000
    print("browser test:", json.dumps({"incident": incident_id, "refused": refused}))
