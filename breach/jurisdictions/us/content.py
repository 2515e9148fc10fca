"""What a US notice must and must not say, and whether substitute notice is allowed.

``required_content(codes)`` merges the content rules of the affected jurisdictions: the union of required
elements (with the jurisdictions asking for each), the elements any of them forbids (Massachusetts: nature
of the breach, number of residents; Illinois: number of residents), the conflicts where one requires what
another forbids (Rhode Island requires the number of residents: one combined letter cannot serve both), the
strictest free credit-monitoring period whose condition the breached data meets (Connecticut 24 months for
SSN/TIN, DC and Massachusetts 18, California and Pennsylvania 12, Delaware 12), and the format rules
(California: title 'Notice of Data Breach', five headings, 10-point type).

``substitute_notice(code, ...)`` applies one jurisdiction's cost, count and contact-information thresholds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from breach.jurisdictions.us.rules import NOT_STATED, Content, NoticeFormat, RulePack, load_rules

UNCONDITIONAL = "the statute lists this method without cost or count conditions"


@dataclass(frozen=True)
class CreditMonitoringDuty:
    jurisdiction: str
    months: int
    condition: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class NoticeContent:
    """The merged content rules for one notice sent to residents of several jurisdictions."""

    required: dict[str, tuple[str, ...]]
    forbidden: dict[str, tuple[str, ...]]
    conflicts: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    credit_monitoring: tuple[CreditMonitoringDuty, ...]
    credit_monitoring_months: int
    title: str | None
    headings: tuple[str, ...]
    min_font_pt: int | None
    plain_language: bool
    content_not_stated: tuple[str, ...]
    unverified: tuple[str, ...]
    citations: dict[str, str]


def required_content(codes: Iterable[str], *, elements: Iterable[str] | None = None, rules: RulePack | None = None) -> NoticeContent:
    """Union of required elements, elements forbidden anywhere, conflicts, strictest credit monitoring, format."""
    pack = rules or load_rules()
    chosen = sorted(set(codes))
    merged = _Merged(None if elements is None else frozenset(elements))
    for code in chosen:
        merged.add(code, pack.jurisdiction(code).content)
    required, forbidden = merged.required, merged.forbidden
    return NoticeContent(
        required={e: tuple(c) for e, c in sorted(required.items())},
        forbidden={e: tuple(c) for e, c in sorted(forbidden.items())},
        conflicts={e: (tuple(required[e]), tuple(forbidden[e])) for e in sorted(set(required) & set(forbidden))},
        credit_monitoring=tuple(sorted(merged.monitoring, key=lambda d: (-d.months, d.jurisdiction))),
        credit_monitoring_months=max((d.months for d in merged.monitoring), default=0),
        title=merged.title, headings=merged.headings, min_font_pt=max(merged.fonts, default=None),
        plain_language=merged.plain, content_not_stated=tuple(merged.silent),
        unverified=tuple(code for code in chosen if not pack.jurisdiction(code).verified),
        citations={code: pack.jurisdiction(code).content.citation for code in chosen},
    )


class _Merged:
    """Accumulates the content rules of several jurisdictions."""

    def __init__(self, involved: frozenset[str] | None) -> None:
        self.involved = involved
        self.required: dict[str, list[str]] = {}
        self.forbidden: dict[str, list[str]] = {}
        self.monitoring: list[CreditMonitoringDuty] = []
        self.silent: list[str] = []
        self.fonts: list[int] = []
        self.title: str | None = None
        self.headings: tuple[str, ...] = ()
        self.plain = False

    def add(self, code: str, content: Content) -> None:
        if content.required == NOT_STATED:
            self.silent.append(code)
        else:
            for element in content.required:
                self.required.setdefault(element, []).append(code)
        for element in content.forbidden:
            self.forbidden.setdefault(element, []).append(code)
        duty = content.credit_monitoring
        if duty is not None and (self.involved is None or self.involved & set(duty.condition)):
            self.monitoring.append(CreditMonitoringDuty(code, duty.months, tuple(duty.condition), duty.text))
        if isinstance(content.format, NoticeFormat):
            form = content.format
            self.title = self.title or form.title
            self.headings = self.headings or tuple(form.headings)
            self.fonts += [form.min_font_pt] if form.min_font_pt is not None else []
            self.plain = self.plain or form.plain_language


@dataclass(frozen=True)
class SubstituteNoticeDecision:
    jurisdiction: str
    allowed: bool
    reasons: tuple[str, ...]
    methods: tuple[str, ...]
    website_days: int | None
    citation: str
    verified: bool


def substitute_notice(
    code: str, *, cost_usd: int, persons: int, sufficient_contact_info: bool, rules: RulePack | None = None
) -> SubstituteNoticeDecision:
    """Whether one jurisdiction allows substitute notice for this cost, number of persons and contact data."""
    pack = rules or load_rules()
    entry = pack.jurisdiction(code)
    rule = entry.substitute_notice
    reasons: list[str] = []
    if isinstance(rule.cost_exceeds_usd, int) and cost_usd > rule.cost_exceeds_usd:
        reasons.append(f"cost ${cost_usd:,} exceeds ${rule.cost_exceeds_usd:,}")
    if isinstance(rule.count_exceeds, int) and persons > rule.count_exceeds:
        reasons.append(f"{persons:,} persons exceeds {rule.count_exceeds:,}")
    if rule.insufficient_contact_info is True and not sufficient_contact_info:
        reasons.append("insufficient contact information")
    no_threshold = rule.cost_exceeds_usd == NOT_STATED and rule.count_exceeds == NOT_STATED and rule.insufficient_contact_info == NOT_STATED
    if no_threshold:
        reasons.append(UNCONDITIONAL)
    return SubstituteNoticeDecision(
        jurisdiction=code, allowed=bool(reasons), reasons=tuple(reasons), methods=tuple(rule.methods),
        website_days=rule.website_days, citation=rule.citation, verified=entry.verified,
    )
