"""Print how the engine and two trivial engines score on the public cases (ASSESSMENT.md scoring).

    .venv/bin/python -m tests.breach.assess.scoreboard            # engine, always-notify, never-notify-subjects
    .venv/bin/python -m tests.breach.assess.scoreboard --new-only # only the cases authored here (INDEX.json)

Facts fields the running engine's schema does not know are dropped first, so an older checkout of
the engine (e.g. main before rules 2.0) can be scored on the same cases.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from breach.assess import assess
from breach.facts import load_facts, schema
from tests.breach.assess.public_cases import QUESTIONS, all_cases, index, verdict

Row = tuple[str, str, bool, bool]  # case id, question, authority's verdict, engine's verdict


def rows(*, new_only: bool) -> list[Row]:
    """Every scored verdict: (case, question, expected, engine)."""
    known = set(schema()["properties"])
    authored = {r["id"] for r in index()["cases"] if r["origin"] == "authored here"}
    found = []
    for case in all_cases():
        if new_only and case["id"] not in authored:
            continue
        contract = assess(load_facts({k: v for k, v in case["facts"].items() if k in known})).to_contract()
        found += [(case["id"], q, case["expected"][q], verdict(contract, q)) for q in QUESTIONS if case["expected"][q] is not None]
    return found


def line(name: str, scored: list[Row], answer: Callable[[Row], bool]) -> str:
    """'name: agree/total (percent); no-verdicts kept k/n'."""
    agree = sum(answer(r) == r[2] for r in scored)
    noes = [r for r in scored if r[2] is False]
    kept = sum(answer(r) is False for r in noes)
    return f"{name}: {agree}/{len(scored)} ({100 * agree / len(scored):.1f}%); 'no' verdicts kept {kept}/{len(noes)}"


def main() -> None:
    """Print the three score lines and the engine's misses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-only", action="store_true", help="only the cases authored in this repository")
    scored = rows(new_only=parser.parse_args().new_only)
    print(line("engine", scored, lambda r: r[3]))
    print(line("always notify everyone", scored, lambda r: True))
    print(line("never notify subjects (authority always)", scored, lambda r: r[1] == "notify_authority"))
    for case_id, question, expected, got in scored:
        if expected != got:
            print(f"  miss: {case_id} {question}: authority {expected}, engine {got}")


if __name__ == "__main__":
    main()
