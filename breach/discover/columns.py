"""Deciding what a column holds from a sample, then counting it cheaply for the rest of the file.

A column is buffered (at most SAMPLE values) until it is decided. The decision runs every
detector's full validation on the sample; a detector takes the column only if a majority of the
non-empty sampled values validate (a fifth when the column name points at that very category).
After that, each chunk costs an exact count of the non-empty values (one C-speed pass), a
distinct-value sketch for identifiers, the shape check on every STRIDE-th value and the full
validation of one value in CHECK_EVERY, so the report can say how well the column held up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress, filterfalse

from breach.discover import hints
from breach.discover.detectors import DETECTORS, Detector, hint_detector

SAMPLE = 400  # non-empty values looked at before deciding a column
VALIDATE = 60  # of those, how many of the right shape get the full (slow) validation
MAJORITY = 0.5
HINTED = 0.2
NAME_LIKE = 0.6  # share of values of a `name` column that must look like a name
CHECK_EVERY = 2000  # after the decision, one value in this many gets the full validation
STRIDE = 16  # after the decision, every STRIDE-th value gets the shape check
EXAMPLES = 3
FREE_TEXT = 0.5  # share of values with three or more words that makes a column free text
NULLS = frozenset({"", "NULL", "null", "None", "\\N", "N/A", "n/a", "-"})
# Detectors that must not take a column whose name speaks of orders, invoices or versions.
BLOCKED_BY_NEGATIVE = frozenset({"national_id", "payment_card", "phone", "ip_address", "bank_account", "date_of_birth"})


TextScanner = Callable[[Sequence[str], "dict[str, Counter]"], None]


class DistinctSketch:
    """Distinct-count estimate in bounded memory: exact up to CAP, then adaptive hash sampling."""

    CAP = 1 << 14

    def __init__(self) -> None:
        self.level = 0
        self.seen: set[int] = set()

    def update(self, values: Sequence[str]) -> None:
        """Add values (already non-empty and valid-looking)."""
        hashes: Iterator[int] = map(hash, values)
        if self.level:  # keep the hashes whose low `level` bits are zero, at C speed
            hashes = filterfalse(((1 << self.level) - 1).__and__, hashes)
        self.seen.update(hashes)
        while len(self.seen) > self.CAP:
            self.level += 1
            mask = (1 << self.level) - 1
            self.seen = {h for h in self.seen if not h & mask}

    @property
    def estimate(self) -> int:
        """Distinct values seen (exact while below CAP)."""
        return len(self.seen) << self.level

    @property
    def exact(self) -> bool:
        """True while no sampling has happened."""
        return self.level == 0


@dataclass
class Counter:
    """What one assigned column has shown so far."""

    detector: Detector
    basis: str  # "values", "values+name", or "name"
    values: int = 0  # non-empty values
    probed: int = 0  # values given the shape check (every STRIDE-th)
    shaped: int = 0  # of those, how many had the detector's shape
    checked: int = 0  # values given the full validation
    valid: int = 0
    examples: list[str] = field(default_factory=list)
    distinct: DistinctSketch | None = None
    _owed: int = 0  # values counted since the last full validation

    def feed(self, values: Sequence[str], *, check: int = 0, stride: int = STRIDE) -> None:
        """Count a chunk of this column's values: exact non-empty count, sampled shape and validation."""
        nulls = values.count("")  # one C-speed pass; other spellings of NULL are rare outside SQL, where they are ""
        self.values += len(values) - nulls
        if self.distinct is not None:
            self.distinct.update(values if not nulls else [v for v in values if v not in NULLS])
        probe = [v for v in values[::stride] if v not in NULLS]
        shaped = list(compress(probe, map(self.detector.shape.fullmatch, probe)))
        self.probed += len(probe)
        self.shaped += len(shaped)
        if not check:
            self._owed += len(values)
            check = self._owed // CHECK_EVERY
            self._owed -= check * CHECK_EVERY
        for value in shaped[:check]:
            self.checked += 1
            if self.detector.check(value):
                self.valid += 1
                if len(self.examples) < EXAMPLES:
                    self.examples.append(self.detector.mask(value))

    @property
    def matching(self) -> int:
        """Estimated values that pass shape and validation (exact when every value was checked)."""
        if not self.probed or not self.checked:
            return 0
        return round(self.values * (self.shaped / self.probed) * (self.valid / self.checked))


