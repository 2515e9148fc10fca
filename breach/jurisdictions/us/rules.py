"""The US breach-notification rule pack (``breach/data/us_breach_laws.json``) as validated pydantic models.

Every jurisdiction entry must carry every field; where the law is silent the data says ``"not_stated"``
rather than leaving a field out, and the models refuse a missing or unknown field. ``load_rules`` checks,
beyond the field types: exactly the 50 states, DC, PR, GU and VI, each once; every data element, content
element, substitute-notice method and electronic-notice condition named in an entry is defined in the pack's
vocabulary; deadlines are internally consistent (a fixed period has a limit, a relative deadline a relation).
A defect raises ``RulePackError`` naming the offending field.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from breach.exceptions import BreachError

NOT_STATED = "not_stated"
NotStated = Literal["not_stated"]
STATES = (
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD",
    "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC",
    "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY",
)
JURISDICTION_CODES = frozenset([*STATES, "DC", "PR", "GU", "VI"])

Unit = Literal["calendar_days", "business_days", "hours"]
Anchor = Literal["discovery", "determination", "individual_notice", "hhs_notice", "end_of_calendar_year", "materiality_determination"]
DeadlineKind = Literal[
    "without_unreasonable_delay", "within", "relative_to_individual_notice", "immediately", "not_stated",
    "before_relying_on_exception", "on_request",
]
Relation = Literal["before", "no_later_than", "concurrently", "after"]
ControllerFlag = Literal["hipaa_covered_entity", "hipaa_business_associate", "sec_registrant", "nydfs_covered_entity", "information_broker"]
Confidence = Literal["high", "medium", "low"]


class RulePackError(BreachError):
    """The rule pack is not valid: ``field`` names the offending entry and field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limit(_Strict):
    amount: int = Field(gt=0)
    unit: Unit
    anchor: Anchor


class Deadline(_Strict):
    kind: DeadlineKind
    limit: Limit | None
    relation: Relation | None
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Deadline:
        if self.kind == "within" and self.limit is None:
            raise ValueError("a 'within' deadline needs a limit")
        if self.kind == "relative_to_individual_notice":
            if self.relation is None:
                raise ValueError("a deadline relative to the individual notice needs a relation")
            if self.relation == "after" and (self.limit is None or self.limit.anchor != "individual_notice"):
                raise ValueError("'after' the individual notice needs a limit counted from the individual notice")
        elif self.relation is not None:
            raise ValueError(f"relation {self.relation!r} only belongs to relative_to_individual_notice")
        if self.kind in ("immediately", "not_stated", "before_relying_on_exception", "on_request") and self.limit is not None:
            raise ValueError(f"a {self.kind!r} deadline has no limit")
        if self.limit is not None and self.limit.anchor == "individual_notice" and self.kind != "relative_to_individual_notice":
            raise ValueError("only a relative deadline may count from the individual notice")
        return self


class Threshold(_Strict):
    min_residents: int = Field(ge=1)
    max_residents: int | None = None
    text: str = Field(min_length=1)


class Source(_Strict):
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    kind: Literal["statute", "regulator", "law_firm_survey", "secondary"]
    note: str


class Scope(_Strict):
    entities: Literal["all", "information_brokers_and_agencies"]
    text: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class PersonalInformation(_Strict):
    with_name: list[str]
    without_name: list[str]
    paper_records_covered: bool | NotStated
    text: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class EncryptionSafeHarbor(_Strict):
    available: bool
    void_if_key_compromised: bool | NotStated
    text: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class Documentation(_Strict):
    required: bool | NotStated
    retention_years: int | None


class NoHarmNotice(_Strict):
    recipient: str = Field(min_length=1)
    deadline: Deadline
    citation: str = Field(min_length=1)
    threshold: Threshold | None = None


class RiskOfHarm(_Strict):
    exception: bool
    standard: str = Field(min_length=1)
    documentation: Documentation
    regulator_notice_of_no_harm: NoHarmNotice | None
    citation: str = Field(min_length=1)


class IndividualNotice(_Strict):
    deadline: Deadline
    citation: str = Field(min_length=1)
    law_enforcement_delay: bool | NotStated


