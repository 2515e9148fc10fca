"""Discovery: generated data of each kind is found in its column; look-alikes are not; masks hide; facts validate."""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from breach.discover import columns as columns_mod
from breach.discover import discover, readers, synthetic
from breach.discover.columns import DistinctSketch
from breach.discover.detectors import BY_NAME
from flows.cli import main as cli
from tests.conftest import REPO

pytestmark = pytest.mark.unit
ROWS = 120
runner = CliRunner()


def _rng(seed: int = 11) -> random.Random:
    return random.Random(seed)


def _bsn(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        check = sum(w * d for w, d in zip(range(9, 1, -1), digits, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def _dk_national_phone(rng: random.Random) -> str:
    return f"{rng.choice(synthetic.DK_MOBILE)} {rng.randrange(10, 100)} {rng.randrange(100):02d} {rng.randrange(100):02d}"


def _write_csv(path: Path, columns: dict[str, list[str]], *, delimiter: str = ",", header: bool = True) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter)
        if header:
            writer.writerow(list(columns))
        writer.writerows(zip(*columns.values(), strict=True))
    return path


def _findings(report) -> dict[str, tuple[str, str]]:
    return {f.field: (f.category, f.detector) for f in report.findings}


def _column(gen: Callable[[random.Random], str], n: int = ROWS, seed: int = 11) -> list[str]:
    rng = _rng(seed)
    return [gen(rng) for _ in range(n)]


def _ids(n: int = ROWS) -> list[str]:
    return [str(1000 + i) for i in range(n)]


KINDS = [  # (column name, generator, category, detector)
    ("ident", synthetic.cpr, "national_id", "dk_cpr"),
    ("cpr_nr", lambda r: synthetic.cpr(r).replace("-", ""), "national_id", "dk_cpr"),
    ("fodselsnummer", synthetic.fodselsnummer, "national_id", "no_fnr"),
    ("d_nummer", lambda r: synthetic.fodselsnummer(r, d_number=True), "national_id", "no_fnr"),
    ("personnummer", synthetic.personnummer, "national_id", "se_pnr"),
    ("hetu", synthetic.hetu, "national_id", "fi_hetu"),
    ("bsn", _bsn, "national_id", "nl_bsn"),
    ("contact", lambda r: f"p{r.randrange(10**6)}@example.com", "email", "email"),
    ("nummer", synthetic.phone, "phone", "phone"),
    ("mobil", _dk_national_phone, "phone", "phone_national"),
    ("konto", synthetic.iban, "bank_account", "iban"),
    ("pan_value", synthetic.card, "payment_card", "payment_card"),
    ("remote", synthetic.ipv4, "ip_address", "ipv4"),
    ("client_ip", lambda r: f"2001:db8:{r.randrange(65536):x}::{r.randrange(1, 65536):x}", "ip_address", "ipv6"),
    ("fødselsdato", lambda r: f"{r.randrange(1, 29):02d}.{r.randrange(1, 13):02d}.{r.randrange(1940, 2005)}", "date_of_birth",
     "date_of_birth"),
    ("geboortedatum", lambda r: f"{r.randrange(1940, 2005)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}", "date_of_birth",
     "date_of_birth"),
    ("blob", lambda r: "$2b$12$" + "".join(r.choice("abcdefghXYZ./0123") for _ in range(53)), "credentials", "password_hash"),
    ("kundenavn", lambda r: f"{r.choice(synthetic.FIRST)} {r.choice(synthetic.LAST)}", "name", "hint:name"),
    ("naam", lambda r: r.choice(synthetic.LAST), "name", "hint:name"),
    ("adresse", lambda r: f"{r.choice(synthetic.STREETS)} {r.randrange(1, 99)}", "postal_address", "hint:postal_address"),
    ("adgangskode", lambda r: f"secret{r.randrange(10**6)}", "credentials", "hint:credentials"),
    ("diagnose", lambda r: r.choice(["J45", "E11", "F32.1", "M54.5"]), "health", "hint:health"),
    ("lösenord", lambda r: f"pw{r.randrange(10**6)}", "credentials", "hint:credentials"),
    ("brugernavn", lambda r: f"user{r.randrange(10**6)}", "online_identifier", "hint:online_identifier"),
]


@pytest.mark.parametrize(("name", "gen", "category", "detector"), KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_is_found_in_its_column(tmp_path: Path, name, gen, category, detector) -> None:
    values = _column(gen)
    report = discover(_write_csv(tmp_path / "leak.csv", {"id": _ids(), name: values}))
    assert _findings(report).get(name) == (category, detector)
    finding = next(f for f in report.findings if f.field == name)
    assert finding.values == sum(1 for v in values if v)
    assert finding.valid == finding.checked > 0 and finding.matching == finding.values
    assert category in report.to_facts()["data_categories"]


LOOKALIKES = [  # (column name, generator): none of these is personal data
    ("order_no", lambda r: str(r.randrange(10**9, 10**10))),
    ("number", lambda r: str(r.randrange(10**9, 10**10))),
    ("invoice", lambda r: f"2024{r.randrange(10**6):06d}"),
    ("card_number", synthetic.not_luhn),
    ("code", lambda r: "4" + "".join(str(r.randrange(10)) for _ in range(15))),
    ("version", lambda r: f"{r.randrange(1, 12)}.{r.randrange(10)}.{r.randrange(10)}.{r.randrange(1, 30)}"),
    ("code8", lambda r: str(r.randrange(20_000_000, 99_999_999))),
    ("created_at", lambda r: f"{r.randrange(1990, 2025)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"),
    ("product_name", lambda r: r.choice(["Lamp", "Chair", "Desk"]) + f" {r.randrange(100)}"),
    ("sku", lambda r: f"{r.randrange(10**5, 10**6)}-{r.randrange(10**4, 10**5)}"),
]


@pytest.mark.parametrize(("name", "gen"), LOOKALIKES, ids=[k[0] for k in LOOKALIKES])
def test_lookalikes_are_not_personal_data(tmp_path: Path, name, gen) -> None:
    report = discover(_write_csv(tmp_path / "leak.csv", {"id": _ids(), name: _column(gen, seed=5)}))
    assert name not in _findings(report), _findings(report)[name]


def test_a_column_name_alone_does_not_make_bad_values_valid(tmp_path: Path) -> None:
    report = discover(_write_csv(tmp_path / "leak.csv", {"cpr": _column(lambda r: str(r.randrange(10**9, 10**10)), n=300),
                                                         "phone": _column(lambda r: "x" * r.randrange(1, 5), n=300)}))
    assert _findings(report) == {}


def test_version_strings_are_ips_only_where_the_column_says_address(tmp_path: Path) -> None:
    values = _column(lambda r: f"10.{r.randrange(10)}.{r.randrange(10)}.{r.randrange(1, 30)}")
    report = discover(_write_csv(tmp_path / "leak.csv", {"version": values, "client_ip": values}))
    assert _findings(report) == {"client_ip": ("ip_address", "ipv4")}


def test_a_minority_of_lucky_checksums_does_not_assign_the_column(tmp_path: Path) -> None:
    rng = _rng(3)
    mixed = [synthetic.cpr(rng) if i % 5 == 0 else str(rng.randrange(10**9, 10**10)) for i in range(300)]
    assert _findings(discover(_write_csv(tmp_path / "leak.csv", {"ident": mixed}))) == {}


@pytest.mark.parametrize("gen", [synthetic.cpr, synthetic.card, synthetic.iban, synthetic.phone, synthetic.ipv4, synthetic.hetu,
                                 synthetic.personnummer, synthetic.fodselsnummer, _bsn, lambda r: f"jo{r.randrange(10**6)}@example.org"])
def test_masks_reveal_at_most_a_few_characters(gen) -> None:
    rng = _rng(9)
    for _ in range(50):
        value = gen(rng)
        detector = next(d for d in BY_NAME.values() if not d.needs_hint and d.check(value)) if gen is not _bsn else BY_NAME["nl_bsn"]
        masked = detector.mask(value)
        personal = masked.split("@")[0] if "@" in value else masked[2:] if detector.name == "iban" else masked
        revealed = [c for c in personal if c.isalnum()]
        assert len(revealed) <= 4, (value, masked)
        assert masked != value and "*" in masked
        secret = value.split("@")[0] if "@" in value else value  # an e-mail's domain may show; its local part not
        assert not any(secret[i:i + 5] in masked for i in range(len(secret) - 4))


def test_hinted_masks_keep_only_initials(tmp_path: Path) -> None:
    report = discover(_write_csv(tmp_path / "leak.csv", {"name": ["Ragnhild Fjeldmark-Ulvedal"] * 20, "password": ["hunter2-secret"] * 20}))
    examples = {f.field: f.examples for f in report.findings}
    assert examples["name"][0] == "R*** F***"
    assert all("hunter" not in e for e in examples["password"])


def _facts_schema() -> dict:
    return json.loads((REPO / "breach" / "schemas" / "incident-facts.schema.json").read_text(encoding="utf-8"))


def test_facts_fragment_validates_against_the_facts_schema(tmp_path: Path) -> None:
    rng = _rng(4)
    rows = [synthetic.person(rng, i) for i in range(150)]
    path = _write_csv(tmp_path / "leak.csv", {k: [r[k] for r in rows] for k in rows[0]})
    facts = discover(path).to_facts()
    document = {"summary": "A customer table was published.", "breach_types": ["confidentiality"], **facts}
    jsonschema.Draft202012Validator(_facts_schema()).validate(document)
    assert set(facts) == {"data_categories", "subjects_affected", "subjects_affected_is_estimate"}
    assert {"name", "email", "phone", "national_id", "bank_account", "payment_card", "ip_address", "credentials",
            "date_of_birth", "postal_address"} <= set(facts["data_categories"])
    assert facts["subjects_affected"] == len({r["cpr"] for r in rows})


def test_people_are_estimated_from_distinct_identifiers(tmp_path: Path) -> None:
    emails = [f"person{i % 40}@example.org" for i in range(200)]
    report = discover(_write_csv(tmp_path / "leak.csv", {"email": emails, "navn": ["Ivar Isdal"] * 200}))
    subjects, basis = report.subjects()
    assert subjects == 40 and "email" in basis


def test_semicolon_tab_and_headerless_csv(tmp_path: Path) -> None:
    emails = _column(lambda r: f"a{r.randrange(10**6)}@example.org")
    cprs = _column(synthetic.cpr)
    for delimiter in (";", "\t", "|"):
        report = discover(_write_csv(tmp_path / f"leak{ord(delimiter)}.csv", {"mail": emails, "cpr": cprs}, delimiter=delimiter))
        assert _findings(report) == {"mail": ("email", "email"), "cpr": ("national_id", "dk_cpr")}
    report = discover(_write_csv(tmp_path / "noheader.dat", {"a": emails, "b": cprs}, header=False))
    assert report.format == "csv" and report.records == ROWS
    assert _findings(report) == {"column_1": ("email", "email"), "column_2": ("national_id", "dk_cpr")}


def test_json_lines_with_nested_fields(tmp_path: Path) -> None:
    rng = _rng(6)
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(ROWS):
            doc = {"id": i, "user": {"email": f"u{i}@example.com", "phones": [synthetic.phone(rng)]}, "ip": synthetic.ipv4(rng),
                   "order": str(rng.randrange(10**9, 10**10))}
            f.write(json.dumps(doc) + "\n")
        f.write("not json\n")
    report = discover(path)
    assert report.format == "jsonl" and report.records == ROWS
    assert _findings(report) == {"user.email": ("email", "email"), "user.phones[]": ("phone", "phone"), "ip": ("ip_address", "ipv4")}


def test_sql_dump_inserts_and_copy(tmp_path: Path) -> None:
    rng = _rng(8)
    lines = ["-- dump", "CREATE TABLE `customers` (", "  `id` int NOT NULL,", "  `navn` varchar(80),", "  `cpr` char(11),",
             "  `email` varchar(120),", "  PRIMARY KEY (`id`)", ") ENGINE=InnoDB;"]
    for start in range(0, ROWS, 40):
        tuples = ",".join(f"({i},'{rng.choice(synthetic.FIRST)} O''{rng.choice(synthetic.LAST)}','{synthetic.cpr(rng)}',"
                          f"'c{i}@example.org')" for i in range(start, start + 40))
        lines.append(f"INSERT INTO `customers` VALUES {tuples};")
    lines.append("INSERT INTO logins (user_id, ip) VALUES")
    lines.append(",\n".join(f"({i}, '{synthetic.ipv4(rng)}')" for i in range(ROWS)) + ";")
    lines.append("COPY public.cards (id, card) FROM stdin;")
    lines += [f"{i}\t{synthetic.card(rng)}" for i in range(ROWS)] + ["\\.", ""]
    path = tmp_path / "dump.sql"
    path.write_text("\n".join(lines), encoding="utf-8")
    report = discover(path)
    assert report.format == "sql" and report.records == 3 * ROWS
    assert _findings(report) == {"customers.navn": ("name", "hint:name"), "customers.cpr": ("national_id", "dk_cpr"),
                                 "customers.email": ("email", "email"), "logins.ip": ("ip_address", "ipv4"),
                                 "cards.card": ("payment_card", "payment_card")}


def test_text_log_lines(tmp_path: Path) -> None:
    rng = _rng(10)
    lines = []
    for i in range(ROWS):
        lines.append(f"2026-11-20T10:{i % 60:02d}:00Z login ok user=k{i}@example.org from {synthetic.ipv4(rng)} ts=1763630000 "
                     f"order 4{rng.randrange(10**9):09d} agent/version 10.0.0.{i % 9 + 1}")
    lines.append(f"support note: customer cpr {synthetic.cpr(rng)} called from {synthetic.phone(rng)}")
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = discover(path)
    by_detector = {f.detector: f for f in report.findings}
    assert set(by_detector) == {"email", "ipv4", "dk_cpr", "phone"}
    assert by_detector["email"].values == ROWS and by_detector["ipv4"].values == ROWS and by_detector["dk_cpr"].values == 1
    assert all(f.field == "(text)" for f in report.findings)


def test_many_chunks_count_every_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "CHUNK_ROWS", 37)
    monkeypatch.setattr(columns_mod, "SAMPLE", 50)
    rng = _rng(12)
    emails = [f"m{i}@example.org" if i % 7 else "" for i in range(1000)]
    late = ["" if i < 900 else synthetic.cpr(rng) for i in range(1000)]
    report = discover(_write_csv(tmp_path / "leak.csv", {"email": emails, "late_cpr": late}))
    found = {f.field: f for f in report.findings}
    assert found["email"].values == sum(1 for e in emails if e) and found["email"].distinct == found["email"].values
    assert found["late_cpr"].values == 100 and found["late_cpr"].detector == "dk_cpr"


def test_distinct_sketch_is_bounded_and_close(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DistinctSketch, "CAP", 2048)
    sketch = DistinctSketch()
    for start in range(0, 60_000, 5_000):
        sketch.update([f"v{i}@example.org" for i in range(start, start + 5_000)] * 2)
    assert len(sketch.seen) <= 2048 and not sketch.exact
    assert abs(sketch.estimate - 60_000) / 60_000 < 0.15


def test_cli_json_facts_and_errors(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "leak.csv", {"email": _column(lambda r: f"x{r.randrange(10**6)}@example.org"),
                                              "cpr": _column(synthetic.cpr)})
    as_json = runner.invoke(cli.app, ["discover", str(path), "--json"])
    assert as_json.exit_code == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["data_categories"] == ["email", "national_id"] and report["records"] == ROWS
    facts = runner.invoke(cli.app, ["discover", str(path), "--facts"])
    assert facts.exit_code == 0
    fragment = json.loads(facts.stdout)
    jsonschema.Draft202012Validator(_facts_schema()).validate({"summary": "s", "breach_types": ["confidentiality"], **fragment})
    assert fragment["subjects_affected"] == len(set(_column(synthetic.cpr)))
    table = runner.invoke(cli.app, ["discover", str(path)])
    assert table.exit_code == 0 and "national_id" in table.stdout and "@example.org" in table.stdout
    missing = runner.invoke(cli.app, ["discover", str(tmp_path / "nope.csv"), "--json"])
    assert missing.exit_code == 2 and missing.stdout == ""
    assert len(missing.stderr.strip().splitlines()) == 1 and "not found" in missing.stderr
    both = runner.invoke(cli.app, ["discover", str(path), "--json", "--facts"])
    assert both.exit_code == 2


def test_cli_directory_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["discover", str(tmp_path)])
    assert result.exit_code == 2 and re.search(r"not a file", result.stderr)


@pytest.mark.parametrize(("column", "category"), [
    ("KundeNavn", "name"), ("efternavn", "name"), ("voornaam", "name"), ("förnamn", "name"), ("product_name", None),
    ("company_name", None), ("brugernavn", "online_identifier"), ("hotel", None), ("tlf_nr", "phone"), ("zip", "postal_address"),
    ("client_ip", "ip_address"), ("created_by", None), ("by", "postal_address"), ("last_login_at", None),
    ("fødselsdato", "date_of_birth"), ("födelsedatum", "date_of_birth"), ("geboortedatum", "date_of_birth"),
    ("helbredsoplysninger", "health"), ("hälsa", "health"), ("gezondheid", "health"), ("wachtwoord", "credentials"),
    ("passord", "credentials"), ("kontonummer", "bank_account"), ("Personnummer", "national_id"), ("bsn", "national_id"),
])
def test_column_name_hints(column: str, category: str | None) -> None:
    from breach.discover.hints import hint_for

    hint = hint_for(column)
    assert (hint.category if hint else None) == category


def test_free_text_columns_are_token_scanned(tmp_path: Path) -> None:
    rng = _rng(13)
    notes = [f"Customer called, wants refund. Reach her at n{i}@example.com or {synthetic.phone(rng)} please" if i % 3 == 0
             else "Customer called about the delivery, no action needed" for i in range(ROWS)]
    report = discover(_write_csv(tmp_path / "leak.csv", {"id": _ids(), "notes": notes, "comment": ["ok thanks a lot"] * ROWS}))
    found = {(f.field, f.detector): f for f in report.findings}
    assert set(found) == {("notes", "email"), ("notes", "phone")}
    assert found[("notes", "email")].values == ROWS // 3 and found[("notes", "email")].distinct == ROWS // 3


def test_sql_insert_without_any_column_names(tmp_path: Path) -> None:
    path = tmp_path / "dump.sql"
    path.write_text("INSERT INTO t VALUES " + ",".join(f"({i},'u{i}@example.org',NULL,'')" for i in range(ROWS)) + ";\n",
                    encoding="utf-8")
    report = discover(path)
    assert report.records == ROWS
    assert [(f.field, f.detector, f.values) for f in report.findings] == [("t.column_2", "email", ROWS)]
