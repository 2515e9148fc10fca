"""The words of `breach status` in English, Danish, Norwegian (bokmål) and Dutch; ids, counts and legal
references stay as they are. The verdict's rule texts come from the assessment (English)."""

from __future__ import annotations

LANGUAGES = ("en", "da", "nb", "nl")

# One row per word, its translations in the order of LANGUAGES, so none can be missing in one of them.
_TABLE: dict[str, tuple[str, str, str, str]] = {
    "status": ("status", "status", "status", "status"),
    "opened": ("opened", "åbnet", "åpnet", "geopend"),
    "no_clock": ("no clock", "intet ur", "ingen klokke", "geen klok"),
    "not_started": ("not started", "ikke startet", "ikke startet", "niet gestart"),
    "people": ("people by channel", "berørte pr. kanal", "berørte per kanal", "betrokkenen per kanaal"),
    "drafts": ("Drafts", "Udkast", "Utkast", "Concepten"),
    "kind": ("kind", "type", "type", "soort"),
    "language": ("language", "sprog", "språk", "taal"),
    "channel": ("channel", "kanal", "kanal", "kanaal"),
    "template": ("template", "skabelon", "mal", "sjabloon"),
    "hash": ("hash", "hash", "hash", "hash"),
    "approved": ("approved by {actor} at {at}", "godkendt af {actor} {at}", "godkjent av {actor} {at}", "goedgekeurd door {actor} op {at}"),
    "approval": ("approval", "godkendelse", "godkjenning", "goedkeuring"),
    "deliveries": ("deliveries", "leverancer", "leveranser", "verzendingen"),
    "filed": ("filed with {authority} #{seq} at {at} by {by}", "anmeldt til {authority} nr. {seq} {at} af {by}",
              "meldt til {authority} nr. {seq} {at} av {by}", "gemeld bij {authority} nr. {seq} op {at} door {by}"),
    "late": (" (late)", " (for sent)", " (for sent)", " (te laat)"),
    "due": ("due", "frist", "frist", "termijn"),
    "at": ("at", "den", "den", "op"),
    "overdue": ("overdue", "overskredet", "overskredet", "verstreken"),
    "running": ("running", "løber", "løper", "loopt"),
    "was_due": ("was due", "fristen var", "fristen var", "termijn was"),
    "told_everyone": ("told: everyone ({n})", "underrettes: alle ({n})", "varsles: alle ({n})", "geïnformeerd: iedereen ({n})"),
    "told_nobody": ("told: nobody", "underrettes: ingen", "varsles: ingen", "geïnformeerd: niemand"),
    "told_subset": ("told: {n} marked {columns}; not told: {rest} (not a high risk for them, Art. 34(1))",
                    "underrettes: {n} markeret {columns}; ikke underrettet: {rest} (ikke høj risiko for dem, art. 34, stk. 1)",
                    "varsles: {n} merket {columns}; ikke varslet: {rest} (ikke høy risiko for dem, artikkel 34 nr. 1)",
                    "geïnformeerd: {n} gemarkeerd als {columns}; niet geïnformeerd: {rest} (geen hoog risico voor hen, art. 34, lid 1)"),
    "no_clocks": ("clocks: none running", "frister: ingen løber", "frister: ingen løper", "termijnen: geen lopend"),
    "done": ("done", "udført", "utført", "gedaan"),
    "no_limit": ("no outer time limit", "ingen yderste frist", "ingen ytre frist", "geen uiterste termijn"),
    "told_us": ("told: {n} US residents of {states}; not told: {rest}",
                "underrettes: {n} bosat i USA ({states}); ikke underrettet: {rest}",
                "varsles: {n} bosatt i USA ({states}); ikke varslet: {rest}",
                "geïnformeerd: {n} inwoners van de VS ({states}); niet geïnformeerd: {rest}"),
    "file_with": ("file with", "anmeld med", "meld med", "meld met"),
}
WORDS: dict[str, dict[str, str]] = {lang: {key: row[i] for key, row in _TABLE.items()} for i, lang in enumerate(LANGUAGES)}


def words(language: str) -> dict[str, str]:
    """The words for `language` (da, nb, nl, en); ValueError for any other."""
    if language not in WORDS:
        raise ValueError(f"status language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return WORDS[language]
