"""Breach register statistics (Art. 33(5)): counts per year and verdict, time to filing, late filings; a chart.

The chart is drawn with matplotlib's Agg backend (no display), from the same numbers as the text.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from notices.output import atomic_output

VERDICT_ORDER = ("notify_authority_and_subjects", "notify_authority", "notify_subjects", "document_only", "not_a_breach",
                 "not_assessed")
VERDICT_COLOURS = {"notify_authority_and_subjects": "#c92a2a", "notify_authority": "#e8590c", "notify_subjects": "#f08c00",
                   "document_only": "#2b8a3e", "not_a_breach": "#868e96", "not_assessed": "#ced4da"}


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def register_stats(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts per year and verdict, median hours from awareness to the first filing, and late filings."""
    per_year: dict[str, Counter[str]] = defaultdict(Counter)
    hours: list[float] = []
    late = total = 0
    for row in rows:
        total += 1
        year = (row.get("aware_at") or row["opened_at"])[:4]
        per_year[year][row["verdict"]] += 1
        aware, notified = _instant(row.get("aware_at")), _instant(row.get("notified_at"))
        if aware and notified:
            hours.append((notified - aware).total_seconds() / 3600)
        late += int(row.get("late_filings", 0))
    return {
        "incidents": total,
        "per_year": {y: {v: per_year[y][v] for v in VERDICT_ORDER if per_year[y][v]} for y in sorted(per_year)},
        "filed": len(hours),
        "median_hours_to_filing": round(statistics.median(hours), 1) if hours else None,
        "late_filings": late,
    }


def plot_stats(stats: dict[str, Any], path: Path) -> None:
    """A stacked bar chart of breaches per year by verdict, titled with the median time to filing and late filings."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    years = list(stats["per_year"]) or ["-"]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    bottom = [0] * len(years)
    for verdict in VERDICT_ORDER:
        counts = [stats["per_year"].get(y, {}).get(verdict, 0) for y in years]
        if any(counts):
            ax.bar(years, counts, bottom=bottom, label=verdict.replace("_", " "), color=VERDICT_COLOURS[verdict], width=0.6)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    median = stats["median_hours_to_filing"]
    ax.set_title("Breach register (Art. 33(5)): breaches per year by verdict", fontsize=11)
    ax.text(0.0, -0.16, f"median hours from awareness to filing: {median if median is not None else 'n/a'}  \u00b7  "
            f"late filings: {stats['late_filings']}  \u00b7  breaches: {stats['incidents']}",
            transform=ax.transAxes, fontsize=9, color="#495057")
    ax.set_xlim(-0.75, max(len(years), 3) - 0.25)  # a lone year keeps a bar's width, not the whole axis
    ax.set_ylabel("breaches")
    if isinstance(locator := ax.yaxis.get_major_locator(), MaxNLocator):  # the default AutoLocator is one
        locator.set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    if any(bottom):
        handles, names = ax.get_legend_handles_labels()  # top of the stack first, as the bars read
        ax.legend(handles[::-1], names[::-1], frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    with atomic_output(Path(path)) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    plt.close(fig)
