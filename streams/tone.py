"""Which tone scorer the worker uses for mentions without upstream sentiment.

``make_scorer(name)`` returns a :class:`~detectors.lexicon.ToneScorer`:

``"builtin"``
    :class:`~detectors.lexicon.LexiconToneScorer`: French and English word
    lists, no dependency, a few microseconds per post.
``"vader"``
    :class:`VaderToneScorer`: English sentiment from VADER (Hutto & Gilbert,
    2014) as packaged by ``nltk-vader-sentiment`` (its lexicons ship in the
    wheel: nothing is downloaded at run time), French and other posts and all
    aggression from the built-in scorer. Needs the optional extra
    ``pip install 'tocsin[vader]'``.

No maintained French lexicon package installs from PyPI without downloading
data at run time, so French is always scored by the built-in lexicon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

import numpy as np

from detectors.base import check_choice
from detectors.lexicon import LexiconToneScorer, ToneScorer, ToneScores, detect_lang

__all__ = ["SCORER_NAMES", "ScorerName", "VaderToneScorer", "make_scorer"]

ScorerName = Literal["builtin", "vader"]
#: Valid names for :func:`make_scorer`.
SCORER_NAMES: Final[tuple[str, ...]] = ("builtin", "vader")

_VADER_HINT: Final = (
    "the 'vader' tone scorer needs the optional dependency nltk-vader-sentiment: "
    "pip install 'tocsin[vader]'"
)


def make_scorer(name: ScorerName = "builtin") -> ToneScorer:
    """Build the tone scorer called ``name``.

    Parameters
    ----------
    name
        One of :data:`SCORER_NAMES`.

    Raises
    ------
    ValueError
        If ``name`` is not a known scorer.
    ImportError
        If the scorer's optional dependency is not installed.

    Examples
    --------
    >>> make_scorer("builtin")
    LexiconToneScorer(negation_window=3, alpha=15.0, max_chars=20000, cache_size=65536)
    >>> make_scorer("textblob")
    Traceback (most recent call last):
    ...
    ValueError: name='textblob' is not valid; valid values: 'builtin', 'vader'
    """
    check_choice("name", name, SCORER_NAMES)
    if name == "vader":
        return VaderToneScorer()
    return LexiconToneScorer()


def _is_english(text: str, lang: str | None) -> bool:
    """Route to VADER: an ``en*`` hint, or no hint and English-looking text."""
    if lang:
        return lang[:2].lower() == "en"
    guess = detect_lang(text)
    return guess == "en" or (guess is None and text.isascii())


class VaderToneScorer:
    """English sentiment from VADER; everything else from the built-in lexicon.

    Parameters
    ----------
    lexicon
        The scorer of aggression (always) and of the sentiment of posts that are
        not English; a default :class:`~detectors.lexicon.LexiconToneScorer`
        when ``None``.

    Raises
    ------
    ImportError
        If ``nltk-vader-sentiment`` is not installed.

    Notes
    -----
    A post is English when its hint starts with ``en``, or, without a hint,
    when its function words say so (or it has none and is plain ASCII).
    VADER's compound score is in [-1, 1] like the built-in one but is squashed
    differently, and its lexicon has about 7,500 English entries against the
    built-in one's few hundred, with no social-media French.
    """

    def __init__(self, *, lexicon: LexiconToneScorer | None = None) -> None:
        self.lexicon = LexiconToneScorer() if lexicon is None else lexicon
        self._analyzer = _vader_analyzer()

    def __repr__(self) -> str:
        return f"VaderToneScorer(lexicon={self.lexicon!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"lexicon": self.lexicon}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.lexicon = state["lexicon"]
        self._analyzer = _vader_analyzer()

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> ToneScores:
        """Score ``texts``; see :meth:`detectors.lexicon.LexiconToneScorer.score`."""
        tone = self.lexicon.score(texts, langs)
        langs = [None] * len(texts) if langs is None else langs
        sentiment = tone.sentiment.copy()
        polarity = self._analyzer.polarity_scores
        for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
            if isinstance(text, str) and text and _is_english(text, lang):
                try:
                    compound = float(polarity(text[: self.lexicon.max_chars])["compound"])
                except Exception:  # a scorer never raises on a text
                    continue
                if np.isfinite(compound):
                    sentiment[i] = min(1.0, max(-1.0, compound))
        return ToneScores(sentiment, tone.aggression)


def _vader_analyzer() -> Any:
    """A VADER analyzer, or ImportError saying how to install it."""
    try:
        from vader import SentimentIntensityAnalyzer
    except ImportError as exc:
        raise ImportError(_VADER_HINT) from exc
    return SentimentIntensityAnalyzer()
