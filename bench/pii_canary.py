"""Personal data stays where it belongs: run the whole workflow with canary people, then search for them.

    .venv/bin/python bench/pii_canary.py [--people 200] [--keep DIR]

Every canary person has a unique name, e-mail, street address, phone and national id (in
``external_id``), each carrying the run's tag: a random text tag (``zq`` and 8 hex digits) in the
words, and a 10-digit number derived from it in the phone number (digits only, so a phone that
leaks is found too). Before anything is scanned, the search is checked on every canary value: one it
would not find fails the bench, and so does a positive control of zero (the canaries must be found
in their intended output, the e-mails). After the run (fresh
PREFECT_HOME and data dir, auto-approval as in ``breach demo``) every place the run left data is
searched for the tag and for each canary value: Prefect's database (every table and column, plus
the raw file and its WAL), Prefect's result storage (raw, base64-decoded and cloudpickle-decoded),
the project's database outside ``people.contact_enc`` (every other table and column, plus the raw
SQLite file and WAL, where the encrypted column is ciphertext), and every file the run wrote into
the data dir (audit exports, register CSV, letter manifests, filing pack, logs) except the
intended output: the ``.eml`` e-mails and the letter PDFs, listed under ``excluded``.

Prints JSON: ``hits`` (count and where), ``places_scanned``, ``excluded``, ``control_hits_in_eml``,
``values_not_found_by_the_search`` (must be empty); exit code 1 on a hit or a failed control.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import hashlib
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HEADER = ["name", "language", "email", "channel", "address_line1", "postal_code", "city", "country", "external_id", "phone"]
INTENDED_OUTPUT = {".eml", ".pdf"}


def run_number(tag: str) -> str:
    """The run's numeric tag: 10 digits derived from the text tag (for values that hold digits only)."""
    return str(10**9 + int.from_bytes(hashlib.sha256(tag.encode()).digest()[:8], "big") % (9 * 10**9))


def canary_people(n: int, tag: str) -> list[dict[str, str]]:
    """Invented people whose every identifying value carries ``tag`` (example.org addresses only)."""
    number, people = run_number(tag), []
    for i in range(n):
        letter = i % 4 == 0
        people.append({
            "name": f"Canary{tag} Person{i:05d}", "language": ("da", "nb", "en")[i % 3],
            "email": "" if i % 10 == 9 else f"canary.{tag}.{i:05d}@example.org", "channel": "letter" if letter else "",
            "address_line1": f"{i} Canary{tag} Street", "postal_code": f"{1000 + i % 8000}", "city": "Canary Town",
            "country": ("DK", "NO", "GB")[i % 3], "external_id": f"NID{tag}{i:06d}", "phone": f"+45{number}{i:04d}",
        })
    return people


