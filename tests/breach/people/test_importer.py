"""Streaming import of affected people: validation, channels, de-duplication, no personal data in problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breach.enums import Channel, Language
from breach.examples.generate import HEADER, PEOPLE_CSV, generate_people
from breach.exceptions import InvalidPeopleFile
from breach.keys.cipher import blind_index
from breach.people.importer import ImportReport, read_people
from breach.people.rows import PersonIn, ProblemCode, RowProblem, choose_channel, dedup_key, normalise_email, normalise_language

pytestmark = pytest.mark.unit

COLUMNS = "name,language,email,channel,address_line1,address_line2,postal_code,city,country,external_id,phone"
SECRET = b"s" * 32


def write(tmp_path: Path, text: str, *, name: str = "people.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def csv_file(tmp_path: Path, *rows: str, header: str = COLUMNS, **kwargs) -> Path:
    return write(tmp_path, "\n".join([header, *rows]) + "\n", **kwargs)


def split(items: list[PersonIn | RowProblem]) -> tuple[list[PersonIn], list[RowProblem]]:
    return [i for i in items if isinstance(i, PersonIn)], [i for i in items if isinstance(i, RowProblem)]


def read_all(path: Path, **kwargs) -> tuple[list[PersonIn], list[RowProblem]]:
    return split(list(read_people(path, **kwargs)))


def test_good_file_is_normalised(tmp_path):
    path = csv_file(
        tmp_path,
        "Søren Nørgaard,da-DK, Soren.Norgaard@Example.COM ,,,,,,,NLB-1,+45 00 00 00 01",
        "Ingrid Bråten,nb-NO,ingrid@example.org,brev,Fjordglimtveien 7B,,0150,Oslo,no,NLB-2,",
        "Oliver Whitlock,en_GB,,,12 Wren Street,Flat 2,BS1 4DJ,Bristol,UK,,",
    )
    people, problems = read_all(path)
    assert problems == []
    soren, ingrid, oliver = people
    assert (soren.line, soren.language, soren.country) == (2, Language.DA, "DK")
    assert soren.email == "soren.norgaard@example.com"
    assert soren.channel == Channel.EMAIL and not soren.wants_letter
    assert (ingrid.language, ingrid.country) == (Language.NB, "NO")
    assert (ingrid.channel, ingrid.wants_letter) == (Channel.LETTER, True)
    assert ingrid.address_lines() == ["Fjordglimtveien 7B", "0150 Oslo"]
    assert (oliver.channel, oliver.country) == (Channel.LETTER, "GB")  # no e-mail, full address: letter fallback
    assert oliver.address_lines() == ["12 Wren Street", "Flat 2", "BRISTOL", "BS1 4DJ"]


def test_person_repr_hides_personal_data(tmp_path):
    path = csv_file(tmp_path, "Søren Nørgaard,da,soren@example.com,,Nordlysvej 1,,8000,Aarhus C,,NLB-1,")
    [person], _ = read_all(path)
    for secret in ("Søren", "soren@example.com", "Nordlysvej", "NLB-1"):
        assert secret not in repr(person)


@pytest.mark.parametrize(("value", "expected"), [
    ("da", Language.DA), ("DA-dk", Language.DA), ("no", Language.NB), ("nn", Language.NB), ("nb_NO", Language.NB),
    ("en-GB", Language.EN), ("en-US", Language.EN), ("sv", None), ("", None), ("d", None),
])
def test_language_normalisation(value, expected):
    assert normalise_language(value) == expected


@pytest.mark.parametrize("value", [
    "a@b.dk", "first.last+tag@example.com", "o'brien@example.org", "jens@blåbær.dk", "x@sub.example.co.uk",
])
def test_plausible_emails(value):
    assert normalise_email(value) == value.lower()


@pytest.mark.parametrize("value", [
    "plain", "a@b", "a@@b.dk", "a b@example.com", "a@example..com", ".a@example.com", "a.@example.com",
    "a@-example.com", "a@example.com,b@example.com", "a@example.com>", "a@example.1", "a" * 65 + "@example.com",
    "a@" + "b" * 250 + ".dk",
])
def test_implausible_emails(value):
    assert normalise_email(value) is None


@pytest.mark.parametrize(("wants", "email", "address", "expected"), [
    (True, True, True, Channel.LETTER), (True, True, False, Channel.EMAIL), (True, False, False, Channel.NONE),
    (False, True, True, Channel.EMAIL), (False, False, True, Channel.LETTER), (False, False, False, Channel.NONE),
])
def test_choose_channel(wants, email, address, expected):
    assert choose_channel(wants_letter=wants, has_email=email, has_complete_address=address) == expected


def test_missing_required_column_names_it(tmp_path):
    path = csv_file(tmp_path, "Søren Nørgaard,soren@example.com", header="name,email")
    with pytest.raises(InvalidPeopleFile, match="language") as caught:
        read_people(path)
    assert "name" not in str(caught.value).split(":", 1)[1]
    assert caught.value.line == 1


def test_headerless_file_does_not_echo_the_first_person(tmp_path):
    path = write(tmp_path, "Søren Nørgaard,da,soren@example.com\n")
    with pytest.raises(InvalidPeopleFile) as caught:
        read_people(path)
    assert "Søren" not in str(caught.value) and "soren@" not in str(caught.value)
    assert "name" in str(caught.value) and "language" in str(caught.value)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"), (b"\xef\xbb\xbf\n\n", "empty"), (b"n\xe6vn,language\n", "UTF-8"),
    ("name,language\n".encode("utf-16"), "UTF-16"), (b"name,name,language\n", "more than once"),
    (b"name,language\rJens,da\r", "CR alone"),
])
def test_unreadable_files_raise(tmp_path, content, message):
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidPeopleFile, match=message):
        read_people(path)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(InvalidPeopleFile, match="cannot open"):
        read_people(tmp_path / "nowhere.csv")
    with pytest.raises(InvalidPeopleFile, match="unknown file type"):
        read_people(write(tmp_path, "name,language\n", name="people.xlsx"))


def test_header_only_file_yields_nothing(tmp_path):
    assert list(read_people(csv_file(tmp_path))) == []


@pytest.mark.parametrize(("row", "column", "code", "secret"), [
    ("Jens Hansen,da,jens.hansen@@example.com,,,,,,,,", "email", "invalid_email", "jens.hansen@@example.com"),
    ("Jens Hansen,sv,jens@example.com,,,,,,,,", "language", "invalid_language", "Jens Hansen"),
    (",da,jens@example.com,,,,,,,,", "name", "missing_value", "jens@example.com"),
    ("Jens Hansen,,jens@example.com,,,,,,,,", "language", "missing_value", "jens@example.com"),
    ("Jens Hansen,da,jens@example.com,pigeon,,,,,,,", "channel", "invalid_channel", "pigeon"),
    ("Jens Hansen,da,jens@example.com,,,,,,Danmark,,", "country", "invalid_country", "Danmark"),
    ("Jens Hansen,da,jens@example.com,,,,,,,," + "9" * 201, "phone", "field_too_long", "9" * 201),
    ("Jens Hansen,da,jens@example.com,,,,,,,,,extra", None, "malformed_row", "Jens Hansen"),
    ("Jens Hansen,da,jens@example.com", None, "malformed_row", "jens@example.com"),
])
def test_bad_rows_are_problems_without_personal_data(tmp_path, row, column, code, secret):
    path = csv_file(tmp_path, "Anne Lund,da,anne@example.com,,,,,,,,", row, "Mads Holm,da,mads@example.com,,,,,,,,")
    people, problems = read_all(path)
    assert [p.line for p in people] == [2, 4]  # good rows around a bad one survive
    [problem] = problems
    assert (problem.line, problem.column, problem.code, problem.rejected) == (3, column, code, True)
    assert secret not in str(problem) and secret not in repr(problem)
    assert str(problem).startswith("line 3")


@pytest.mark.parametrize("injected", ["\r", "\x00", "\u2028", "\x85", "\t"])
def test_line_breaks_and_control_characters_are_refused(tmp_path, injected):
    row = f'"Jens Hansen","da","jens@example.com{injected}Bcc: victim@example.org",,,,,,,,'
    path = write(tmp_path, f"{COLUMNS}\n{row}\nMads Holm,da,mads@example.com,,,,,,,,\n")
    people, problems = read_all(path)
    assert [p.line for p in people] == [3]
    [problem] = problems
    assert problem.line == 2 and problem.code in {"control_character", "malformed_row"}
    assert "victim" not in str(problem)


def test_quoted_newline_cannot_smuggle_a_header(tmp_path):
    path = write(tmp_path, f'{COLUMNS}\n"Jens Hansen",da,"jens@example.com\nBcc: victim@example.org",,,,,,,,\n')
    people, problems = read_all(path)
    assert people == []
    assert {p.line for p in problems} == {2, 3} and all("victim" not in str(p) for p in problems)


def test_crlf_line_endings_are_fine(tmp_path):
    path = write(tmp_path, f"{COLUMNS}\r\nJens Hansen,da,jens@example.com,,,,,,,,\r\n")
    [person], problems = read_all(path)
    assert problems == [] and person.email == "jens@example.com"


def test_bad_bytes_spoil_only_their_row(tmp_path):
    path = tmp_path / "people.csv"
    latin1 = "Jørgen Kjær,da,,,,,,,,,\n".encode("latin-1")
    path.write_bytes(f"{COLUMNS}\n".encode() + latin1 + "Åse Lund,da,aase@example.com,,,,,,,,\n".encode())
    [person], [problem] = read_all(path)
    assert person.name == "Åse Lund"
    assert (problem.line, problem.column, problem.code) == (2, "name", "bad_encoding")


def test_incomplete_letter_address_warns_and_falls_back(tmp_path):
    path = csv_file(
        tmp_path,
        "Jens Hansen,da,jens@example.com,letter,Nordlysvej 3,,,Aarhus C,,,",
        "Mette Kjær,da,,post,Nordlysvej 5,,8000,,,,",
        "Bjørn Dahl,da,,,,,,,,,",
    )
    items = list(read_people(path))
    people, problems = split(items)
    assert [(p.line, p.channel) for p in people] == [(2, Channel.EMAIL), (3, Channel.NONE), (4, Channel.NONE)]
    assert [(p.line, p.column, p.code, p.rejected) for p in problems] == [
        (2, "postal_code", "incomplete_address", False), (3, "city", "incomplete_address", False)]
    assert "Nordlysvej" not in str(problems[0])
    report = ImportReport()
    for item in items:
        report.add(item)
    counts = report.as_counts()
    assert (counts["rows"], counts["imported"], counts["rejected"], counts["warnings"]) == (3, 3, 0, 2)
    assert counts["channels"] == {"email": 1, "none": 2}


def test_duplicates_by_email_address_and_external_id(tmp_path):
    path = csv_file(
        tmp_path,
        "Jens Hansen,da,jens@example.com,,,,,,,NLB-1,",
        "J. Hansen,da, JENS@example.com ,,,,,,,NLB-2,",
        "Mette Kjær,da,mette@example.com,,,,,,,NLB-1,",
        "Bjørn Dahl,da,,,Nordlysvej 3,,8000,Aarhus C,,,",
        "bjørn  DAHL,da,,,nordlysvej 3,,8000,Aarhus,,,",
        "Bjørn Dahl,da,,,Nordlysvej 3,,8200,Aarhus N,,,",
        "Anne Lund,da,anne@example.com,,,,,,,nlb-1,",
    )
    people, problems = read_all(path)
    assert [p.line for p in people] == [2, 5, 7]
    assert [(p.line, p.column, p.code, p.message) for p in problems] == [
        (3, "email", "duplicate", "duplicate of line 2"),
        (4, "external_id", "duplicate", "duplicate of line 2"),
        (6, "name", "duplicate", "duplicate of line 5"),
        (8, "external_id", "duplicate", "duplicate of line 2"),
    ]


def test_dedup_key_is_keyed_stable_and_matches_the_reader(tmp_path):
    path = csv_file(tmp_path, "Jens Hansen,da,Jens@Example.com,,,,,,,,",
                    "Anne Lund,da,,,Nordlysvej 3,,8000,Aarhus C,,,")
    jens, anne = read_all(path, index_key=SECRET)[0]
    assert jens.dedup_key == dedup_key(jens, SECRET) and len(jens.dedup_key) == 16
    assert dedup_key(jens, SECRET) != dedup_key(jens, b"t" * 32)
    assert dedup_key(jens, SECRET) != dedup_key(anne, SECRET)
    again = read_all(path, index_key=SECRET)[0][0]
    assert again.dedup_key == jens.dedup_key
    assert jens.dedup_key != blind_index("jens@example.com", key=SECRET)  # domain-separated from plain indexes


def test_bom_and_semicolons(tmp_path):
    path = csv_file(tmp_path, "Søren Nørgaard;da;soren@example.com;;Nordlysvej 1, 2. th.;;8000;Aarhus C;;;",
                    header=COLUMNS.replace(",", ";"), bom=True)
    [person], problems = read_all(path)
    assert problems == []
    assert person.name == "Søren Nørgaard" and person.address_line1 == "Nordlysvej 1, 2. th."


def test_quoted_fields_and_extra_columns(tmp_path):
    path = csv_file(tmp_path, '"Hansen, Jens",da,jens@example.com,,"Vej 1, st.",,8000,Aarhus C,,,,ignored',
                    header=COLUMNS + ",notes")
    [person], problems = read_all(path)
    assert problems == [] and person.name == "Hansen, Jens"


def test_jsonl(tmp_path):
    lines = [
        json.dumps({"name": "Kari Ødegård", "language": "no", "email": "kari@example.org", "postal_code": 150,
                    "external_id": 4711}, ensure_ascii=False),
        "",
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"name": "Eirik Lie", "language": "nb", "email": None, "phone": True}),
        json.dumps({"Name": "Eirik Lie", "Language": "nb", "Email": "eirik@example.org", "extra": {"x": 1}}),
    ]
    path = write(tmp_path, "\n".join(lines) + "\n", name="people.jsonl")
    people, problems = read_all(path, default_country="NO")
    assert [(p.line, p.country, p.postal_code, p.external_id) for p in people] == [(1, "NO", "150", "4711"),
                                                                                   (6, "NO", None, None)]
    assert [(p.line, p.code) for p in problems] == [(3, "malformed_row"), (4, "malformed_row"), (5, "invalid_type")]


def test_empty_jsonl_raises(tmp_path):
    with pytest.raises(InvalidPeopleFile, match="empty"):
        read_people(write(tmp_path, "\n\n", name="people.ndjson"))


def test_overlong_line_is_one_problem(tmp_path):
    path = csv_file(tmp_path, "Jens Hansen,da,jens@example.com,,,,,,,," + "x" * 70_000, "Anne Lund,da,,,,,,,,,")
    people, problems = read_all(path)
    assert [p.line for p in people] == [3]
    assert [(p.line, p.code) for p in problems] == [(2, "field_too_long")]


def test_report_counts_problems_and_people(tmp_path):
    path = csv_file(tmp_path, "Jens Hansen,da,jens@example.com,,,,,,,,", "Jens,da,jens@example.com,,,,,,,,",
                    "Anne Lund,xx,,,,,,,,,")
    report = ImportReport()
    for item in read_people(path):
        report.add(item)
    assert report.as_counts() == {
        "rows": 3, "imported": 1, "rejected": 2, "warnings": 0,
        "problems": {"duplicate": 1, "invalid_language": 1}, "channels": {"email": 1}, "languages": {"da": 1},
    }
    assert [p.line for p in report.samples] == [3, 4]


def test_bundled_people_csv_imports_cleanly():
    report = ImportReport()
    languages = set()
    for item in read_people(PEOPLE_CSV, index_key=SECRET):
        report.add(item)
        if isinstance(item, PersonIn):
            languages.add(item.language)
            assert item.email is None or item.email.endswith(("@example.com", "@example.org"))
    counts = report.as_counts()
    assert (counts["rows"], counts["imported"], counts["problems"]) == (1000, 1000, {})
    assert counts["channels"] == {"email": 870, "letter": 122, "none": 8}
    assert 550 < counts["languages"]["da"] < 650 and 250 < counts["languages"]["nb"] < 350
    assert languages == {Language.DA, Language.NB, Language.EN}


def test_bundled_people_csv_is_what_the_generator_writes():
    import csv

    with open(PEOPLE_CSV, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == HEADER
    assert rows == generate_people()


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.one_of(st.sampled_from([COLUMNS, COLUMNS.replace(",", ";"), "name,language", "language"]), _text),
       rows=st.lists(st.lists(_text, max_size=12), max_size=6), junk=st.binary(max_size=60))
def test_arbitrary_csv_never_raises_anything_else(tmp_path, header, rows, junk):
    body = "\n".join(",".join(cells) for cells in rows).encode("utf-8", "surrogatepass")
    path = tmp_path / "fuzz.csv"
    path.write_bytes(header.encode() + b"\n" + body + b"\n" + junk)
    try:
        items = list(read_people(path))
    except InvalidPeopleFile:
        return
    assert all(isinstance(item, (PersonIn, RowProblem)) for item in items)
    for item in items:
        if isinstance(item, RowProblem):
            assert item.code in set(ProblemCode) and item.line >= 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(
    st.dictionaries(st.sampled_from(COLUMNS.split(",")),
                    st.one_of(_text, st.integers(), st.none(), st.booleans(), st.floats(), st.lists(st.integers()))),
    _text), max_size=8), junk=st.binary(max_size=60))
def test_arbitrary_jsonl_never_raises_anything_else(tmp_path, lines, junk):
    text = "\n".join(json.dumps(line) if isinstance(line, dict) else line for line in lines)
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(text.encode("utf-8", "surrogatepass") + b"\n" + junk)
    try:
        items = list(read_people(path))
    except InvalidPeopleFile:
        return
    assert all(isinstance(item, (PersonIn, RowProblem)) for item in items)
