"""Where the people of an incident live, for the laws that go by residence: counts per US state or territory.

The people file's ``country`` and ``region`` columns are stored in plain (never contact details), so these are
counts over the people table; ``us_told_states`` says which states' residents US law says to tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach.facts import Facts
from breach.jurisdictions.us.content import UNCONDITIONAL, SubstituteNoticeDecision, substitute_notice
from breach.jurisdictions.us.obligations import us_obligations
from breach.jurisdictions.us.profile import UsProfile, api_inputs
from breach.jurisdictions.us.rules import load_rules
from breach.people.flags import US_TERRITORIES
from breach.people.importer import read_people
from breach.people.rows import PersonIn
from breach.store.tables import PersonRow

US_COUNTRIES = ("US", *sorted(US_TERRITORIES))
FEDERAL = "US"


def residents(*, session: Session, incident_id: str) -> tuple[dict[str, int], int]:
    """Affected people per US jurisdiction, and how many US people have no state in the people file."""
    stmt = (select(PersonRow.region, func.count()).where(PersonRow.incident_id == incident_id, PersonRow.country.in_(US_COUNTRIES))
            .group_by(PersonRow.region))
    counts: dict[str, int] = {}
    unknown = 0
    for region, n in session.execute(stmt):
        if region is None:
            unknown = int(n)
        else:
            counts[region] = int(n)
    return counts, unknown


def residents_in_file(path: Path, *, default_country: str) -> tuple[dict[str, int], int]:
    """Like ``residents`` but from a people file, for a dry run (nothing stored); rows with problems are not counted."""
    counts: dict[str, int] = {}
    unknown = 0
    for row in read_people(path, default_country=default_country):
        if isinstance(row, PersonIn) and row.country in US_COUNTRIES:
            if row.region is None:
                unknown += 1
            else:
                counts[row.region] = counts.get(row.region, 0) + 1
    return counts, unknown


def us_told_states(*, facts: Facts, profile: UsProfile, counts: dict[str, int]) -> tuple[list[str], bool]:
    """The jurisdictions whose law calls for notice to their residents, and whether a federal duty (HIPAA) tells everyone."""
    if not counts:
        return [], False
    breach, controller = api_inputs(facts, profile)
    found = us_obligations(breach, controller, counts)
    states = sorted({o.jurisdiction for o in found.obligations if o.kind == "individuals" and o.jurisdiction != FEDERAL})
    federal = any(o.kind == "individuals" and o.jurisdiction == FEDERAL for o in found.obligations)
    return states, federal


@dataclass(frozen=True)
class SubstituteNeed:
    """One state whose substitute-notice conditions are met: the statute's decision, with the counts it was made on."""

    jurisdiction: str
    name: str
    residents: int
    unreachable: int
    with_email: int
    cost_usd: int
    decision: SubstituteNoticeDecision

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods the statute lists (e-mail, website, statewide media, ...)."""
        return self.decision.methods

    def actions(self, *, website_url: str | None) -> list[str]:
        """What the controller does for this state's substitute notice, one line per statutory method (English)."""
        days = f" for at least {self.decision.website_days} days" if self.decision.website_days else ""
        where = f" at {website_url}" if website_url else " (set us.website_notice_url in the controller profile)"
        words = {
            "email": f"e-mail the notice to the {self.with_email:,} {self.name} residents the people file reaches by e-mail "
                     "(done by the send step)",
            "website": f"post the website notice (public/en-US.html of the export) conspicuously on the website{where}{days}",
            "statewide_media": f"notify major statewide media in {self.name} (not done by this engine)",
        }
        lines = [words.get(method, f"{method.replace('_', ' ')} (not done by this engine)") for method in self.methods]
        why = "; ".join(self.decision.reasons)
        flag = "" if self.decision.verified else " NOT VERIFIED"
        return [f"{self.jurisdiction}: substitute notice ({why}; {self.decision.citation}{flag}): {line}" for line in lines]


def channel_counts_by_region(*, session: Session, incident_id: str) -> dict[str | None, dict[str, int]]:
    """US people per jurisdiction and channel (email, letter, none)."""
    stmt = (select(PersonRow.region, PersonRow.channel, func.count())
            .where(PersonRow.incident_id == incident_id, PersonRow.country.in_(US_COUNTRIES)).group_by(PersonRow.region, PersonRow.channel))
    out: dict[str | None, dict[str, int]] = {}
    for region, channel, n in session.execute(stmt):
        out.setdefault(region, {})[channel] = int(n)
    return out


def substitute_needs(*, session: Session, incident_id: str, profile: UsProfile, states: list[str]) -> list[SubstituteNeed]:
    """The told states whose substitute-notice conditions are met: written notice would cost more than the statute's
    figure, or reach more people than its count, or the controller lacks contact details for some residents.

    Cost is the residents times the profile's ``cost_per_letter_usd``; a resident with no e-mail address and no
    complete postal address (channel ``none``) is one the controller lacks sufficient contact information for. A
    statute that lists substitute methods without any condition (Utah's newspaper notice) allows them but does
    not call for them, so it is not listed here.
    """
    pack = load_rules()
    counts = channel_counts_by_region(session=session, incident_id=incident_id)
    needs = []
    for code in sorted(states):
        by_channel = counts.get(code, {})
        residents = sum(by_channel.values())
        if not residents:
            continue
        unreachable = by_channel.get("none", 0)
        cost = round(residents * profile.cost_per_letter_usd)
        decision = substitute_notice(code, cost_usd=cost, persons=residents, sufficient_contact_info=unreachable == 0)
        if decision.allowed and any(reason != UNCONDITIONAL for reason in decision.reasons):
            name = pack.jurisdiction(code).name
            needs.append(SubstituteNeed(code, name, residents, unreachable, by_channel.get("email", 0), cost, decision))
    return needs
