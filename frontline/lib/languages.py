"""Which of the site's languages a text is written in, when that can be told.

Used for people who write to us by mail and never chose a language: their
mail then goes out in the language they wrote in. A guess is only taken when
it is a sure one (enough letters, high probability) and one of the site's
languages; anything else leaves the choice to the site's default.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

# py3langid's codes for the site's languages (settings.LANGUAGES).
SITE_CODES = {"en": "en", "ru": "ru", "zh": "zh-hans"}
# Fewer letters than this is too little to tell (a "thanks!" or a signature).
MIN_LETTERS = 12
# Over all the languages the model knows: a French mail must not count as English.
MIN_PROBABILITY = 0.8
# The start of a text is enough, and bounds the work for a huge one.
SAMPLE_CHARACTERS = 2000


@functools.cache
def _identifier() -> Any:
    # Loaded once per process (a few seconds, then about a millisecond a text).
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """The code in ``settings.LANGUAGES`` that ``text`` is written in, or "" if
    it cannot be told surely or is not one of the site's languages."""
    sample = text[:SAMPLE_CHARACTERS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return ""
    code, probability = _identifier().classify(sample)
    language = SITE_CODES.get(code, "")
    if probability < MIN_PROBABILITY or language not in dict(settings.LANGUAGES):
        return ""
    return language
