"""The words of `breach status` in English, Danish and Norwegian (bokmål); ids, counts and legal
references stay as they are. The verdict's rule texts come from the assessment (English)."""

from __future__ import annotations

LANGUAGES = ("en", "da", "nb")

# One row per word, its translations in the order of LANGUAGES, so none can be missing in one of them.
_TABLE: dict[str, tuple[str, str, str]] = {
    "status": ("status", "status", "status"),
    "opened": ("opened", "åbnet", "åpnet"),
    "no_clock": ("no clock", "intet ur", "ingen klokke"),
    "not_started": ("not started", "ikke startet", "ikke startet"),
    "people": ("people by channel", "berørte pr. kanal", "berørte per kanal"),
    "drafts": ("Drafts", "Udkast", "Utkast"),
    "kind": ("kind", "type", "type"),
    "language": ("language", "sprog", "språk"),
    "channel": ("channel", "kanal", "kanal"),
    "template": ("template", "skabelon", "mal"),
    "hash": ("hash", "hash", "hash"),
    "approved": ("approved by {actor} at {at}", "godkendt af {actor} {at}", "godkjent av {actor} {at}"),
    "approval": ("approval", "godkendelse", "godkjenning"),
    "deliveries": ("deliveries", "leverancer", "leveranser"),
    "filed": ("filed with {authority} #{seq} at {at} by {by}", "anmeldt til {authority} nr. {seq} {at} af {by}",
              "meldt til {authority} nr. {seq} {at} av {by}"),
    "late": (" (late)", " (for sent)", " (for sent)"),
    "due": ("due", "frist", "frist"),
    "at": ("at", "den", "den"),
    "overdue": ("overdue", "overskredet", "overskredet"),
    "running": ("running", "løber", "løper"),
    "was_due": ("was due", "fristen var", "fristen var"),
    "no_clocks": ("clocks: none running", "frister: ingen løber", "frister: ingen løper"),
}
WORDS: dict[str, dict[str, str]] = {lang: {key: row[i] for key, row in _TABLE.items()} for i, lang in enumerate(LANGUAGES)}


def words(language: str) -> dict[str, str]:
    """The words for `language` (da, nb, en); ValueError for any other."""
    if language not in WORDS:
        raise ValueError(f"status language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return WORDS[language]
