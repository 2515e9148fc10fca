"""Optional people-file columns beyond contact details: the person's region (US state), and yes/no flags.

- ``region`` (or ``state``): for people in the United States the state, DC or territory whose breach law
  protects them (a two-letter postal code or the name, e.g. ``CA`` or ``California``); elsewhere an ISO 3166-2
  subdivision code of up to three characters. A person whose ``country`` is PR, GU or VI is in that US territory.
- ``vulnerable``, ``protected_address``: the person is in a vulnerable situation, or has a secret/protected
  address; the assessment can name them as the subset to tell (Art. 34(1), ``notify_subjects_subset``).
- ``esign_consent``: the person agreed to receive notices electronically as the US E-SIGN Act requires
  (15 U.S.C. 7001(c)); where a state allows e-mail notice only with that consent, people without it get a letter.

An empty cell is "not stated" (None), never false.
"""

from __future__ import annotations

import re
from functools import lru_cache

from breach.jurisdictions.us.rules import load_rules

# Yes/no spellings in the languages of the people files (en, da, nb, nl).
_TRUE = frozenset({"true", "yes", "y", "1", "x", "ja", "j", "sand", "sant", "waar"})
_FALSE = frozenset({"false", "no", "n", "0", "nej", "nei", "nee", "falsk", "onwaar"})
FLAG_COLUMNS = ("vulnerable", "protected_address", "esign_consent")
US_TERRITORIES = frozenset({"PR", "GU", "VI"})
_SUBDIVISION = re.compile(r"[A-Z0-9]{1,3}")


class FlagError(ValueError):
    """A cell that is neither yes nor no."""


def parse_flag(value: str | None) -> bool | None:
    """True, False, or None for an empty cell; FlagError for anything else."""
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FlagError("not yes or no; use true/false, yes/no, ja/nej or 1/0")


@lru_cache(maxsize=1)
def _us_names() -> dict[str, str]:
    """US jurisdiction codes by code and by lower-case name, from the US rule pack."""
    names: dict[str, str] = {}
    for entry in load_rules().jurisdictions:
        names[entry.code.lower()] = entry.code
        names[entry.name.lower()] = entry.code
    names["washington dc"] = names["district of columbia"] = "DC"
    return names


def in_us(country: str) -> bool:
    """Whether a country code is the United States or one of the territories with their own breach law."""
    return country == "US" or country in US_TERRITORIES


def normalise_region(value: str | None, *, country: str) -> str | None:
    """The region code for a person in ``country``; ValueError naming what is accepted when it is not one."""
    if country in US_TERRITORIES:
        if value and value.strip() and value.strip().upper() != country:
            raise ValueError(f"a person in {country} is in that territory; leave the region empty or write {country}")
        return country
    if value is None or not value.strip():
        return None
    text = " ".join(value.strip().split())
    if country == "US":
        code = _us_names().get(text.lower().replace(".", ""))
        if code is None:
            raise ValueError("not a US state, DC or territory; use the two-letter postal code (e.g. CA, MA, NY, TX)")
        return code
    code = text.upper()
    if not _SUBDIVISION.fullmatch(code):
        raise ValueError("not a region code; use the ISO 3166-2 subdivision code without the country (up to 3 letters or digits)")
    return code
