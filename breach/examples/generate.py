"""Generate the bundled list of affected people: invented names, invented streets, example.com/org e-mail.

Run ``python -m breach.examples.generate`` to rewrite ``people.csv`` (the same file every time),
or ``--rows 1000000 --out big.csv`` for a load test.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from pathlib import Path

HEADER = ("external_id", "name", "email", "language", "channel", "phone", "address_line1", "address_line2",
          "postal_code", "city", "country")
PEOPLE_CSV = Path(__file__).with_name("people.csv")

FIRST = {
    "da": ["Søren", "Mette", "Jørgen", "Åse", "Kirsten", "Bjørn", "Line", "Mads", "Freja", "Astrid", "Sofie",
           "Rasmus", "Ditte", "Jens", "Anne", "Åge", "Birthe", "Frederik", "Ida", "Kasper"],
    "nb": ["Håkon", "Ingrid", "Øyvind", "Solveig", "Kari", "Torbjørn", "Sigrid", "Eirik", "Ragnhild", "Åsmund",
           "Silje", "Vegard", "Marte", "Jørund", "Tuva", "Sindre"],
    "en": ["Amelia", "Oliver", "Harriet", "George", "Imogen", "Thomas", "Eleanor", "Callum", "Niamh", "Rhys",
           "Priya", "Declan"],
}
LAST = {
    "da": ["Nørgaard", "Kjær", "Lund", "Møller", "Sørensen", "Bæk", "Holm", "Damgaard", "Skovgaard", "Vestergaard",
           "Østergaard", "Bøgh", "Dahl", "Krogh", "Frølund", "Mølgaard"],
    "nb": ["Haugen", "Bakke", "Lie", "Strand", "Sæther", "Ødegård", "Bråten", "Løkken", "Fjeld", "Myhre",
           "Grønli", "Kvåle"],
    "en": ["Ashworth", "Pennington", "Whitlock", "Hartley", "Brennan", "Marsh", "O'Donnell", "Fairbairn",
           "Thistlewood", "Okafor", "Lindqvist-Hale"],
}
# Invented street names; real towns and postal codes.
STREETS = {
    "DK": ["Nordlysvej", "Fjordglimt", "Måneskinsgade", "Bøgelunden", "Æblehavevej", "Lærkebakken",
           "Søndre Strandsti", "Hyldeblomstvej", "Kløvermarken", "Rønnebærstien"],
    "NO": ["Fjordglimtveien", "Nordlysbakken", "Multestien", "Lyngheia", "Bjørkelia", "Fossekallveien",
           "Granlibakken", "Måkeskjærveien"],
    "GB": ["Kestrel Road", "Harbour Lane", "Foxglove Close", "Wren Street", "Millrace Gardens", "Cobbler's Row",
           "Heathermoor Avenue", "Lantern Walk"],
}
TOWNS = {
    "DK": [("1050", "København K"), ("2200", "København N"), ("8000", "Aarhus C"), ("5000", "Odense C"),
           ("9000", "Aalborg"), ("6700", "Esbjerg"), ("7100", "Vejle"), ("4000", "Roskilde"),
           ("2800", "Kongens Lyngby")],
    "NO": [("0150", "Oslo"), ("0557", "Oslo"), ("5003", "Bergen"), ("7010", "Trondheim"), ("4006", "Stavanger"),
           ("9008", "Tromsø"), ("1606", "Fredrikstad")],
    "GB": [("BS1", "Bristol"), ("M4", "Manchester"), ("LS6", "Leeds"), ("EH3", "Edinburgh"), ("CB1", "Cambridge"),
           ("YO1", "York"), ("NE1", "Newcastle upon Tyne"), ("BN1", "Brighton")],
}
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "'": "", " ": "."})


def _roles(n: int, rng: random.Random) -> list[str]:
    """Exact shares: 10 % ask for a letter, 2.2 % have only an address, 0.8 % have neither."""
    letter, address_only, unreachable = n // 10, round(n * 0.022), round(n * 0.008)
    roles = ["letter"] * letter + ["address_only"] * address_only + ["unreachable"] * unreachable
    roles += ["email"] * (n - len(roles))
    rng.shuffle(roles)
    return roles


def _language(rng: random.Random) -> tuple[str, str, str]:
    """(language, how the file spells it, country of residence), about 60/30/10 da/nb/en."""
    draw = rng.random()
    if draw < 0.6:
        return "da", rng.choices(["da", "da-DK", "dansk"], [90, 8, 2])[0], "DK"
    if draw < 0.9:
        return "nb", rng.choices(["nb", "no", "nb-NO", "nn"], [75, 12, 10, 3])[0], "NO"
    return "en", rng.choices(["en", "en-GB"], [85, 15])[0], rng.choices(["GB", "DK", "NO"], [70, 20, 10])[0]


def _address(country: str, rng: random.Random) -> tuple[str, str, str, str]:
    """(line 1, line 2, postal code, city) in the country's usual style."""
    street, number = rng.choice(STREETS[country]), rng.randint(1, 180)
    postal, city = rng.choice(TOWNS[country])
    if country == "DK":
        floor = rng.choice(["", "", f", {rng.randint(1, 5)}. {rng.choice(['th.', 'tv.', 'mf.'])}", ", st."])
        return f"{street} {number}{floor}", "", postal, city
    if country == "NO":
        return f"{street} {number}{rng.choice(['', '', 'A', 'B'])}", rng.choice(["", "", "", "H0201"]), postal, city
    inward = f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    flat = rng.choice(["", "", "", f"Flat {rng.randint(1, 12)}"])
    return f"{number} {street}", flat, f"{postal} {inward}", city


