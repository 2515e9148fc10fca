"""Write breach/examples/us/people.csv: invented customers of the fictional Tallyhook Scheduling, Inc.

Deterministic (seeded): 520 in California, 130 in Massachusetts, 210 in New York, 260 in Texas, so that the
California AG (more than 500) and Texas AG (250 or more) thresholds are met. Names are invented, addresses use
the reserved example.com/example.org domains, phone numbers the fictional 555-01xx range. Some people did not
consent to electronic notice (esign_consent false: they get a letter), some asked for a letter, a few have no state.
Run: python scripts/make_us_example.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "breach" / "examples" / "us" / "people.csv"
HEADER = ("external_id", "name", "email", "language", "channel", "phone", "address_line1", "address_line2", "postal_code",
          "city", "region", "country", "esign_consent")
FIRST = ("Avery", "Jordan", "Riley", "Morgan", "Casey", "Taylor", "Quinn", "Rowan", "Harper", "Emerson", "Parker", "Reese",
         "Sawyer", "Finley", "Hayden", "Kendall", "Logan", "Marlowe", "Peyton", "Sage")
LAST = ("Abernathy", "Bellweather", "Castellano", "Delacroix", "Ellsworth", "Fairbanks", "Galloway", "Hollister", "Ingram",
        "Jablonski", "Kowalczyk", "Lindqvist", "Montoya", "Nakamura", "Okonkwo", "Pemberton", "Quintero", "Rasmussen",
        "Sorensen", "Thibodeaux")
STREETS = ("Maple Street", "Oak Avenue", "Cedar Lane", "Birch Road", "Elm Court", "Willow Drive", "Juniper Way", "Aspen Place")
STATES = (("CA", 520, ("Sacramento", "Fresno", "Oakland", "San Diego"), "9"), ("MA", 130, ("Worcester", "Springfield", "Lowell"), "01"),
          ("NY", 210, ("Albany", "Buffalo", "Rochester"), "1"), ("TX", 260, ("Austin", "El Paso", "Lubbock", "Waco"), "7"))


def _person(rng: random.Random, number: int, state: str, cities: tuple[str, ...], zip_prefix: str) -> list[str]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    email = f"{name.lower().replace(' ', '.')}.{number}@example.{'com' if number % 2 else 'org'}"
    consent = "false" if number % 9 == 0 else "true"
    channel = "letter" if number % 25 == 0 else ""
    region = "" if number % 157 == 0 else (state if number % 3 else {"CA": "California", "MA": "Massachusetts",
                                                                     "NY": "New York", "TX": "Texas"}[state])
    postal = (zip_prefix + "".join(str(rng.randrange(10)) for _ in range(5 - len(zip_prefix))))
    return [f"TH-{number:06d}", name, email, "en-US" if number % 2 else "en", channel, f"+1 512-555-01{number % 100:02d}",
            f"{rng.randrange(10, 9999)} {rng.choice(STREETS)}", "", postal, rng.choice(cities), region, "US", consent]


def main() -> None:
    """Write the people file."""
    rng = random.Random(20261201)
    rows, number = [], 1
    for state, count, cities, prefix in STATES:
        for _ in range(count):
            rows.append(_person(rng, number, state, cities, prefix))
            number += 1
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"{OUT}: {len(rows)} people")


if __name__ == "__main__":
    main()
