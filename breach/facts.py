"""The facts of a breach as a responder knows them: the schema-checked input of every assessment.

``load_facts`` accepts a path, JSON text, bytes or an already parsed dict; it checks the document
against the bundled ``incident-facts.schema.json`` (JSON Schema 2020-12, with real ``date-time``
checks) and raises ``InvalidFacts`` naming the first offending field. The pydantic ``Facts``
model mirrors the schema field by field, with the schema's defaults.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from breach import plausible
from breach.exceptions import InvalidFacts
from breach.texts import check_lengths

DOCUMENT = "(document)"

Role = Literal["controller", "processor"]
BreachType = Literal["confidentiality", "integrity", "availability"]
Cause = Literal["external_attack", "internal_malicious", "human_error", "system_failure", "lost_or_stolen_device", "unknown"]
DataCategory = Literal[
    "name", "initials", "email", "phone", "postal_address", "date_of_birth", "national_id", "identity_document",
    "online_identifier", "ip_address", "location", "credentials", "job_title", "employer", "image_video", "usage_data",
    "communications_content", "behavioural_profile", "financial", "bank_account", "payment_card", "payment_card_partial",
    "invoice_data", "cv_application", "health", "genetic", "biometric", "racial_ethnic_origin", "political_opinions",
    "religious_beliefs", "trade_union", "sex_life_orientation", "criminal_offences", "sex_gender", "vehicle", "insurance",
    "internal_identifier", "education_records", "employment_records", "immigration_status", "case_file",
    "personal_data_other", "special_category_unspecified",
]
SubjectCategory = Literal[
    "customers", "users", "employees", "job_applicants", "patients", "children", "vulnerable_adults", "students",
    "website_visitors", "suppliers", "public",
]
Encryption = Literal["none", "strong_key_safe", "weak_or_key_exposed", "unknown"]
Exfiltration = Literal["confirmed", "likely", "none", "unknown"]
Recipient = Literal[
    "unknown", "public", "hostile", "untrusted", "trusted_external", "internal_colleague", "internal_unauthorised", "none",
]
Accessed = Literal["confirmed", "likely", "no_evidence", "unknown"]
Volume = Literal["low", "normal", "high"]
Nis2Entity = Literal["essential", "important"]
CountryCode = str  # ISO 3166-1 alpha-2; the schema's pattern ^[A-Z]{2}$ is checked before the model is built
# Where each model's fields sit in the bundled schema (the Run form takes their descriptions from there).
_SCHEMA_PATH: dict[str, tuple[str, ...]] = {"Facts": (), "Controller": ("controller",), "Regimes": ("regimes",), "UsFacts": ("us",)}


def _describe(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Give the model's JSON schema (Prefect's Run form) each field's description from the bundled facts schema."""
    source = json.loads(_schema_text())
    for step in _SCHEMA_PATH.get(model.__name__, ()):
        source = source["properties"][step]
    for name, prop in schema.get("properties", {}).items():
        described = source.get("properties", {}).get(name, {}).get("description")
        if described and "description" not in prop:
            prop["description"] = described


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_describe)


class Controller(_Frozen):
    name: str | None = Field(default=None, description="Legal name of the controller.")
    country: CountryCode | None = None
    established_in_eea: bool = True
    dpa_hours: float | None = Field(default=None, ge=0)


class GdprScope(_Frozen):
    """GDPR Art. 3(2) for a controller with no establishment in the EEA or UK: does its processing target people there?"""

    offers_goods_or_services: bool | None = None
    monitors_behaviour: bool | None = None


class Regimes(_Frozen):
    nis2_entity: Nis2Entity | None = Field(
        default=None, description="NIS2 (Directive (EU) 2022/2555, Art. 3): an essential or important entity. Empty: not in scope.")
    dora_financial_entity: bool = Field(
        default=False, description="DORA (Regulation (EU) 2022/2554): the organisation is a financial entity.")
    electronic_communications_provider: bool = Field(
        default=False,
        description="A provider of publicly available electronic communications services (ePrivacy; Regulation (EU) No 611/2013).")
    classified_major_at: AwareDatetime | None = None


class UsFacts(_Frozen):
    """Per-incident facts only US state and federal breach law asks for (breach.jurisdictions.us)."""

    determined_at: AwareDatetime | None = None
    law_enforcement_delay: bool | None = None
    account_access_code_exposed: bool | None = None
    phi_involved: bool | None = None
    no_likely_harm: bool = False
    materiality_determined_at: AwareDatetime | None = None


AggravatingKind = Literal["offered_for_sale", "published", "misused", "ransom_demand", "credentials_cracked", "other"]


class AggravatingFact(_Frozen):
    """A fact that raises the risk and changes the advice, e.g. the data seen offered for sale."""

    kind: AggravatingKind
    at: AwareDatetime | None = None
    detail: str | None = None


class Translation(_Frozen):
    """The free text of the facts in one more language (``translations.<code>``)."""

    summary: str | None = None
    measures_taken: list[str] | None = None
    measures_proposed: list[str] | None = None
    likely_consequences: list[str] | None = None
    awareness_explanation: str | None = None
    aggravating_facts: list[str | None] | None = None


