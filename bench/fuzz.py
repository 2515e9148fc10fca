"""Input fuzzing with hypothesis: facts documents, people files, CSV exports.

    .venv/bin/python bench/fuzz.py [--examples 10000] [--targets facts_arbitrary,people_file,...]

Each target feeds generated inputs to the real parser or writer and checks its promise: a bad
input gives the documented error (InvalidFacts, RowProblem, InvalidPeopleFile) and never another
exception; a refused people file leaves the database unchanged; every CSV cell that a spreadsheet
would run as a formula comes out inert. Prints JSON: examples run, failures, and the outcome counts
per target. ``tests/breach/test_fuzz_inputs.py`` runs the same targets with fewer examples.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from breach.exceptions import InvalidFacts, InvalidPeopleFile  # noqa: E402 - after the sys.path line, so the script runs from anywhere
from breach.facts import load_facts  # noqa: E402 - after the sys.path line, so the script runs from anywhere
from breach.people.importer import read_people  # noqa: E402 - after the sys.path line, so the script runs from anywhere
from breach.people.rows import COLUMNS, PersonIn, RowProblem  # noqa: E402 - after the sys.path line, so the script runs from anywhere
from notices.letters.pdf import LetterBatchInfo, LetterPages, write_manifest_csv  # noqa: E402 - after the sys.path line, so the script runs from anywhere
from notices.output import FORMULA_PREFIXES  # noqa: E402 - after the sys.path line, so the script runs from anywhere
from notices.register.entries import REGISTER_COLUMNS, write_register_csv  # noqa: E402 - after the sys.path line, so the script runs from anywhere

EXAMPLE_FACTS = json.loads((REPO / "breach" / "examples" / "facts.json").read_text(encoding="utf-8"))
NASTY = ["=HYPERLINK(\"http://evil.example.org\",\"click\")", "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1",
         "=cmd|' /C calc'!A0", "\ufeff", "\u2028", "\x00", "\"", "'", ";", ",", "\n", "\r\n", "é", "ø", "Å", "\ud800",
         "A" * 300, "x@example.org", "da", "nb", "en", "letter", "email", "DK", "GB", "1 Canary Street", "8000", ""]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le", "utf-32"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20)
cells = st.sampled_from(NASTY) | st.text(max_size=60) | st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=20))


def _only_invalid_facts(source: Any) -> str:
    try:
        load_facts(source)
    except InvalidFacts as exc:
        assert exc.field and exc.message
        return "invalid"
    return "valid"


@st.composite
def near_valid_facts(draw: st.DrawFn) -> dict[str, Any]:
    """The example document with a few keys removed, replaced or added."""
    doc = json.loads(json.dumps(EXAMPLE_FACTS))
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(sorted(doc) + ["unknown_key"]))
        action = draw(st.sampled_from(["delete", "replace", "nested"]))
        if action == "delete":
            doc.pop(key, None)
        elif action == "replace":
            doc[key] = draw(json_values | cells)
        elif isinstance(doc.get(key), dict) and doc[key]:
            inner = draw(st.sampled_from(sorted(doc[key])))
            doc[key][inner] = draw(json_values | cells)
    return doc


def check_facts_arbitrary(value: Any, raw: bytes) -> list[str]:
    direct = [_only_invalid_facts(value)] if isinstance(value, dict) else []  # load_facts takes a dict, text, bytes or a path
    return [*direct, _only_invalid_facts(json.dumps(value)), _only_invalid_facts(raw)]


def check_facts_near_valid(doc: dict[str, Any]) -> list[str]:
    return [_only_invalid_facts(doc), _only_invalid_facts(json.dumps(doc, ensure_ascii=False).encode("utf-8-sig", "surrogatepass"))]


@st.composite
def people_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A CSV or JSONL people file: known and odd columns, nasty cells, any encoding, BOMs, stray bytes."""
    kind = draw(st.sampled_from(["csv", "jsonl"]))
    columns = draw(st.lists(st.sampled_from([*COLUMNS, "Name", " email ", "extra"]), min_size=0, max_size=8, unique=True))
    if draw(st.booleans()):
        columns = ["name", "language", *[c for c in columns if c not in ("name", "language")]]
    rows = draw(st.lists(st.lists(cells, min_size=len(columns), max_size=len(columns) + 1), max_size=6))
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t"])))
        writer.writerow(columns)
        writer.writerows(rows)
        text = out.getvalue()
    else:
        text = "\n".join(json.dumps(dict(zip(columns, row, strict=False))) if draw(st.booleans()) else draw(cells) for row in rows)
    if draw(st.integers(0, 19)) == 0:  # a huge field or line (the reader's limit is 65,536 characters a line)
        text += "A" * draw(st.sampled_from([201, 255, 65_537, 70_000]))
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # lone surrogates: added as raw bytes below
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.integers(0, 9)) == 0:
        data += draw(st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe", b"\xc3", b"\x00"])) + draw(st.binary(max_size=40))
    return kind, data


def check_people_file(kind: str, data: bytes, folder: Path) -> str:
    path = folder / f"people.{kind}"
    path.write_bytes(data)
    try:
        items = list(read_people(path, index_key=b"k" * 32))
    except InvalidPeopleFile as exc:
        assert str(exc)
        return "refused"
    assert all(isinstance(item, (PersonIn, RowProblem)) for item in items)
    return "rows" if items else "empty"


def check_people_file_in_db(kind: str, data: bytes, folder: Path, db: Any) -> str:
    """A file through import_people in a transaction: refused files leave the database as it was."""
    from sqlalchemy import func, select

    from breach.people import store as people_store
    from breach.store.tables import AuditEventRow, PersonRow

    path = folder / f"people.{kind}"
    path.write_bytes(data)

    def snapshot() -> tuple[int, int]:
        with db.sessions() as session:
            return (session.execute(select(func.count()).select_from(PersonRow)).scalar_one(),
                    session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())

    before = snapshot()
    try:
        with db.sessions.begin() as session:
            people_store.import_people(session=session, incident_id=db.incident_id, path=path, cipher=db.cipher, batch_size=1000,
                                       actor="fuzz@example.org", now=datetime.now(UTC))
            raise _Undo()  # keep the database the same size run after run; the rollback is what a refusal does
    except InvalidPeopleFile:
        assert snapshot() == before, "a refused file changed the database"
        return "refused"
    except _Undo:
        assert snapshot() == before
        return "accepted"


class _Undo(Exception):
    pass


class FuzzDatabase:
    """A fresh SQLite database with one incident for the people-file import target."""

    def __init__(self, folder: Path) -> None:
        from breach.incidents.service import open_incident
        from breach.keys.cipher import MultiKeyCipher
        from breach.store.session import session_factory

        self.sessions = session_factory(f"sqlite:///{folder / 'fuzz.db'}")
        self.cipher = MultiKeyCipher(bytes(range(32)))
        with self.sessions.begin() as session:
            opened = open_incident(session=session, document=EXAMPLE_FACTS, actor="fuzz@example.org", timezone="Europe/Copenhagen",
                                   now=datetime.now(UTC))
            self.incident_id = opened.incident_id


def _inert(cell: str) -> bool:
    return not cell.startswith(FORMULA_PREFIXES)


def check_register_csv(rows: list[dict[str, Any]], folder: Path) -> str:
    path = folder / "register.csv"
    write_register_csv(rows, path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        read = list(csv.reader(handle))
    assert read[0] == list(REGISTER_COLUMNS) and len(read) == len(rows) + 1
    bad = [cell for row in read[1:] for cell in row if not _inert(cell)]
    assert not bad, f"formula cells in the register: {bad[:3]}"
    return "inert"


db_cells = cells.filter(lambda c: "\ud800" not in c and not any("\ud800" <= ch <= "\udfff" for ch in c))
register_rows = st.lists(st.fixed_dictionaries(
    {column: db_cells | st.lists(db_cells, max_size=3) | st.booleans() | st.none()
     for column in REGISTER_COLUMNS if column not in ("notified_at", "authority_deadline", "deadline_met")}), max_size=3)

# The manifest's cells are made by the system (delivery ids, file names, ISO countries), never typed by a person.
manifest_batches = st.lists(st.builds(
    LetterBatchInfo, file_name=st.from_regex(r"BR-20[0-9]{2}-[0-9]{4}_subject_notice_[0-9]{4}\.pdf", fullmatch=True),
    letters=st.integers(0, 5), pages=st.integers(0, 10),
    deliveries=st.lists(st.builds(LetterPages, delivery_id=st.integers(1, 10**9).map(str), first_page=st.integers(1, 9),
                                  last_page=st.integers(1, 9), page_count=st.integers(1, 9),
                                  country=st.from_regex(r"[A-Z]{2}", fullmatch=True)), max_size=4)), max_size=3)


def check_manifest_csv(batches: list[LetterBatchInfo], folder: Path) -> str:
    path = folder / "manifest.csv"
    write_manifest_csv(batches, path)
    with open(path, newline="", encoding="utf-8") as handle:
        cells_out = [cell for row in csv.reader(handle) for cell in row]
    assert all(_inert(cell) for cell in cells_out)
    return "inert"


def targets(folder: Path, db: FuzzDatabase | None) -> dict[str, tuple[Any, Callable[..., Any]]]:
    """name -> (strategy of argument tuples, check returning an outcome label or a list of them)."""
    found = {
        "facts_arbitrary": (st.tuples(json_values, st.binary(max_size=200)), lambda a: check_facts_arbitrary(*a)),
        "facts_near_valid": (st.tuples(near_valid_facts()), lambda a: check_facts_near_valid(*a)),
        "people_file": (people_files(), lambda a: check_people_file(*a, folder)),
        "register_csv": (register_rows, lambda a: check_register_csv(a, folder)),
        "manifest_csv": (manifest_batches, lambda a: check_manifest_csv(a, folder)),
    }
    if db is not None:
        found["people_file_db"] = (people_files(), lambda a: check_people_file_in_db(*a, folder, db))
    return found


def run_target(strategy: Any, check: Callable[..., Any], examples: int) -> dict[str, Any]:
    """Run ``check`` on ``examples`` generated inputs; count outcomes; the first failure is reported, not raised."""
    outcomes: Counter[str] = Counter()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def body(value: Any) -> None:
        result = check(value)
        outcomes.update(result if isinstance(result, list) else [result])

    started = time.monotonic()
    try:
        body()
        failure = None
    except Exception as exc:  # the report says which input broke which promise
        failure = f"{exc.__class__.__name__}: {str(exc)[:300]}"
    return {"examples": sum(outcomes.values()), "outcomes": dict(outcomes), "failure": failure,
            "seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--targets", default="", help="comma-separated subset; default all")
    args = parser.parse_args(argv)
    shm = Path("/dev/shm")  # memory-backed when present: fsync costs nothing, and the checks are about content
    folder = Path(tempfile.mkdtemp(prefix="breach-fuzz-", dir=shm if shm.is_dir() else None))
    chosen = set(filter(None, args.targets.split(",")))
    db = FuzzDatabase(folder) if not chosen or "people_file_db" in chosen else None
    report = {name: run_target(strategy, check, args.examples)
              for name, (strategy, check) in targets(folder, db).items() if not chosen or name in chosen}
    print(json.dumps({"examples_per_target": args.examples, "failures": sum(1 for r in report.values() if r["failure"]),
                      "targets": report}, indent=2))
    return 0 if all(r["failure"] is None for r in report.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
