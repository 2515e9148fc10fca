"""The controller's profile: who we are, whom to contact, which time zone our clocks are shown in.

The facts schema is a contract shared with outside tools and carries no contact details, so the
profile comes from a JSON file (``BREACH_CONTROLLER_FILE``) or the bundled example.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from breach.exceptions import ConfigurationError
from breach.instants import validate_timezone
from breach.jurisdictions.us.profile import UsProfile

SETTING = "BREACH_CONTROLLER_FILE"
# an address a mail system takes: ASCII local part and domain with a dot (IDN domains in punycode)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]+@{_LABEL}(?:\.{_LABEL})+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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

    @field_validator("sender_email", "contact_email", "dpo_email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 254 or not _ADDRESS.fullmatch(value)):
            raise ValueError("is not an e-mail address a mail system takes (ASCII, name@domain.tld)")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("must be an ISO 3166-1 alpha-2 code in capitals, e.g. DK")
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2}", value):
            raise ValueError("must be an ISO 639-1 code, e.g. da")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and _CONTROL.search(text) for text in texts):
            raise ValueError("must not hold control characters or line breaks")
        return value


def load_profile(path: Path) -> ControllerProfile:
    """Read a controller profile from a JSON file; ConfigurationError naming the file and the field when it is unusable."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(SETTING, f"cannot read the controller profile {path}: {exc.strerror or exc.__class__.__name__}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(SETTING, f"the controller profile {path} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(SETTING, f"the controller profile {path} is not valid JSON: line {exc.lineno} column {exc.colno}: "
                                          f"{exc.msg}") from exc
    except RecursionError as exc:
        raise ConfigurationError(SETTING, f"the controller profile {path} is nested too deeply") from exc
    if not isinstance(document, dict):
        raise ConfigurationError(SETTING, f"the controller profile {path} must be a JSON object")
    try:
        return ControllerProfile.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(profile)"
        message = "is required" if first["type"] == "missing" else first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(SETTING, f"the controller profile {path}: {field} {message}") from exc