def _email(first: str, last: str, rng: random.Random, taken: set[str]) -> str:
    """A unique address at example.com or example.org."""
    local = f"{first}.{last}".lower().translate(_ASCII)
    domain = rng.choice(["example.com", "example.org"])
    email, suffix = f"{local}@{domain}", 1
    while email in taken:
        suffix += rng.randint(1, 97)
        email = f"{local}{suffix}@{domain}"
    taken.add(email)
    return email


def iter_people(n: int = 1000, seed: int = 2026) -> Iterator[dict[str, str]]:
    """Invented people as CSV rows (HEADER keys), the same for the same n and seed."""
    rng = random.Random(seed)
    taken_emails: set[str] = set()
    taken_addresses: set[tuple[str, str, str]] = set()
    for index, role in enumerate(_roles(n, rng)):
        language, spelled, country = _language(rng)
        first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
        for _ in range(50):  # a name is all an unreachable person has: keep it unique while we can
            if role != "unreachable" or (f"{first} {last}", "", "") not in taken_addresses:
                break
            first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
        if role == "unreachable":
            taken_addresses.add((f"{first} {last}", "", ""))
        row = dict.fromkeys(HEADER, "")
        row.update(external_id=f"NLB-{100001 + index}", name=f"{first} {last}", language=spelled, country=country)
        if role in ("email", "letter"):
            row["email"] = _email(first, last, rng, taken_emails)
        if role == "letter":
            row["channel"] = rng.choices(["letter", "brev" if country != "GB" else "post", "post"], [80, 15, 5])[0]
        elif role == "email":
            row["channel"] = rng.choices(["", "email"], [75, 25])[0]
        if role in ("letter", "address_only") or (role == "email" and rng.random() < 0.6):
            line1, line2, postal, city = _address(country, rng)
            while role == "address_only" and (row["name"], postal, line1) in taken_addresses:
                line1, line2, postal, city = _address(country, rng)
            taken_addresses.add((row["name"], postal, line1))
            row.update(address_line1=line1, address_line2=line2, postal_code=postal, city=city)
        if country == "GB" and role != "unreachable" and rng.random() < 0.6:
            # Ofcom keeps 07700 900000-900999 free for drama: never a real subscriber.
            row["phone"] = f"+44 7700 900{rng.randrange(1000):03d}"
        if country == "DK" and rng.random() < 0.15:
            row["country"] = ""  # the importer's default country (DK) applies
        yield row


def generate_people(n: int = 1000, seed: int = 2026) -> list[dict[str, str]]:
    """Invented people as a list of CSV rows."""
    return list(iter_people(n, seed))


def write_people(path: Path, *, n: int = 1000, seed: int = 2026) -> int:
    """Write the rows as UTF-8 CSV, streaming; returns how many were written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        for row in iter_people(n, seed):
            writer.writerow(row)
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    """Write people.csv (or --out) with --rows invented people."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=PEOPLE_CSV)
    args = parser.parse_args(argv)
    count = write_people(args.out, n=args.rows, seed=args.seed)
    print(f"wrote {count} people to {args.out}")


if __name__ == "__main__":
    main()