class Facts(_Frozen):
    """One facts document (``incident-facts.schema.json``); field names, types and defaults as in the schema."""

    reference: str | None = None
    summary: str = Field(min_length=1)
    role: Role = "controller"
    controller: Controller | None = None
    gdpr_scope: GdprScope | None = None
    occurred_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None
    aware_at: AwareDatetime | None = None
    breach_types: list[BreachType] = Field(min_length=1)
    cause: Cause = "unknown"
    malicious: bool | None = None
    data_categories: list[DataCategory]
    subject_categories: list[SubjectCategory] = Field(default_factory=list)
    subjects_affected: int | None = Field(default=None, ge=0)
    records_affected: int | None = Field(default=None, ge=0)
    encryption: Encryption = "none"
    pseudonymised: bool = False
    exfiltration: Exfiltration = "unknown"
    recipient: Recipient = "unknown"
    backup_available: bool | None = None
    unavailable_hours: float | None = Field(default=None, ge=0)
    data_altered: bool | None = None
    contained: bool | None = None
    measures_taken: list[str] = Field(default_factory=list)
    subjects_countries: list[CountryCode] = Field(default_factory=list)
    notes: str | None = None
    text_language: str | None = None
    translations: dict[str, Translation] = Field(default_factory=dict)
    measures_proposed: list[str] = Field(default_factory=list)
    likely_consequences: list[str] = Field(default_factory=list)
    aggravating_facts: list[AggravatingFact] = Field(default_factory=list)
    contained_at: AwareDatetime | None = None
    awareness_explanation: str | None = None
    police_informed: bool | None = None
    police_informed_at: AwareDatetime | None = None
    credentials_reset: bool | None = None
    regimes: Regimes | None = None
    us: UsFacts | None = None
    subjects_affected_is_estimate: bool = False
    subjects_reachable: bool | None = None
    accessed: Accessed = "unknown"
    recipient_deleted: bool | None = None
    recipients_count: int | None = Field(default=None, ge=0)
    permanent_loss: bool | None = None
    harm_observed: bool | None = None
    context_reveals_sensitive: bool | None = None
    data_volume_per_person: Volume = "normal"
    known_unfixed_vulnerability: bool | None = None
    encryption_by_category: dict[DataCategory, Encryption] = Field(default_factory=dict)
    vulnerable_subjects_present: bool | None = None
    protected_address_subjects_present: bool | None = None

    def protection_of(self, category: DataCategory) -> Encryption:
        """How this category was protected: its own entry in encryption_by_category, else `encryption`."""
        return self.encryption_by_category.get(category, self.encryption)


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("breach").joinpath("schemas/incident-facts.schema.json").read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The bundled facts schema (a fresh copy each call)."""
    return json.loads(_schema_text())


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    # FormatChecker's date-time needs rfc3339-validator: it refuses a missing offset or a space for "T".
    return Draft202012Validator(schema(), format_checker=FormatChecker())


def load_facts(source: Path | str | bytes | dict[str, Any]) -> Facts:
    """Parse, schema-check and build the facts; any defect raises InvalidFacts naming the field."""
    document = source if isinstance(source, dict) else _parse(source)
    plausible.check_document(document)  # depth, NUL, non-finite numbers: before anything recurses into it
    error = best_match(_validator().iter_errors(document))
    if error is not None:
        raise InvalidFacts(_field_of(error), _message_of(error))
    check_lengths(document)  # translated lists line up with the top-level lists item by item
    try:
        facts = Facts.model_validate(document)
    except ValidationError as exc:  # what the schema lets through but Python cannot hold, e.g. a leap second
        first = exc.errors()[0]
        raise InvalidFacts(_dotted(first["loc"]) or DOCUMENT, first["msg"]) from exc
    stray = [category for category in facts.encryption_by_category if category not in facts.data_categories]
    if stray:
        raise InvalidFacts(f"encryption_by_category.{stray[0]}", "names a category that is not listed in data_categories")
    plausible.refuse_implausible(facts)
    return facts


def _parse(source: Path | str | bytes) -> Any:
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise InvalidFacts(DOCUMENT, f"cannot read {source}: {exc.strerror or exc}") from exc
        source = data
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidFacts(DOCUMENT, f"not valid UTF-8 at byte {exc.start}") from exc
    try:
        return json.loads(source, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidFacts(DOCUMENT, f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise InvalidFacts(DOCUMENT, f"nested more than {plausible.MAX_DEPTH} levels deep") from exc


def _no_constant(name: str) -> Any:
    raise InvalidFacts(DOCUMENT, f"{name} is not a number JSON allows")


def _dotted(path: Any) -> str:
    """('controller', 'country') -> 'controller.country'; ('data_categories', 2) -> 'data_categories[2]'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _field_of(error: SchemaError) -> str:
    base = _dotted(error.absolute_path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return f"{base}.{missing[0]}" if base else missing[0]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        unknown = sorted(name for name in error.instance if name not in known)
        return f"{base}.{unknown[0]}" if base else unknown[0]
    return base or DOCUMENT


def _allowed(values: list[Any]) -> str:
    shown = ", ".join("null" if v is None else str(v) for v in values[:8])
    return shown + (f", ... ({len(values)} values)" if len(values) > 8 else "")


_HINTS = {
    "^[A-Z]{2}$": "an ISO 3166-1 alpha-2 country code in capitals, e.g. DK",
}


def _message_of(error: SchemaError) -> str:
    """A short plain message that never echoes the value (it may be personal data)."""
    kind, expected = error.validator, error.validator_value
    if kind == "required":
        return "is required"
    if kind == "additionalProperties":
        return "is not a field of the facts schema"
    if kind == "enum":
        return f"is not one of the allowed values: {_allowed(list(expected))}"
    if kind == "format" and expected == "date-time":
        return "must be an RFC 3339 date-time with a time-zone offset, e.g. 2026-11-21T10:00:00+01:00"
    if kind == "pattern":
        return f"must be {_HINTS.get(expected, f'text matching {expected}')}"
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        return "must be " + " or ".join("a JSON " + n for n in names)
    if kind == "minLength":
        return "must not be empty"
    if kind == "minItems":
        return f"must list at least {expected} item(s)"
    if kind == "uniqueItems":
        return "must not list the same item twice"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be at least {expected}"
    return f"fails the schema's {kind} rule"