def write_people_csv(path: Path, people: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(people)
    return path


def canary_values(people: list[dict[str, str]]) -> list[str]:
    """Every identifying value of the canaries (what must not leak)."""
    return [p[k] for p in people for k in ("name", "email", "address_line1", "external_id", "phone") if p[k]]


class Finder:
    """Searches text and bytes for the run's tags (the text tag case-insensitive, and its number) and counts hits per place."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        either = f"{re.escape(tag)}|{run_number(tag)}"
        self._text = re.compile(either, re.IGNORECASE)
        self._bytes = re.compile(either.encode(), re.IGNORECASE)
        self.hits: dict[str, int] = {}
        self.places: list[str] = []

    def place(self, name: str) -> None:
        self.places.append(name)

    def search(self, where: str, value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, (bytes, bytearray, memoryview)):
            found = len(self._bytes.findall(bytes(value)))
        else:
            found = len(self._text.findall(value if isinstance(value, str) else json.dumps(value, default=str)))
        if found:
            self.hits[where] = self.hits.get(where, 0) + found
        return found


def _decoded_forms(data: bytes) -> Iterator[tuple[str, bytes]]:
    """Base64 strings inside ``data`` decoded, and cloudpickle payloads unpickled to their repr."""
    for match in re.finditer(rb"[A-Za-z0-9+/=_-]{16,}", data):
        try:
            raw = base64.b64decode(match.group(0) + b"==", altchars=b"-_" if b"-" in match.group(0) else None)
        except (binascii.Error, ValueError):
            continue
        yield "base64", raw
        if raw[:1] == b"\x80":
            try:
                import cloudpickle

                yield "cloudpickle", repr(cloudpickle.loads(raw)).encode("utf-8", "replace")
            except Exception:  # anything that does not unpickle is simply not a pickle
                continue


def sqlite_file_bytes(path: Path) -> bytes:
    """The bytes of a live SQLite file (database, WAL, journal), read by another process.

    Closing a file descriptor of the database in this process would drop every POSIX lock this
    process's own SQLite connections hold on it (sqlite.org/howtocorrupt.html, section 2.2); another
    process may then delete the WAL under them ("disk I/O error" on their next connection).
    """
    return subprocess.run(["cat", "--", str(path)], capture_output=True, check=True).stdout


def scan_file(finder: Finder, path: Path, label: str) -> None:
    finder.place(label)
    data = path.read_bytes()
    finder.search(label, data)
    for form, decoded in _decoded_forms(data):
        finder.search(f"{label} ({form})", decoded)


def scan_tree(finder: Finder, root: Path, label: str, skip: Iterable[Path] = ()) -> list[str]:
    """Scan every file under ``root`` except intended output; returns the excluded files."""
    excluded, skip = [], {p.resolve() for p in skip}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.resolve() in skip:
            continue
        if path.suffix.lower() in INTENDED_OUTPUT:
            excluded.append(str(path.relative_to(root)))
            continue
        scan_file(finder, path, f"{label}/{path.relative_to(root)}")
    return excluded


def scan_sqlite(finder: Finder, db: Path, label: str, skip_columns: set[tuple[str, str]] = frozenset()) -> None:
    """Every table and column of a SQLite database (read-only), then the raw file and WAL bytes."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            finder.place(f"{label}:{table}")
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if (table, column) not in skip_columns:
                        finder.search(f"{label}:{table}.{column}", value)
    for suffix in ("", "-wal", "-journal"):
        raw = Path(f"{db}{suffix}")
        if raw.exists():
            finder.place(f"{label} raw file{suffix}")
            finder.search(f"{label} raw file{suffix}", sqlite_file_bytes(raw))


def scan_database_url(finder: Finder, url: str, label: str, skip_columns: set[tuple[str, str]]) -> None:
    """Every table and column through SQLAlchemy (SQLite or PostgreSQL)."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            finder.place(f"{label}:{table.name}")
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    if (table.name, column) not in skip_columns:
                        finder.search(f"{label}:{table.name}.{column}", value)
    engine.dispose()
    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal"):
            if Path(f"{db}{suffix}").exists():
                finder.place(f"{label} raw file{suffix}")
                finder.search(f"{label} raw file{suffix}", sqlite_file_bytes(Path(f"{db}{suffix}")))


def prefect_database_path() -> Path | None:
    """The SQLite file of the Prefect server in use (ephemeral or test harness), if it is SQLite."""
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url
    text = url.get_secret_value() if hasattr(url, "get_secret_value") else str(url or "")
    match = re.match(r"sqlite\+aiosqlite:///(.+)", text)
    return Path(match.group(1)) if match else None


def scan_run(*, tag: str, people: list[dict[str, str]], prefect_home: Path, data_dir: Path, breach_db_url: str,
             skip_files: Iterable[Path] = ()) -> dict[str, Any]:
    """Search everything a run left for the canaries; the report printed by this script."""
    finder = Finder(tag)
    prefect_db = prefect_database_path()
    if prefect_db is not None and prefect_db.exists():
        scan_sqlite(finder, prefect_db, "prefect-db")
    excluded = scan_tree(finder, prefect_home, "PREFECT_HOME", skip=[prefect_db] if prefect_db else [])
    protected = {("people", "contact_enc")}
    scan_database_url(finder, breach_db_url, "breach-db", protected)
    db_files = [Path(f"{breach_db_url.removeprefix('sqlite:///')}{s}") for s in ("", "-wal", "-shm")]
    excluded += scan_tree(finder, data_dir, "data-dir", skip=[*skip_files, *db_files])
    values = set(canary_values(people))
    unseen = sorted(v for v in values if not Finder(tag).search("self-check", v))  # each value carries a tag the search finds
    control = Finder(tag)  # positive control: the canaries did reach their intended output
    for name in excluded:
        root = prefect_home if (prefect_home / name).exists() else data_dir
        control.search("intended output", (root / name).read_bytes() if (root / name).suffix == ".eml" else b"")
    storage = prefect_home / "storage"
    return {"hits": {"count": sum(finder.hits.values()), "where": finder.hits}, "places_scanned": len(finder.places),
            "places": sorted({p.split(" (")[0] for p in finder.places}), "canary_people": len(people),
            "canary_values": len(values), "tag": tag,
            "excluded": {"why": "intended output: e-mails (.eml) and letters (PDF) to the affected people",
                         "files": len(excluded), "kinds": sorted({Path(e).suffix for e in excluded})},
            "control_hits_in_eml": control.hits.get("intended output", 0),
            "values_not_found_by_the_search": len(unseen),
            "result_storage_files": len([p for p in storage.rglob("*") if p.is_file()]) if storage.exists() else 0,
            "protected": ["breach-db:people.contact_enc (AES-256-GCM ciphertext; still scanned in the raw file)"]}


def run_workflow(*, people: list[dict[str, str]], data_dir: Path, work: Path) -> dict[str, Any]:
    """The whole breach-response flow on the example facts with these people, approved as in `breach demo`."""
    from breach.facts import load_facts
    from flows.breach_response import breach_response
    from flows.cli import demo
    from flows.cli.console import console
    from flows.progress import subscribe

    console.file = sys.stderr  # stdout is for the JSON report
    folder = demo.example_dir("dk")
    demo._prepare(data_dir, folder)
    people_file = write_people_csv(work / "people.csv", people)
    unsubscribe = subscribe(demo._approve_when_paused)
    try:
        return breach_response(load_facts(demo._facts_as_of_now(data_dir, folder)), str(people_file))
    finally:
        unsubscribe()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="keep the run's folders here instead of a temporary folder")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="pii-canary-"))
    work.mkdir(parents=True, exist_ok=True)
    prefect_home = work / "prefect-home"
    os.environ.update({"PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                       "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600"})
    for name in ("SENDGRID_API_KEY", "BREACH_MASTER_KEY", "PREFECT_API_URL"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(REPO))
    tag = "zq" + secrets.token_hex(4)
    people = canary_people(args.people, tag)
    data_dir = work / "data"
    result = run_workflow(people=people, data_dir=data_dir, work=work)
    from flows.runtime import runtime

    report = scan_run(tag=tag, people=people, prefect_home=prefect_home, data_dir=data_dir,
                      breach_db_url=runtime().settings.database_url)
    report.update({"incident_id": result["incident_id"], "decision": result["decision"], "work_dir": str(work)})
    print(json.dumps(report, indent=2))
    failed = report["hits"]["count"] or not report["control_hits_in_eml"] or report["values_not_found_by_the_search"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
