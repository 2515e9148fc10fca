"""The controller's profile: who we are, whom to contact, which time zone our clocks are shown in.

The facts schema is a contract shared with outside tools and carries no contact details, so the
profile comes from a JSON file (``BREACH_CONTROLLER_FILE``) or the bundled example.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from breach.instants import validate_timezone
from breach.jurisdictions.us.profile import UsProfile


class ControllerProfile(BaseModel):
    name: str = Field(description="Legal name of the controller")
    org_number: str | None = Field(default=None, description="Company registration number (CVR, org.nr.)")
    address_lines: list[str] = Field(default_factory=list, description="Postal address, one line each")
    country: str = Field(description="ISO 3166-1 alpha-2 country of the main establishment")
    timezone: str = Field(default="Europe/Copenhagen", description="IANA zone in which deadlines are shown")
    website: str | None = None
    contact_name: str = Field(description="Contact point for the authority and the people affected")
    contact_email: str
    contact_phone: str | None = None
    dpo_name: str | None = Field(default=None, description="Data protection officer, if appointed")
    dpo_email: str | None = None
    dpo_phone: str | None = None
    sender_email: str = Field(description="From address of e-mail notices")
    signatory_name: str | None = Field(default=None, description="Who signs notices to people, e.g. the managing director")
    signatory_title: dict[str, str] = Field(default_factory=dict, description="The signatory's title per language, e.g. {'da': 'Direktør'}")
    default_language: str = "en"
    us: UsProfile | None = Field(default=None, description="US profile: federal overlay flags and notice offers (docs/us-law.md)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return validate_timezone(value)


def load_profile(path: Path) -> ControllerProfile:
    """Read a controller profile from a JSON file."""
    return ControllerProfile.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
