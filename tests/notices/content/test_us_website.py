"""The website (substitute) notice: drafted for the states whose substitute-notice conditions are met (cost, count or
insufficient contact information), one page per letter group, with its statewide-media and e-mail parts as actions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from breach.clock.us import duties as us_clocks
from breach.incidents import service as incidents
from breach.keys.cipher import MultiKeyCipher
from breach.people import regions
from breach.people.store import import_people
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.content.public_notice import export_public_notices
from notices.params import NAME_TAG_TEXT
from tests.examples.golden import check, normalised
from tests.examples.test_us_example import ACTOR, MANAGER, PROFILE
from tests.factories import approve, set_roster

pytestmark = pytest.mark.integration
US = PROFILE.us
assert US is not None
NO_CONTACT = "TH-0090{n:02d},Jordan Example {n},,en-US,,,,,,,{state},US,\n"


def _open(session, now, tmp_path: Path, extra: list[str], profile=US) -> str:
    people = (EXAMPLES / "us" / "people.csv").read_text(encoding="utf-8") + "".join(extra)
    (tmp_path / "people.csv").write_text(people, encoding="utf-8")
    document = json.loads((EXAMPLES / "us" / "facts.json").read_text(encoding="utf-8"))
    document["reference"] = f"WEB-{tmp_path.name}"
    opened = incidents.open_incident(session=session, document=document, actor=ACTOR, timezone="America/Chicago", now=now)
    incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    import_people(session=session, incident_id=opened.incident_id, path=tmp_path / "people.csv",
                  cipher=MultiKeyCipher.from_master_keys([b"w" * 32]), batch_size=1000, actor=ACTOR, now=now, default_country="US")
    us_clocks.start_us_clocks(session=session, incident_id=opened.incident_id, profile=profile, actor=ACTOR, now=now)
    return opened.incident_id


def _web(rows):
    return {r.variant: r for r in rows if r.kind == "public_notice"}


def test_residents_without_contact_details_bring_a_website_notice_and_the_actions_for_their_state(session, now, tmp_path):
    incident_id = _open(session, now, tmp_path, [NO_CONTACT.format(n=n, state="CA") for n in (1, 2)])
    needs = regions.substitute_needs(session=session, incident_id=incident_id, profile=US, states=["CA", "MA", "NY", "TX"])
    assert [(n.jurisdiction, n.unreachable, n.decision.reasons) for n in needs] == [("CA", 2, ("insufficient contact information",))]
    actions = needs[0].actions(website_url=US.website_notice_url)
    assert any("post the website notice" in a and "https://tallyhook.example.com/security-notice" in a and "at least 30 days" in a
               for a in actions)
    assert any("notify major statewide media in California (not done by this engine)" in a for a in actions)
    by_email = regions.channel_counts_by_region(session=session, incident_id=incident_id)["CA"]["email"]
    assert any(f"e-mail the notice to the {by_email:,} California residents the people file reaches by e-mail" in a for a in actions)
    rows = draft_notices(session=session, incident_id=incident_id, controller=PROFILE, actor=ACTOR, now=now)
    page = _web(rows)[""]
    assert page.language == "en-US" and page.channel == "web" and set(_web(rows)) == {""}
    assert "Dear" not in page.text and NAME_TAG_TEXT not in page.text and NAME_TAG_TEXT not in (page.html or "")
    assert "We do not have enough contact information to reach every affected resident of California" in page.text
    assert "posted conspicuously on our website for at least 30 days as substitute notice under Cal. Civ. Code § 1798.82(j)(3)" in page.text
    assert '<html lang="en-US">' in (page.html or "") and "Important: Notice of Data Breach" in (page.html or "")
    check("us/website.general.txt", normalised(page.text, incident_id))
    set_roster(session=session, now=now, managers=[MANAGER])
    approve(session=session, incident_id=incident_id, now=now, actor=MANAGER)
    files = export_public_notices(session=session, incident_id=incident_id, out_dir=tmp_path / "out", actor=ACTOR,
                                  now=now)
    assert [f.path.name for f in files] == ["en-US.html"] and files[0].path.read_text(encoding="utf-8") == page.html


def test_massachusetts_gets_its_own_page_and_no_state_without_a_condition_gets_one(session, now, tmp_path):
    incident_id = _open(session, now, tmp_path, [NO_CONTACT.format(n=1, state="MA")])
    pages = _web(draft_notices(session=session, incident_id=incident_id, controller=PROFILE, actor=ACTOR, now=now))
    assert set(pages) == {"MA"}  # only the Massachusetts group has a state whose conditions are met
    assert "stolen employee password" not in pages["MA"].text  # ch. 93H, s. 3(b): no nature of the breach, to MA residents
    assert "Massachusetts" in pages["MA"].text


def test_no_website_notice_when_every_resident_can_be_written_to_at_a_bearable_cost(session, now, tmp_path):
    incident_id = _open(session, now, tmp_path, [])
    assert regions.substitute_needs(session=session, incident_id=incident_id, profile=US, states=["CA", "MA", "NY", "TX"]) == []
    assert _web(draft_notices(session=session, incident_id=incident_id, controller=PROFILE, actor=ACTOR, now=now)) == {}


def test_the_cost_of_letters_above_the_statutes_figure_allows_substitute_notice(session, now, tmp_path):
    dear = US.model_copy(update={"cost_per_letter_usd": 500.0})  # 517 Californians: $258,500 > $250,000 (1798.82(j)(3))
    incident_id = _open(session, now, tmp_path, [], profile=dear)
    needs = regions.substitute_needs(session=session, incident_id=incident_id, profile=dear, states=["CA", "TX"])
    assert [(n.jurisdiction, n.cost_usd, n.decision.reasons) for n in needs] == [("CA", 258500, ("cost $258,500 exceeds $250,000",))]
    controller = PROFILE.model_copy(update={"us": dear})
    page = _web(draft_notices(session=session, incident_id=incident_id, controller=controller, actor=ACTOR, now=now))[""]
    assert "Because of the number of people affected in California" in page.text
