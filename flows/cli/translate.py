"""CLI command: `breach translate ID --lang da --file da.json` adds the facts' free text in one more language.

The text becomes a new facts version (an incident's facts are never overwritten), the incident is
assessed again on it and drafted again, so the language left out for lack of text is drafted
and checked, and approval can go ahead once the check passes.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add `breach translate` to the `breach` app."""

    @app.command()
    def translate(incident_id: str,
                  lang: str = typer.Option(..., "--lang", help="Language code of the text, e.g. da, nb, en"),
                  file: Path = typer.Option(..., "--file", help="JSON object with the free-text fields in that language: "
                                                              "summary, measures_taken, measures_proposed, likely_consequences, "
                                                              "awareness_explanation, aggravating_facts (lists line up item by item)"),
                  ) -> None:
        """Add the facts' free text in one language as a new facts version; assess and draft again."""
        from breach import instants
        from breach.exceptions import InvalidFacts
        from breach.incidents import service as incidents
        from breach.texts import gaps_text, missing_fields, with_translation
        from flows.cli.console import console
        from flows.runtime import runtime
        from notices.content.drafting import check_outcome, draft_notices, translation_gaps

        try:
            texts = json.loads(file.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise InvalidFacts(f"translations.{lang}", f"cannot read {file} as JSON: {exc}") from exc
        if not isinstance(texts, dict):
            raise InvalidFacts(f"translations.{lang}", f"{file} must hold a JSON object of free-text fields")
        rt, now = runtime(), instants.utcnow()
        with rt.sessions.begin() as session:
            current = incidents.latest_facts(session=session, incident_id=incident_id).document
            document = with_translation(current, lang, texts, default_language=rt.controller.default_language)
            version = incidents.add_facts_version(session=session, incident_id=incident_id, document=document, actor=rt.actor, now=now)
            incidents.assess_incident(session=session, incident_id=incident_id, actor=rt.actor, now=now)
            still = missing_fields(document, lang, default_language=rt.controller.default_language)
            draft_notices(session=session, incident_id=incident_id, controller=rt.controller, actor=rt.actor, now=now)
            left, check = translation_gaps(session=session, incident_id=incident_id, controller=rt.controller), check_outcome(
                session=session, incident_id=incident_id) or {}
        lacking = f"; {lang} still lacks {', '.join(still)}" if still else ""
        console.print(f"{incident_id}: facts version {version} holds the {lang} text{lacking}")
        console.print(f"  still missing: {gaps_text(left)}" if left else "  every language a notice needs has its text")
        console.print("  content check: " + ("[green]passed[/]" if check.get("passed") else "[red]not passed[/] (see `breach status`)"))
