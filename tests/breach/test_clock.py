from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from breach import clock

pytestmark = pytest.mark.unit


def test_deadline_is_72_elapsed_hours_across_dst_end():
    # Copenhagen leaves summer time on 2026-10-25 at 03:00 local: the wall clock gains an hour.
    aware = datetime(2026, 10, 23, 12, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    due = clock.authority_deadline(aware)
    assert due - aware.astimezone(timezone.utc) == timedelta(hours=72)
    assert due.astimezone(ZoneInfo("Europe/Copenhagen")).hour == 11  # not 12: the wall clock moved


def test_deadline_across_dst_start():
    aware = datetime(2026, 3, 27, 12, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    due = clock.authority_deadline(aware)
    assert due.astimezone(ZoneInfo("Europe/Oslo")).hour == 13


def test_naive_datetime_refused():
    with pytest.raises(ValueError, match="naive"):
        clock.authority_deadline(datetime(2026, 1, 1, 12, 0))


def test_time_left_and_overdue():
    due = datetime(2026, 11, 24, 8, 30, tzinfo=timezone.utc)
    now = datetime(2026, 11, 23, 1, 30, tzinfo=timezone.utc)
    assert clock.time_left(due, now=now) == timedelta(hours=31)
    assert not clock.is_overdue(due, now=now)
    assert clock.is_overdue(due, now=due + timedelta(seconds=1))
    assert clock.relative_text(due, now=now, language="da") == "om 31 timer"
    assert clock.relative_text(due, now=due + timedelta(hours=2)) == "2 hours overdue"


def test_local_text_in_danish_and_norwegian():
    due = datetime(2026, 11, 24, 13, 5, tzinfo=timezone.utc)
    assert clock.local_text(due, tz="Europe/Copenhagen", language="da").startswith("tirsdag d. 24. november 2026 kl. 14:05")
    assert clock.local_text(due, tz="Europe/Oslo", language="nb").startswith("tirsdag 24. november 2026 kl. 14:05")
    assert "Tuesday 24 November 2026, 14:05" in clock.local_text(due, tz="Europe/Copenhagen", language="en")


def test_reminders_are_absolute_instants_before_the_deadline():
    due = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
    instants = clock.reminder_instants(due)
    assert instants == sorted(instants)
    assert [due - i for i in instants] == [timedelta(hours=h) for h in (48, 24, 6, 1)]


def test_unknown_timezone_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        clock.validate_timezone("Europe/Atlantis")
