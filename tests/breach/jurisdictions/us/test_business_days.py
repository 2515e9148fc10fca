"""Federal holidays (5 U.S.C. 6103) and business days, against the published OPM holiday lists for 2026 and 2027."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from breach.jurisdictions.us.business_days import (
    add_business_days,
    business_day_deadline,
    is_business_day,
    legal_holidays,
    observed_holidays,
)

pytestmark = pytest.mark.unit

# OPM's published lists (the dates federal employees have off), 2026 and 2027.
OPM_2026 = [
    date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25), date(2026, 6, 19), date(2026, 7, 3),
    date(2026, 9, 7), date(2026, 10, 12), date(2026, 11, 11), date(2026, 11, 26), date(2026, 12, 25),
]
OPM_2027 = [
    date(2027, 1, 1), date(2027, 1, 18), date(2027, 2, 15), date(2027, 5, 31), date(2027, 6, 18), date(2027, 7, 5),
    date(2027, 9, 6), date(2027, 10, 11), date(2027, 11, 11), date(2027, 11, 25), date(2027, 12, 24),
    date(2027, 12, 31),  # New Year's Day 2028 falls on a Saturday: observed Friday 31 December 2027
]


def test_2026_matches_opm() -> None:
    assert list(observed_holidays(2026)) == OPM_2026


def test_2027_matches_opm_including_new_year_2028_observed() -> None:
    assert list(observed_holidays(2027)) == OPM_2027
    assert observed_holidays(2027)[date(2027, 12, 31)] == "New Year's Day (observed)"
    assert date(2028, 1, 1) not in observed_holidays(2028)  # the Saturday itself is not moved into 2028


def test_juneteenth_only_from_2021() -> None:
    assert date(2020, 6, 19) not in legal_holidays(2020)
    assert observed_holidays(2021)[date(2021, 6, 18)] == "Juneteenth National Independence Day (observed)"


def test_years_before_the_modelled_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="1986"):
        observed_holidays(1985)


def test_holidays_and_weekends_are_not_business_days() -> None:
    assert not is_business_day(date(2026, 7, 3))  # Independence Day observed
    assert not is_business_day(date(2026, 7, 4))  # Saturday
    assert is_business_day(date(2026, 7, 6))
    assert not is_business_day(date(2026, 7, 6), extra_closures=[date(2026, 7, 6)])


def test_add_business_days_skips_weekends_and_holidays() -> None:
    # Thursday 24 December 2026 + 1 -> Christmas (Fri) and the weekend skipped -> Monday 28 December
    assert add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    # Wednesday 30 December 2026 + 4 -> 31 Dec (1), 1 Jan holiday, weekend, 4, 5, 6 Jan -> Wednesday 6 January 2027
    assert add_business_days(date(2026, 12, 30), 4) == date(2027, 1, 6)
    assert add_business_days(date(2027, 12, 29), 2) == date(2028, 1, 3)  # 30 Dec, then 31 Dec is a holiday
    assert add_business_days(date(2026, 5, 1), 0) == date(2026, 5, 1)


def test_sec_style_deadline_uses_new_york_cut_off_across_dst() -> None:
    # Determination Friday 6 March 2026 16:00 ET; DST starts Sunday 8 March; fourth business day Thursday 12 March.
    determined = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    due = business_day_deadline(determined, 4, zone="America/New_York", cutoff=time(17, 30))
    assert due.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None) == datetime(2026, 3, 12, 17, 30)
    assert due.astimezone(UTC) == datetime(2026, 3, 12, 21, 30, tzinfo=UTC)  # EDT is UTC-4


def test_business_day_deadline_without_cut_off_ends_at_local_midnight() -> None:
    due = business_day_deadline(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), 1, zone="America/Chicago")
    # Wednesday 25 Nov + 1: Thanksgiving skipped -> Friday 27 Nov, ending at midnight Chicago time
    assert due == datetime(2026, 11, 28, 0, 0, tzinfo=ZoneInfo("America/Chicago"))


def test_naive_anchor_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        business_day_deadline(datetime(2026, 1, 5, 9, 0), 1, zone="America/New_York")


@given(st.dates(min_value=date(1986, 1, 1), max_value=date(2099, 12, 1)), st.integers(min_value=0, max_value=30))
def test_counting_business_days_property(start: date, count: int) -> None:
    end = add_business_days(start, count)
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(is_business_day(d) for d in between) == count
    assert count == 0 or is_business_day(end)
    assert all(d.weekday() < 5 for d in between if is_business_day(d))


@given(st.integers(min_value=1986, max_value=2099))
def test_observed_holidays_fall_on_weekdays_of_their_year(year: int) -> None:
    observed = observed_holidays(year)
    assert all(day.weekday() < 5 and day.year == year for day in observed)
    expected = 11 if year >= 2021 else 10
    # a year may gain next year's New Year (31 Dec) or lose its own (observed on 31 Dec of the year before)
    assert expected - 1 <= len(observed) <= expected + 1
