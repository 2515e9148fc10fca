"""Benchmark the people import alone, on SQLite and on PostgreSQL, beside its ceilings from the same run.

    .venv/bin/python bench/import.py --rows 1000000 --runs 3
    .venv/bin/python bench/import.py --rows 10000000 --runs 1 --db sqlite      # memory stays bounded

Writes a realistic people file (bench/_people.py: names, e-mail for most, addresses, da/nb/en, one
in ten asking for a letter, duplicates and bad rows), then, run after run and interleaved, each in a
fresh child process on a fresh database:

- ``import``: ``breach.people.store.import_people`` (what the `import-people` flow runs): read,
  validate, de-duplicate, seal (AES-GCM) and insert every row, in one transaction, committed;
- ceiling ``csv_read``: the csv module reading the same file;
- ceiling ``aes_gcm``: sealing the same contact details (the same JSON) with the same cipher;
- ceiling ``bulk_insert``: the same number of rows, of the same sizes, put into the people table of
  the same kind of database with the same driver (executemany on SQLite, COPY on PostgreSQL).

Prints JSON: per database the medians (rows/s), each run, CPU seconds, peak memory (PSS of the
importing process and its worker processes together, sampled in one more import after the timed ones,
which do not sample; and each one's peak RSS), the import's
ratio to each ceiling, and the goals (50,000 rows/s on SQLite, PostgreSQL within 2x, peak memory
under 500 MB).
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c
from bench import _pg
from bench._memory import MemorySampler
from bench._people import write_people_file

GOAL_ROWS_PER_SECOND = 50_000
GOAL_PG_WITHIN = 2.0
GOAL_PEAK_MB = 500
CEILING_SAMPLE = 1_000_000  # the ceilings are rates: at most this many rows each
STEPS = ("csv_read", "aes_gcm", "bulk_insert", "import")
MEMORY_STEP = "import_memory"  # the import once more, its memory sampled (not timed: sampling costs time)


# ----------------------------------------------------------------------------------------------- children

def _peak_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"process": round(own, 1), "worker": round(workers, 1)}


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _incident(sessions: Any) -> str:
    from breach import instants
    from breach.incidents import service
    document = json.loads((c.REPO / "breach" / "examples" / "facts.json").read_text(encoding="utf-8"))
    document["reference"] = f"BENCH-IMPORT-{time.time_ns()}"
    with sessions.begin() as session:
        return service.open_incident(session=session, document=document, actor="bench@example.com", timezone="UTC",
                                     now=instants.utcnow()).incident_id


def child_import(path: Path, url: str, cipher: Any, *, sample_memory: bool = False) -> dict[str, Any]:
    """The real import of the whole file, committed; with ``sample_memory`` its memory sampled as it runs.

    The timed runs do not sample: reading the processes' PSS every 0.2 s (a thread in the importing
    process, the kernel walking each process's pages) took 4-5 % of a 1,000,000-row import on 2 cores
    (45,618 / 46,496 rows/s sampled, 47,894 / 48,779 not, alternated, 2026-12-05), time no ceiling pays.
    """
    from contextlib import nullcontext

    from breach import instants
    from breach.people.store import import_people
    from breach.store.session import session_factory
    sessions = session_factory(url)
    incident_id = _incident(sessions)
    cpu, started = _cpu(), time.perf_counter()
    sampler = MemorySampler() if sample_memory else nullcontext(None)
    with sampler as memory, sessions.begin() as session:
        result = import_people(session=session, incident_id=incident_id, path=path, cipher=cipher, batch_size=1000,
                               actor="bench@example.com", now=instants.utcnow())
    seconds = time.perf_counter() - started
    counts = result.report.as_counts()
    return {"rows": counts["rows"], "imported": counts["imported"], "rejected": counts["rejected"], "seconds": seconds,
            "cpu_seconds": round(_cpu() - cpu, 2), "peak_rss_mb": _peak_mb(),
            "peak_memory_mb": memory.peak(started, time.perf_counter()) if memory is not None else None}


def _sample(path: Path, limit: int) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [row for _, row in zip(range(limit), reader, strict=False)]


def child_csv_read(path: Path) -> dict[str, Any]:
    """The csv module reading the whole file."""
    started = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    return {"rows": rows, "seconds": time.perf_counter() - started}


def _contacts(path: Path, limit: int) -> list[str]:
    """The contact JSON the import seals, for the sample's rows (validation skipped: this is a ceiling)."""
    from breach.examples.generate import HEADER
    from breach.people.rows import address_lines
    from breach.people.store import contact_json
    out = []
    for row in _sample(path, limit):
        fields = dict(zip(HEADER, (value or None for value in row), strict=True))
        fields["address_lines"] = address_lines(fields)
        out.append(contact_json(fields))
    return out


