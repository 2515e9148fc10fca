"""Score language identifiers on the checker's sentences (tests/fixtures/langid/sentences.json).

    .venv/bin/python scripts/langid_eval.py            # py3langid (the project's choice)
    pip install lingua-language-detector && .venv/bin/python scripts/langid_eval.py   # and lingua, when installed

Prints, per identifier, how each language's sentences were classified (whole sentences, then their
first n words), and how often Danish and Norwegian were taken for each other. The numbers quoted in
docs/content-checks.md come from this script.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

SENTENCES = json.loads((Path(__file__).resolve().parent.parent / "tests/fixtures/langid/sentences.json").read_text(encoding="utf-8"))
LANGUAGES = ("da", "nb", "en", "nl")


def _py3langid() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["da", "no", "nn", "sv", "en", "nl", "de"])
    return lambda text: {"no": "nb"}.get(identifier.classify(text)[0], identifier.classify(text)[0])


def _lingua() -> Callable[[str], str] | None:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    names = {Language.DANISH: "da", Language.BOKMAL: "nb", Language.NYNORSK: "nn", Language.SWEDISH: "sv", Language.ENGLISH: "en",
             Language.DUTCH: "nl", Language.GERMAN: "de"}
    detector = LanguageDetectorBuilder.from_languages(*names).with_preloaded_language_models().build()
    return lambda text: names.get(detector.detect_language_of(text), "?")


def score(name: str, identify: Callable[[str], str]) -> None:
    """Print the confusion per language and the da/nb confusions by sentence length."""
    started = time.perf_counter()
    for language in LANGUAGES:
        print(f"{name} {language}: {dict(Counter(identify(s) for s in SENTENCES[language]))}")
    print(f"{name}: {(time.perf_counter() - started) * 1000 / sum(len(SENTENCES[x]) for x in LANGUAGES):.2f} ms per sentence")
    for words in (3, 4, 5, 6, 8, 12):
        cut = {lang: [" ".join(s.split()[:words]) for s in SENTENCES[lang]] for lang in LANGUAGES}
        right = sum(identify(s) == lang for lang in LANGUAGES for s in cut[lang])
        close = sum(identify(s) in ("da", "nb", "nn") and identify(s) != lang for lang in ("da", "nb") for s in cut[lang])
        print(f"{name} first {words} words: {right}/{sum(len(v) for v in cut.values())} right, {close} da/nb confusions")


def main() -> None:
    """Score every identifier that is installed."""
    score("py3langid", _py3langid())
    lingua = _lingua()
    if lingua is not None:
        score("lingua", lingua)


if __name__ == "__main__":
    main()
