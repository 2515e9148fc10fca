"""The free text of a facts document, per language: what people and authorities read in their own words.

A facts document carries its free text (``summary``, ``measures_taken``, ...) in one language,
``text_language`` (else the controller's default language), and the same text in other languages
under ``translations.<code>``. A notice or filing pack in language L takes L's text; when L lacks
a field that the document fills, nothing is made up and nothing is copied from another language:
``missing_fields`` names the gap, drafting leaves that language out and says so, and approval is
refused until ``with_translation`` (``breach translate``) has added it as a new facts version.
Adding a language is data: any ISO 639-1 code is accepted here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from breach.exceptions import InvalidFacts, MissingTranslation

# Free-text fields quoted to people or authorities, in the order a translator is asked for them.
FREE_TEXT_FIELDS = ("summary", "measures_taken", "measures_proposed", "likely_consequences", "awareness_explanation",
                    "aggravating_facts")
_LISTS = frozenset({"measures_taken", "measures_proposed", "likely_consequences"})


@dataclass(frozen=True)
class FreeText:
    """The free text of the facts in one language (lists line up with the facts' own lists)."""

    language: str
    summary: str
    measures_taken: list[str] = field(default_factory=list)
    measures_proposed: list[str] = field(default_factory=list)
    likely_consequences: list[str] = field(default_factory=list)
    awareness_explanation: str | None = None
    aggravating_details: list[str | None] = field(default_factory=list)


def base_language(document: dict[str, Any], *, default_language: str) -> str:
    """The language of the document's top-level free text."""
    return _code(str(document.get("text_language") or default_language))


def _code(language: str) -> str:
    """The free-text language of a notice language: en-US reads the English text."""
    return language.split("-")[0].lower()


def _details(document: dict[str, Any]) -> list[str | None]:
    return [item.get("detail") for item in document.get("aggravating_facts") or []]


def filled_fields(document: dict[str, Any]) -> list[str]:
    """The free-text fields this document fills at the top level (those every language needs)."""
    out = []
    for name in FREE_TEXT_FIELDS:
        value = _details(document) if name == "aggravating_facts" else document.get(name)
        if (any(value) if isinstance(value, list) else bool(value)):
            out.append(name)
    return out


def _complete(name: str, base: Any, given: Any) -> bool:
    """Whether a translated field covers the top-level one: same length, every filled item filled."""
    if given is None:
        return False
    if name in _LISTS or name == "aggravating_facts":
        if not isinstance(given, list) or len(given) != len(base):
            return False
        return all(bool(t) for b, t in zip(base, given, strict=True) if b)
    return bool(given)


def missing_fields(document: dict[str, Any], language: str, *, default_language: str) -> list[str]:
    """The free-text fields a notice in ``language`` needs and the document does not give in it."""
    language = _code(language)
    if language == base_language(document, default_language=default_language):
        return []
    given = (document.get("translations") or {}).get(language) or {}
    out = []
    for name in filled_fields(document):
        base = _details(document) if name == "aggravating_facts" else document.get(name)
        if not _complete(name, base, given.get(name)):
            out.append(name)
    return out


def gaps(document: dict[str, Any], languages: Iterable[str], *, default_language: str) -> dict[str, list[str]]:
    """For each language that lacks free text: the missing fields, e.g. {'nb': ['summary', 'measures_taken']}."""
    out = {}
    for language in sorted({_code(lang) for lang in languages}):
        missing = missing_fields(document, language, default_language=default_language)
        if missing:
            out[language] = missing
    return out


def gaps_text(found: dict[str, list[str]]) -> str:
    """Gaps as one line, e.g. 'nb lacks summary, measures_taken; en lacks summary'."""
    return "; ".join(f"{language} lacks {', '.join(fields)}" for language, fields in sorted(found.items()))


def text_in(document: dict[str, Any], language: str, *, default_language: str) -> FreeText:
    """The free text in ``language``; MissingTranslation names the fields it lacks."""
    missing = missing_fields(document, language, default_language=default_language)
    if missing:
        raise MissingTranslation({language: missing})
    language, source = _code(language), document
    if language != base_language(document, default_language=default_language):
        source = (document.get("translations") or {}).get(language) or {}
    details = _details(document) if source is document else (source.get("aggravating_facts") or [None] * len(_details(document)))
    return FreeText(
        language=language, summary=source.get("summary") or document["summary"],
        measures_taken=list(source.get("measures_taken") or []), measures_proposed=list(source.get("measures_proposed") or []),
        likely_consequences=list(source.get("likely_consequences") or []),
        awareness_explanation=source.get("awareness_explanation"), aggravating_details=list(details),
    )


def with_translation(document: dict[str, Any], language: str, texts: dict[str, Any], *, default_language: str) -> dict[str, Any]:
    """A new facts document with ``texts`` as (part of) its ``language`` translation; the old one is not changed."""
    if language == base_language(document, default_language=default_language):
        raise InvalidFacts(f"translations.{language}", f"{language} is the language of the top-level text; edit those fields instead")
    unknown = sorted(set(texts) - set(FREE_TEXT_FIELDS))
    if unknown:
        raise InvalidFacts(f"translations.{language}.{unknown[0]}", f"is not a free-text field; known: {', '.join(FREE_TEXT_FIELDS)}")
    new = copy.deepcopy(document)
    translations = new.setdefault("translations", {})
    translations[language] = {**translations.get(language, {}), **texts}
    return new


def check_lengths(document: dict[str, Any]) -> None:
    """Refuse a translated list whose length differs from the top-level list (items line up by position)."""
    for language, given in (document.get("translations") or {}).items():
        for name, value in given.items():
            if not isinstance(value, list):
                continue
            base = _details(document) if name == "aggravating_facts" else document.get(name) or []
            if len(value) != len(base):
                raise InvalidFacts(f"translations.{language}.{name}",
                                   f"has {len(value)} item(s) but {name} has {len(base)}; items line up by position")
