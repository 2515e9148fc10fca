"""Storing people: the bulk import (blocks, worker processes, in-memory de-duplication, COPY/executemany)
keeps exactly the people ``read_people`` yields, with the same problems, sealed at rest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach.audit import events_for
from breach.exceptions import InvalidPeopleFile
from breach.keys.cipher import IndexSet, MultiKeyCipher
from breach.people.dedup import KeyTable, as_keys, claim_block
from breach.people.importer import ImportReport, read_people
from breach.people.rows import PersonIn, RowProblem, external_id_key
from breach.people.store import _aad, contact_json, import_people
from breach.store.tables import PersonRow
from tests.factories import make_incident

pytestmark = pytest.mark.integration

CIPHER = MultiKeyCipher.from_master_keys([b"s" * 32])
HEADER = ("external_id,name,email,language,channel,phone,address_line1,address_line2,postal_code,city,country,"
          "region,vulnerable,protected_address,esign_consent")
# Everything a row can be: kept, warned, duplicated three ways, refused, quoted, too long, not UTF-8, CR LF,
# in the United States with and without E-SIGN consent, flagged, with a bad flag or region.
ROWS = [
    "NLB-1,Søren Nørgaard,soren@example.com,da,,,Nordlysvej 1,,8000,Aarhus C,,,,,",
    "NLB-2,Kari Ødegård,kari@example.org,nb,brev,,Multestien 3A,H0201,0150,Oslo,NO,,ja,,",
    "NLB-3,Oliver Whitlock,,en,,+44 7700 900123,12 Wren Street,Flat 2,BS1 4DJ,Bristol,GB,,,yes,",
    "NLB-4,J. Nørgaard, SOREN@example.com ,da,,,,,,,,,,,",
    "NLB-1,Mette Kjær,mette@example.com,da,,,,,,,,,,,",
    "NLB-5,Bjørn Dahl,,da,letter,,Nordlysvej 3,,8000,,,,,,",
    "NLB-6,bjørn  DAHL,,da,,,nordlysvej 3,,8000,Aarhus C,,,,,",
    "NLB-7,Bjørn Dahl,,da,,,Nordlysvej 3,,8000,Aarhus C,,,,,",
    "NLB-8,Anne Lund,anne@example,da,,,,,,,,,,,",
    "NLB-9,Ida Holm,ida@example.com,sv,,,,,,,,,,,",
    'NLB-10,"Hansen, Jens",jens@example.com,da,,,"Vej 1, st.",,8000,Aarhus C,,,,,',
    "NLB-11,Åge Krogh,aage@example.com,da,,,,,,,,,,,,,",
    "NLB-12,Freja Bæk,freja@example.com,da,,,,,,,,,,," + "x" * 70_000,
    "NLB-13,Rasmus Lund,rasmus@example.com,da,fax,,,,,,,,,,",
    "",
    "NLB-14,Sofie Holm,sofie@example.com,da-DK,email,,,,,,,,,,\r",
    "NLB-1,Line Dahl,line@example.com,da,,,,,,,,,,,",
    "NLB-15,Amelia Hartley,amelia@example.com,en,,,1 Main St,,94105,San Francisco,US,CA,,,no",
    "NLB-16,George Marsh,george@example.com,en,,,,,,,US,Massachusetts,,,",
    "NLB-17,Priya Okafor,priya@example.com,en-US,,,2 Elm St,,02108,Boston,US,MA,no,,yes",
    "NLB-18,Rhys Brennan,rhys@example.com,en,,,,,,,US,ZZ,,,",
    "NLB-19,Tuva Lie,tuva@example.org,nb,,,,,,,NO,,maybe,,",
]


def people_file(tmp_path: Path, copies: int = 40, name: str = "people.csv") -> Path:
    """ROWS again and again, each copy with its own addresses and numbers (the duplicates stay inside a copy)."""
    lines = [HEADER]
    for copy in range(copies):
        lines += [row.replace("@example", f"+{copy}@example").replace("NLB-", f"NLB-{copy}-").replace(" 3,", f" {copy + 3},")
                  for row in ROWS]
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + "NLB-99,J\xf8rgen,,da,,,,,,,,,,,\n".encode("latin-1"))
    return path


def reference(path: Path) -> tuple[list[PersonIn], list[RowProblem], ImportReport]:
    items = list(read_people(path, index_key=CIPHER.index_key))
    report = ImportReport()
    for item in items:
        report.add(item)
    return ([i for i in items if isinstance(i, PersonIn)], [i for i in items if isinstance(i, RowProblem)], report)


def stored(session: Session, incident_id: str) -> list[tuple]:
    rows = session.execute(select(PersonRow).where(PersonRow.incident_id == incident_id).order_by(PersonRow.id)).scalars()
    return [(r.line, r.batch_no, r.language, r.channel, r.wants_letter, r.country, bytes(r.dedup_key),
             json.loads(CIPHER.decrypt(r.contact_enc, aad=_aad(incident_id, bytes(r.dedup_key)))),
             (r.region, r.vulnerable, r.protected_address, r.esign_consent, r.external_key and bytes(r.external_key), r.notice_variant))
            for r in rows]


@pytest.mark.parametrize(("workers", "block_bytes"), [(0, 1 << 20), (2, 4096), (3, 700)])
def test_bulk_import_keeps_what_read_people_yields(session, now, tmp_path, workers, block_bytes):
    path = people_file(tmp_path)
    incident_id = make_incident(session=session, now=now)
    marks: list[int] = []
    result = import_people(session=session, incident_id=incident_id, path=path, cipher=CIPHER, batch_size=7, actor="r@example.com",
                           now=now, progress=marks.append, workers=workers, block_bytes=block_bytes)
    people, problems, report = reference(path)
    assert result.report.as_counts() == report.as_counts()
    assert result.problems == problems
    assert result.report.samples == problems[:100]
    assert [row[:7] for row in stored(session, incident_id)] == [
        (p.line, i // 7, p.language.value, p.channel.value, p.wants_letter, p.country, p.dedup_key) for i, p in enumerate(people)]
    assert [row[7] for row in stored(session, incident_id)] == [json.loads(contact_json(p.model_dump())) for p in people]
    assert [row[8] for row in stored(session, incident_id)] == [
        (p.region, p.vulnerable, p.protected_address, p.esign_consent, external_id_key(p, CIPHER.index_key), "") for p in people]
    assert marks[-1] == len(people) and marks == sorted(marks)
    assert report.imported > 200 and report.problems["duplicate"] >= 4 * 40  # the file is what the test thinks it is
    assert {"invalid_flag", "invalid_region", "no_esign_consent"} <= set(report.problems)
    assert {(p.region, p.language, p.channel) for p in people if p.country == "US"} >= {("CA", "en-US", "letter"), ("MA", "en-US", "email")}
    [event] = [e for e in events_for(session=session, incident_id=incident_id) if e.action == "people.imported"]
    assert event.details["imported"] == len(people)


def test_a_second_file_keeps_only_new_people_and_the_same_file_is_skipped(session, now, tmp_path):
    incident_id = make_incident(session=session, now=now)
    first = people_file(tmp_path, copies=2, name="first.csv")
    second = people_file(tmp_path, copies=3, name="second.csv")  # copies 0 and 1 again, then copy 2
    kwargs = {"session": session, "incident_id": incident_id, "cipher": CIPHER, "batch_size": 5, "actor": "r@example.com",
              "now": now, "workers": 2, "block_bytes": 512}
    one = import_people(path=first, **kwargs)
    two = import_people(path=second, **kwargs)
    again = import_people(path=second, **kwargs)
    assert again.skipped_same_file and again.report.rows == 0
    new_people, _, _ = reference(tmp_path / "second.csv")
    already = {p.dedup_key for p in reference(first)[0]}
    fresh = [p for p in new_people if p.dedup_key not in already]
    assert two.report.imported == len(fresh) > 0
    assert sum(1 for p in two.problems if p.message == "duplicate of a person already imported") == len(new_people) - len(fresh)
    rows = stored(session, incident_id)
    assert len(rows) == one.report.imported + two.report.imported
    assert [r[1] for r in rows] == [i // 5 for i in range(len(rows))]  # batch numbers continue across files


def test_an_unusable_file_stores_nothing(session, now, tmp_path):
    incident_id = make_incident(session=session, now=now)
    bad = tmp_path / "people.csv"
    bad.write_text("name,email\nJens,jens@example.com\n", encoding="utf-8")
    with pytest.raises(InvalidPeopleFile, match="language"):
        import_people(session=session, incident_id=incident_id, path=bad, cipher=CIPHER, batch_size=5, actor="r", now=now, workers=2)
    empty = tmp_path / "people.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InvalidPeopleFile, match="empty"):
        import_people(session=session, incident_id=incident_id, path=empty, cipher=CIPHER, batch_size=5, actor="r", now=now)
    assert session.scalar(select(func.count()).where(PersonRow.incident_id == incident_id)) == 0


def test_key_table_finds_what_it_was_given_and_grows():
    rng = np.random.default_rng(7)
    keys = [bytes(rng.integers(0, 256, 16, dtype=np.uint8)) for _ in range(5000)]
    table = KeyTable()
    for start in range(0, 4000, 1000):
        table.add(as_keys(keys[start:start + 1000]), np.arange(start + 1, start + 1001, dtype=np.uint32))
    assert len(table) == 4000 and table.capacity > 4000
    assert table.find(as_keys(keys)).tolist() == list(range(1, 4001)) + [0] * 1000


def test_claim_block_is_index_set_claim_row_by_row():
    rng = np.random.default_rng(11)
    pool = [bytes(rng.integers(0, 256, 16, dtype=np.uint8)) for _ in range(60)]  # few keys: many clashes
    rows = [(line, pool[rng.integers(0, 40)], pool[40 + rng.integers(0, 20)] if rng.random() < 0.6 else None)
            for line in range(2, 602)]
    expected, index = [], IndexSet()
    for line, key, external in rows:
        which, first = index.claim([key] if external is None else [key, external], line)
        expected.append(None if which < 0 else (which, first))
    table, got = KeyTable(), []
    for start in range(0, len(rows), 97):
        block = rows[start:start + 97]
        kept, seen = claim_block(table, b"".join(k for _, k, _ in block), [e for _, _, e in block], [line for line, _, _ in block])
        got += [None if kept[i] else seen[i] for i in range(len(block))]
    assert got == expected
    assert any(g is None for g in got) and any(g and g[0] == 1 for g in got)


def test_keys_that_share_a_half_are_different_people():
    """A block's repeated keys are found by their first halves; keys equal only there are still two people."""
    half = bytes(range(8))
    identity = [half + bytes([i] * 8) for i in range(4)] + [half + bytes([0] * 8)]  # the last repeats the first
    externals = [None, bytes([9] * 8) + half, None, bytes([9] * 8) + bytes(8), bytes([9] * 8) + half]
    table = KeyTable()
    kept, seen = claim_block(table, b"".join(identity), externals, [2, 3, 4, 5, 6])
    assert kept.tolist() == [True, True, True, True, False] and seen == {4: (0, 2)}
    assert table.find(as_keys(identity[:4])).tolist() == [2, 3, 4, 5]


def test_blocks_stay_bounded_and_a_line_too_long_to_hold_is_one_problem(tmp_path):
    from breach.people.importer import _LONG_LINE_BYTES, block_lines, blocks

    path = tmp_path / "people.csv"
    with open(path, "wb") as out:
        out.write(b"name,language\nJens Hansen,da\n" + b"x" * (3 * _LONG_LINE_BYTES) + b",da\nAnne Lund,da\n" + b"Ida Holm,da")
    with open(path, "rb") as raw:
        got = list(blocks(raw, 4096))
    assert max(len(data) for _, data in got if data is not None) <= 4096 + _LONG_LINE_BYTES  # never the whole long line
    lines = [(number, text) for first, data in got for number, text in block_lines(first, data)]
    assert lines == [(1, "name,language"), (2, "Jens Hansen,da"), (3, None), (4, "Anne Lund,da"), (5, "Ida Holm,da")]
