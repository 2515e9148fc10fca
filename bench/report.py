"""The figures file: every benchmark's JSON, with when, where and how it was measured, and the docs that quote it.

    .venv/bin/python bench/report.py run send             # run one registered benchmark, store its figures
    .venv/bin/python bench/report.py run --all --quiet 3  # all of them, each once the load average is below 3 (or after 10 min)
    .venv/bin/python bench/report.py render               # docs/figures.md and the quoted figures from docs/figures.json
    .venv/bin/python bench/report.py check                # exit 1 if a quoted figure is stale, unknown or typed by hand

`docs/figures.json` holds one entry per benchmark: the command, the date, the machine (cores, CPU
model, memory, load average before and after), the settings (the BREACH_* and PREFECT_* environment
the command ran with), the git commit (and whether the tree had uncommitted changes) and the
benchmark's own JSON output. `docs/figures.md` is generated from it.

README.md and docs/*.md quote a figure only through a marker, which `render` fills in:

    1,000,000 e-mails in <!-- fig:send.sizes.2.flow.seconds -->33.1<!-- /fig --> s

`check` (and tests/bench/test_report.py) fails on a marker whose text differs from the figures file,
on a marker naming a figure the file does not have, and on a measured-looking figure (a rate per
second, a ratio, a slowdown, a speed-up or an "N×") written outside a marker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIGURES_JSON = REPO / "docs" / "figures.json"
FIGURES_MD = REPO / "docs" / "figures.md"
PY = ".venv/bin/python"

# name -> (command, what it shows, headline figures: label -> path into its JSON)
BENCHMARKS: dict[str, dict[str, Any]] = {
    "send": {
        "command": ["bench/send.py", "--people", "20000", "100000", "1000000", "--runs", "3"],
        "about": "the send flow against the machine's ceiling (same processes, pre-built bodies, no database), interleaved",
        "headline": {f"{n} people: {what}": f"sizes.{i}.{path}" for i, n in enumerate(("20,000", "100,000", "1,000,000"))
                     for what, path in (("flow s", "flow.seconds"), ("flow people/s", "flow.per_second"),
                                        ("ceiling s", "ceiling.seconds"), ("ratio to ceiling", "ratio"))},
    },
    "send_processes": {
        "command": ["bench/send_processes.py", "--people", "20000", "50000", "100000", "--runs", "3"],
        "about": "the send flow with forked sending processes against its lanes as threads, interleaved (the default threshold)",
        "headline": {f"{n} people: {what}": f"sizes.{i}.{path}" for i, n in enumerate(("20,000", "50,000", "100,000"))
                     for what, path in (("forked s", "forked.seconds"), ("threads s", "threads.seconds"),
                                        ("forked / threads", "forked_over_threads"))},
    },
    "stand_in": {
        "command": ["bench/sendgrid_server_cost.py", "--runs", "7", "--people", "1000000"],
        "about": "the SendGrid stand-in's own cost per 1,000-person request, and its rate at 1,000,000 people against 20,000",
        "headline": {"check, ms per request": "check", "server CPU, ms per request": "server_cpu",
                     "rate over the last 20,000 of 1,000,000 / over the first 20,000": "growth.rate_ratio"},
    },
    "send_floor": {
        "command": ["bench/send_floor.py", "--runs", "30"],
        "about": "the CPU one 1,000-person request needs beyond the ceiling's work (decrypt, recipients, body), whatever the database",
        "headline": {"decrypt, CPU ms": "cpu_ms_per_request.decrypt", "recipients, CPU ms": "cpu_ms_per_request.recipients",
                     "body, CPU ms": "cpu_ms_per_request.body", "total, CPU ms": "total_cpu_ms_per_request", "body KB": "body_kb"},
    },
    "letters": {
        "command": ["bench/letters.py", "--letters", "100000", "--html-letters", "400", "--runs", "3"],
        "about": "100,000 two-page letters (reportlab) against the same letter through HTML (WeasyPrint), same workers",
        "headline": {"letters/s": "per_second", "seconds for 100,000": "seconds", "HTML route letters/s": "html.per_second",
                     "ratio": "ratio"},
    },
    "faults": {
        "command": ["bench/faults.py", "--people", "20000", "--rate", "0.2", "--runs", "3", "--settings", "defaults,tuned"],
        "about": "provider faults on one request in five, at the production defaults and at tuned settings",
        "headline": {"defaults: slowdown": "defaults.slowdown", "defaults: lost": "defaults.lost",
                     "defaults: duplicates": "defaults.duplicates", "tuned: slowdown": "tuned.slowdown",
                     "tuned: lost": "tuned.lost", "tuned: duplicates": "tuned.duplicates"},
    },
    "chaos": {
        "command": ["bench/chaos.py", "--people", "20000", "--crashes", "3"],
        "about": "the sender SIGKILLed three times mid-send and resumed",
        "headline": {"lost (worst scenario)": "lost", "duplicates (worst scenario)": "duplicates",
                     **{f"{n}: {what}": f"scenarios.{n}.{path}" for n in ("delay", "no-addon", "silent")
                        for what, path in (("kills", "crashes"), ("uncertain people", "uncertain_people"),
                                           ("uncertain batches", "uncertain_batches"), ("seconds", "seconds"))}},
    },
    "pii_canary": {
        "command": ["bench/pii_canary.py", "--people", "200"],
        "about": "a whole run with canary people, then every place it left data searched for them",
        "headline": {"hits": "hits.count", "places scanned": "places_scanned", "positive control (hits in e-mails)": "control_hits_in_eml"},
    },
    "discover": {
        "command": ["bench/discover.py", "--mb", "50", "--runs", "3"],
        "about": "discovery scan of a generated leaked CSV against csv.reader reading it",
        "headline": {"scan MB/s": "mb_per_s", "csv.reader MB/s": "baseline_mb_per_s", "ratio": "ratio", "peak RSS MB": "peak_rss_mb"},
    },
    # Issue #18, the speed from the alarm to the last notice (docs/performance.md). Wall times estimated on this
    # 2-core machine with nothing else running, from the code and from short runs (pipeline 100,000 people: 52 s;
    # import 100,000 rows, SQLite, 1 run: 10 s; latency 2 runs: 31 s; incidents 4 x 2,000 people: 97 s;
    # scale 100,000 people: 65 s). All five together: about 40 minutes.
    "pipeline": {
        # ~8 min: the 1,000,000-row file (~30 s), the ceilings (import's three in child processes ~1 min, 100,000
        # letters ~45 s, the bare send of 200,000 ~15 s), then three runs (~1.5 min each; 125,000 letters are the longest
        # stage); the figures are the median run's
        "command": ["bench/pipeline.py", "--people", "1000000", "--runs", "3"],
        "about": "the whole breach-response flow from a realistic file of 1,000,000 people to the last notice accepted, "
                 "letters included, stage by stage, beside each stage's ceilings measured in the same run",
        "headline": {"file to last notice, s": "to_last_notice_seconds", "goal, s": "goal_seconds", "goal met (<= 120 s)": "met",
                     **{f"{stage} s": f"stages.{stage}.seconds" for stage in
                        ("open", "assess", "import", "clock", "draft", "approval", "outbox", "email", "letters", "export")},
                     "import rows/s": "stages.import.per_second", "e-mail people/s": "stages.email.per_second",
                     "letters/s": "stages.letters.per_second",
                     **{f"{stage} / {ceiling} ceiling": f"ratio_to_ceiling.{stage}.{ceiling}" for stage, ceiling in
                        (("import", "csv_read"), ("import", "aes_gcm"), ("import", "bulk_insert"), ("email", "parallel_bare_send"),
                         ("letters", "letters_alone"))},
                     **{f"ceiling: {what}": f"ceilings.{key}" for what, key in
                        (("csv read rows/s", "csv_read"), ("AES-GCM rows/s", "aes_gcm"), ("bulk insert rows/s", "bulk_insert"),
                         ("parallel bare send people/s", "email"), ("letters alone letters/s", "letters"))},
                     "peak memory MB": "peak_memory_mb", "duplicates at the stand-in": "standin_duplicates"},
    },
    "import": {
        # ~11 min: per run and database ~1.5-2 min (the ceilings' children each prepare 1,000,000 rows), 3 runs x 2 databases
        "command": ["bench/import.py", "--rows", "1000000", "--runs", "3"],
        "about": "the people import alone (validate, de-duplicate, seal, insert) of 1,000,000 rows on SQLite and on PostgreSQL, "
                 "beside a csv read, AES-GCM and a bulk insert of the same rows in the same run, interleaved",
        "headline": {**{f"{db}: {what}": f"results.{db}.{path}" for db in ("sqlite", "postgresql") for what, path in
                        (("rows/s", "rows_per_second"), ("seconds", "seconds"), ("peak memory MB", "peak_memory_mb"),
                         ("/ csv read ceiling", "ratio_to_ceiling.csv_read"), ("/ AES-GCM ceiling", "ratio_to_ceiling.aes_gcm"),
                         ("/ bulk insert ceiling", "ratio_to_ceiling.bulk_insert"))},
                     "PostgreSQL slower by": "postgresql_slower_by",
                     "goal met: SQLite >= 50,000 rows a second": "met.sqlite_rows_per_second",
                     "goal met: PostgreSQL within 2 times": "met.postgresql_within",
                     "goal met: peak memory < 500 MB": "met.peak_memory_mb"},
    },
    "import_10m": {
        # ~12 min: the 10,000,000-row file (~3 min), one timed import and one sampled for memory (~3.5 min each), ceilings
        "command": ["bench/import.py", "--rows", "10000000", "--runs", "1", "--db", "sqlite"],
        "about": "the people import of 10,000,000 rows on SQLite, once: the file is streamed, never held; memory grows "
                 "only with the de-duplication table (the people kept), and SQLite's random-order index inserts slow down past its cache",
        "headline": {"rows/s": "results.sqlite.rows_per_second", "seconds": "results.sqlite.seconds",
                     "peak memory MB": "results.sqlite.peak_memory_mb", "file MB": "file_mb",
                     "CPU seconds": "results.sqlite.cpu_seconds_each.0",
                     "/ bulk insert ceiling": "results.sqlite.ratio_to_ceiling.bulk_insert"},
    },
    "latency": {
        # ~4 min: server, pool and deployment (~20 s), 20 runs of ~8 s each until they pause, 15 cold starts
        "command": ["bench/latency.py", "--runs", "20"],
        "about": "a breach-response run created through a real prefect server's API and taken by a real worker, "
                 "until its verdict and authority deadline are readable (20 runs); the CLI's cold start",
        "headline": {"p50 s": "p50_seconds", "p95 s": "p95_seconds", "runs visible": "visible",
                     "picked up by the worker, p50 s": "picked_up_p50_seconds", "running, p50 s": "running_p50_seconds",
                     "case file, p50 s": "artifact_p50_seconds", "breach --help s": "cli.help.seconds",
                     "breach assess s": "cli.assess.seconds", "breach status s": "cli.status.seconds",
                     **{f"goal met: {goal}": f"met.{key}" for goal, key in
                        (("p50 <= 5 s", "p50_seconds"), ("p95 <= 10 s", "p95_seconds"), ("--help <= 0.3 s", "help_seconds"),
                         ("assess <= 0.6 s", "assess_seconds"))}},
    },
    "incidents": {
        # ~7 min: 10,000 people each keeps 20 incidents (200,000 people per worker count) within minutes; 20 flow-run
        # processes starting at once (twice per count: to the approval, then resumed) are most of it on 2 cores
        "command": ["bench/incidents.py", "--incidents", "20", "--people", "10000", "--workers", "1,2"],
        "about": "20 incidents of 10,000 people at once through a real prefect server, over 1 and then 2 workers: "
                 "verdicts under load, approval, send and export",
        "headline": {f"{n} worker{'s' if n > 1 else ''}: {what}": f"results.{i}.{path}" for i, n in enumerate((1, 2))
                     for what, path in (("verdict p50 s", "verdict_p50_seconds"), ("verdict p95 s", "verdict_p95_seconds"),
                                        ("all waiting for approval, s", "to_approval_seconds"),
                                        ("approval to all sent and exported, s", "send_and_export_seconds"),
                                        ("people/s", "people_per_second"), ("runs completed", "completed"),
                                        ("not accepted", "not_accepted"), ("duplicates", "duplicates"))},
    },
    "scale": {
        # 1,000,000 people, 3 rounds (in-process, 1 worker, 2 workers, interleaved): ~15 min (one round: three
        # incidents prepared at ~25 s each, the in-process send ~50 s, each fan-out ~55-60 s; measured 2026-12-05)
        "command": ["bench/scale.py", "--people", "1000000", "--workers", "1,2", "--runs", "3"],
        "about": "send-notices-fanout over 1 and 2 real workers (prefect server and project database on PostgreSQL) "
                 "beside send-notices in one process for an incident of the same size",
        "headline": {"in-process people/s": "in_process_per_second",
                     **{f"{n} worker{'s' if n > 1 else ''}: {what}": f"workers_{n}.{path}" for n in (1, 2)
                        for what, path in (("people/s", "per_second"), ("/ in-process", "ratio_to_in_process"),
                                           ("median chunk wait s", "chunk_wait_seconds_median"))},
                     "speed-up 2 workers / 1": "speedup", "lost": "lost", "duplicates": "duplicates",
                     "batches claimed twice": "batches_claimed_twice",
                     "goal met: 2 workers / in-process >= 0.8": "met.ratio_to_in_process",
                     "goal met: median chunk wait <= 5 s": "met.chunk_wait_seconds_median"},
    },
}

_MARKER = re.compile(r"<!-- fig:(?P<path>[A-Za-z0-9_.\-]+) -->(?P<text>.*?)<!-- /fig -->")
_MEASURED = re.compile(r"\d[\d,.]*\s?(?:people|letters|rows|e-mails|requests|MB)/s\b|\d[\d.]*\s?×|"
                       r"\b(?:ratio|slowdown|speed-up)\b\s*(?:\*\*)?[:=→]?\s*(?:\*\*)?\d", re.IGNORECASE)


# -- the file ----------------------------------------------------------------------------------------------------

def load() -> dict[str, Any]:
    """The figures file (empty when there is none yet)."""
    return json.loads(FIGURES_JSON.read_text(encoding="utf-8")) if FIGURES_JSON.exists() else {"figures": {}}


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory and the load average now."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines() if line.startswith("model name")), "")
    mem = next((int(line.split()[1]) // 1024 for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), None)
    return {"cores": os.cpu_count(), "cpu_model": cpu or platform.processor(), "memory_mb": mem,
            "load_average": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(), "system": platform.system()}


def git_commit() -> dict[str, Any]:
    """The commit measured and whether the work tree had other changes (the figures files aside)."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.splitlines()
    dirty = [line[3:] for line in status if not line[3:].startswith("docs/figures.")]
    return {"commit": head, "uncommitted_changes": dirty}


