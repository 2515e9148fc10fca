"""Where the people of an incident live, for the laws that go by residence: counts per US state or territory.

The people file's ``country`` and ``region`` columns are stored in plain (never contact details), so these are
counts over the people table; ``us_told_states`` says which states' residents US law says to tell.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach.facts import Facts
from breach.jurisdictions.us.obligations import us_obligations
from breach.jurisdictions.us.profile import UsProfile, api_inputs
from breach.people.flags import US_TERRITORIES
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


def us_told_states(*, facts: Facts, profile: UsProfile, counts: dict[str, int]) -> tuple[list[str], bool]:
    """The jurisdictions whose law calls for notice to their residents, and whether a federal duty (HIPAA) tells everyone."""
    if not counts:
        return [], False
    breach, controller = api_inputs(facts, profile)
    found = us_obligations(breach, controller, counts)
    states = sorted({o.jurisdiction for o in found.obligations if o.kind == "individuals" and o.jurisdiction != FEDERAL})
    federal = any(o.kind == "individuals" and o.jurisdiction == FEDERAL for o in found.obligations)
    return states, federal
