"""The ENISA tables (``breach/data/enisa.json``) and the few thresholds we add, in one readable place.

The ENISA numbers live in the JSON file so that a privacy lawyer can read and review them; the
thresholds below are ours, each with the guidance it follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

# --- Thresholds of our own (not ENISA's), with their grounds --------------------------------
# EDPB 01/2021 Case 01: data restored from backup "within a few hours", with no effect on the
# people, is unlikely to be a risk. WP250 Annex B (viii): 30 hours without hospital records is high.
QUICK_RESTORE_HOURS = 24
# An outage of more than a week is treated like having no backup: people feel it.
LONG_OUTAGE_HOURS = 24 * 7
# Number of people affected: ENISA weighs it outside the formula; myprivacy.tools flags > 100.
SCALE_STEPS = ((10_000, 2), (100, 1))
# How far a disclosure went: a mail to a thousand strangers is as good as publication
# (WP250 Annex B (ix)); a hundred strangers make misuse likely.
REACH_STEPS = ((1_000, 3), (100, 2))
# Risk points (impact + likelihood + scale) at which each level starts.
RISK_FROM = 3
HIGH_RISK_FROM = 5


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


def step_for(value: int | None, steps: tuple[tuple[int, int], ...]) -> int:
    """The points of the first step whose threshold ``value`` reaches (0 when unknown or below all)."""
    if value is None:
        return 0
    return next((points for threshold, points in steps if value >= threshold), 0)
