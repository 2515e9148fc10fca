"""Supervisory authorities (GDPR Art. 51), kept as data in ``breach/data/authorities.json``.

Which authority is owed a notification (Art. 33(1)): the lead authority of the controller's main
establishment (Art. 56, one-stop shop). A controller with no establishment in the EEA gets no
one-stop shop: every authority where affected people live is owed one (EDPB Guidelines 9/2022).
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from breach.exceptions import BreachError

if TYPE_CHECKING:
    from breach.facts import Facts

EEA_COUNTRIES = frozenset(
    ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT",
     "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"]
)
# Codes people write that ISO 3166-1 spells differently: the EU's "EL" for Greece, "UK" for GB.
_ALIASES = {"EL": "GR", "UK": "GB"}


class Authority(BaseModel):
    """One supervisory authority and how it takes breach notifications."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Our key for the authority; the ISO 3166-1 code of its country")
    country: str = Field(description="ISO 3166-1 alpha-2 country the authority supervises")
    name: str = Field(description="Official name, in the authority's own language")
    name_en: str | None = Field(default=None, description="Name in English")
    address_lines: list[str] = Field(default_factory=list, description="Postal address, one line each")
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    channel: Literal["form", "email", "letter"] | None = Field(default=None, description="How breaches are notified")
    form_url: str | None = Field(default=None, description="Where the notification form is, if known")
    fallback_channels: list[Literal["form", "email", "letter"]] = Field(default_factory=list)
    language: str = Field(description="ISO 639-1 language the notification is written in")
    last_verified: date | None = Field(default=None, description="When checked against the authority's own page; null: unverified")
    source: str | None = Field(default=None, description="The page the entry was checked against")
    sources: list[dict[str, Any]] = Field(default_factory=list, description="Further pages read for the entry (url, read date, what)")
    note: str | None = None


@lru_cache(maxsize=1)
def _table() -> dict[str, Authority]:
    text = resources.files("breach").joinpath("data/authorities.json").read_text(encoding="utf-8")
    return {entry["code"]: Authority.model_validate(entry) for entry in json.loads(text)["authorities"]}


def canonical_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code as ISO spells it ('UK' -> 'GB', 'EL' -> 'GR'), in capitals."""
    upper = code.strip().upper()
    return _ALIASES.get(upper, upper)


def all_authorities() -> list[Authority]:
    """Every authority in the table, by code."""
    return sorted(_table().values(), key=lambda a: a.code)


def get_authority(country: str | None) -> Authority | None:
    """The authority of a country (ISO 3166-1 alpha-2; 'EL' and 'UK' accepted), or None."""
    if not country:
        return None
    code = country.strip().upper()
    return _table().get(_ALIASES.get(code, code))


def known_code(code: str) -> str:
    """The table's code for ``code`` ('el' -> 'GR'); BreachError naming the known codes when there is no such authority."""
    found = get_authority(code) if code.strip() else None
    if found is None:
        shown = code.strip()[:20] + ("…" if len(code.strip()) > 20 else "")
        raise BreachError(f"unknown authority code {shown!r}; known: {', '.join(a.code for a in all_authorities())}")
    return found.code


def lead_authority(facts: Facts) -> Authority | None:
    """Art. 56: the authority of the controller's country; None when the facts give no country."""
    country = facts.controller.country if facts.controller else None
    return get_authority(country)


def authorities_for(facts: Facts) -> list[Authority]:
    """Who is owed the Art. 33 notification: the lead authority, or without an EEA establishment one per affected country."""
    established = facts.controller.established_in_eea if facts.controller else True
    if established:
        lead = lead_authority(facts)
        return [lead] if lead else []
    found: list[Authority] = []
    for country in facts.subjects_countries:
        authority = get_authority(country)
        if authority is not None and authority not in found:
            found.append(authority)
    return found