def settings() -> dict[str, str]:
    """The environment that changes what a benchmark measures (no secrets: keys are left out)."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(("BREACH_", "PREFECT_")) and "KEY" not in k}


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


# -- running -----------------------------------------------------------------------------------------------------

def wait_quiet(below: float, limit_s: float = 600.0) -> float:
    """Wait until the 1-minute load average is below `below` (at most `limit_s`); returns it."""
    deadline = time.monotonic() + limit_s
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        time.sleep(15)
    return os.getloadavg()[0]


def last_json(stdout: str) -> dict[str, Any]:
    """The last top-level JSON object a benchmark printed."""
    starts = [m.start() for m in re.finditer(r"(?m)^\{", stdout)]
    for start in reversed(starts):
        try:
            return json.loads(stdout[start:])
        except ValueError:
            continue
    raise ValueError("the benchmark printed no JSON object")


def run(name: str, *, quiet: float | None = None) -> dict[str, Any]:
    """Run one registered benchmark and store its figures; returns the entry."""
    spec = BENCHMARKS[name]
    if quiet is not None:
        wait_quiet(quiet)
    command = [PY, *spec["command"]]
    before, started_at, started = machine(), dt.datetime.now(dt.UTC), time.perf_counter()
    done = subprocess.run([sys.executable, *spec["command"]], cwd=REPO, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # pii_canary exits 1 on a finding, which is a figure too
        raise RuntimeError(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    after = machine()["load_average"]
    entry = {"command": " ".join(command), "about": spec["about"], "date": started_at.isoformat(timespec="seconds"),
             "wall_seconds": round(time.perf_counter() - started, 1), "machine": {**before, "load_average_after": after},
             "settings": settings(), "git": git_commit(), "exit_code": done.returncode, "result": last_json(done.stdout)}
    figures = load()
    figures["figures"][name] = entry
    FIGURES_JSON.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    render()
    return entry


# -- quoting -----------------------------------------------------------------------------------------------------

def lookup(figures: dict[str, Any], path: str) -> Any:
    """The value at `name.key.0.key` (the benchmark's name, then a path into its JSON)."""
    name, *keys = path.split(".")
    value: Any = figures["figures"][name]["result"]
    for key in keys:
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def show(value: Any) -> str:
    """A figure as the docs print it: thousands separators, yes/no, lists joined."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list):
        return " / ".join(show(v) for v in value)
    return str(value)


def quoting_files() -> list[Path]:
    """README.md and docs/*.md (figures.md is generated, not quoting)."""
    return [REPO / "README.md", *sorted(p for p in (REPO / "docs").glob("*.md") if p != FIGURES_MD)]


def fill(text: str, figures: dict[str, Any], *, strict: bool = True) -> str:
    """The text with every marker's figure filled in from the figures file; an unknown figure raises
    (or, not `strict`, stays as it is: `check` reports it)."""
    def filled(m: re.Match[str]) -> str:
        try:
            return f"<!-- fig:{m['path']} -->{show(lookup(figures, m['path']))}<!-- /fig -->"
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            if not strict:
                return m.group(0)
            raise ValueError(f"no figure {m['path']} in docs/figures.json") from exc
    return _MARKER.sub(filled, text)


def problems(figures: dict[str, Any] | None = None) -> Iterator[str]:
    """Stale or unknown markers, hand-typed figures and a stale docs/figures.md, as 'file:line: what'."""
    figures = figures if figures is not None else load()
    yield from quote_problems(figures, quoting_files())
    written = FIGURES_MD.read_text(encoding="utf-8") if FIGURES_MD.exists() else None
    if written != figures_md(figures):
        yield "docs/figures.md is not what bench/report.py render writes from docs/figures.json"


def quote_problems(figures: dict[str, Any], files: list[Path]) -> Iterator[str]:
    """Stale or unknown markers and hand-typed figures in `files`, as 'file:line: what'."""
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.relative_to(REPO)}:{n}"
            for m in _MARKER.finditer(line):
                try:
                    wanted = show(lookup(figures, m["path"]))
                except (KeyError, IndexError, ValueError, TypeError):
                    yield f"{where}: no figure {m['path']} in docs/figures.json"
                    continue
                if m["text"] != wanted:
                    yield f"{where}: {m['path']} says {m['text']!r}, the figures file {wanted!r} (run bench/report.py render)"
            for m in _MEASURED.finditer(_MARKER.sub("", line)):
                yield f"{where}: a measured figure typed by hand ({m.group(0)!r}): quote it through a marker"


def figures_md(figures: dict[str, Any]) -> str:
    """docs/figures.md: each benchmark's headline figures, when, where and how, then its whole JSON."""
    out = ["# Measured figures", "", "Generated by `bench/report.py render` from `docs/figures.json`; do not edit. Each figure",
           "comes from the benchmark's own JSON, printed by the command shown, with its same-run baseline.", ""]
    for name, entry in figures["figures"].items():
        m, spec = entry["machine"], BENCHMARKS.get(name, {})
        out += [f"## {name}: {entry['about']}", "", f"- command: `{entry['command']}`",
                f"- date: {entry['date']} (wall time {entry['wall_seconds']} s)",
                f"- machine: {m['cores']} cores, {m['cpu_model']}, {m['memory_mb']} MB; load average "
                f"{' / '.join(map(str, m['load_average']))} before, {' / '.join(map(str, m['load_average_after']))} after (1 / 5 / 15 min)",
                f"- commit: {entry['git']['commit'][:12]}" + (" (with uncommitted changes)" if entry["git"]["uncommitted_changes"] else ""),
                f"- settings: {', '.join(f'{k}={v}' for k, v in entry['settings'].items() if not k.startswith('PREFECT_')) or 'defaults'}",
                ""]
        if spec.get("headline"):
            out += ["| figure | value |", "| --- | --- |"]
            out += [f"| {label} | {_shown(figures, f'{name}.{path}')} |" for label, path in spec["headline"].items()]
            out.append("")
        out += ["<details><summary>the benchmark's JSON</summary>", "", "```json", json.dumps(entry["result"], indent=2), "```", "",
                "</details>", ""]
    return "\n".join(out)


def _shown(figures: dict[str, Any], path: str) -> str:
    try:
        return show(lookup(figures, path))
    except (KeyError, IndexError, TypeError):
        return "(not in this run)"


def render() -> list[Path]:
    """Write docs/figures.md and fill the markers in README.md and docs/; returns the files changed."""
    figures, changed = load(), []
    for path in [*quoting_files(), FIGURES_MD]:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        new = figures_md(figures) if path == FIGURES_MD else fill(old, figures, strict=False)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    runner = sub.add_parser("run", help="run benchmarks and store their figures")
    runner.add_argument("names", nargs="*", help=f"registered benchmarks: {', '.join(BENCHMARKS)}")
    runner.add_argument("--all", action="store_true")
    runner.add_argument("--quiet", type=float, help="wait (at most 10 min) for a 1-minute load average below this first")
    sub.add_parser("render", help="write docs/figures.md and the quoted figures")
    sub.add_parser("check", help="exit 1 when a quoted figure is stale, unknown or typed by hand")
    args = parser.parse_args(argv)
    if args.what == "run":
        if unknown := set(args.names) - set(BENCHMARKS):
            parser.error(f"no such benchmark: {', '.join(sorted(unknown))} (registered: {', '.join(BENCHMARKS)})")
        for name in (list(BENCHMARKS) if args.all else args.names):
            entry = run(name, quiet=args.quiet)
            print(f"{name}: {entry['wall_seconds']} s, load {entry['machine']['load_average']}", flush=True)
    elif args.what == "render":
        print("\n".join(str(p.relative_to(REPO)) for p in render()) or "nothing changed")
    else:
        found = list(problems())
        print("\n".join(found) or "every quoted figure comes from docs/figures.json")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
