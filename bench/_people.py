"""A realistic people file for the import and pipeline benchmarks, written as a stream (any size, little memory).

Invented people from the name, street and town lists of breach/examples/generate.py: a name each,
an e-mail address for most (unique: example.com / example.org with the row number), a postal
address for many, da / nb / en in about 60 / 30 / 10, about one in ten asking for a letter, a
customer number each; and, as real exports have them, a few duplicates (the same e-mail address
or customer number again, 1 in 1,000) and bad rows (1 in 1,000: an address that is not one,
an unknown language, a missing name).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

from breach.examples.generate import FIRST, HEADER, LAST, _address, _language

DUPLICATE_EVERY = 1000
BAD_EVERY = 1000
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "'": "", " ": "."})


def people_rows(n: int, seed: int = 2026, tag: str = "") -> Iterator[list[str]]:
    """n rows (HEADER order) of invented people, duplicates and bad rows included, the same for the same n and seed;
    ``tag`` goes into every e-mail address (files for different incidents share no address)."""
    rng = random.Random(seed)
    recent: list[list[str]] = []
    for i in range(n):
        if i % DUPLICATE_EVERY == DUPLICATE_EVERY // 2 and recent:
            row = list(rng.choice(recent))
            if rng.random() < 0.5:
                row[0] = f"NLB-{900_000_000 + i}"  # the same e-mail (or name and address), another customer number
            yield row
            continue
        row = _person(i, rng, tag)
        if i % BAD_EVERY == BAD_EVERY // 3:
            column, value = rng.choice([(2, "not-an-address"), (3, "tlh"), (1, "")])
            row[column] = value
        if i % 97 == 0:
            recent = [*recent[-63:], row]
        yield row


def _person(i: int, rng: random.Random, tag: str = "") -> list[str]:
    """One invented person: 10 % ask for a letter, 2.2 % have only an address, 0.8 % neither (as generate.py); the rest e-mail."""
    language, spelled, country = _language(rng)
    first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
    draw = rng.random()
    letter, address_only, unreachable = draw < 0.10, 0.10 <= draw < 0.122, 0.122 <= draw < 0.13
    has_email = not (address_only or unreachable) and (not letter or rng.random() < 0.7)
    has_address = letter or address_only or (not unreachable and rng.random() < 0.4)
    row = dict.fromkeys(HEADER, "")
    row.update(external_id=f"NLB-{100_001 + i}", name=f"{first} {last}", language=spelled, country=country)
    if has_email:
        local = f"{first}.{last}".lower().translate(_ASCII)
        row["email"] = f"{local}.{tag}{i}@example.{'com' if i % 2 else 'org'}"
    if letter:
        row["channel"] = rng.choice(["letter", "brev" if country != "GB" else "post"])
    if has_address:
        line1, line2, postal, city = _address(country, rng)
        row.update(address_line1=line1, address_line2=line2, postal_code=postal, city=city)
    if country == "GB" and rng.random() < 0.6:
        row["phone"] = f"+44 7700 900{rng.randrange(1000):03d}"  # Ofcom's drama range: never a real subscriber
    if unreachable:
        row["name"] = f"{first} {last} {i}"  # a name is all they have: keep them apart
    return [row[column] for column in HEADER]


def write_people_file(path: Path, n: int, seed: int = 2026, tag: str = "") -> Path:
    """Write n rows (plus the header) as UTF-8 CSV; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(people_rows(n, seed, tag))
    return path
