import pytest

from breach.enums import IncidentStatus
from breach.exceptions import InvalidTransition
from breach.incidents.transitions import ALLOWED_TRANSITIONS, transition
from tests.conftest import NOW

pytestmark = pytest.mark.unit


def test_every_status_has_a_row():
    assert set(ALLOWED_TRANSITIONS) == set(IncidentStatus)


def test_allowed_transition_returns_change():
    change = transition(incident_id="BR-2026-0001", current="drafted", to=IncidentStatus.APPROVED, actor="m@example.com", now=NOW)
    assert (change.old, change.new) == (IncidentStatus.DRAFTED, IncidentStatus.APPROVED)


def test_sending_before_approval_is_refused():
    with pytest.raises(InvalidTransition) as info:
        transition(incident_id="BR-2026-0001", current="drafted", to=IncidentStatus.SENDING, actor="x", now=NOW)
    assert info.value.current == "drafted" and info.value.requested == "sending"


def test_closed_is_final():
    for status in IncidentStatus:
        with pytest.raises(InvalidTransition):
            transition(incident_id="BR-2026-0001", current="closed", to=status, actor="x", now=NOW)
