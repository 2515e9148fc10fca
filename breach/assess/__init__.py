"""Breach assessment: facts in, verdicts with reasons out (GDPR Art. 33/34, ENISA 2013, EDPB 01/2021).

    from breach.assess import assess
    assessment = assess(load_facts(path))
    assessment.to_contract()   # the JSON object of ASSESSMENT.md

Modules: ``severity`` (ENISA score), ``likelihood`` and ``risk`` (EDPB risk factors), ``obligations``
(who must be told), ``engine`` (the order the rules run in). Tables: ``breach/data/enisa.json``.
"""

from breach.assess.engine import RULES_VERSION, assess, rules_version
from breach.assess.models import Assessment, RationaleEntry, Severity

__all__ = ["RULES_VERSION", "Assessment", "RationaleEntry", "Severity", "assess", "rules_version"]
