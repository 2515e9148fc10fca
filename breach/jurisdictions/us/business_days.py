"""US federal holidays and business-day arithmetic (SEC Form 8-K, state 'business day' deadlines).

5 U.S.C. 6103(a) lists the legal public holidays: New Year's Day (1 January), Birthday of Martin Luther
King, Jr. (third Monday in January), Washington's Birthday (third Monday in February), Memorial Day (last
Monday in May), Juneteenth National Independence Day (19 June, added by Pub. L. 117-17 on 17 June 2021),
Independence Day (4 July), Labor Day (first Monday in September), Columbus Day (second Monday in October),
Veterans Day (11 November), Thanksgiving Day (fourth Thursday in November), Christmas Day (25 December).

Observed days: a holiday on a Saturday is observed on the preceding Friday (5 U.S.C. 6103(b)(1)); one on a
Sunday on the following Monday (Executive Order 11582, § 3(a)). So New Year's Day of year Y+1 falling on a
Saturday is observed on Friday 31 December of year Y (e.g. 31 December 2027).

A business day is any day other than a Saturday, a Sunday or a federal holiday (the SEC is open 'each day,
except Saturdays, Sundays, and Federal holidays', 17 CFR 240.0-2). One-off closures by executive order
(e.g. a national day of mourning) are not holidays under § 6103; pass them as ``extra_closures``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FIRST_SUPPORTED_YEAR = 1986  # the first year every § 6103(a) Monday holiday, MLK Day included, was observed
JUNETEENTH_FROM = 2021


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` (Monday=0) of the month; n=-1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def legal_holidays(year: int) -> dict[date, str]:
    """The legal public holidays of 5 U.S.C. 6103(a) for ``year``, on their legal (not observed) dates."""
    if year < FIRST_SUPPORTED_YEAR:
        raise ValueError(f"federal holiday rules are modelled from {FIRST_SUPPORTED_YEAR}; {year} is earlier")
    holidays = {
        date(year, 1, 1): "New Year's Day",
        _nth_weekday(year, 1, 0, 3): "Birthday of Martin Luther King, Jr.",
        _nth_weekday(year, 2, 0, 3): "Washington's Birthday",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        date(year, 7, 4): "Independence Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        _nth_weekday(year, 10, 0, 2): "Columbus Day",
        date(year, 11, 11): "Veterans Day",
        _nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
        date(year, 12, 25): "Christmas Day",
    }
    if year >= JUNETEENTH_FROM:
        holidays[date(year, 6, 19)] = "Juneteenth National Independence Day"
    return dict(sorted(holidays.items()))


def _observed(day: date) -> date:
    """5 U.S.C. 6103(b)(1): Saturday -> Friday before; E.O. 11582 § 3(a): Sunday -> Monday after."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def observed_holidays(year: int) -> dict[date, str]:
    """Federal holidays as observed on days falling in ``year`` (includes 31 December for next New Year's Day)."""
    if year < FIRST_SUPPORTED_YEAR:
        raise ValueError(f"federal holiday rules are modelled from {FIRST_SUPPORTED_YEAR}; {year} is earlier")
    observed: dict[date, str] = {}
    for candidate_year in (year, year + 1):
        for legal, name in legal_holidays(candidate_year).items():
            day = _observed(legal)
            if day.year == year:
                observed[day] = name if day == legal else f"{name} (observed)"
    return dict(sorted(observed.items()))


def is_business_day(day: date, *, extra_closures: Iterable[date] = ()) -> bool:
    """True unless ``day`` is a Saturday, a Sunday, an observed federal holiday or an extra closure."""
    if day.weekday() >= 5:
        return False
    return day not in observed_holidays(day.year) and day not in set(extra_closures)


def add_business_days(start: date, count: int, *, extra_closures: Iterable[date] = ()) -> date:
    """The ``count``-th business day after ``start`` (``start`` itself is never counted); count 0 returns ``start``."""
    if count < 0:
        raise ValueError("count must not be negative")
    closures = frozenset(extra_closures)
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, extra_closures=closures):
            remaining -= 1
    return day


def business_day_deadline(
    anchor_at: datetime, count: int, *, zone: str, cutoff: time | None = None, extra_closures: Iterable[date] = ()
) -> datetime:
    """The instant ending the ``count``-th business day after ``anchor_at``'s local date in ``zone``.

    With ``cutoff`` (e.g. 17:30 for EDGAR, 17 CFR 232.13(a)(2)) the deadline is that local time on the due
    day; without it, the end of the due day (midnight starting the next day). The result is aware, in UTC
    terms comparable to any other instant.
    """
    if anchor_at.tzinfo is None or anchor_at.tzinfo.utcoffset(anchor_at) is None:
        raise ValueError("a naive datetime has no instant; give it a time zone offset")
    tz = ZoneInfo(zone)
    due_day = add_business_days(anchor_at.astimezone(tz).date(), count, extra_closures=extra_closures)
    if cutoff is not None:
        return datetime.combine(due_day, cutoff, tzinfo=tz)
    return datetime.combine(due_day + timedelta(days=1), time(0, 0), tzinfo=tz)