class RegulatorNotice(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,5}(-[A-Z0-9]{1,6})?$",
                      description="Short name of the recipient, unique in the jurisdiction: the filing code is US-<state>-<code>")
    recipient: str = Field(min_length=1)
    threshold: Threshold
    deadline: Deadline
    how: str
    content: list[str] | NotStated
    citation: str = Field(min_length=1)
    applies_if: ControllerFlag | None


class CraNotice(_Strict):
    required: bool
    threshold: Threshold | None
    deadline: Deadline | None
    citation: str = Field(min_length=1)
    text: str = ""

    @model_validator(mode="after")
    def _complete(self) -> CraNotice:
        if self.required and (self.threshold is None or self.deadline is None):
            raise ValueError("a required consumer reporting agency notice needs a threshold and a deadline")
        return self


class CreditMonitoring(_Strict):
    months: int = Field(gt=0)
    condition: list[str] = Field(min_length=1)
    text: str = Field(min_length=1)


class NoticeFormat(_Strict):
    title: str | None
    headings: list[str]
    min_font_pt: int | None
    plain_language: bool
    text: str


class Content(_Strict):
    required: list[str] | NotStated
    forbidden: list[str]
    format: NoticeFormat | NotStated
    credit_monitoring: CreditMonitoring | None
    citation: str = Field(min_length=1)
    text: str = ""


class SubstituteNotice(_Strict):
    cost_exceeds_usd: int | NotStated
    count_exceeds: int | NotStated
    insufficient_contact_info: bool | NotStated
    methods: list[str] = Field(min_length=1)
    website_days: int | None
    citation: str = Field(min_length=1)
    text: str


class ElectronicNotice(_Strict):
    allowed: bool | NotStated
    condition: str
    text: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class ThirdPartyNotice(_Strict):
    deadline: Deadline
    citation: str = Field(min_length=1)


class Jurisdiction(_Strict):
    """One state's, DC's or territory's breach-notification law; every field present or explicitly not stated."""

    code: str
    name: str = Field(min_length=1)
    kind: Literal["state", "district", "territory"]
    timezone: str
    citations: list[str] = Field(min_length=1)
    scope: Scope
    personal_information: PersonalInformation
    encryption_safe_harbor: EncryptionSafeHarbor
    risk_of_harm: RiskOfHarm
    individual_notice: IndividualNotice
    regulator_notices: list[RegulatorNotice]
    cra_notice: CraNotice
    content: Content
    substitute_notice: SubstituteNotice
    electronic_notice: ElectronicNotice
    third_party_notice: ThirdPartyNotice
    confidence: Confidence
    verified: bool
    last_verified: date
    sources: list[Source] = Field(min_length=1)
    discrepancies: list[str]
    notes: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _triggerable(self) -> Jurisdiction:
        if not (self.personal_information.with_name or self.personal_information.without_name):
            raise ValueError("personal information lists no data element")
        codes = [notice.code for notice in self.regulator_notices]
        if len(set(codes)) != len(codes):
            raise ValueError(f"regulator notice codes repeat: {codes}")
        return self


class HipaaObligation(_Strict):
    id: str
    recipient: str
    party: Literal["covered_entity", "business_associate"]
    threshold: Threshold
    per_state: bool
    deadline: Deadline
    citation: str


class HipaaRules(_Strict):
    id: Literal["hipaa"]
    name: str
    citations: list[str]
    applies_if: list[ControllerFlag]
    trigger: dict[str, Any]
    discovery: dict[str, str]
    risk_of_harm: RiskOfHarm
    obligations: list[HipaaObligation]
    content: Content
    substitute_notice: SubstituteNotice
    electronic_notice: ElectronicNotice
    confidence: Confidence
    verified: bool
    last_verified: date
    sources: list[Source] = Field(min_length=1)
    discrepancies: list[str]
    notes: str


class SecFiling(_Strict):
    recipient: str
    deadline: Deadline
    cutoff_local_time: str = Field(pattern=r"^\d{2}:\d{2}$")
    timezone: str
    citation: str


class SecRules(_Strict):
    id: Literal["sec_8k_105"]
    name: str
    citations: list[str]
    applies_if: list[ControllerFlag]
    materiality_determination: dict[str, Any]
    filing: SecFiling
    delay: dict[str, str]
    content: dict[str, Any]
    confidence: Confidence
    verified: bool
    last_verified: date
    sources: list[Source] = Field(min_length=1)
    discrepancies: list[str]
    notes: str


