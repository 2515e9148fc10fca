"""The words of `breach status` in English, Danish and Norwegian (bokmål); ids, counts and legal
references stay as they are. The verdict's rule texts come from the assessment (English)."""

from __future__ import annotations

LANGUAGES = ("en", "da", "nb")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "status": "status", "opened": "opened", "no_clock": "no clock", "not_started": "not started",
        "people": "people by channel", "drafts": "Drafts", "kind": "kind", "language": "language", "channel": "channel",
        "template": "template", "hash": "hash", "approved": "approved by {actor} at {at}", "approval": "approval",
        "deliveries": "deliveries", "filed": "filed with {authority} #{seq} at {at} by {by}", "late": " (late)",
        "due": "due", "at": "at", "overdue": "overdue", "running": "running", "was_due": "was due", "no_clocks": "clocks: none running",
    },
    "da": {
        "status": "status", "opened": "åbnet", "no_clock": "intet ur", "not_started": "ikke startet",
        "people": "berørte pr. kanal", "drafts": "Udkast", "kind": "type", "language": "sprog", "channel": "kanal",
        "template": "skabelon", "hash": "hash", "approved": "godkendt af {actor} {at}", "approval": "godkendelse",
        "deliveries": "leverancer", "filed": "anmeldt til {authority} nr. {seq} {at} af {by}", "late": " (for sent)",
        "due": "frist", "at": "den", "overdue": "overskredet", "running": "løber", "was_due": "fristen var", "no_clocks": "frister: ingen løber",
    },
    "nb": {
        "status": "status", "opened": "åpnet", "no_clock": "ingen klokke", "not_started": "ikke startet",
        "people": "berørte per kanal", "drafts": "Utkast", "kind": "type", "language": "språk", "channel": "kanal",
        "template": "mal", "hash": "hash", "approved": "godkjent av {actor} {at}", "approval": "godkjenning",
        "deliveries": "leveranser", "filed": "meldt til {authority} nr. {seq} {at} av {by}", "late": " (for sent)",
        "due": "frist", "at": "den", "overdue": "overskredet", "running": "løper", "was_due": "fristen var", "no_clocks": "frister: ingen løper",
    },
}


def words(language: str) -> dict[str, str]:
    """The words for `language` (da, nb, en); ValueError for any other."""
    if language not in WORDS:
        raise ValueError(f"status language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return WORDS[language]