class Column:
    """One column or field: buffered until decided, then counted by its detector, or token-scanned as free text."""

    def __init__(self, name: str, *, scan_text: TextScanner | None = None) -> None:
        self.name = name
        self.pending: list[str] = []  # non-empty values seen before the decision (< SAMPLE + one chunk)
        self.decided = False
        self.counter: Counter | None = None
        self.text: dict[str, Counter] | None = None  # per-detector counters of a free-text column
        self._scan_text = scan_text

    def feed(self, values: Sequence[str]) -> None:
        """Take a chunk of this column's values."""
        if self.decided:
            if self.counter is not None:
                self.counter.feed(values)
            elif self.text is not None and self._scan_text is not None:
                self._scan_text(values, self.text)
            return
        self.pending.extend(filter(None, values))  # C speed; NULL spellings are dropped when deciding
        if len(self.pending) >= SAMPLE:
            self.decide()

    def decide(self) -> None:
        """Assign a detector from the first SAMPLE values, then count everything buffered."""
        self.decided = True
        pending, self.pending = self.pending, []
        sample = [v for v in pending[: SAMPLE * 2] if v not in NULLS][:SAMPLE]
        self.counter = classify(self.name, sample)
        if self.counter is not None and pending:
            self.counter.feed(pending, check=50, stride=1)
        elif self.counter is None and self._scan_text is not None and is_free_text(self.name, sample):
            self.text = {}
            self._scan_text(pending, self.text)


def classify(name: str, sample: Sequence[str]) -> Counter | None:
    """The counter for the detector this column's name and sampled values support, or None."""
    if not sample:
        return None
    hint = hints.hint_for(name)
    negative = hint is None and hints.is_negative(name)
    best, best_share = None, 0.0
    for detector in DETECTORS:
        hinted = hint is not None and hint.category == detector.category
        if (detector.needs_hint and not hinted) or (negative and detector.category in BLOCKED_BY_NEGATIVE):
            continue
        share = _valid_share(detector, sample)
        preferred = hint is not None and hint.detector == detector.name
        if share >= (HINTED if hinted else MAJORITY) and (share > best_share or (preferred and share == best_share)):
            best, best_share = detector, share
    if best is not None:
        hinted = hint is not None and hint.category == best.category
        return _counter(best, "values+name" if hinted else "values")
    if hint is not None and hint.detector == "hint" and _plausible(hint.category, sample):
        return _counter(hint_detector(hint.category), "name")
    return None


def _valid_share(detector: Detector, sample: Sequence[str]) -> float:
    """Share of the sample that validates: shape on all of it, full validation on up to VALIDATE of the shaped."""
    shaped = [v for v in sample if detector.shape.fullmatch(v)]
    if len(shaped) < len(sample) * HINTED:
        return 0.0  # cheap exit: not even the shape fits
    step = max(1, len(shaped) // VALIDATE)
    probe = shaped[::step][:VALIDATE]
    return len(shaped) / len(sample) * sum(map(detector.check, probe)) / len(probe)


def is_free_text(name: str, sample: Sequence[str]) -> bool:
    """Prose rather than codes: most values have several words (notes, messages, comments)."""
    if not sample or hints.is_negative(name):
        return False
    wordy = sum(1 for v in sample if v.count(" ") >= 2)
    return wordy >= FREE_TEXT * len(sample)


def _plausible(category: str, sample: Sequence[str]) -> bool:
    """A `name` column holds words, not numbers or e-mails; other hinted columns just need values."""
    if category != "name":
        return True
    wordy = sum(1 for v in sample if v[:1].isalpha() and not any(c.isdigit() or c == "@" for c in v))
    return wordy >= NAME_LIKE * len(sample)


def _counter(detector: Detector, basis: str) -> Counter:
    return Counter(detector, basis, distinct=DistinctSketch() if detector.identifier else None)
