"""Notification regimes as data: which reports are owed to whom, and by when.

The rules live in ``breach/data/regimes.json``, a file a compliance officer can read and extend:
GDPR Art. 33/34, NIS2 Art. 23(4), DORA Art. 19(4) with Delegated Regulation (EU) 2025/301 Art. 5,
and the ePrivacy notification rules of Regulation (EU) No 611/2013. Each regime is versioned with
effective dates, so a change in the law (the proposed "Digital Omnibus" moving GDPR to 96 hours
for high-risk breaches only) is a dated entry in that file, not a code path.

``obligations_for`` is pure: facts, the assessment contract, the date whose rules apply, and the
actual times of the reports already made go in; obligations with absolute UTC deadlines come out.
Deadlines anchored on a previous report (NIS2 final report, DORA intermediate and final reports)
are computed from when that report was actually made, and stay open until it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from breach import instants
from breach.facts import Facts

Party = Literal["authority", "controller", "csirt", "competent_authority", "subjects"]
Status = Literal["in_force", "adopted", "proposal", "repealed"]
FACT_ANCHORS = ("aware_at", "detected_at", "occurred_at", "classified_major_at")
REPORT_PREFIX = "report:"
DEFAULT_TIMEZONE = "Europe/Copenhagen"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_anchor(value: str) -> str:
    if value in FACT_ANCHORS or (value.startswith(REPORT_PREFIX) and len(value) > len(REPORT_PREFIX)):
        return value
    raise ValueError(f"unknown anchor {value!r}: use one of {', '.join(FACT_ANCHORS)} or report:<obligation id>")


def _check_duration(value: str) -> str:
    if not value.startswith("default:"):
        instants.parse_duration(value)
    return value


class Term(_Rule):
    """``anchor`` + ``duration``: one candidate deadline (the earliest known one wins)."""

    anchor: str
    duration: str

    _anchor = field_validator("anchor")(_check_anchor)
    _duration = field_validator("duration")(_check_duration)


class ObligationRule(_Rule):
    """One report owed under a regime, as written in the rules file."""

    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_.]+$", max_length=40)
    title: str
    party: Party
    applies_if: dict[str, Any] = Field(default_factory=dict)
    anchor: str
    duration: str | None = None
    duration_fact: str | None = Field(default=None, description="a facts field holding hours that override the duration")
    target: str | None = Field(default=None, description="words of a duty without a hard deadline, e.g. 'without undue delay'")
    no_later_than: list[Term] = Field(default_factory=list)
    legal_basis: str = Field(min_length=1)

    _anchor = field_validator("anchor")(_check_anchor)

    @field_validator("duration")
    @classmethod
    def _duration_ok(cls, value: str | None) -> str | None:
        return None if value is None else _check_duration(value)

    @model_validator(mode="after")
    def _deadline_or_target(self) -> ObligationRule:
        if (self.duration is None) == (self.target is None):
            raise ValueError(f"{self.id}: give exactly one of duration and target")
        return self


class RegimeVersion(_Rule):
    """One version of a regime's rules, in force from ``effective_from`` until ``effective_to``."""

    regime: str
    version: str
    title: str
    status: Status
    effective_from: date | None
    effective_to: date | None = None
    obligations: list[ObligationRule] = Field(min_length=1)

    def in_force_on(self, day: date) -> bool:
        """True when this version applies on ``day`` (proposals and undated entries never do)."""
        if self.status in ("proposal", "repealed") or self.effective_from is None:
            return False
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


class Rules(_Rule):
    """The whole rules file."""

    about: str = ""
    format: Literal[1]
    defaults: dict[str, Any] = Field(default_factory=dict)
    regimes: list[RegimeVersion]

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        versions = [r.version for r in self.regimes]
        if len(versions) != len(set(versions)):
            raise ValueError("regime versions must be unique")
        for version in self.regimes:
            for rule in version.obligations:
                for duration in [rule.duration, *(t.duration for t in rule.no_later_than)]:
                    if duration and duration.startswith("default:") and duration[8:] not in self.defaults:
                        raise ValueError(f"{rule.id}: no default named {duration[8:]!r}")
        return self

    def reminder_leads_hours(self) -> list[float]:
        """Hours before a deadline at which reminders fall due (``defaults.reminder_hours_before``)."""
        return [float(h) for h in self.defaults.get("reminder_hours_before", [48, 24, 6, 1])]


class Obligation(BaseModel):
    """An obligation of one incident: its deadline as an absolute UTC instant, or why there is none yet."""

    model_config = ConfigDict(frozen=True)

    id: str
    regime: str
    version: str
    title: str
    party: Party
    anchor: str
    anchor_at: datetime | None
    duration: str | None
    due_at: datetime | None
    reason: str | None = Field(default=None, description="why due_at is None: anchor unknown, report not yet made, or a target")
    legal_basis: str


