"""`breach status` and the register say what is true: notified only after a filing, no 'missed' while ahead,
no 'nothing sent' when deliveries were accepted, in English, Danish and Norwegian."""

from __future__ import annotations

from datetime import timedelta

import pytest

from breach.incidents import service as incidents
from flows.cli.status import approval_text, deliveries_text, status_word
from flows.cli.words import WORDS
from notices.register.entries import authority_deadline_met
from notices.register.export import register_status
from tests.factories import approve, make_drafts, make_incident, set_roster

pytestmark = pytest.mark.integration
MANAGER = "manager@example.com"


def test_an_approval_is_shown_as_recorded_whatever_the_stored_roster_says(session, now) -> None:
    incident_id = make_incident(session=session, now=now, reference="WORDS-1")
    make_drafts(session=session, incident_id=incident_id, now=now)
    set_roster(session=session, now=now, managers=[MANAGER])
    approve(session=session, incident_id=incident_id, now=now, comment="")
    for language in ("en", "da", "nb"):
        assert approval_text(session=session, incident_id=incident_id, language=language).startswith(
            WORDS[language]["approved"].split("{")[0])
    set_roster(session=session, now=now, managers=["someone.else@example.com"])
    for language in ("en", "da", "nb"):
        gone = approval_text(session=session, incident_id=incident_id, language=language)
        assert MANAGER in gone and gone.endswith(WORDS[language]["off_roster"].split("{at}")[1])
    set_roster(session=session, now=now, managers=[])
    for language in ("en", "da", "nb"):
        unset = approval_text(session=session, incident_id=incident_id, language=language)
        assert MANAGER in unset and "breach roster set" in unset and "nothing sent" not in unset
    assert "nothing sent" not in deliveries_text({"email": {"accepted": 880}, "letter": {"accepted": 112}}, "en")
    assert deliveries_text({"email": {"accepted": 880}}, "da") == "e-mail: accepteret 880"
    assert deliveries_text({}, "nb") == "ingen ennå"


def test_notified_only_once_a_filing_is_recorded(session, now) -> None:
    incident_id = make_incident(session=session, now=now, reference="WORDS-2")
    incident = incidents.get(session=session, incident_id=incident_id)
    incident.status = "notified"  # every notice to people went out
    told = status_word(incident, filed=False, authority_owed=True, language="en")
    assert told == "people told; no filing with the authority recorded yet"
    assert "notified" not in status_word(incident, filed=False, authority_owed=True, language="en")
    assert status_word(incident, filed=True, authority_owed=True, language="da") == "anmeldt til myndigheden, og de berørte er underrettet"
    assert register_status("notified", authority_owed=True, filed=False) == "people_told_authority_not_filed"
    assert register_status("notified", authority_owed=True, filed=True) == "notified"


def test_the_register_never_says_missed_while_the_deadline_is_ahead(now) -> None:
    ahead, behind = now + timedelta(hours=30), now - timedelta(hours=1)
    assert authority_deadline_met(["running"], due=[ahead], now=now) is None
    assert authority_deadline_met(["running"], due=[behind], now=now) is False
    assert authority_deadline_met(["met"], due=[behind], now=now) is True
    assert authority_deadline_met(["stopped_late"], due=[behind], now=now) is False
    assert authority_deadline_met([], due=[], now=now) is None


def test_every_status_word_exists_in_every_language() -> None:
    assert WORDS["en"].keys() == WORDS["da"].keys() == WORDS["nb"].keys()
