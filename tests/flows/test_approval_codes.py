"""Codes reach the managers who may approve, through the e-mail channel; the drafter gets none; nothing is re-sent needlessly."""

from __future__ import annotations

import time
from email import policy
from email.parser import BytesParser

import pytest

from breach import instants
from breach.approval import roster
from breach.approval.roster import RosterEntry
from breach.exceptions import ApprovalRefused
from breach.facts import load_facts
from flows.approval_codes import send_codes
from flows.assess import assess_incident
from flows.cli.demo import code_from_outbox
from flows.draft import draft_notices
from flows.open_incident import open_incident
from flows.people import import_people
from flows.runtime import CODES_FOLDER, identity
from tests.factories import facts_doc, write_people_csv
from tests.flows.conftest import MANAGER

pytestmark = pytest.mark.flows
DRAFTER = "responder@example.com"


@pytest.fixture()
def drafted(rt, tmp_path):
    """Drafts made by this process (os:USER); the roster holds the manager and the responder who is that OS user."""
    with rt.sessions.begin() as session:
        roster.set_roster(session=session, entries=[RosterEntry(email=MANAGER, language="da"),
                                                    RosterEntry(email=DRAFTER, logins=[identity()])], actor="os:test",
                          now=instants.utcnow(), source="test")
    incident_id = open_incident(load_facts(facts_doc(reference=f"CODES-{time.time_ns()}")))
    assess_incident(incident_id)
    import_people(incident_id, str(write_people_csv(tmp_path / "p.csv", [["Søren Kjær", "da", "soren@example.com", "", "", "", "", "DK"]])))
    assert draft_notices(incident_id)
    yield incident_id


def _mails(rt, incident_id):
    return sorted((rt.settings.outbox_dir / CODES_FOLDER / incident_id / "email").glob("code-*.eml"))


def test_each_manager_who_did_not_draft_gets_one_code_in_their_language(rt, drafted):
    assert send_codes(rt, incident_id=drafted) == 1  # the manager; the responder drafted these notices
    [mail] = _mails(rt, drafted)
    message = BytesParser(policy=policy.default).parse(mail.open("rb"))
    assert [a.addr_spec for a in message["To"].addresses] == [MANAGER]
    assert message["Subject"].startswith(f"Godkendelseskode til hændelse {drafted}")
    code, _ = code_from_outbox(rt.settings.outbox_dir, drafted)
    assert len(code) == 8 and code.isdigit()
    assert send_codes(rt, incident_id=drafted) == 0  # a live code is not sent again (a resumed run asks again)
    assert send_codes(rt, incident_id=drafted, only=MANAGER, fresh=True) == 1  # `breach approve` without --code: a fresh one
    assert len(_mails(rt, drafted)) == 2


def test_no_code_for_the_drafter_or_a_stranger(rt, drafted):
    for who, why in ((DRAFTER, "four eyes"), ("stranger@example.org", "not on the managers roster")):
        with pytest.raises(ApprovalRefused, match=why):
            send_codes(rt, incident_id=drafted, only=who)
    assert _mails(rt, drafted) == []