def load_rules(source: Path | str | dict[str, Any] | None = None) -> Rules:
    """Load and validate a rules file (the bundled ``breach/data/regimes.json`` by default)."""
    if source is None:
        return bundled_rules()
    if isinstance(source, dict):
        return Rules.model_validate(source)
    return Rules.model_validate(json.loads(Path(source).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def bundled_rules() -> Rules:
    """The rules shipped with breach-notify."""
    text = resources.files("breach").joinpath("data/regimes.json").read_text(encoding="utf-8")
    return Rules.model_validate(json.loads(text))


def versions_in_force(rules: Rules, *, as_of: datetime | date) -> list[RegimeVersion]:
    """Per regime, the version in force on ``as_of``; of two that both apply the later-dated one wins."""
    day = as_of.astimezone(UTC).date() if isinstance(as_of, datetime) else as_of
    chosen: dict[str, RegimeVersion] = {}
    for version in rules.regimes:
        if not version.in_force_on(day):
            continue
        current = chosen.get(version.regime)
        if current is None or (version.effective_from or date.min) > (current.effective_from or date.min):
            chosen[version.regime] = version
    return [chosen[name] for name in sorted(chosen, key=lambda n: [r.regime for r in rules.regimes].index(n))]


def obligations_for(facts: Facts, assessment_contract: Mapping[str, Any], *, as_of: datetime | date,
                    reports: Mapping[str, datetime] | None = None, tz: str = DEFAULT_TIMEZONE,
                    rules: Rules | None = None) -> list[Obligation]:
    """Every obligation the facts and the assessment call for under the rules in force on ``as_of``.

    Args:
        reports: obligation id -> when that report was actually made (e.g. ``{"dora.initial": ...}``);
            deadlines anchored on ``report:<id>`` are computed from these.
        tz: the controller's zone, in which calendar months are counted.
    """
    rules = rules or bundled_rules()
    done = {key: instants.as_utc(value) for key, value in (reports or {}).items()}
    subject = _subject(facts, assessment_contract)
    found = []
    for version in versions_in_force(rules, as_of=as_of):
        for rule in version.obligations:
            if applies(rule.applies_if, subject):
                found.append(_obligation(rule, version, facts=facts, rules=rules, reports=done, tz=tz))
    return found


def _subject(facts: Facts, contract: Mapping[str, Any]) -> dict[str, Any]:
    """The facts as plain data (regimes with their defaults) plus the assessment under ``assessment``."""
    data = facts.model_dump(mode="python")
    data["regimes"] = data.get("regimes") or {"nis2_entity": None, "dora_financial_entity": False,
                                              "electronic_communications_provider": False, "classified_major_at": None}
    data["controller"] = data.get("controller") or {}
    data["assessment"] = dict(contract)
    return data


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path such as ``regimes.nis2_entity``, or None."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def applies(conditions: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """All conditions hold: a value must equal the expected one, or be in the expected list."""
    for path, expected in conditions.items():
        value = lookup(data, path)
        if isinstance(expected, list):
            if value not in expected:
                return False
        elif value != expected:
            return False
    return True


def _anchor_value(anchor: str, *, facts: Facts, reports: Mapping[str, datetime]) -> tuple[datetime | None, str | None]:
    """The anchor's instant, or None and why it is not known yet."""
    if anchor.startswith(REPORT_PREFIX):
        report = anchor[len(REPORT_PREFIX):]
        at = reports.get(report)
        return (at, None) if at is not None else (None, f"starts when {report} has been made")
    at = (facts.regimes.classified_major_at if facts.regimes else None) if anchor == "classified_major_at" else getattr(facts, anchor)
    return (instants.as_utc(at), None) if at is not None else (None, f"{anchor} is not known")


def _duration(rule_duration: str, *, fact: str | None, facts: Facts, rules: Rules) -> str:
    """The ISO 8601 duration to apply: a facts override (hours), a named default (hours), or the rule's own."""
    if fact:
        hours = lookup(facts.model_dump(mode="python"), fact)
        if hours is not None:
            return _hours(float(hours))
    if rule_duration.startswith("default:"):
        return _hours(float(rules.defaults[rule_duration[8:]]))
    return rule_duration


def _hours(hours: float) -> str:
    return f"PT{hours:g}H"


def _obligation(rule: ObligationRule, version: RegimeVersion, *, facts: Facts, rules: Rules,
                reports: Mapping[str, datetime], tz: str) -> Obligation:
    anchor_at, reason = _anchor_value(rule.anchor, facts=facts, reports=reports)
    duration = None if rule.duration is None else _duration(rule.duration, fact=rule.duration_fact, facts=facts, rules=rules)
    due = None
    if rule.target is not None:
        reason = f"no fixed deadline: {rule.target}"
    elif anchor_at is not None and duration is not None:
        due = instants.add_duration(anchor_at, duration, tz=tz)
        for term in rule.no_later_than:
            cap_anchor, _ = _anchor_value(term.anchor, facts=facts, reports=reports)
            if cap_anchor is not None:
                due = min(due, instants.add_duration(cap_anchor, _duration(term.duration, fact=None, facts=facts, rules=rules), tz=tz))
    return Obligation(id=rule.id, regime=version.regime, version=version.version, title=rule.title, party=rule.party,
                      anchor=rule.anchor, anchor_at=anchor_at, duration=duration, due_at=due, reason=reason,
                      legal_basis=rule.legal_basis)
