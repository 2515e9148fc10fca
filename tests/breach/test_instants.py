from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from breach import instants

pytestmark = pytest.mark.unit


def test_deadline_is_72_elapsed_hours_across_dst_end():
    # Copenhagen leaves summer time on 2026-10-25 at 03:00 local: the wall clock gains an hour.
    aware = datetime(2026, 10, 23, 12, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    due = instants.authority_deadline(aware)
    assert due - aware.astimezone(UTC) == timedelta(hours=72)
    assert due.astimezone(ZoneInfo("Europe/Copenhagen")).hour == 11  # not 12: the wall clock moved


def test_deadline_across_dst_start():
    aware = datetime(2026, 3, 27, 12, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    due = instants.authority_deadline(aware)
    assert due.astimezone(ZoneInfo("Europe/Oslo")).hour == 13


def test_naive_datetime_refused():
    with pytest.raises(ValueError, match="naive"):
        instants.authority_deadline(datetime(2026, 1, 1, 12, 0))


def test_time_left_and_overdue():
    due = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    now = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert instants.time_left(due, now=now) == timedelta(hours=31)
    assert not instants.is_overdue(due, now=now)
    assert instants.is_overdue(due, now=due + timedelta(seconds=1))
    assert instants.relative_text(due, now=now, language="da") == "om 31 timer"
    assert instants.relative_text(due, now=due + timedelta(hours=2)) == "overdue by 2 hours"
    assert instants.relative_text(due, now=due + timedelta(hours=337), language="nb") == "fristen er overskredet med 337 timer"


def test_local_text_in_danish_and_norwegian():
    due = datetime(2026, 11, 24, 13, 5, tzinfo=UTC)
    assert instants.local_text(due, tz="Europe/Copenhagen", language="da") == "tirsdag d. 24. november 2026 kl. 14.05 (dansk tid)"
    assert instants.local_text(due, tz="Europe/Oslo", language="nb") == "tirsdag 24. november 2026 kl. 14.05 (norsk tid)"
    assert instants.local_text(due, tz="Europe/Copenhagen", language="en") == "Tuesday 24 November 2026, 14:05 (Danish time)"
    assert instants.local_text(due, tz="Asia/Tokyo", language="en").endswith("(UTC+09:00)")  # a zone without words: its offset


def test_unknown_timezone_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        instants.validate_timezone("Europe/Atlantis")


def test_deadline_text_in_three_languages():
    due = datetime(2026, 11, 24, 13, 5, tzinfo=UTC)
    now = due - timedelta(hours=31)
    da = instants.deadline_text(due, now=now, tz="Europe/Copenhagen", language="da")
    assert da == "tirsdag d. 24. november 2026 kl. 14.05 (dansk tid, om 31 timer)"
    nb = instants.deadline_text(due, now=now, tz="Europe/Oslo", language="nb")
    assert nb == "tirsdag 24. november 2026 kl. 14.05 (norsk tid, om 31 timer)"
    en = instants.deadline_text(due, now=now, tz="Europe/London", language="en")
    assert en == "Tuesday 24 November 2026, 13:05 (UK time, in 31 hours)"
    late = instants.deadline_text(due, now=due + timedelta(hours=3), tz="UTC", language="nb")
    assert late.endswith("(UTC, fristen er overskredet med 3 timer)")


@pytest.mark.parametrize("hours_left, colour", [(30, "green"), (24.01, "green"), (24, "yellow"), (7, "yellow"), (6, "red"),
                                                (1, "red"), (-2, "red")])
def test_urgency_colours(hours_left, colour):
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert instants.urgency(now + timedelta(hours=hours_left), now=now) == colour


@pytest.mark.parametrize("text, months, days, elapsed", [
    ("PT72H", 0, 0, timedelta(hours=72)), ("PT4H", 0, 0, timedelta(hours=4)), ("P1M", 1, 0, timedelta(0)),
    ("P1Y2M3DT4H5M6S", 14, 3, timedelta(hours=4, minutes=5, seconds=6)), ("PT1.5H", 0, 0, timedelta(minutes=90)),
    ("P2W", 0, 14, timedelta(0)),
])
def test_parse_duration(text, months, days, elapsed):
    d = instants.parse_duration(text)
    assert (d.months, d.days, d.elapsed) == (months, days, elapsed)


@pytest.mark.parametrize("text", ["72h", "P", "PT", "P1H", "", "PT-1H"])
def test_parse_duration_refuses_nonsense(text):
    with pytest.raises(ValueError, match="ISO 8601"):
        instants.parse_duration(text)


def test_month_is_calendar_month_in_the_controllers_zone():
    # 31 January 23:30 in Copenhagen is still January there, though 22:30 UTC; one month later: 28 February 23:30 local.
    anchor = datetime(2027, 1, 31, 22, 30, tzinfo=UTC)
    due = instants.add_duration(anchor, "P1M", tz="Europe/Copenhagen")
    assert due.astimezone(ZoneInfo("Europe/Copenhagen")) == datetime(2027, 2, 28, 23, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert instants.add_duration(anchor, "P1M", tz="UTC") == datetime(2027, 2, 28, 22, 30, tzinfo=UTC)
