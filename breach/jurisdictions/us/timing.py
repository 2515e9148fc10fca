"""Due instants for rule-pack deadlines: the anchor instant plus the statute's period, in UTC.

Calendar days and hours are elapsed time from the anchor instant (30 days after discovery at 14:00 is 14:00
thirty days later), as the project's clock does for the 72 hours of GDPR Art. 33. Business days are counted
on the US federal calendar (``business_days``) in the jurisdiction's time zone and end at local midnight, or
at a cut-off such as EDGAR's 17:30 New York time. A deadline 'relative to the individual notice' takes the
planned or actual notice instant when known, otherwise the outer limit of the individual deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from breach.jurisdictions.us.business_days import business_day_deadline
from breach.jurisdictions.us.rules import Deadline, Limit

_RELATION_WORDS = {
    "before": "before the notice to individuals",
    "no_later_than": "no later than the notice to individuals",
    "concurrently": "at the same time as the notice to individuals",
    "after": "after the notice to individuals",
}


@dataclass(frozen=True)
class Anchors:
    """The instants a deadline can count from; ``None`` where not (yet) known."""

    discovery: datetime
    determination: datetime
    individual_notice: datetime | None = None
    hhs_notice: datetime | None = None
    materiality_determination: datetime | None = None


@dataclass(frozen=True)
class Due:
    """When an obligation falls due: an outer limit (``at``, UTC) where the law gives one, and its character."""

    at: datetime | None
    without_unreasonable_delay: bool
    immediately: bool
    relation: str | None
    text: str


def utc(moment: datetime) -> datetime:
    """``moment`` as aware UTC; a naive datetime is refused."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError("a naive datetime has no instant; give it a time zone offset")
    return moment.astimezone(UTC)


def limit_instant(limit: Limit, anchors: Anchors, *, zone: str, cutoff: time | None = None) -> datetime | None:
    """Anchor + period for one limit, or ``None`` when its anchor instant is unknown."""
    if limit.anchor == "end_of_calendar_year":
        tz = ZoneInfo(zone)
        first_day = date(anchors.discovery.astimezone(tz).year + 1, 1, 1)
        return utc(datetime.combine(first_day + timedelta(days=limit.amount), time(0, 0), tzinfo=tz))
    start = {
        "discovery": anchors.discovery,
        "determination": anchors.determination,
        "individual_notice": anchors.individual_notice,
        "hhs_notice": anchors.hhs_notice,
        "materiality_determination": anchors.materiality_determination,
    }[limit.anchor]
    if start is None:
        return None
    if limit.unit == "business_days":
        return utc(business_day_deadline(start, limit.amount, zone=zone, cutoff=cutoff))
    period = timedelta(hours=limit.amount) if limit.unit == "hours" else timedelta(days=limit.amount)
    return utc(start) + period


def due(deadline: Deadline, anchors: Anchors, *, zone: str, cutoff: time | None = None) -> Due:
    """The due instant of one deadline given the known anchors."""
    wud = deadline.kind == "without_unreasonable_delay"
    immediately = deadline.kind == "immediately"
    if deadline.kind != "relative_to_individual_notice":
        at = limit_instant(deadline.limit, anchors, zone=zone, cutoff=cutoff) if deadline.limit else None
        return Due(at, wud, immediately, None, deadline.text)
    relation = deadline.relation or "concurrently"
    if relation == "after":
        at = limit_instant(deadline.limit, anchors, zone=zone) if deadline.limit else None
        return Due(at, False, False, _RELATION_WORDS[relation], deadline.text)
    candidates = [anchors.individual_notice]
    if deadline.limit is not None:
        candidates.append(limit_instant(deadline.limit, anchors, zone=zone))
    known = [utc(c) for c in candidates if c is not None]
    return Due(min(known) if known else None, False, False, _RELATION_WORDS[relation], deadline.text)
