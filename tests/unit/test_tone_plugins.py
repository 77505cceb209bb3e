"""Tone scorer plug-ins: ``make_scorer`` and the optional VADER scorer.

The VADER tests run only where the ``vader`` extra (nltk-vader-sentiment) is
installed; the others run everywhere.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.lexicon import LexiconToneScorer, ToneScorer, ToneScores
from streams.tone import SCORER_NAMES, VaderToneScorer, make_scorer


def test_builtin_is_the_default():
    assert isinstance(make_scorer(), LexiconToneScorer)
    assert isinstance(make_scorer("builtin"), ToneScorer)


def test_unknown_names_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="valid values: 'builtin', 'vader'"):
        make_scorer("afinn")  # type: ignore[arg-type]


def test_scorer_names_cover_the_literal():
    assert SCORER_NAMES == ("builtin", "vader")


def test_vader_without_its_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "vader", None)  # import vader -> ImportError
    with pytest.raises(ImportError, match=r"tocsin\[vader\]"):
        make_scorer("vader")


@pytest.fixture(scope="module")
def vader() -> VaderToneScorer:
    pytest.importorskip("vader", reason="the vader extra is not installed")
    scorer = make_scorer("vader")
    assert isinstance(scorer, VaderToneScorer)
    return scorer


EN = [
    ("The new update is great, love it", "+"),
    ("Worst customer service ever", "-"),
    ("I don't like the new design", "-"),
    ("Not bad at all", "+"),
    ("You idiots lost my package again", "-"),
    ("Apple announces a new event", "0"),
]


@pytest.mark.parametrize(("text", "sign"), EN)
def test_vader_scores_english(vader: VaderToneScorer, text: str, sign: str):
    sentiment = float(vader.score([text], ["en"]).sentiment[0])
    if sign == "+":
        assert sentiment > 0.05
    elif sign == "-":
        assert sentiment < -0.05
    else:
        assert abs(sentiment) <= 0.05


def test_vader_leaves_french_and_aggression_to_the_lexicon(vader: VaderToneScorer):
    texts = ["Service nul, bande de voleurs", "Trop bien la nouvelle appli", "You idiots"]
    langs = ["fr", None, "en"]
    ours = LexiconToneScorer().score(texts, langs)
    theirs = vader.score(texts, langs)
    assert theirs.sentiment[:2].tolist() == ours.sentiment[:2].tolist()
    assert theirs.aggression.tolist() == ours.aggression.tolist()


def test_vader_shapes_pickling_and_determinism(vader: VaderToneScorer):
    texts = [t for t, _ in EN] + ["", "😡😡", "nul"]
    langs = [None] * len(texts)
    first = vader.score(texts, langs)
    copy = pickle.loads(pickle.dumps(vader))
    for scores in (first, vader.score(texts, langs), copy.score(texts, langs)):
        assert isinstance(scores, ToneScores)
        assert scores.sentiment.dtype == np.float32 and scores.sentiment.shape == (len(texts),)
        assert scores.aggression.dtype == np.float32
        assert scores.sentiment.tobytes() == first.sentiment.tobytes()
    assert vader.score([], []).sentiment.shape == (0,)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["en", None]))
def test_vader_never_raises(text: str, lang: str | None):
    pytest.importorskip("vader")
    scores = make_scorer("vader").score([text], [lang])
    assert -1.0 <= float(scores.sentiment[0]) <= 1.0
    assert 0.0 <= float(scores.aggression[0]) <= 1.0
