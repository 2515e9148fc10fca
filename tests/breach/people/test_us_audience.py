"""Outside the GDPR (Art. 3) US law decides who is told: the residents of the states whose statute calls for notice;
and the people file's countries enter the Art. 3 verdict (a new assessment when they bring people in the EEA)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from breach.incidents import service as incidents
from breach.keys.cipher import MultiKeyCipher
from breach.people.audience import audience, condition, sql_condition
from breach.people.store import import_people
from breach.store.tables import PersonRow
from flows.runtime import EXAMPLES
from tests.examples.test_us_example import ACTOR, PROFILE, open_us_example
from tests.factories import write_people_csv

pytestmark = pytest.mark.integration
CIPHER = MultiKeyCipher.from_master_keys([b"a" * 32])
US_HEADER = ["name", "language", "email", "address_line1", "postal_code", "city", "region", "country"]


def _count(session, incident_id: str, rule: dict) -> tuple[int, int]:
    orm = session.query(PersonRow).filter(PersonRow.incident_id == incident_id, condition(rule)).count()
    raw = session.execute(text(f"SELECT COUNT(*) FROM people p WHERE p.incident_id = :i AND {sql_condition(rule, alias='p')}"),
                          {"i": incident_id}).scalar_one()
    return orm, int(raw)


def _open(session, now, tmp_path, rows: list[list[str]], **facts_changes) -> str:
    document = json.loads((EXAMPLES / "us" / "facts.json").read_text(encoding="utf-8"))
    document.update(facts_changes, reference=f"AUD-{tmp_path.name}")
    opened = incidents.open_incident(session=session, document=document, actor=ACTOR, timezone="America/Chicago", now=now)
    incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    import_people(session=session, incident_id=opened.incident_id, path=write_people_csv(tmp_path / "people.csv", rows, US_HEADER),
                  cipher=CIPHER, batch_size=100, actor=ACTOR, now=now, default_country="US")
    return opened.incident_id


def test_outside_the_gdpr_the_us_residents_of_states_with_a_duty_are_told(session, now, tmp_path):
    incident_id = open_us_example(session, now, tmp_path)
    result = incidents.latest_assessment(session=session, incident_id=incident_id).result
    assert result["gdpr_applies"] is False
    told = audience(session=session, incident_id=incident_id, result=result, us=PROFILE.us)
    assert told.who == "us" and told.rule == {"us_states": ["CA", "MA", "NY", "TX"], "unknown_state": True}
    assert (told.told, told.not_told) == (1120, 0)  # 1,113 in the four states and 7 US people with no state
    assert _count(session, incident_id, told.rule) == (1120, 1120)


def test_residents_of_a_state_whose_statute_does_not_reach_the_breach_are_not_told(session, now, tmp_path):
    rows = [["Casey Fielding", "en-US", "casey@example.com", "1 Oak Avenue", "90001", "Fresno", "CA", "US"],
            ["Jordan Marsh", "en-US", "jordan@example.org", "2 Elm Court", "30301", "Atlanta", "GA", "US"],
            ["Robin Okafor", "en", "robin@example.com", "3 High Street", "AB1 2CD", "Leeds", "", "CA"]]
    incident_id = _open(session, now, tmp_path, rows)
    result = incidents.latest_assessment(session=session, incident_id=incident_id).result
    assert result["gdpr_applies"] is False  # people in the US and Canada only
    told = audience(session=session, incident_id=incident_id, result=result, us=PROFILE.us)
    assert told.rule == {"us_states": ["CA"], "unknown_state": True}  # Georgia's statute covers only information brokers
    assert (told.told, told.not_told) == (1, 2) and "no US state or federal rule" in (told.not_told_why or "")
    assert _count(session, incident_id, told.rule) == (1, 1)
    as_vendor = PROFILE.us.model_copy(update={"role": "processor"})  # a vendor tells the data owner, not the people
    assert audience(session=session, incident_id=incident_id, result=result, us=as_vendor).who == "nobody"
    without = audience(session=session, incident_id=incident_id, result=result, us=None)
    assert without.who == "nobody" and "`us` block" in without.why


def test_a_people_file_with_people_in_the_eea_brings_the_gdpr_back(session, now, tmp_path):
    rows = [["Casey Fielding", "en-US", "casey@example.com", "1 Oak Avenue", "90001", "Fresno", "CA", "US"],
            ["Ingrid Berg", "nb", "ingrid@example.org", "Storgata 1", "0155", "Oslo", "", "NO"]]
    document = json.loads((EXAMPLES / "us" / "facts.json").read_text(encoding="utf-8"))
    document["reference"] = f"AUD-EEA-{tmp_path.name}"
    opened = incidents.open_incident(session=session, document=document, actor=ACTOR, timezone="America/Chicago", now=now)
    first = incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    assert first.result["gdpr_applies"] is False and first.version == 1
    import_people(session=session, incident_id=opened.incident_id, path=write_people_csv(tmp_path / "p.csv", rows, US_HEADER),
                  cipher=CIPHER, batch_size=100, actor=ACTOR, now=now, default_country="US")
    second = incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    assert second.version == 2 and second.facts_version == first.facts_version
    assert second.result["gdpr_applies"] is True and second.result["territorial_scope"]["basis"] == "art3_2_assumed"
    assert second.result["territorial_scope"]["countries"] == ["NO", "US"]
    assert [a["code"] for a in second.result["authorities"]] == ["NO"] and second.notify_authority
    again = incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    assert again.version == 2  # nothing new: no new version
