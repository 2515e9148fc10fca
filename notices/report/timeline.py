"""A picture of the 72-hour window (Art. 33(1)) for the filing pack's PDF, drawn with reportlab graphics.

It shows when the breach occurred, was detected, became known (the clock's start), was contained
and was notified, against the deadline 72 hours after awareness, and says whether it was met.
The drawing is made only from the pack's own instants, so the same pack draws the same picture.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from notices.letters.pdf import register_fonts
from notices.params import load_table

WIDTH, HEIGHT = 170 * mm, 52 * mm
AXIS_Y, LEFT, RIGHT = 24 * mm, 6 * mm, 164 * mm
FAR_BEFORE = timedelta(days=4)  # an older start is drawn behind an axis break, or the 72 h would be a sliver
GREEN, RED, GREY, INK = HexColor("#2b8a3e"), HexColor("#c92a2a"), HexColor("#868e96"), HexColor("#212529")
EVENTS = ("occurred_at", "detected_at", "aware_at", "contained_at", "notified_at")


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _scale(points: dict[str, datetime]) -> tuple[Any, bool]:
    """A function instant -> x, and whether the occurred point sits behind an axis break."""
    aware = points.get("aware_at")
    occurred = points.get("occurred_at")
    broken = bool(aware and occurred and aware - occurred > FAR_BEFORE)
    body = [t for k, t in points.items() if not (broken and k == "occurred_at")]
    start, end = min(body), max(body)
    span = max((end - start).total_seconds(), 3600.0)
    left = LEFT + (16 * mm if broken else 0)
    start -= timedelta(seconds=span * 0.04)
    span *= 1.08

    def x(moment: datetime) -> float:
        if broken and moment < start:
            return LEFT
        return left + (moment - start).total_seconds() / span * (RIGHT - left)

    return x, broken


def _label_levels(items: list[tuple[float, float]]) -> list[int]:
    """A row for each label (x centre, width) so that labels in one row do not overlap; rows alternate above/below."""
    ends: list[float] = []
    levels = []
    for centre, width in items:
        left = centre - width / 2
        level = next((i for i, end in enumerate(ends) if end + 2 * mm < left), len(ends))
        if level == len(ends):
            ends.append(0.0)
        ends[level] = centre + width / 2
        levels.append(level)
    return levels


def _status(pack: dict[str, Any], words: dict[str, Any], lang: str) -> tuple[str, Any]:
    """The sentence under the picture and its colour: met, missed by N hours, not yet notified, or no deadline."""
    deadline, notified = _instant(pack["timeline"].get("deadline")), _instant(pack["timeline"].get("notified_at"))
    if deadline is None:
        return words["tl_no_deadline"][lang], GREY
    if notified is None:
        return words["tl_pending"][lang], GREY
    if notified <= deadline:
        return words["tl_met"][lang], GREEN
    hours = round((notified - deadline).total_seconds() / 3600, 1)
    return words["tl_missed"][lang].format(hours=f"{hours:g}"), RED


def timeline_drawing(pack: dict[str, Any]) -> Drawing:
    """The 72-hour window with each step of the response marked on it, in the pack's language."""
    font, bold = register_fonts()
    lang, words = pack["language"], load_table("filing_form")["values"]
    tl = pack["timeline"]
    zone = ZoneInfo(tl.get("timezone") or "UTC")
    d = Drawing(WIDTH, HEIGHT)
    d.add(String(0, HEIGHT - 5 * mm, words["tl_title"][lang], fontName=bold, fontSize=10, fillColor=INK))
    points = {k: t for k in (*EVENTS, "deadline") if (t := _instant(tl.get(k))) is not None}
    status, colour = _status(pack, words, lang)
    if tl.get("contained") and "contained_at" not in points:
        status += f" \u00b7 {words['tl_contained'][lang]}: {words['yes'][lang]} ({words['tl_not_timed'][lang]})"
    d.add(String(0, 3 * mm, status, fontName=bold, fontSize=9, fillColor=colour))
    if not points:
        return d
    x, broken = _scale(points)
    d.add(Line(LEFT, AXIS_Y, RIGHT, AXIS_Y, strokeColor=GREY, strokeWidth=1))
    if broken:
        bx = LEFT + 8 * mm
        d.add(Rect(bx - 1.5 * mm, AXIS_Y - 2 * mm, 3 * mm, 4 * mm, fillColor=HexColor("#ffffff"), strokeColor=None))
        for dx in (-1 * mm, 1 * mm):
            d.add(Line(bx + dx - 1 * mm, AXIS_Y - 2 * mm, bx + dx + 1 * mm, AXIS_Y + 2 * mm, strokeColor=GREY))
    if "aware_at" in points and "deadline" in points:
        x0, x1 = x(points["aware_at"]), x(points["deadline"])
        late = bool(pack.get("late"))
        d.add(Rect(x0, AXIS_Y - 3 * mm, x1 - x0, 6 * mm, fillColor=HexColor("#fde2e2" if late else "#d3f9d8"),
                   strokeColor=None))
    _draw_events(d, points, x, zone, words, lang, font, pack)
    return d


def _draw_events(d: Drawing, points: dict[str, datetime], x: Any, zone: ZoneInfo, words: dict[str, Any], lang: str,
                 font: str, pack: dict[str, Any]) -> None:
    """A marker and a two-line label (name, local time) per step; labels placed in rows so none overlap."""
    names = {"occurred_at": "tl_occurred", "detected_at": "tl_detected", "aware_at": "tl_aware",
             "contained_at": "tl_contained", "notified_at": "tl_notified", "deadline": "tl_deadline"}
    order = sorted(points, key=lambda k: (points[k], list(names).index(k)))
    labels = []
    for key in order:
        local = points[key].astimezone(zone)
        texts = (words[names[key]][lang], local.strftime("%d.%m. %H:%M"))
        width = max(stringWidth(t, font, 7.5) for t in texts)
        labels.append((key, texts, min(max(x(points[key]), LEFT + width / 2), RIGHT - width / 2), width))
    levels = _label_levels([(centre, width) for _, _, centre, width in labels])
    for (key, texts, centre, _), level in zip(labels, levels, strict=True):
        px = x(points[key])
        colour = _colour(key, pack)
        if key == "deadline":
            d.add(Line(px, AXIS_Y - 4 * mm, px, AXIS_Y + 4 * mm, strokeColor=RED, strokeWidth=1.2, strokeDashArray=[2, 1.5]))
        else:
            d.add(Circle(px, AXIS_Y, 1.4 * mm, fillColor=colour, strokeColor=HexColor("#ffffff"), strokeWidth=0.6))
        above = level % 2 == 0
        row = level // 2
        ty = AXIS_Y + (5.5 * mm + row * 7.5 * mm if above else -8.5 * mm - row * 7.5 * mm)
        anchor_y = ty - 1 * mm if above else ty + 6 * mm
        d.add(PolyLine([px, AXIS_Y + (1.6 * mm if above else -1.6 * mm), centre, anchor_y], strokeColor=GREY, strokeWidth=0.3))
        d.add(String(centre, ty + 3 * mm, texts[0], fontName=font, fontSize=7.5, fillColor=colour, textAnchor="middle"))
        d.add(String(centre, ty, texts[1], fontName=font, fontSize=7.5, fillColor=INK, textAnchor="middle"))


def _colour(key: str, pack: dict[str, Any]) -> Any:
    """Notified is green when in time and red when late; the deadline red; the rest ink."""
    if key == "notified_at":
        return RED if pack.get("late") else GREEN
    return RED if key == "deadline" else INK
