"""Synthetic leak data for tests, the benchmark and demos: invented people, checksum-valid random ids.

Nothing here belongs to a real person: names are drawn from invented lists, e-mails use
example.org/example.com, national ids are random dates plus random serials with correct check
digits, phone numbers are random numbers in valid ranges.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

FIRST = ("Asbjørn", "Birte", "Caspian", "Dagny", "Eirik", "Frøya", "Gorm", "Hedda", "Ivar", "Jorunn", "Kjeld", "Liv",
         "Malthe", "Nanna", "Odin", "Pernille", "Ragna", "Sigvald", "Tyra", "Ulrik", "Vibeke", "Yrsa", "Åke", "Ødis")
LAST = ("Fjeldmark", "Grønlyng", "Havbakke", "Isdal", "Kløvermose", "Lyngsø", "Mosbæk", "Nordvang", "Ravnsbjerg",
        "Skovhøj", "Tindstad", "Ulvedal", "Vesterlund", "Bjørkelid", "Elvestrand", "Solbakken")
STREETS = ("Kløvervej", "Fjordgade", "Lyngbakken", "Havnevej", "Birkealle", "Storgata", "Skolegata", "Ekvägen")
CITIES = (("2100", "Østerby"), ("8000", "Nordhavn"), ("0155", "Fjellby"), ("5003", "Vikstad"), ("41101", "Sjöbo"))
DK_MOBILE = ("20", "22", "26", "28", "30", "31", "40", "42", "50", "51", "60", "61")
NO_MOBILE = ("90", "91", "92", "93", "94", "95", "96", "97", "98", "41", "45", "46", "47", "48")
_BCRYPT_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./"
HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def _birth(rng: random.Random, start: int = 1935, end: int = 1999) -> date:
    return date(start, 1, 1) + timedelta(days=rng.randrange((date(end, 12, 31) - date(start, 1, 1)).days))


def luhn_digit(base: str) -> str:
    """The Luhn check digit for `base` (a fast stand-in for stdnum.luhn.calc_check_digit)."""
    total = 0
    for i, ch in enumerate(reversed(base)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def cpr(rng: random.Random) -> str:
    """A Danish CPR number (born 1935-1999, so the 7th digit is 0-3), formatted DDMMYY-NNNN."""
    return f"{rng.randrange(1, 29):02d}{rng.randrange(1, 13):02d}{rng.randrange(35, 100):02d}-{rng.randrange(4000):04d}"


def fodselsnummer(rng: random.Random, *, d_number: bool = False) -> str:
    """A Norwegian fødselsnummer (or D-number: day + 40) with both mod-11 check digits."""
    while True:
        born = _birth(rng)
        day = born.day + (40 if d_number else 0)
        base = f"{day:02d}{born:%m%y}{rng.randrange(500):03d}"
        k1 = (11 - sum(w * int(n) for w, n in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), base, strict=True))) % 11
        if k1 == 10:
            continue
        k2 = (11 - sum(w * int(n) for w, n in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), base + str(k1), strict=True))) % 11
        if k2 < 10:
            return f"{base}{k1}{k2}"


def personnummer(rng: random.Random) -> str:
    """A Swedish personnummer YYMMDD-NNNC (Luhn check digit)."""
    born = _birth(rng)
    base = f"{born:%y%m%d}{rng.randrange(1000):03d}"
    return f"{base[:6]}-{base[6:]}{luhn_digit(base)}"


def hetu(rng: random.Random) -> str:
    """A Finnish HETU DDMMYY-NNNC."""
    born = _birth(rng)
    serial = rng.randrange(2, 900)
    return f"{born:%d%m%y}-{serial:03d}{HETU_CHECK[int(f'{born:%d%m%y}{serial:03d}') % 31]}"


def iban(rng: random.Random) -> str:
    """A Danish IBAN (random account, correct mod-97 check digits), grouped by four."""
    bban = f"{rng.randrange(10**14):014d}"
    check = 98 - int(bban + "132000") % 97  # mod 97 of BBAN + "DK" as digits (D=13, K=20) + "00"
    compact = f"DK{check:02d}{bban}"
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def card(rng: random.Random) -> str:
    """A Visa-like 16-digit number with a Luhn check digit."""
    base = f"4{rng.randrange(10**14):014d}"
    return base + luhn_digit(base)


def not_luhn(rng: random.Random) -> str:
    """16 random digits that fail the Luhn check."""
    base = f"4{rng.randrange(10**14):014d}"
    good = int(luhn_digit(base))
    return base + str((good + 1 + rng.randrange(9)) % 10)


def phone(rng: random.Random) -> str:
    """An international mobile number in DK, NO or SE format."""
    kind = rng.randrange(3)
    if kind == 0:
        return f"+45 {rng.choice(DK_MOBILE)} {rng.randrange(10, 100)} {rng.randrange(100):02d} {rng.randrange(100):02d}"
    if kind == 1:
        return f"+47 {rng.choice(NO_MOBILE)}{rng.randrange(10)} {rng.randrange(100):02d} {rng.randrange(1000):03d}"
    return f"+46 70 {rng.randrange(1000):03d} {rng.randrange(100):02d} {rng.randrange(100):02d}"


def ipv4(rng: random.Random) -> str:
    """A public-looking IPv4 address."""
    return f"{rng.randrange(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def person(rng: random.Random, i: int, *, hash_text: str | None = None) -> dict[str, str]:
    """One invented customer record (`hash_text`: 53 characters for the bcrypt hash, to skip the slow default)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    postcode, city = rng.choice(CITIES)
    return {
        "customer_id": str(100000 + i), "order_no": str(rng.randrange(10**9, 10**10)), "first_name": first, "last_name": last,
        "email": f"{first[:1].lower()}{i}.{last[:3].lower()}@example.org".replace("ø", "o").replace("å", "a").replace("æ", "ae"),
        "phone": phone(rng), "cpr": cpr(rng),
        "birth_date": f"{rng.randrange(1935, 2006)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "street": f"{rng.choice(STREETS)} {rng.randrange(1, 200)}", "postal_code": postcode, "city": city,
        "iban": iban(rng), "card_number": card(rng), "last_login_ip": ipv4(rng),
        "created_at": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
        "password_hash": "$2b$12$" + (hash_text or "".join(rng.choice(_BCRYPT_ALPHABET) for _ in range(53))),
    }
