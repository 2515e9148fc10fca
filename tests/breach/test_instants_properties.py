"""Daylight-saving properties of the clock, against an independent computation on POSIX timestamps.

72 hours are 72 elapsed hours (Art. 33(1)); the wall clock may show 71 or 73 when a change to or
from summer time lies in between, and only then. Calendar months land on the same local day.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breach import instants

pytestmark = pytest.mark.unit

ZONES = ["Europe/Copenhagen", "Europe/Oslo", "Europe/Amsterdam", "UTC"]
START = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
END = int(datetime(2035, 12, 31, tzinfo=UTC).timestamp())


def _last_sunday(year: int, month: int) -> int:
    """Day of month of the last Sunday (EU summer time changes at 01:00 UTC on it)."""
    last = calendar.monthrange(year, month)[1]
    return last - (calendar.weekday(year, month, last) - calendar.SUNDAY) % 7


@st.composite
def near_dst_change(draw: st.DrawFn) -> int:
    """A POSIX second within four days either side of a last Sunday of March or October, 2020-2035."""
    year = draw(st.integers(2020, 2035))
    month = draw(st.sampled_from([3, 10]))
    change = datetime(year, month, _last_sunday(year, month), 1, 0, tzinfo=UTC).timestamp()
    return int(change) + draw(st.integers(-4 * 86400, 4 * 86400))


epoch_seconds = st.one_of(st.integers(START, END), near_dst_change())


def _wall(moment: datetime, zone: str) -> datetime:
    """The naive wall-clock reading in ``zone`` (zoneinfo, not pendulum: an independent path)."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


@settings(max_examples=400, deadline=None)
@given(seconds=epoch_seconds, zone=st.sampled_from(ZONES), micro=st.integers(0, 999_999))
def test_authority_deadline_is_72_elapsed_hours(seconds: int, zone: str, micro: int) -> None:
    aware = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micro).astimezone(ZoneInfo(zone))
    due = instants.authority_deadline(aware)
    expected = datetime.fromtimestamp(seconds + 72 * 3600, tz=UTC).replace(microsecond=micro)
    assert due == expected and due.utcoffset() == timedelta(0)
    assert instants.add_duration(aware, "PT72H", tz=zone) == expected


@settings(max_examples=400, deadline=None)
@given(seconds=epoch_seconds, zone=st.sampled_from(ZONES))
def test_wall_clock_shows_71_or_73_hours_exactly_when_the_offset_changed(seconds: int, zone: str) -> None:
    aware = datetime.fromtimestamp(seconds, tz=UTC)
    due = instants.authority_deadline(aware.astimezone(ZoneInfo(zone)))
    wall_hours = (_wall(due, zone) - _wall(aware, zone)) / timedelta(hours=1)
    shift = (due.astimezone(ZoneInfo(zone)).utcoffset() - aware.astimezone(ZoneInfo(zone)).utcoffset()) / timedelta(hours=1)
    assert wall_hours in (71, 72, 73)
    assert wall_hours == 72 + shift
    assert (wall_hours != 72) == (shift != 0)


@settings(max_examples=400, deadline=None)
@given(seconds=epoch_seconds, zone=st.sampled_from(ZONES))
def test_one_month_lands_on_the_same_local_day_or_the_months_last_day(seconds: int, zone: str) -> None:
    anchor = datetime.fromtimestamp(seconds, tz=UTC)
    due = instants.add_duration(anchor, "P1M", tz=zone)
    start, end = _wall(anchor, zone), _wall(due, zone)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    assert (end.year, end.month) == (year, month)
    assert end.day == min(start.day, calendar.monthrange(year, month)[1])
    target = start.replace(year=year, month=month, day=end.day)
    exists = _wall(target.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC), zone) == target
    if exists:  # a wall time inside a spring-forward gap does not exist and moves on
        assert end.time() == start.time()
    assert due > anchor and due.utcoffset() == timedelta(0)


@pytest.mark.parametrize("zone, aware_local, wall_hours", [
    ("Europe/Copenhagen", datetime(2026, 3, 27, 12, 0), 73),   # spring forward in between: the wall clock jumps an hour
    ("Europe/Oslo", datetime(2026, 10, 23, 12, 0), 71),        # fall back in between
    ("Europe/Amsterdam", datetime(2026, 10, 25, 2, 30), 72),   # the ambiguous hour itself; no change after it
    ("UTC", datetime(2026, 3, 27, 12, 0), 72),
])
def test_known_dst_examples(zone: str, aware_local: datetime, wall_hours: int) -> None:
    aware = aware_local.replace(tzinfo=ZoneInfo(zone), fold=1)
    due = instants.authority_deadline(aware)
    assert (_wall(due, zone) - aware_local) == timedelta(hours=wall_hours)
