"""Facts no breach could have, or no database would take: refused before anything is stored; odd ones warned about.

The schema says what a facts document may look like; it does not know that awareness cannot come
before the breach, that the year 9999 overflows every deadline computed from it, or that
PostgreSQL refuses a NUL character in text (and would quote the statement, with the summary, in
its error). ``check_document`` runs on the parsed document (depth, NUL, non-finite numbers),
``refuse_implausible`` on the built facts; both raise ``InvalidFacts`` naming the field.
``warnings`` lists what is possible but unusual, for the responder to look at again.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from breach.exceptions import BreachError, InvalidFacts

# breach.facts calls this module; the facts arrive as a breach.facts.Facts (typed Any here: no import circle)
Facts = Any

MAX_DEPTH = 12  # the schema nests three levels; a document nested far deeper is not a facts document
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # every clock (72 h, a month, a year) still fits in a datetime
MAX_HOURS = 24 * 366 * 100.0  # a century of unavailability is already a typing error
DATE_FIELDS = ("occurred_at", "detected_at", "aware_at")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _where(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def check_document(document: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH, NUL characters and non-finite numbers anywhere (iteratively: no recursion)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise InvalidFacts(_where(path[:MAX_DEPTH]), f"is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in str(key):
                    raise InvalidFacts(_where(path), "has a field name with a NUL character")
                stack.append((item, (*path, str(key))))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            raise InvalidFacts(_where(path), "contains a NUL character, which no database stores")
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidFacts(_where(path), "must be a finite number")


def typed_text(what: str, value: str | None, *, max_chars: int = 2000) -> str | None:
    """Free text typed on the command line (a comment, reasons for a delay, a reference): BreachError for NUL or other
    control characters (line breaks and tabs allowed) and for text beyond ``max_chars``; never echoes the text."""
    if value is None:
        return None
    if _CONTROL.search(value):
        raise BreachError(f"{what} holds a NUL or another control character")
    if len(value) > max_chars:
        raise BreachError(f"{what} is longer than {max_chars} characters")
    return value


def _dates(facts: Facts) -> list[tuple[str, datetime]]:
    found = [(name, getattr(facts, name)) for name in DATE_FIELDS if getattr(facts, name) is not None]
    if facts.regimes is not None and facts.regimes.classified_major_at is not None:
        found.append(("regimes.classified_major_at", facts.regimes.classified_major_at))
    return found


def refuse_implausible(facts: Facts) -> None:
    """Refuse what no breach can have: a blank summary, dates outside 1970-2099, awareness or detection before the breach."""
    if not facts.summary.strip():
        raise InvalidFacts("summary", "must not be blank")
    for name, moment in _dates(facts):
        if not EARLIEST <= moment < LATEST:
            raise InvalidFacts(name, f"is implausible ({moment.year}); a breach date lies between {EARLIEST.year} and {LATEST.year - 1}")
    if facts.occurred_at is not None:
        for name in ("detected_at", "aware_at"):
            moment = getattr(facts, name)
            if moment is not None and moment < facts.occurred_at:
                raise InvalidFacts(name, "is before occurred_at: nobody can detect or know of a breach before it happens")
    for name in ("unavailable_hours",):
        hours = getattr(facts, name)
        if hours is not None and hours > MAX_HOURS:
            raise InvalidFacts(name, f"is implausible (more than {MAX_HOURS:.0f} hours)")
    if facts.controller is not None and facts.controller.dpa_hours is not None and facts.controller.dpa_hours > MAX_HOURS:
        raise InvalidFacts("controller.dpa_hours", f"is implausible (more than {MAX_HOURS:.0f} hours)")


def warnings(facts: Facts, *, now: datetime) -> list[str]:
    """What is possible but unusual: detection after awareness, dates in the future."""
    found = []
    if facts.detected_at is not None and facts.aware_at is not None and facts.detected_at > facts.aware_at:
        found.append("detected_at is after aware_at: awareness normally follows detection; check both "
                     "(the 72 hours run from awareness, Art. 33(1))")
    for name, moment in _dates(facts):
        if moment > now + timedelta(days=1):
            found.append(f"{name} lies in the future ({moment.isoformat()})")
    return found
