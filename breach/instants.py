"""Deadlines under Art. 33/34, as absolute UTC instants; wall-clock rendering only at the edges.

This is the only module that imports pendulum. Arithmetic is done in UTC with plain
``timedelta``: 72 hours are 72 elapsed hours, whatever a daylight-saving change does to the
wall clock in the controller's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pendulum

AUTHORITY_WINDOW = timedelta(hours=72)

_FORMATS = {
    "da": "dddd [d.] D. MMMM YYYY [kl.] HH.mm",
    "nb": "dddd D. MMMM YYYY [kl.] HH.mm",
    "en": "dddd D MMMM YYYY, HH:mm",
    "nl": "dddd D MMMM YYYY [om] HH.mm [uur]",
    "en-US": "dddd, MMMM D, YYYY, h:mm A",
}
# pendulum locales for the languages above (English for any other).
_LOCALES = {"da": "da", "nb": "nb", "nl": "nl", "en-US": "en"}
# One way to write a time per language (pendulum tokens): Danish and Norwegian "kl. 07.00" (Retskrivningsordbogen;
# Språkrådet: punktum som skilletegn i tidsuttrykk), Dutch "07.00 uur", English "07:00", American "7:00 AM".
TIME_FORMATS = {"da": "[kl.] HH.mm", "nb": "[kl.] HH.mm", "en": "HH:mm", "nl": "HH.mm [uur]", "en-US": "h:mm A"}
# The controller's zone in words, e.g. "dansk tid" rather than "CET"; other zones show their UTC offset.
_ZONE_WORDS: dict[str, dict[str, str]] = {
    "Europe/Copenhagen": {"da": "dansk tid", "nb": "dansk tid", "en": "Danish time", "nl": "Deense tijd"},
    "Europe/Oslo": {"da": "norsk tid", "nb": "norsk tid", "en": "Norwegian time", "nl": "Noorse tijd"},
    "Europe/Stockholm": {"da": "svensk tid", "nb": "svensk tid", "en": "Swedish time", "nl": "Zweedse tijd"},
    "Europe/London": {"da": "britisk tid", "nb": "britisk tid", "en": "UK time", "nl": "Britse tijd"},
    "Europe/Amsterdam": {"da": "hollandsk tid", "nb": "nederlandsk tid", "en": "Dutch time", "nl": "Nederlandse tijd"},
    "America/New_York": {"en-US": "Eastern Time", "en": "US Eastern Time"},
    "America/Chicago": {"en-US": "Central Time", "en": "US Central Time"},
    "America/Denver": {"en-US": "Mountain Time", "en": "US Mountain Time"},
    "America/Los_Angeles": {"en-US": "Pacific Time", "en": "US Pacific Time"},
    "UTC": {"da": "UTC", "nb": "UTC", "en": "UTC", "nl": "UTC", "en-US": "UTC"},
}


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime; a naive datetime is refused."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError("a naive datetime has no instant; give it a time zone offset")
    return moment.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def authority_deadline(aware_at: datetime) -> datetime:
    """Art. 33(1): without undue delay and, where feasible, not later than 72 hours after becoming aware."""
    return as_utc(aware_at) + AUTHORITY_WINDOW


def time_left(deadline: datetime, *, now: datetime) -> timedelta:
    """Elapsed time from ``now`` until ``deadline`` (negative when overdue)."""
    return as_utc(deadline) - as_utc(now)


def is_overdue(deadline: datetime, *, now: datetime) -> bool:
    """True once ``now`` is past ``deadline``."""
    return time_left(deadline, now=now) < timedelta(0)


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration split into calendar parts (years, months, days) and elapsed time."""

    text: str
    months: int = 0
    days: int = 0
    elapsed: timedelta = timedelta(0)


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration such as PT72H, PT4H, P1M or P1DT12H; refuses an empty one (``P``, ``PT``)."""
    match = _DURATION.match(text or "")
    if match is None or text in ("P", "") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    years, months, weeks, days, hours, minutes, seconds = match.groups()
    elapsed = timedelta(hours=float(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0))
    return Duration(text, months=12 * int(years or 0) + int(months or 0), days=7 * int(weeks or 0) + int(days or 0), elapsed=elapsed)


def add_duration(anchor: datetime, duration: Duration | str, *, tz: str) -> datetime:
    """``anchor`` plus ``duration``, as a UTC instant.

    Hours, minutes and seconds are elapsed time (PT72H is 72 real hours across a daylight-saving
    change). Years, months and days are calendar units on the wall clock of ``tz``: one month
    after 31 January is the last day of February at the same local time (pendulum clamps).
    """
    d = parse_duration(duration) if isinstance(duration, str) else duration
    moment = as_utc(anchor)
    if d.months or d.days:
        local = pendulum.instance(moment).in_timezone(tz).add(months=d.months, days=d.days).in_timezone("UTC")
        moment = datetime(local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond, tzinfo=UTC)
    return moment + d.elapsed


def urgency(deadline: datetime, *, now: datetime) -> str:
    """'green' with more than 24 hours left, 'yellow' with more than 6, else 'red' (also when overdue)."""
    left = time_left(deadline, now=now)
    return "green" if left > timedelta(hours=24) else "yellow" if left > timedelta(hours=6) else "red"


def zone_words(moment: datetime, *, tz: str, language: str) -> str:
    """The zone of ``tz`` in words for ``language`` ('dansk tid', 'Danish time'), else its offset ('UTC+01:00')."""
    words = _ZONE_WORDS.get(tz, {}).get(language)
    if words:
        return words
    offset = pendulum.instance(as_utc(moment)).in_timezone(tz).format("Z")
    return "UTC" if offset in ("+00:00", "-00:00") else f"UTC{offset}"


def clock_time(moment: datetime, *, tz: str, language: str) -> str:
    """A wall-clock time in the language's one format: 'kl. 07.00' (da, nb), '07.00 uur' (nl), '07:00' (en)."""
    local = pendulum.instance(as_utc(moment)).in_timezone(tz)
    return local.format(TIME_FORMATS.get(language, TIME_FORMATS["en"]), locale="en")


