"""The ENISA tables (``breach/data/enisa.json``) and our thresholds (``breach/data/thresholds.json``).

Both live in JSON so that a privacy lawyer can read and review them: every threshold sits next to
the law, guideline paragraph or authority practice it rests on, and says whether that source
states the number as a bright line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Threshold:
    """One number a rule compares a fact with, and where it comes from."""

    name: str
    value: float
    field: str | None
    comparison: str
    bright_line: bool
    source: str

    def holds(self, value: float) -> bool:
        """Whether ``value`` passes this threshold's test ('<=', '<', '>=' or '>' the number)."""
        return {"<=": value <= self.value, "<": value < self.value, ">=": value >= self.value, ">": value > self.value}[self.comparison]


@lru_cache(maxsize=1)
def thresholds() -> dict[str, Threshold]:
    """The thresholds, read once."""
    raw = json.loads(resources.files("breach").joinpath("data/thresholds.json").read_text(encoding="utf-8"))
    return {name: Threshold(name, float(row["value"]), row["field"], row["comparison"], bool(row["bright_line"]), row["source"])
            for name, row in raw["thresholds"].items()}


def limit(name: str) -> float:
    """The value of one threshold, e.g. limit('restore_within_hours') -> 72."""
    return thresholds()[name].value


def scale_steps() -> tuple[tuple[float, int], ...]:
    """People affected -> scale points (WP250 IV.B: the number of affected individuals)."""
    return ((limit("large_scale_from"), 2), (limit("many_people_from"), 1))


def reach_steps() -> tuple[tuple[float, int], ...]:
    """Recipients -> likelihood floor: a mass mailing (3), more than a limited number of recipients (2)."""
    return ((limit("mass_disclosure_from"), 3), (limit("limited_recipients_max") + 1, 2))


@dataclass(frozen=True)
class CategoryScore:
    """How ENISA scores one kind of data."""

    code: str
    dpc_class: str
    dpc: int
    identifies: str
    special_category: bool
    why: str | None


@dataclass(frozen=True)
class EnisaTables:
    """The ENISA method's tables as loaded from JSON."""

    version: str
    categories: dict[str, CategoryScore]
    adjustments: dict[str, dict[str, Any]]
    ei: dict[str, dict[str, Any]]
    cb: dict[str, Any]
    bands: list[tuple[float | None, str]]

    @property
    def vulnerable_subjects(self) -> frozenset[str]:
        """Subject categories that raise the DPC (ENISA: who the individuals are)."""
        return frozenset(self.adjustments["vulnerable_subjects"]["subject_categories"])


@lru_cache(maxsize=1)
def enisa() -> EnisaTables:
    """The ENISA tables, read once."""
    raw = json.loads(resources.files("breach").joinpath("data/enisa.json").read_text(encoding="utf-8"))
    categories = {
        code: CategoryScore(code, row["class"], int(row["dpc"]), row["identifies"], bool(row.get("special_category")), row.get("why"))
        for code, row in raw["data_categories"].items()
    }
    bands = [(row["below"], row["band"]) for row in raw["bands"]]
    return EnisaTables(raw["table_version"], categories, raw["dpc_adjustments"], raw["ei"], raw["cb"], bands)


def band_of(score: float) -> str:
    """ENISA severity band: low < 2 <= medium < 3 <= high < 4 <= very high."""
    for below, band in enisa().bands:
        if below is None or score < below:
            return band
    raise AssertionError("the last band has no upper bound")


def step_for(value: float | None, steps: tuple[tuple[float, int], ...]) -> int:
    """The points of the first step whose threshold ``value`` reaches (0 when unknown or below all)."""
    if value is None:
        return 0
    return next((points for threshold, points in steps if value >= threshold), 0)