def child_aes_gcm(path: Path, cipher: Any, limit: int) -> dict[str, Any]:
    """AES-GCM sealing the same contact details with the same cipher (and the same kind of binding)."""
    texts = _contacts(path, limit)
    aad = b"person:BR-2026-0001:" + bytes(16)
    started = time.perf_counter()
    for text in texts:
        cipher.encrypt(text, aad=aad)
    return {"rows": len(texts), "seconds": time.perf_counter() - started}


def child_bulk_insert(path: Path, url: str, cipher: Any, limit: int) -> dict[str, Any]:
    """The same number of rows, of the same sizes, into the people table with the same driver, committed."""
    from breach.people.writer import _COPY, _INSERT_QMARK, COLUMNS, SQLITE_CACHE_KIB
    from breach.store.session import session_factory
    sessions = session_factory(url)
    incident_id = _incident(sessions)
    aad = b"person:" + incident_id.encode() + b":"
    rows = [tuple({"incident_id": incident_id, "line": line, "batch_no": (line - 2) // 1000, "language": "da", "channel": "email",
                   "wants_letter": False, "country": "DK", "external_key": os.urandom(16), "dedup_key": os.urandom(16),
                   "contact_enc": cipher.encrypt(text, aad=aad)}.get(column) for column in COLUMNS)
            for line, text in enumerate(_contacts(path, limit), start=2)]
    started = time.perf_counter()
    with sessions.begin() as session:
        driver = session.connection().connection.driver_connection
        if session.bind.dialect.name == "postgresql":
            with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
                for row in rows:
                    copy.write_row(row)
        else:  # with the page cache the import gives itself
            cursor = driver.cursor()
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            for start in range(0, len(rows), 10_000):
                cursor.executemany(_INSERT_QMARK, rows[start:start + 10_000])
            cursor.close()
    return {"rows": len(rows), "seconds": time.perf_counter() - started}


def child(args: argparse.Namespace) -> None:
    from breach.keys.cipher import MultiKeyCipher
    cipher = MultiKeyCipher.from_master_keys([base64.b64decode(os.environ["BREACH_MASTER_KEY"])])
    path = Path(args.file)
    out = {"csv_read": lambda: child_csv_read(path), "aes_gcm": lambda: child_aes_gcm(path, cipher, args.sample),
           "bulk_insert": lambda: child_bulk_insert(path, args.db_url, cipher, args.sample),
           "import": lambda: child_import(path, args.db_url, cipher),
           MEMORY_STEP: lambda: child_import(path, args.db_url, cipher, sample_memory=True)}[args.child]()
    print(json.dumps(out))


# ----------------------------------------------------------------------------------------------- parent

