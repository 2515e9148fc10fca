"""Discovery: which kinds of personal data a leaked sample holds (CSV, JSON lines, SQL dump, text).

`discover(path)` streams the file in bounded memory and returns a `DiscoveryReport` whose
`to_facts()` fragment pastes into a facts document (incident-facts.schema.json).
"""

from __future__ import annotations

from breach.discover.report import DiscoveryReport, Finding
from breach.discover.scan import discover

__all__ = ["DiscoveryReport", "Finding", "discover"]
