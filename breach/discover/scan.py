"""Scan a leaked sample, streaming: sniff the format, feed columns chunk by chunk, freeze a report."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from breach.discover import freetext, readers
from breach.discover.columns import Column, Counter
from breach.discover.report import DiscoveryReport, Finding

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
TEXT_FIELD = "(text)"

def looks_like_data(cell: str) -> bool:
    """A first-row cell that is a value rather than a column name (so the file has no header)."""
    stripped = cell.strip()
    if stripped.replace(".", "").replace("-", "").isdigit():
        return True
    return any(d.check(stripped) for d in freetext.TEXT_DETECTORS)


def discover(path: Path, *, progress: Progress | None = None) -> DiscoveryReport:
    """Scan one file (CSV, JSON lines, SQL dump or text) and report the personal data it holds."""
    started = time.perf_counter()
    total = path.stat().st_size
    with path.open("rb") as raw:
        head = raw.read(readers.SNIFF_BYTES).decode("utf-8", errors="replace")
        raw.seek(0)
        text = readers.open_text(raw)
        fmt = readers.sniff_format(path, head)
        tick = (lambda: progress(raw.tell(), total)) if progress else (lambda: None)
        if fmt == "text":
            records, findings = _scan_text(text, tick)
        else:
            records, findings = _scan_columns(_chunks(fmt, text, head), tick)
    if progress:
        progress(total, total)
    return DiscoveryReport(file=str(path), format=fmt, bytes=total, records=records,
                           seconds=time.perf_counter() - started, findings=findings)


def _chunks(fmt: str, text, head: str):
    if fmt == "csv":
        return readers.csv_chunks(text, head, looks_like_data=looks_like_data)
    if fmt == "jsonl":
        return readers.jsonl_chunks(text)
    return readers.sql_chunks(text)


def _scan_columns(chunks, tick: Callable[[], None]) -> tuple[int, list[Finding]]:
    columns: dict[str, Column] = {}
    records = 0
    for chunk, count in chunks:
        records += count
        for name, values in chunk.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = Column(name, scan_text=freetext.scan_values)
            column.feed(values)
        tick()
    findings = []
    for name, column in columns.items():
        if not column.decided:
            column.decide()
        if column.counter is not None and column.counter.values:
            findings.append(Finding.from_counter(name, column.counter))
        findings.extend(Finding.from_counter(name, c) for c in (column.text or {}).values())
    return records, findings


def _scan_text(text, tick: Callable[[], None]) -> tuple[int, list[Finding]]:
    counters: dict[str, Counter] = {}
    records = 0
    for lines in readers.text_lines(text):
        records += len(lines)
        freetext.scan_values(lines, counters)
        tick()
    return records, [Finding.from_counter(TEXT_FIELD, c) for c in counters.values()]