def measure(step: str, path: Path, url: str, root: Path, sample: int) -> dict[str, Any]:
    """One step in a fresh child process."""
    env = {**os.environ, "BREACH_DATA_DIR": str(root / "data"), "PYTHONPATH": str(c.REPO),
           "BREACH_MASTER_KEY": os.environ.setdefault("BREACH_BENCH_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())}
    done = subprocess.run([sys.executable, __file__, "--child", step, "--file", str(path), "--db-url", url, "--sample", str(sample)],
                          env=env, capture_output=True, text=True, timeout=6 * 3600)
    if done.returncode != 0:
        raise RuntimeError(f"{step} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["rows_per_second"] = out["rows"] / out["seconds"]
    print(json.dumps({"step": step, "url": url.split(":")[0], "rows_per_second": round(out["rows_per_second"])}), file=sys.stderr)
    return out


def one_run(run: int, db: str, path: Path, root: Path, sample: int, steps: tuple[str, ...] = STEPS) -> dict[str, dict[str, Any]]:
    out = {}
    for step in steps:
        if db == "sqlite":
            url = f"sqlite:///{root / f'{db}-{run}-{step}.db'}"
            out[step] = measure(step, path, url, root, sample)
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        else:
            with _pg.database(f"bench_import_{os.getpid()}_{run}_{step}") as url:
                out[step] = measure(step, path, url, root, sample)
    return out


def summary(db: str, runs: list[dict[str, dict[str, Any]]], sampled: dict[str, Any]) -> dict[str, Any]:
    rate = {step: c.median([r[step]["rows_per_second"] for r in runs]) for step in STEPS}
    imports = [r["import"] for r in runs]
    peak = {"process": max(i["peak_rss_mb"]["process"] for i in [*imports, sampled]),
            "worker": max(i["peak_rss_mb"]["worker"] for i in [*imports, sampled])}
    memory = [sampled["peak_memory_mb"]] if sampled["peak_memory_mb"] is not None else []
    return {
        "database": db, "rows_per_second": round(rate["import"]), "seconds": round(c.median([i["seconds"] for i in imports]), 2),
        "seconds_each": [round(i["seconds"], 2) for i in imports], "cpu_seconds_each": [i["cpu_seconds"] for i in imports],
        "imported": imports[0]["imported"], "rejected": imports[0]["rejected"],
        # PSS of the importing process and its workers together (a shared page counts once), and each one's own peak RSS
        "peak_memory_mb": max(memory) if memory else None, "peak_rss_mb": peak,
        "ceilings_rows_per_second": {step: round(rate[step]) for step in STEPS[:-1]},
        "ceilings_each": {step: [round(r[step]["rows_per_second"]) for r in runs] for step in STEPS[:-1]},
        "ratio_to_ceiling": {step: round(rate["import"] / rate[step], 3) for step in STEPS[:-1]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--file", type=Path, help="an existing people file instead of a generated one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (people file, databases)")
    parser.add_argument("--child", choices=(*STEPS, MEMORY_STEP), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, default=CEILING_SAMPLE, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    root = c.temp_root("bench-import-")
    path = args.file or write_people_file(root / f"people-{args.rows}.csv", args.rows)
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    runs: dict[str, list[dict[str, dict[str, Any]]]] = {db: [] for db in dbs}
    try:
        for run in range(args.runs):
            for db in dbs:
                runs[db].append(one_run(run, db, path, root, min(args.sample, args.rows)))
        sampled = {db: one_run(args.runs, db, path, root, min(args.sample, args.rows), steps=(MEMORY_STEP,))[MEMORY_STEP]
                   for db in dbs}
        file_mb = round(path.stat().st_size / 1e6, 1)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    results = {db: summary(db, runs[db], sampled[db]) for db in dbs}
    sqlite_rate = results.get("sqlite", {}).get("rows_per_second")
    pg_rate = results.get("postgresql", {}).get("rows_per_second")
    peaks = [r["peak_memory_mb"] for r in results.values() if r["peak_memory_mb"] is not None]
    print(json.dumps({
        "rows": args.rows, "file_mb": file_mb, "runs": args.runs, "cpus": os.cpu_count(),
        "results": results,
        "postgresql_slower_by": round(sqlite_rate / pg_rate, 2) if sqlite_rate and pg_rate else None,
        "goals": {"sqlite_rows_per_second": GOAL_ROWS_PER_SECOND, "postgresql_within": GOAL_PG_WITHIN, "peak_memory_mb": GOAL_PEAK_MB},
        "met": {"sqlite_rows_per_second": bool(sqlite_rate and sqlite_rate >= GOAL_ROWS_PER_SECOND),
                "postgresql_within": bool(sqlite_rate and pg_rate and sqlite_rate / pg_rate <= GOAL_PG_WITHIN),
                "peak_memory_mb": bool(peaks) and max(peaks) < GOAL_PEAK_MB},
    }, indent=2))
    return None


if __name__ == "__main__":
    main()
