"""What an assessment says: the verdicts, the ENISA severity, and the reasons, in order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from breach.authorities import Authority
from breach.enums import RiskLevel

Band = Literal["low", "medium", "high", "very_high"]
Exemption = Literal["art34_3_a", "art34_3_b", "art34_3_c"]

# Keys of the printed object, in the order of ASSESSMENT.md, then our additions.
CONTRACT_KEYS = (
    "personal_data_breach", "identifiable", "severity", "risk", "notify_authority", "notify_subjects",
    "subject_notice_exemption", "public_communication", "notify_subjects_subset", "authority", "authority_deadline", "rationale",
    "role", "notify_controller", "authorities", "rules_version", "gdpr_applies", "territorial_scope",
)


class RationaleEntry(BaseModel):
    """One step of the reasoning: which rule, what it found in plain words, and the provisions it rests on."""

    model_config = ConfigDict(frozen=True)

    rule: str
    finding: str
    basis: tuple[str, ...] = Field(default=(), description="The articles, guideline paragraphs or national provisions cited")


class SubjectSubset(BaseModel):
    """Art. 34 for some of the people: which rows of the people file, and why (``notify_subjects_subset``)."""

    model_config = ConfigDict(frozen=True)

    people: dict[str, Any] = Field(description='A rule over people-file columns: {"column": c, "equals": v} or {"any": [rules]}')
    why: str
    basis: tuple[str, ...]
    if_not_identifiable: str = Field(description="What to do when the people file cannot single these people out")


class Severity(BaseModel):
    """ENISA (2013) severity: SE = DPC x EI + CB, and its band."""

    model_config = ConfigDict(frozen=True)

    method: Literal["ENISA-2013"] = "ENISA-2013"
    score: float
    band: Band
    dpc: float = Field(description="Data Processing Context, 1-4 (0 when no personal data)")
    ei: float = Field(description="Ease of Identification, 0.25-1")
    cb: float = Field(description="Circumstances of Breach, 0-2, added")


class Assessment(BaseModel):
    """The decision for one facts document (Art. 33/34), with every verdict explained in ``rationale``."""

    model_config = ConfigDict(frozen=True)

    personal_data_breach: bool
    identifiable: bool
    severity: Severity
    risk: RiskLevel
    notify_authority: bool
    notify_subjects: bool
    subject_notice_exemption: Exemption | None = None
    public_communication: bool = False
    notify_subjects_subset: SubjectSubset | None = None
    authority: Authority | None = None
    authorities: list[Authority] = Field(default_factory=list, description="Every authority owed a notification")
    authority_deadline: AwareDatetime | None = None
    rationale: list[RationaleEntry]
    rules_version: str
    role: Literal["controller", "processor"] = "controller"
    notify_controller: bool = False
    gdpr_applies: bool = Field(default=True, description="Art. 3: false when the GDPR (and the UK GDPR) does not reach the processing")
    territorial_scope: dict[str, Any] | None = Field(
        default=None, description="Art. 3 for a controller not established in the EEA/UK: gdpr_applies, basis, countries considered")

    def to_contract(self) -> dict[str, Any]:
        """The JSON object of ASSESSMENT.md (plus role, notify_controller, authorities, rules_version, gdpr_applies, territorial_scope)."""
        dumped = self.model_dump(mode="json")
        if self.authority_deadline is not None:
            dumped["authority_deadline"] = self.authority_deadline.isoformat()
        return {key: dumped[key] for key in CONTRACT_KEYS}
