"""The discovery report: findings per column, categories, an estimate of the people, facts to paste."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from breach.discover.columns import Counter

# Which findings count people, best first: a national id or an e-mail is one person, a name is not quite.
SUBJECT_BASIS = ("national_id", "email", "phone", "bank_account", "payment_card", "name")


@dataclass
class Finding:
    """One kind of personal data in one column or field."""

    field: str
    category: str
    detector: str
    basis: str  # "values", "values+name" (values validated, name agrees) or "name" (column name only)
    values: int  # non-empty values in the column
    matching: int  # estimate of those that pass shape and validation (values x sampled shape share x valid share)
    checked: int  # values fully validated (check digits, parsers)
    valid: int  # of those, how many passed
    distinct: int | None
    distinct_is_estimate: bool
    examples: list[str]

    @classmethod
    def from_counter(cls, name: str, counter: Counter) -> Finding:
        """Freeze a column counter into a finding."""
        sketch = counter.distinct
        return cls(field=name, category=counter.detector.category, detector=counter.detector.name, basis=counter.basis,
                   values=counter.values, matching=counter.matching, checked=counter.checked, valid=counter.valid,
                   distinct=sketch.estimate if sketch is not None else None,
                   distinct_is_estimate=bool(sketch is not None and not sketch.exact), examples=list(counter.examples))


@dataclass
class DiscoveryReport:
    """What personal data a leaked sample holds."""

    file: str
    format: str
    bytes: int
    records: int
    seconds: float
    findings: list[Finding] = field(default_factory=list)

    @property
    def categories(self) -> list[str]:
        """The data category codes found (facts schema), sorted."""
        return sorted({f.category for f in self.findings})

    def subjects(self) -> tuple[int, str]:
        """Estimated number of people and how it was estimated."""
        for category in SUBJECT_BASIS:
            found = [f for f in self.findings if f.category == category and f.distinct]
            if found:
                best = max(found, key=lambda f: f.distinct or 0)
                return best.distinct or 0, f"distinct values of {best.field} ({category})"
        if self.findings:
            best = max(self.findings, key=lambda f: f.values)
            return min(best.values, self.records), f"records with {best.field} ({best.category})"
        return 0, "no personal data found"

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        subjects, basis = self.subjects()
        return {"file": self.file, "format": self.format, "bytes": self.bytes, "records": self.records,
                "seconds": round(self.seconds, 3), "data_categories": self.categories,
                "subjects_affected_estimate": subjects, "subjects_basis": basis,
                "findings": [asdict(f) for f in self.findings]}

    def to_facts(self) -> dict[str, Any]:
        """The fragment of a facts document (incident-facts.schema.json) to paste in."""
        subjects, _ = self.subjects()
        return {"data_categories": self.categories, "subjects_affected": subjects, "subjects_affected_is_estimate": True}