def local_text(moment: datetime, *, tz: str, language: str = "en") -> str:
    """Render an instant in a time zone and language, e.g. 'tirsdag d. 24. november 2026 kl. 14.05 (dansk tid)'."""
    language = language if language in _FORMATS else "en"
    local = pendulum.instance(as_utc(moment)).in_timezone(tz)
    return f"{local.format(_FORMATS[language], locale=_LOCALES.get(language, 'en'))} ({zone_words(moment, tz=tz, language=language)})"


_RELATIVE = {
    "en": ("in {n} {hours}", "overdue by {n} {hours}", ("hour", "hours")),
    "da": ("om {n} {hours}", "fristen er overskredet med {n} {hours}", ("time", "timer")),
    "nb": ("om {n} {hours}", "fristen er overskredet med {n} {hours}", ("time", "timer")),
    "nl": ("over {n} {hours}", "de termijn is met {n} {hours} overschreden", ("uur", "uur")),
}


def relative_text(deadline: datetime, *, now: datetime, language: str = "en") -> str:
    """Time left in whole hours, e.g. 'in 31 hours', 'om 31 timer', 'fristen er overskredet med 337 timer'."""
    left = time_left(deadline, now=now)
    ahead, behind, (one, many) = _RELATIVE.get(language, _RELATIVE["en"])
    hours = int(abs(left.total_seconds()) // 3600)
    return (ahead if left >= timedelta(0) else behind).format(n=hours, hours=one if hours == 1 else many)


def deadline_text(due: datetime, *, now: datetime, tz: str, language: str = "en") -> str:
    """A deadline on the local wall clock with the time left, e.g. 'tirsdag d. 24. november 2026 kl. 14.05 (dansk tid, om 31 timer)'."""
    language = language if language in _FORMATS else "en"
    local = pendulum.instance(as_utc(due)).in_timezone(tz)
    text = local.format(_FORMATS[language], locale=_LOCALES.get(language, "en"))
    zone = zone_words(due, tz=tz, language=language)
    return f"{text} ({zone}, {relative_text(due, now=now, language=language.split('-')[0])})"


def local_date(moment: datetime, *, tz: str) -> date:
    """The calendar date on the wall clock of ``tz`` (a letter written just after midnight in Copenhagen is dated that day)."""
    local = pendulum.instance(as_utc(moment)).in_timezone(tz)
    return date(local.year, local.month, local.day)


def local_iso(moment: datetime, *, tz: str) -> str:
    """ISO 8601 on the wall clock of ``tz`` with its offset, e.g. '2026-11-24T09:30:00+01:00'."""
    local = pendulum.instance(as_utc(moment)).in_timezone(tz)
    return local.isoformat()


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant with an offset into an aware UTC datetime; ValueError saying what is expected."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        return as_utc(parsed)
    except (ValueError, OverflowError) as exc:
        raise ValueError("not an ISO 8601 instant with a time-zone offset, e.g. 2026-11-23T15:00:00+01:00") from exc


def validate_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA time zone, else raise ValueError."""
    try:
        pendulum.timezone(name)
    except Exception as exc:  # pendulum raises its own InvalidTimezone
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name
