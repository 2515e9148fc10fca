"""CLI commands: `breach deadlines FACTS.json` (a dry run of every clock) and `breach reported ID OBLIGATION`."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from breach.exceptions import BreachError, InvalidFacts

if TYPE_CHECKING:
    from breach.clock import regimes
    from breach.controller import ControllerProfile
    from breach.facts import Facts

# The rules and their models load when a command runs, not for `breach --help` (regimes.DEFAULT_TIMEZONE;
# tests/flows/cli/test_imports.py checks that the two agree).
DEFAULT_TIMEZONE = "Europe/Copenhagen"


def deadlines_document(facts_path: Path, *, tz: str, as_of: datetime | None = None, rules_path: Path | None = None,
                       reports: dict[str, datetime] | None = None, now: datetime | None = None,
                       people_path: Path | None = None, controller: ControllerProfile | None = None) -> dict[str, Any]:
    """Every obligation of a facts document with its due instant, in UTC and in ``tz``; stores nothing.

    With a people file and a controller profile with a ``us`` block, the US state and federal duties of the
    residents the file names per state follow (``us.individuals``, ``us.regulator``, ...), as `breach status` shows them.
    """
    from breach import instants
    from breach.assess import assess
    from breach.clock import regimes
    from breach.facts import load_facts

    if not facts_path.is_file():
        raise InvalidFacts("(document)", f"file not found: {facts_path}")
    facts = load_facts(facts_path)
    contract = assess(facts).to_contract()
    rules = regimes.load_rules(rules_path)
    when = as_of or facts.aware_at or now or instants.utcnow()
    found = regimes.obligations_for(facts, contract, as_of=when, reports=reports or {}, tz=tz, rules=rules)
    rows = [_row(o, tz) for o in found]
    if people_path is not None and controller is not None and controller.us is not None:
        rows += _us_rows(facts, people_path, controller, tz)
    return {
        "as_of": instants.as_utc(when).isoformat(),
        "timezone": tz,
        "rules": [v.version for v in regimes.versions_in_force(rules, as_of=when)],
        "obligations": rows,
    }


def _us_rows(facts: Facts, people_path: Path, controller: ControllerProfile, tz: str) -> list[dict[str, Any]]:
    """The US duties of the people file's residents, as rows like the regimes' (id us.<kind>, party the jurisdiction)."""
    from breach import instants
    from breach.clock.us.duties import clock_names, legal_basis
    from breach.jurisdictions.us.obligations import us_obligations
    from breach.jurisdictions.us.profile import api_inputs
    from breach.people.regions import residents_in_file

    assert controller.us is not None
    counts, _ = residents_in_file(people_path, default_country=controller.country)
    if not counts:
        return []
    found = us_obligations(*api_inputs(facts, controller.us), counts)
    return [{"id": name, "regime": "us", "rules_version": "us-breach-notification", "title": o.recipient, "party": o.jurisdiction,
             "anchor": None, "anchor_at": None, "duration": None, "due_at": o.due_at.isoformat() if o.due_at else None,
             "due_local": instants.local_iso(o.due_at, tz=tz) if o.due_at else None, "reason": o.deadline_text,
             "legal_basis": legal_basis(o), "filing_code": o.filing_code, "verified": o.verified}
            for name, o in clock_names(found.obligations)]


def _row(o: regimes.Obligation, tz: str) -> dict[str, Any]:
    from breach import instants

    return {
        "id": o.id, "regime": o.regime, "rules_version": o.version, "title": o.title, "party": o.party,
        "anchor": o.anchor, "anchor_at": o.anchor_at.isoformat() if o.anchor_at else None, "duration": o.duration,
        "due_at": o.due_at.isoformat() if o.due_at else None,
        "due_local": instants.local_iso(o.due_at, tz=tz) if o.due_at else None,
        "reason": o.reason, "legal_basis": o.legal_basis,
    }


def _parse_reports(values: list[str]) -> dict[str, datetime]:
    from breach import instants

    reports = {}
    for value in values:
        name, _, at = value.partition("=")
        if not at:
            raise typer.BadParameter(f"expected OBLIGATION=ISO-INSTANT, got {value!r}", param_hint="--report")
        reports[name.strip()] = instants.parse_instant(at.strip())
    return reports


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""

    @app.command()
    def deadlines(facts: Path = typer.Argument(..., help="Facts document (incident-facts.schema.json)"),
                  as_json: bool = typer.Option(False, "--json", help="Print the obligations as JSON"),
                  tz: str = typer.Option(DEFAULT_TIMEZONE, "--tz", help="The controller's IANA time zone"),
                  as_of: str | None = typer.Option(None, "--as-of", help="Apply the rules in force at this instant (default: aware_at)"),
                  rules: Path | None = typer.Option(None, "--rules", help="A rules file instead of the bundled regimes.json"),
                  report: list[str] = typer.Option([], "--report",
                                                   help="A report already made: OBLIGATION=ISO-INSTANT (repeatable)"),
                  people: Path | None = typer.Option(None, "--people",
                                                     help="People file: add the US duties of the residents it names per state "
                                                          "(needs a controller profile with a us block, BREACH_CONTROLLER_FILE)")) -> None:
        """Every notification deadline the facts call for, with its legal basis; stores nothing."""
        from breach import instants

        try:
            instants.validate_timezone(tz)
            when = instants.parse_instant(as_of) if as_of else None
            controller = _controller() if people else None
            if people is not None and not people.is_file():
                raise InvalidFacts("(document)", f"people file not found: {people}")
            document = deadlines_document(facts, tz=tz, as_of=when, rules_path=rules, reports=_parse_reports(report),
                                          people_path=people, controller=controller)
        except InvalidFacts as exc:
            print(f"error: invalid facts: {exc}", file=sys.stderr)
            raise typer.Exit(2) from exc
        except ValueError as exc:  # a bad zone, instant or rules file
            print(f"error: {exc}".splitlines()[0], file=sys.stderr)
            raise typer.Exit(2) from exc
        if as_json:
            print(json.dumps(document, ensure_ascii=False, indent=2))
            return
        _print(document)

    @app.command()
    def reported(incident_id: str, obligation: str = typer.Argument(..., help="Obligation id, e.g. nis2.incident_notification"),
                 at: str | None = typer.Option(None, "--at", help="When the report was made (ISO 8601, default now)"),
                 party: str | None = typer.Option(None, "--party",
                                                  help="For a US duty (us.*): the state, or US for a federal one")) -> None:
        """Record that a report (other than the GDPR filing, see `breach filed`) was made; starts the clocks anchored on it."""
        from breach import instants
        from breach.clock import deadlines as stored
        from breach.clock.us.done import record_us_report
        from flows.cli.console import console
        from flows.runtime import runtime

        now = instants.utcnow()
        try:
            when = instants.parse_instant(at) if at else now
        except ValueError as exc:
            raise BreachError(f"--at is {exc}") from exc
        rt = runtime()
        with rt.sessions.begin() as session:
            if obligation.startswith("us."):
                row = record_us_report(session=session, incident_id=incident_id, obligation=obligation, party=party, at=when,
                                       profile=rt.controller.us, actor=rt.actor, now=now)
                started = []
                console.print(f"{obligation} ({row.party}) recorded as done at {when.isoformat()}: {row.state}")
            else:
                started = stored.record_report(session=session, incident_id=incident_id, obligation_id=obligation, at=when,
                                               actor=rt.actor, now=now)
            lines = [f"  started {r.obligation} ({r.party}) due {r.due_at.isoformat()}" for r in started]
        console.print(f"{obligation} recorded for {incident_id}; clock stopped")
        for line in lines:
            console.print(line)


def _controller() -> ControllerProfile:
    """The controller profile of BREACH_CONTROLLER_FILE (else the bundled example), without opening the database."""
    from breach.controller import load_profile
    from breach.settings import BreachSettings
    from flows.runtime import EXAMPLES

    return load_profile(BreachSettings().controller_file or EXAMPLES / "controller.json")


def _short(text: str | None, limit: int = 70) -> str:
    """A reason cut to one table cell's worth."""
    text = text or ""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _print(document: dict[str, Any]) -> None:
    from flows.cli.console import console, table

    rows = [[o["id"], o["party"], o["due_local"] or f"({_short(o['reason'])})", o["legal_basis"].split(":")[0]]
            for o in document["obligations"]]
    console.print(table(f"Deadlines (rules {', '.join(document['rules'])}; {document['timezone']})",
                        ["obligation", "party", "due", "legal basis"], rows))
