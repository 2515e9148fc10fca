"""Which language a piece of text is in: the content checker's language identifier.

The identifier is py3langid (a maintained fork of langid.py: a naive Bayes model over byte
n-grams, trained on 97 languages, its model shipped inside the wheel, so nothing is downloaded
at run time). It was chosen over lingua-language-detector (96 MB installed against 4.5 MB, and
less accurate on our sentences) and fastText-based packages (they download their model); see
docs/content-checks.md and ``scripts/langid_eval.py`` for the measurement.

What it can honestly tell (measured on tests/fixtures/langid/sentences.json):

- English, Dutch or German against Danish or Norwegian: every sentence of four or more words
  right. So a sentence in another language group inside a draft is caught sentence by sentence.
- Danish against Norwegian Bokmål: the two are close. Short sentences are confused (5 in 40 at
  four words, 2 in 40 at eight); sentences of twelve words or more were all right. So Danish vs
  Norwegian is judged only on long sentences with a confident score, and on the whole text.
  A short Norwegian sentence inside a Danish draft is not reliably caught: said, not hidden.

Adding a language (e.g. nl) is data: its code in ``NOTICE_LANGUAGES`` and, if it is close to
another, the group it shares in ``GROUPS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# py3langid's codes for the languages we write (nb is "no" in its model) and their neighbours,
# which it must be able to answer with, or it would force every text into one of ours.
CANDIDATES = ("da", "no", "nn", "sv", "en", "nl", "de", "fr", "es", "it", "pl", "fi", "is")
NOTICE_LANGUAGES = {"da": "da", "nb": "no", "en": "en", "nl": "nl"}
# Languages too close to tell apart sentence by sentence share a group.
GROUPS = {"da": "nordic", "no": "nordic", "nn": "nordic", "sv": "nordic"}
MIN_WORDS = 4  # shorter sentences (labels, "E-mail: ...", greetings) are not judged
CLOSE_MIN_WORDS = 12  # Danish vs Norwegian only on sentences this long ...
CLOSE_MIN_PROBABILITY = 0.95  # ... and only when the identifier is this sure

_MASKS = (
    re.compile(r"https?://\S+|www\.\S+"),
    re.compile(r"\S+@\S+"),
    re.compile(r"-[a-z_]+-"),  # the name tags filled in per person
    re.compile(r"\S*[_\d]\S*"),  # references and ids: NB-SEC-2026-031, TICKET_4711
    re.compile(r"\+?\d[\d\s.,:/()-]*\d|\d"),
    re.compile(r"\b[A-Z]{2,}[-\dA-Z]*\b"),  # ids and acronyms: BR-2026-0007, CPR, GDPR
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# A sentence ends at . ! ? or : after a word of three letters or more, before a capital letter: not inside
# "e.g. hacking", "fx en falsk faktura", "kl. 09.30" or "art. 33, stk. 4".
_SENTENCE_END = re.compile(r"(?:(?<=[^\W\d_]{3}[.!?:])|(?<=[^\W\d_]{3}[)\"”’][.!?:]))\s+(?=[\"“(]?[A-ZÆØÅ])")


@dataclass(frozen=True)
class Verdict:
    """What the identifier says about one stretch of text."""

    text: str
    language: str  # py3langid's code, e.g. 'da', 'no', 'en'
    probability: float
    words: int


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's model, loaded once and limited to CANDIDATES."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier


def model_code(language: str) -> str:
    """The identifier's code for one of our notice languages (nb -> no, en-US -> en)."""
    base = language.split("-")[0]
    return NOTICE_LANGUAGES.get(base, base)


def group(code: str) -> str:
    """The group of a model code: close languages share one."""
    return GROUPS.get(code, code)


def _masked(sentence: str) -> str:
    """The sentence without addresses, numbers, ids and capitalised names (they are not language)."""
    for mask in _MASKS:
        sentence = mask.sub(" ", sentence)
    words = _WORD.findall(sentence)
    # a capitalised word after the first is most likely a name (Danish and Norwegian nouns are lower case)
    kept = [w for i, w in enumerate(words) if (i == 0 or not w[:1].isupper()) and len(w) > 1]
    return " ".join(kept)


def sentences(text: str) -> list[str]:
    """The text's sentences: one per line or bullet, split again at sentence ends."""
    out = []
    for line in text.splitlines():
        line = line.strip().removeprefix("- ").removeprefix("## ").strip()
        out += [part.strip() for part in _SENTENCE_END.split(line) if part.strip()]
    return out


def identify(text: str) -> Verdict:
    """The most likely language of ``text`` (masked first) with its probability among CANDIDATES."""
    masked = _masked(text)
    code, probability = _identifier().classify(masked)
    return Verdict(text=text, language=str(code), probability=float(probability), words=len(masked.split()))


def foreign(text: str, language: str) -> list[Verdict]:
    """Sentences of ``text`` that are not in ``language``, as far as the identifier can honestly tell."""
    want = model_code(language)
    out = []
    for sentence in sentences(text):
        verdict = identify(sentence)
        if verdict.words < MIN_WORDS or verdict.language == want:
            continue
        if group(verdict.language) != group(want) or verdict.words >= CLOSE_MIN_WORDS and verdict.probability >= CLOSE_MIN_PROBABILITY:
            out.append(verdict)
    return out


def whole_text(text: str, language: str) -> Verdict | None:
    """The whole text's language when it is confidently another one (e.g. a Norwegian notice filed as Danish)."""
    judged = " ".join(s for s in sentences(text) if identify(s).words >= MIN_WORDS)
    if not judged:
        return None
    verdict = identify(judged)
    wrong = verdict.language != model_code(language)
    return verdict if wrong and verdict.words >= 3 * CLOSE_MIN_WORDS and verdict.probability >= CLOSE_MIN_PROBABILITY else None
