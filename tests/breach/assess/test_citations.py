"""Every rationale entry of every verdict cites the article, guideline paragraph or national provision it rests on."""

from __future__ import annotations

import re

import pytest

from breach.assess import assess
from breach.assess.overlays import country_rules
from breach.facts import load_facts
from tests.breach.assess.public_cases import load_case
from tests.conftest import case_paths

pytestmark = pytest.mark.unit

# A citation names a provision or a published text: an article or recital, a section, a guideline, a decision.
CITATION = re.compile(r"Art\. \d+|Recital|§|kap\.|\d+ §|Guidelines|WP250|ENISA|decision|DKN\.|Regulation|Directive|"
                      r"Datatilsynet|UODO|IMY|Tietosuojavaltuutetun|ICO")


@pytest.mark.parametrize("path", case_paths(), ids=lambda path: path.stem)
def test_every_entry_of_every_public_case_cites_its_basis(path):
    contract = assess(load_facts(load_case(path)["facts"])).to_contract()
    for entry in contract["rationale"]:
        assert entry["basis"], f"{path.stem}: {entry['rule']} cites nothing"
        for cited in entry["basis"]:
            assert CITATION.search(cited), f"{path.stem}: {entry['rule']} cites {cited!r}, which names no provision or text"
    subset = contract["notify_subjects_subset"]
    if subset is not None:
        assert subset["basis"] and all(CITATION.search(cited) for cited in subset["basis"])


@pytest.mark.parametrize("path", [p for p in case_paths() if load_case(p)["facts"].get("controller", {}).get("country") in ("DK", "PL")],
                         ids=lambda path: path.stem)
def test_a_danish_or_polish_case_cites_its_national_rules(path):
    facts = load_case(path)["facts"]
    rules = country_rules()[facts["controller"]["country"]]
    [entry] = [e for e in assess(load_facts(facts)).to_contract()["rationale"] if e["rule"] == "national_law"]
    assert rules.section in entry["finding"] or rules.citation in entry["finding"]
    assert rules.citation in " ".join(entry["basis"])
