"""Personal data inside free text: log lines, and columns such as `notes` or `message`.

Candidate tokens are found with one regular expression, then each is fully validated by the
detectors that need no column-name hint. National ids must carry their separator in free text
(211062-5629): a bare run of ten digits in a log is too often a timestamp or a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from breach.discover.columns import Counter, DistinctSketch
from breach.discover.detectors import DETECTORS, Detector

_CANDIDATE = re.compile(r"""
    [\w.%+'-]+@[\w-]+(?:\.[\w-]+)+
  | (?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])
  | (?<![\w+])(?:\+|00)[1-9][\d \-]{6,16}\d
  | \b[A-Z]{2}\d{2}(?:\ ?[A-Z0-9]){11,30}\b
  | \b\d{6}[-+A]\d{3}[0-9A-Y]\b
  | \b\d{6}[-+]\d{4}\b
  | \b\d{6}\ ?\d{5}\b
  | \b\d{4}(?:[\ -]?\d{4}){2}[\ -]?\d{1,7}\b
  | (?<![\w:])[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}(?![\w:])
  | \$(?:2[abxy]?|argon2(?:id|i|d)|[156])\$\S{8,}
""", re.VERBOSE)
TEXT_DETECTORS = tuple(d for d in DETECTORS if not d.needs_hint and d.name != "payment_card_partial")
_VERSION_BEFORE = re.compile(r"(?:version|ver|v|release|build)[\s:=]*$", re.IGNORECASE)


def scan_values(values: Sequence[str], counters: dict[str, Counter]) -> None:
    """Find, validate and count the personal data in each text value; one counter per detector."""
    finditer = _CANDIDATE.finditer
    for text in values:
        for match in finditer(text):
            start = match.start()
            _token(match.group(0).strip(), text[max(0, start - 20):start], counters)


def _token(token: str, before: str, counters: dict[str, Counter]) -> None:
    detector = first_valid(token)
    if detector is None:
        return
    if detector.category == "ip_address" and _VERSION_BEFORE.search(before):
        return  # "version 10.0.0.1" is a version, not an address
    counter = counters.get(detector.name)
    if counter is None:
        counter = counters[detector.name] = Counter(detector, "values", distinct=DistinctSketch() if detector.identifier else None)
    counter.values += 1
    counter.probed += 1
    counter.shaped += 1
    counter.checked += 1
    counter.valid += 1
    if counter.distinct is not None:
        counter.distinct.update([token])
    if len(counter.examples) < 3:
        counter.examples.append(detector.mask(token))


def first_valid(token: str) -> Detector | None:
    """The first hint-free detector that validates the token, or None."""
    for detector in TEXT_DETECTORS:
        if detector.check(token):
            return detector
    return None

