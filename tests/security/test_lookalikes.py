"""Approval look-alikes (issue #19): an address that only looks like a manager's, or like the drafter's, approves nothing."""

from __future__ import annotations

import pytest

from breach import instants
from breach.approval.roster import RosterEntry
from flows.runtime import identity
from tests.factories import set_roster
from tests.security.conftest import MANAGER, RESPONDER, refused_cleanly
from tests.security.helpers import drafted, sql

pytestmark = [pytest.mark.security, pytest.mark.usefixtures("prefect_harness")]
GROUP = "approval look-alikes"
LOOKALIKES = {
    "cyrillic-a": "m\u0430nager@example.com",
    "fullwidth-m": "\uff4danager@example.com",
    "zero-width-space": "man\u200bager@example.com",
    "zero-width-joiner": "manager\u200d@example.com",
    "bidi-override": "\u202emoc.elpmaxe@reganam",
    "dotless-i-domain": "manager@examp\u0131e.com",
    "no-break-space-inside": "manager\u00a0@example.com",
}


@pytest.mark.attack(finding="look-alikes", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("label", sorted(LOOKALIKES))
def test_a_look_alike_of_a_manager_approves_nothing(home, rt, tmp_path, breach, label):
    incident_id = drafted(rt, tmp_path)
    line = refused_cleanly(breach("approve", incident_id, "--as", LOOKALIKES[label]), "not on the managers roster")
    assert "\\u" in line or "\\xa0" in line  # shown by its code points, never as the address it mimics
    assert sql(home, "SELECT count(*) FROM approvals") == [(0,)]
    refused_cleanly(breach("send", incident_id), "not been approved")


@pytest.mark.attack(finding="look-alikes", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("spelling", ["RESPONDER@EXAMPLE.COM", "  responder@example.com  ", "Responder@Example.com"])
def test_the_drafter_in_another_spelling_is_still_the_drafter(home, rt, tmp_path, breach, spelling):
    # the responder who drafts (this process's login) is on the roster too: the roster entry names that login
    with rt.sessions.begin() as session:
        set_roster(session=session, now=instants.utcnow(),
                   managers=[RosterEntry(email=MANAGER), RosterEntry(email=RESPONDER, logins=[identity()])])
    incident_id = drafted(rt, tmp_path)
    refused_cleanly(breach("approve", incident_id, "--as", spelling), "four eyes")
    assert sql(home, "SELECT count(*) FROM approvals") == [(0,)]


@pytest.mark.attack(finding="look-alikes", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("spelling", ["MANAGER@EXAMPLE.COM", " manager@example.com\t"])
def test_a_manager_in_another_case_or_with_spaces_is_that_manager_and_recorded_as_such(home, rt, tmp_path, breach, spelling):
    incident_id = drafted(rt, tmp_path)
    assert breach("approve", incident_id, "--as", spelling).code == 0
    assert sql(home, "SELECT actor FROM approvals") == [(MANAGER,)]
    assert sql(home, "SELECT actor FROM audit_events WHERE action = 'notices.approved'") == [(MANAGER,)]