class Federal(_Strict):
    hipaa: HipaaRules
    sec_8k_105: SecRules


class Vocabulary(_Strict):
    personal_information: dict[str, str]
    notice_content: dict[str, str]
    regulator_content: dict[str, str]
    substitute_methods: dict[str, str]
    electronic_conditions: dict[str, str]
    facts_category_elements: dict[str, list[str]]


class RulePack(_Strict):
    """The whole pack: vocabulary, one entry per US jurisdiction, federal overlays."""

    pack: Literal["us-breach-notification"]
    schema_version: Literal[1]
    compiled_at: date
    disclaimer: str
    vocabulary: Vocabulary
    jurisdictions: list[Jurisdiction]
    federal: Federal

    @model_validator(mode="after")
    def _complete_and_consistent(self) -> RulePack:
        codes = [entry.code for entry in self.jurisdictions]
        if len(codes) != len(set(codes)):
            raise ValueError(f"duplicate jurisdiction codes: {sorted(c for c in set(codes) if codes.count(c) > 1)}")
        if set(codes) != JURISDICTION_CODES:
            missing, unexpected = sorted(JURISDICTION_CODES - set(codes)), sorted(set(codes) - JURISDICTION_CODES)
            raise ValueError(f"jurisdictions missing {missing}, unexpected {unexpected}")
        for entry in self.jurisdictions:
            _check_vocabulary(entry, self.vocabulary)
        return self

    def jurisdiction(self, code: str) -> Jurisdiction:
        """The entry for a two-letter code (``KeyError`` naming the code if there is none)."""
        for entry in self.jurisdictions:
            if entry.code == code:
                return entry
        raise KeyError(f"no US jurisdiction {code!r}")


def _check_vocabulary(entry: Jurisdiction, vocabulary: Vocabulary) -> None:
    """Every id an entry uses is defined in the pack's vocabulary (one place to read what an id means)."""
    uses: list[tuple[str, str, dict[str, Any]]] = []
    pi = entry.personal_information
    uses += [("personal_information", e, vocabulary.personal_information) for e in [*pi.with_name, *pi.without_name]]
    content = entry.content
    required = [] if content.required == NOT_STATED else list(content.required)
    uses += [("content", e, vocabulary.notice_content) for e in [*required, *content.forbidden]]
    if content.credit_monitoring is not None:
        uses += [("content.credit_monitoring", e, vocabulary.personal_information) for e in content.credit_monitoring.condition]
    uses += [("substitute_notice", m, vocabulary.substitute_methods) for m in entry.substitute_notice.methods]
    uses += [("electronic_notice", entry.electronic_notice.condition, vocabulary.electronic_conditions)]
    for notice in entry.regulator_notices:
        if notice.content != NOT_STATED:
            uses += [("regulator_notices.content", c, vocabulary.regulator_content) for c in notice.content]
    for where, used, defined in uses:
        if used not in defined:
            raise ValueError(f"{entry.code}.{where}: {used!r} is not in the pack vocabulary")


def load_rules(path: Path | str | None = None) -> RulePack:
    """Load and validate the rule pack (the bundled one by default); ``RulePackError`` names the first defect."""
    if path is None:
        return _bundled()
    return _parse(Path(path).read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=1)
def _bundled() -> RulePack:
    text = resources.files("breach").joinpath("data/us_breach_laws.json").read_text(encoding="utf-8")
    return _parse(text, "us_breach_laws.json")


def _parse(text: str, origin: str) -> RulePack:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulePackError(origin, f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    try:
        return RulePack.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulePackError(_where(document, first["loc"]), first["msg"]) from exc


def _where(document: Any, loc: tuple[int | str, ...]) -> str:
    """'jurisdictions[4].cra_notice' -> 'jurisdictions[CA].cra_notice' so a reader knows which entry."""
    parts: list[str] = []
    node = document
    for step in loc:
        if isinstance(step, int):
            code = node[step].get("code") if isinstance(node, list) and step < len(node) and isinstance(node[step], dict) else None
            parts[-1] += f"[{code or step}]"
        else:
            parts.append(str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts) or "(document)"
