"""The Art. 33(5) breach register as CSV: every breach, notified or not, with the reasons for the verdict.

Art. 33(5): the controller documents any personal data breach, "comprising the facts relating to
the personal data breach, its effects and the remedial action taken", so the authority can check
compliance. The file is opened in spreadsheets, and summaries and findings are free text typed by
people, so a cell that a spreadsheet would run as a formula is neutralised (OWASP CSV injection).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from breach.instants import parse_instant
from notices.output import atomic_output, neutralise

REGISTER_COLUMNS: tuple[str, ...] = (
    "incident_id",
    "reference",
    "status",
    "opened_at",
    "aware_at",
    "summary",
    "breach_types",
    "data_categories",
    "subjects_affected",
    "records_affected",
    "effects",
    "measures_taken",
    "risk",
    "verdict",
    "notify_authority",
    "notify_subjects",
    "rationale",
    "authorities",
    "obligations",
    "authority_deadline",
    "notified_at",
    "deadline_met",
    "filings",
    # Art. 33(5) "the facts relating to the breach": when it happened, was found, stopped; who was told when
    "occurred_at",
    "detected_at",
    "contained_at",
    "people_told",
    "reasons_for_delay",
    "timezone",
    "aware_at_local",
    "occurred_at_local",
    "detected_at_local",
    "contained_at_local",
    "authority_deadline_local",
    "notified_at_local",
)
LIST_SEPARATOR = "; "
RATIONALE_SEPARATOR = " | "


def _finding(entry: Any) -> str:
    """One rationale entry, a {rule, finding} dict or a ready string, as 'rule: finding'."""
    if isinstance(entry, dict):
        return f"{entry.get('rule', '')}: {entry.get('finding', '')}"
    return str(entry)


def cell_text(value: Any, *, column: str = "") -> str:
    """A register value as CSV text: lists joined, booleans yes/no, instants ISO 8601, formulas neutralised."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, (list, tuple)):
        separator = RATIONALE_SEPARATOR if column == "rationale" else LIST_SEPARATOR
        text = separator.join(_finding(item) for item in value)
    else:
        text = str(value)
    return neutralise(text)


def _instant(value: Any) -> datetime | None:
    """A datetime or ISO string as an aware datetime; blank gives None."""
    if isinstance(value, datetime):
        return value
    return parse_instant(value) if isinstance(value, str) and value.strip() else None


def deadline_met(row: dict[str, Any]) -> bool | None:
    """Whether the authority was notified by the 72-hour deadline (Art. 33(1)); None when not known."""
    given = row.get("deadline_met")
    if isinstance(given, str) and given.strip():
        return given.strip().lower() in ("yes", "true", "1")
    if given is not None and given != "":
        return bool(given)
    notified, deadline = _instant(row.get("notified_at")), _instant(row.get("authority_deadline"))
    return notified <= deadline if notified and deadline else None


def authority_deadline_met(states: list[str], *, due: list[datetime], now: datetime) -> bool | None:
    """Art. 33(1) for the register: True when every authority clock was met, False once one stopped late or
    ran past its deadline, None (blank) while one is still running ahead of its deadline or none exists."""
    if not states:
        return None
    if any(state == "stopped_late" or (state == "running" and moment < now) for state, moment in zip(states, due, strict=True)):
        return False
    if any(state == "running" for state in states):
        return None
    return all(state == "met" for state in states)


def write_register_json(rows: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the register as a JSON array (keys sorted, so the same register gives the same bytes); return the count."""
    items = [{**row, "deadline_met": deadline_met(row)} for row in rows]
    with atomic_output(Path(path)) as tmp:
        Path(tmp).write_text(json.dumps(items, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return len(items)


def write_register_csv(rows: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the breach register (UTF-8 with BOM, for spreadsheets) atomically; return the row count."""
    count = 0
    with atomic_output(Path(path)) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(REGISTER_COLUMNS)
            for row in rows:
                values = {**row, "deadline_met": deadline_met(row)}
                writer.writerow([cell_text(values.get(column), column=column) for column in REGISTER_COLUMNS])
                count += 1
    return count
