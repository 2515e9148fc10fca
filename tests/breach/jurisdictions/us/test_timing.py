"""Every deadline in the pack computes from its anchor: property tests over all deadlines and random instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breach.jurisdictions.us.business_days import add_business_days
from breach.jurisdictions.us.rules import Deadline, load_rules
from breach.jurisdictions.us.timing import Anchors, due

pytestmark = pytest.mark.unit

PACK = load_rules()


def _deadlines() -> list[tuple[str, str, Deadline]]:
    found: list[tuple[str, str, Deadline]] = []
    for entry in PACK.jurisdictions:
        found.append((entry.code, entry.timezone, entry.individual_notice.deadline))
        found += [(entry.code, entry.timezone, n.deadline) for n in entry.regulator_notices]
        found.append((entry.code, entry.timezone, entry.third_party_notice.deadline))
        if entry.cra_notice.deadline is not None:
            found.append((entry.code, entry.timezone, entry.cra_notice.deadline))
        if entry.risk_of_harm.regulator_notice_of_no_harm is not None:
            found.append((entry.code, entry.timezone, entry.risk_of_harm.regulator_notice_of_no_harm.deadline))
    found += [("US", "America/New_York", o.deadline) for o in PACK.federal.hipaa.obligations]
    return found


DEADLINES = _deadlines()
instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))


def test_the_pack_has_deadlines_of_every_shape() -> None:
    kinds = {d.kind for _, _, d in DEADLINES}
    units = {d.limit.unit for _, _, d in DEADLINES if d.limit}
    assert {"without_unreasonable_delay", "within", "relative_to_individual_notice", "immediately"} <= kinds
    assert units == {"calendar_days", "business_days", "hours"}


@settings(max_examples=300)
@given(
    st.sampled_from(DEADLINES), instants, st.integers(0, 90 * 24), st.integers(0, 90 * 24), st.integers(0, 200 * 24)
)
def test_every_deadline_computes_from_its_anchor(
    item: tuple[str, str, Deadline], discovered: datetime, to_determination: int, to_notice: int, to_hhs: int
) -> None:
    code, zone, deadline = item
    anchors = Anchors(
        discovery=discovered,
        determination=discovered + timedelta(hours=to_determination),
        individual_notice=discovered + timedelta(hours=to_notice),
        hhs_notice=discovered + timedelta(hours=to_hhs),
    )
    clock = due(deadline, anchors, zone=zone)
    limit = deadline.limit
    if limit is None:
        expected = anchors.individual_notice if deadline.kind == "relative_to_individual_notice" else None
        assert clock.at == expected, code
        return
    start = {"discovery": anchors.discovery, "determination": anchors.determination,
             "individual_notice": anchors.individual_notice, "hhs_notice": anchors.hhs_notice}.get(limit.anchor)
    assert clock.at is not None
    if limit.anchor == "end_of_calendar_year":
        local = clock.at.astimezone(ZoneInfo(zone))
        assert (local.date() - local.date().replace(month=1, day=1)).days == limit.amount
        assert local.year == discovered.astimezone(ZoneInfo(zone)).year + 1
        return
    assert start is not None
    if limit.unit == "calendar_days":
        own = start + timedelta(days=limit.amount)
    elif limit.unit == "hours":
        own = start + timedelta(hours=limit.amount)
    else:
        tz = ZoneInfo(zone)
        end_day = add_business_days(start.astimezone(tz).date(), limit.amount)
        own = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
    if deadline.kind == "relative_to_individual_notice" and deadline.relation != "after":
        assert anchors.individual_notice is not None
        assert clock.at == min(anchors.individual_notice, own), code  # whichever comes first
    else:
        assert clock.at == own, code
        assert clock.at > start


def test_an_unknown_anchor_leaves_the_limit_open() -> None:
    sec = PACK.federal.sec_8k_105.filing.deadline
    moment = datetime(2026, 1, 5, tzinfo=UTC)
    clock = due(sec, Anchors(discovery=moment, determination=moment), zone="America/New_York")
    assert clock.at is None  # no materiality determination yet: no filing clock
