"""Tone of a mention: sentiment and aggressiveness from French and English word lists.

A mention may arrive with an upstream ``sentiment``; when it does not, Tocsin
scores the text itself, and it always needs an *aggression* score (insults,
threats, calls to boycott or to violence, shouting), which upstream never
gives. :class:`ToneScorer` is the plug-in contract; :class:`LexiconToneScorer`
is the built-in scorer: word lists compiled into one dictionary, a tokenizer
made of a handful of C-level string operations, and a short loop over the
words found: about 5 to 10 microseconds for a post of 100 to 200 characters
on a quiet machine (CPython 3.11).

How a post is read
------------------
* **Words** carry a valence (-4 to +4, VADER's scale), an aggression weight, or
  a grammatical role: negator, intensifier, contrast ("mais", "but"), second
  person ("vous", "you"). French and English lists are merged; the few false
  friends (French *retard* "delay" versus the English slur) take the reading of
  the post's language: the ``lang`` hint when it is ``fr*`` or ``en*``, else a
  vote of function words, computed only when such a word occurs.
* **Negation** ("pas bon", "not good", "je n'aime pas", "j'aime pas") flips and
  damps the next sentiment words of the clause, or, for the French ``pas`` after
  a verb, the word before it. Some words have their own negated reading: "pas
  terrible" is bad, "pas de souci" is fine, "ne marche pas" is a complaint.
* **Intensifiers** ("très", "trop", "so", "fucking") scale the next word;
  "un peu", "a bit" soften it; after "mais"/"but" words count 1.5 times, before
  it half.
* **Emphasis**: exclamation marks, words or whole posts in capitals.
* **Emojis, emoticons, ratings** ("0/10"), **hashtags** (``#BoycottX``), and
  elongated words ("nuuuul") when nothing else was found.
* **Aggression** combines the weights of the words found by noisy-or; insults
  and threats weigh more when addressed to someone ("bande de voleurs", "you
  idiots", "je vais vous tuer"); shouting and "!!!" add a little, unless the post
  is positive (joy, not anger). A post is aggressive from
  :data:`AGGRESSION_THRESHOLD`.

Sentiment is ``s / sqrt(s**2 + alpha)`` of the summed valences, in (-1, 1).
Sarcasm ("Merci Free pour ces 3 jours sans internet, top") is not detected.
Brand names that are words ("Best Buy", "Free") are scored as words: mask them
before scoring if that matters.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from itertools import compress, repeat
from typing import Final, NamedTuple, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from detectors import _lexicon_words as _w
from detectors.base import check_positive, check_positive_int

__all__ = [
    "AGGRESSION_THRESHOLD",
    "LexiconToneScorer",
    "ToneScorer",
    "ToneScores",
    "detect_lang",
    "lexicon_sizes",
]

#: Aggression from which a mention counts as aggressive.
AGGRESSION_THRESHOLD: Final = 0.5


class ToneScores(NamedTuple):
    """Tone of a batch of texts, aligned with them.

    Attributes
    ----------
    sentiment
        float32 in [-1, 1]: negative to positive.
    aggression
        float32 in [0, 1]: aggressive from :data:`AGGRESSION_THRESHOLD`.
    """

    sentiment: NDArray[np.float32]
    aggression: NDArray[np.float32]

    def aggressive(self, threshold: float = AGGRESSION_THRESHOLD) -> NDArray[np.bool_]:
        """Which texts are aggressive (``aggression >= threshold``)."""
        return self.aggression >= threshold


@runtime_checkable
class ToneScorer(Protocol):
    """What the worker needs from a tone scorer.

    ``score(texts, langs)`` returns the :class:`ToneScores` of ``texts``;
    ``langs`` holds each text's language hint (``"fr"``, ``"en-GB"``...) or
    ``None`` when unknown. A scorer never raises on a text's content, is
    deterministic, and pickles.
    """

    def score(self, texts: Sequence[str], langs: Sequence[str | None]) -> ToneScores:
        """Score ``texts``; ``langs`` is aligned with them."""
        ...


# --------------------------------------------------------------------------- #
# Compiled lexicon.
#
# An entry is a tuple (valence, negated valence, aggression, aggression when
# addressed, flags, multiplier); tuples rather than objects, for the inner loop.
# --------------------------------------------------------------------------- #

_Entry = tuple[float, float, float, float, int, float]

_NEG: Final = 1  # negates the next words
_POSTNEG: Final = 2  # French "pas" after a verb negates the word before
_INTENS: Final = 4  # multiplies the next sentiment word
_BOUNDARY: Final = 8  # ends negation and intensifier scope
_BUT: Final = 16  # contrast
_YOU: Final = 32  # second person / group word
_PHRASE: Final = 64  # head of a multi-word expression
_AMBIG: Final = 128  # false friend: reading depends on the language
_SMALL: Final = 256  # "peu", "little": softens after an article, else negates
_SENT: Final = 512  # has a valence (or a negated valence)
_AGGR: Final = 1024  # has an aggression weight

_NO_ENTRY: Final[_Entry] = (0.0, 0.0, 0.0, 0.0, 0, 1.0)
_NO_PAIR: Final[tuple[_Entry | None, _Entry | None]] = (None, None)
_N_SCALAR: Final = -0.74  # VADER: negation flips and damps
_BUT_BEFORE: Final = 0.5
_BUT_AFTER: Final = 1.5
_INTENS_GAP: Final = 2  # an intensifier reaches this many tokens ahead
_YOU_BEFORE: Final = 3  # a second-person word addresses an insult this far back
_EXCL_STEP: Final = 0.3  # per "!", at most 4
_CAPS_WORD: Final = 1.3  # a sentiment word in capitals
_SHOUT: Final = 1.25  # the whole post in capitals
_SHOUT_AGGR: Final = 0.3
_EXCL_AGGR: Final = 0.12  # three "!" or more


def _expand(forms: str) -> list[str]:
    """Forms of a list in the suffix notation of :mod:`detectors._lexicon_words`.

    >>> _expand("nul|le|s bon honteu|x|se")
    ['nul', 'nulle', 'nuls', 'bon', 'honteux', 'honteuse']
    """
    out: list[str] = []
    for item in forms.split():
        base, *suffixes = item.split("|")
        if not (suffixes and base.endswith("eu")):
            out.append(base)
        out.extend(base + suffix for suffix in suffixes if suffix)
    return out


def _fold(word: str) -> str:
    """``"déçu"`` -> ``"decu"``, ``"cœur"`` -> ``"coeur"``."""
    word = word.replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Reading:
    """What one language says about one token, while compiling."""

    __slots__ = ("agg", "agg_dir", "flags", "mult", "neg_val", "val")

    def __init__(self) -> None:
        self.val = 0.0
        self.neg_val: float | None = None
        self.agg = 0.0
        self.agg_dir = 0.0
        self.flags = 0
        self.mult = 1.0

    def entry(self) -> _Entry:
        flags = self.flags
        if self.val or self.neg_val is not None:
            flags |= _SENT
        if self.agg or self.agg_dir:
            flags |= _AGGR
        if self.neg_val is not None:
            neg_val = self.neg_val
        elif self.agg or self.agg_dir:
            neg_val = 0.0  # "vous n'êtes pas des escrocs" is no praise
        else:
            neg_val = self.val * _N_SCALAR
        return (self.val, neg_val, self.agg, self.agg_dir, flags, self.mult)


def _readings(lang: str) -> dict[str, _Reading]:
    """Every token the lists of ``lang`` (``"fr"`` or ``"en"``) say something about."""
    fr = lang == "fr"
    table: dict[str, _Reading] = {}

    def get(word: str) -> _Reading:
        reading = table.get(word)
        if reading is None:
            reading = table[word] = _Reading()
        return reading

    valence = (_w.FR_VALENCE if fr else _w.EN_VALENCE, _w.SHARED_VALENCE)
    for groups in valence:
        for val, forms in groups.items():
            for word in _expand(forms):
                get(word).val = val
    aggression = (_w.FR_AGGRESSION if fr else _w.EN_AGGRESSION, _w.SHARED_AGGRESSION)
    for agg_groups in aggression:
        for (val, agg, agg_dir), forms in agg_groups.items():
            for word in _expand(forms):
                reading = get(word)
                reading.val, reading.agg, reading.agg_dir = val, agg, agg_dir
    negated = _w.FR_NEGATED_VALENCE if fr else _w.EN_NEGATED_VALENCE
    for neg_val, forms in negated.items():
        for word in _expand(forms):
            get(word).neg_val = neg_val
    markers = (
        (_w.NEGATORS, _NEG),
        (_w.POST_NEGATORS, _POSTNEG),
        (_w.BUT_WORDS, _BUT | _BOUNDARY),
        (_w.YOU_WORDS, _YOU),
        (_w.SMALL_AMOUNT, _SMALL),
    )
    for marker_lists, flag in markers:
        for word in _expand(marker_lists[lang]):
            get(word).flags |= flag
    for mult, forms in _w.INTENSIFIERS[lang].items():
        for word in _expand(forms):
            reading = get(word)
            reading.flags |= _INTENS
            reading.mult = mult
    # Accent-less spellings, unless the folded form has a reading of its own.
    for word in list(table):
        folded = _fold(word)
        if folded != word and folded not in table:
            table[folded] = table[word]
    return table


def _compile() -> tuple[dict[bytes, _Entry], dict[bytes, tuple[_Entry | None, _Entry | None]]]:
    """Merge the French and English readings into one table plus the false friends."""
    fr, en = _readings("fr"), _readings("en")
    neutral_in = {"en": set(_expand(_w.NEUTRAL_IN_EN)), "fr": set(_expand(_w.NEUTRAL_IN_FR))}
    for word in list(neutral_in["en"]):
        neutral_in["en"].add(_fold(word))
    table: dict[bytes, _Entry] = {}
    ambiguous: dict[bytes, tuple[_Entry | None, _Entry | None]] = {}
    for word in sorted(fr.keys() | en.keys()):
        fr_entry = fr[word].entry() if word in fr else None
        en_entry = en[word].entry() if word in en else None
        key = word.encode()
        plain_elsewhere = (fr_entry is None and word in neutral_in["fr"]) or (
            en_entry is None and word in neutral_in["en"]
        )
        if fr_entry == en_entry or (not plain_elsewhere and None in (fr_entry, en_entry)):
            entry = fr_entry or en_entry
            assert entry is not None
            table[key] = entry
        else:
            ambiguous[key] = (fr_entry, en_entry)
            table[key] = (0.0, 0.0, 0.0, 0.0, _AMBIG, 1.0)
    # Multi-word expressions hang off their anchor token (see _phrase_table).
    for key in _PHRASE_HEADS:
        old = table.get(key, _NO_ENTRY)
        table[key] = (*old[:4], old[4] | _PHRASE, old[5])
        if key in ambiguous:
            ambiguous[key] = tuple(  # type: ignore[assignment]
                None if e is None else (*e[:4], e[4] | _PHRASE, e[5]) for e in ambiguous[key]
            )
    # Clause boundaries (".,;!?" all become ",") and emoticon placeholders.
    table[b","] = (0.0, 0.0, 0.0, 0.0, _BOUNDARY, 1.0)
    for placeholder, val in _EMOTICON_VALENCE.items():
        table[placeholder] = (val, val, 0.0, 0.0, _SENT, 1.0)
    # Emojis: the tokenizer turns their UTF-8 lead byte into a space.
    for emoji, value in _w.EMOJI.items():
        val, agg, agg_dir = value if isinstance(value, tuple) else (value, 0.0, 0.0)
        flags = _SENT | (_AGGR if agg or agg_dir else 0)
        table[_emoji_key(emoji)] = (val, val, agg, agg_dir, flags, 1.0)
    return table, ambiguous


def _emoji_key(emoji: str) -> bytes:
    """The token an emoji becomes: its UTF-8 bytes after the lead byte."""
    return emoji.encode()[1:]


_Phrase = tuple[int, list[bytes], _Entry]


def _phrase_table() -> dict[bytes, list[_Phrase]]:
    """Anchor token -> [(position of the anchor, tokens, entry)], longest first.

    A phrase hangs off its first distinctive token rather than its first token,
    so that "pas de souci" costs nothing in posts that say "pas" without
    "souci": the anchor is the first token that is not a function word,
    negator, intensifier or number (the first token if all are).
    """
    fillers = {w for forms in _w.LANG_VOTES.values() for w in _expand(forms)}
    for marker_lists in (_w.NEGATORS, _w.POST_NEGATORS, _w.YOU_WORDS, _w.BUT_WORDS):
        for forms in marker_lists.values():
            fillers.update(_expand(forms))
    for by_mult in _w.INTENSIFIERS.values():
        for forms in by_mult.values():
            fillers.update(_expand(forms))
    fillers.update(_expand(_w.PHRASE_FILLERS))
    anchors: dict[bytes, list[_Phrase]] = {}
    for phrase, (val, agg, agg_dir) in _w.PHRASES.items():
        flags = _SENT | (_AGGR if agg or agg_dir else 0)
        entry: _Entry = (val, val, agg, agg_dir, flags, 1.0)  # not negated
        for variant in {phrase, _fold(phrase)}:
            words = variant.split()
            at = next((k for k, w in enumerate(words) if w not in fillers and not w.isdigit()), 0)
            tokens = [w.encode() for w in words]
            phrases = anchors.setdefault(tokens[at], [])
            if all(t != tokens for _, t, _ in phrases):
                phrases.append((at, tokens, entry))
    for phrases in anchors.values():
        phrases.sort(key=lambda item: -len(item[1]))
    return anchors


# Emoticons become one-byte placeholder tokens before punctuation is removed.
# Bytes 0x0E-0x1F: neither whitespace for bytes.split() nor touched by _TRANSLATE.
_EMOTICON_CODES: Final = {
    v: bytes([0x0E + i]) for i, v in enumerate(sorted(set(_w.EMOTICONS.values())))
}
_EMOTICON_VALENCE: Final = {code: val for val, code in _EMOTICON_CODES.items()}
_EMOTICON_REPLACE: Final = tuple(
    (emo.encode(), b" " + _EMOTICON_CODES[val] + b" ")
    for emo, val in sorted(_w.EMOTICONS.items(), key=lambda kv: -len(kv[0]))
)
_EMOTICON_GATE: Final = re.compile(
    b"|".join(re.escape(e[:2].encode()) for e in sorted(_w.EMOTICONS, key=len, reverse=True))
)
_PHRASES: Final = _phrase_table()
_PHRASE_HEADS: Final = frozenset(_PHRASES)
_TABLE, _AMBIGUOUS = _compile()
_GET: Final = _TABLE.get
_YOU_TOKENS: Final = frozenset(k for k, e in _TABLE.items() if e[4] & _YOU)
#: Possessives: "ton chien", "vos chiens adorent" address no one (after a word, as
#: in "on va brûler vos magasins", they still address a threat).
_POSSESSIVES: Final = frozenset(b"your ur yours ton ta tes votre vos".split())

_LANG_VOTES: Final = {
    key: vote
    for vote, forms in _w.LANG_VOTES.items()
    for word in _expand(forms)
    for key in {word.encode(), _fold(word).encode()}
}
_ARTICLES: Final = frozenset((b"un", b"une", b"a"))
_RATINGS: Final = {k.encode(): v for k, v in _w.RATINGS.items()}
_HASHTAG_STEMS: Final = {k.encode(): v for k, v in _w.HASHTAG_STEMS.items()}
_HASHTAG_STEM_TUPLE: Final = tuple(_HASHTAG_STEMS)


def _squeezed_table() -> dict[bytes, _Entry]:
    """Entries under their letters-run-collapsed spelling ("cool" -> "col"), for "cooool"."""
    out: dict[bytes, _Entry] = {}
    for key, entry in _TABLE.items():
        squeezed = _SQUEEZE_RE.sub(rb"\1", key)
        flags = entry[4]
        if flags & _AMBIG or not flags & (_SENT | _AGGR | _NEG | _INTENS):
            continue
        if squeezed != key and len(squeezed) >= 3 and squeezed not in _TABLE:
            # Without the phrase flag: phrases are looked up under their own spelling.
            out.setdefault(squeezed, (*entry[:4], flags & ~_PHRASE, entry[5]))
    return out


_SQUEEZE_RE: Final = re.compile(rb"([a-z])\1+")
_ELONG_RE: Final = re.compile(rb"([a-z])\1\1+")
#: Cheap pre-check for _ELONG_RE: the letters people stretch.
_ELONG_RUNS: Final = tuple(bytes([c]) * 3 for c in b"aeiouylsrhmn")
_SQUEEZED: Final = _squeezed_table()

# Byte translation: ASCII punctuation to space, clause punctuation to ",", and
# the lead bytes of emojis (0xF0), of general punctuation and symbols (0xE2)
# and of Latin-1 symbols (0xC2) to space. Continuation bytes stay, so an emoji
# becomes its own token.
_TRANS = bytearray(range(256))
for _c in b"'\"()[]{}<>+=/\\|~`^$%&@#-_:":
    _TRANS[_c] = 0x20
for _c in b".;!?":
    _TRANS[_c] = 0x2C
for _c in (0xF0, 0xE2, 0xC2):
    _TRANS[_c] = 0x20
_TRANSLATE: Final = bytes(_TRANS)
del _TRANS, _c

# Typographic apostrophe to ASCII; quotes, dashes and the emoji variation
# selector out (the lead-byte trick would glue their continuation bytes to the
# next word).
_UNICODE_SEPARATORS: Final = tuple(
    (old.encode(), new.encode())
    for old, new in (
        ("’", "'"),
        ("\ufe0f", ""),
        ("«", " "),
        ("»", " "),
        ("“", " "),
        ("”", " "),
        ("‘", " "),
        ("–", " "),
        ("—", " "),
    )
)
_URL_MENTION_RE: Final = re.compile(r"@\w+|(?:https?://|www\.)\S*")
#: A hashtag: ASCII word characters and accented Latin letters (UTF-8, U+00C0 to U+017F).
_HASHTAG_RE: Final = re.compile(rb"#((?:\w|[\xc3-\xc5][\x80-\xbf])+)")
_RATING_RE: Final = re.compile(rb"(?<![\d/.])\d{1,2}/\d{1,2}(?![\d/])")
#: Words before a date written like a rating ("le 1/10", "from 2/5").
_DATE_WORDS: Final = frozenset(
    "le du au dès des jusqu avant après depuis prévu prévue pour "
    "on from until till by starts start starting before after the due".encode().split()
)
#: "never/jamais ... so/aussi ADJ" intensifies instead of negating.
_NEVER_WORDS: Final = frozenset({b"never", b"jamais"})
_AS_WORDS: Final = frozenset(b"so this that such as aussi si tellement autant".split())
_UPPER: Final = bytes(range(0x41, 0x5B))
_CAPS_RUN: Final = re.compile(rb"[A-Z]{3}")
_LETTERS: Final = bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))


def _tokens(low: str) -> tuple[bytes, list[bytes]]:
    """The cleaned UTF-8 bytes of a lower-cased text, and its tokens."""
    if "@" in low or "http" in low or "www." in low:
        low = _URL_MENTION_RE.sub(" ", low)
    if low.isascii():
        raw = low.encode()
    else:
        if not unicodedata.is_normalized("NFKC", low):
            low = unicodedata.normalize("NFKC", low).lower()
        raw = low.encode("utf-8", "surrogatepass")
        if b"\xe2\x80" in raw or b"\xc2" in raw or b"\xef\xb8" in raw:
            for old, new in _UNICODE_SEPARATORS:
                raw = raw.replace(old, new)
    if (
        b":" in raw or b";" in raw or b"<" in raw or b"^" in raw or b"=" in raw or b"_-" in raw
    ) and _EMOTICON_GATE.search(raw) is not None:
        for emoticon, placeholder in _EMOTICON_REPLACE:
            raw = raw.replace(emoticon, placeholder)
    if b"\xf0" in raw or b"\xe2" in raw:
        raw = _GLUE_RE.sub(rb"\1 ", raw)
    return raw, _split(raw)


_GLUE_RE: Final = re.compile(rb"(\xf0[\x80-\xbf]{3}|\xe2[\x80-\xbf]{2})(?=[a-z0-9])")


def _vote(tokens: list[bytes]) -> str | None:
    """``"fr"``, ``"en"`` or ``None``: which language's function words dominate."""
    votes = sum(map(_LANG_VOTES.get, tokens, repeat(0)))
    return "fr" if votes > 0 else "en" if votes < 0 else None


#: Language codes that say "unknown" (Twitter's "und", ISO 639-2 "zxx"/"mul"...).
_UNKNOWN_LANGS: Final = frozenset(("und", "zxx", "mul", "mis", "qme", "qht", "qam", "qst", "xx"))
_ISO_639_2: Final = {"fra": "fr", "fre": "fr", "eng": "en"}


def _hint(lang: str | None) -> str | None:
    """``"fr"``, ``"en"``, ``""`` (another language) or ``None`` (unknown)."""
    if not lang or not isinstance(lang, str):
        return None
    code = lang.lower()
    if code[:2] in ("fr", "en") and (len(code) == 2 or not code[2].isalpha()):
        return code[:2]
    if code in _ISO_639_2:
        return _ISO_639_2[code]
    return None if code in _UNKNOWN_LANGS else ""


def detect_lang(text: str) -> str | None:
    """Guess whether ``text`` is French or English from its function words.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str or None
        ``"fr"``, ``"en"``, or ``None`` when neither dominates.

    Examples
    --------
    >>> detect_lang("Le service client ne répond pas"), detect_lang("The app is down again")
    ('fr', 'en')
    >>> detect_lang("🔥🔥") is None
    True
    """
    if not isinstance(text, str) or not text:
        return None
    return _vote(_tokens(text.lower())[1])


def lexicon_sizes() -> dict[str, int]:
    """How many entries the compiled lexicon holds, by kind.

    Examples
    --------
    >>> sizes = lexicon_sizes()
    >>> sizes["tokens"] > 2000 and sizes["emojis"] > 100
    True
    """
    emoji_keys = {_emoji_key(e) for e in _w.EMOJI}
    entries = [(k, e) for k, e in _TABLE.items() if k not in emoji_keys]
    return {
        "tokens": len(_TABLE),
        "sentiment_tokens": sum(1 for _, e in entries if e[4] & _SENT),
        "aggressive_tokens": sum(1 for _, e in entries if e[4] & _AGGR),
        "false_friends": len(_AMBIGUOUS),
        "phrases": len(_w.PHRASES),
        "emojis": len(_w.EMOJI),
        "emoticons": len(_w.EMOTICONS),
        "french_readings": len(_readings("fr")),
        "english_readings": len(_readings("en")),
    }


class LexiconToneScorer:
    """The built-in French and English tone scorer.

    Parameters
    ----------
    negation_window
        How many tokens after a negator its negation reaches.
    alpha
        Squashing constant: sentiment is ``s / sqrt(s**2 + alpha)`` of the summed
        valences (VADER's 15: one strong word gives about 0.6).
    max_chars
        Longer texts are scored on their first ``max_chars`` characters.

    Examples
    --------
    >>> scorer = LexiconToneScorer()
    >>> tone = scorer.score(
    ...     ["Service client au top, merci !", "pas terrible...", "Bande de voleurs 😡",
    ...      "Worst app ever, do not buy", "@acme new store opens today"],
    ...     ["fr", None, "fr", "en", None],
    ... )
    >>> [round(float(s), 2) for s in tone.sentiment]
    [0.7, -0.36, -0.82, -0.82, 0.0]
    >>> tone.aggressive().tolist()
    [False, False, True, True, False]
    >>> LexiconToneScorer(negation_window=0)
    Traceback (most recent call last):
    ...
    ValueError: negation_window=0 is not valid; valid values: an integer >= 1
    """

    def __init__(
        self,
        *,
        negation_window: int = 3,
        alpha: float = 15.0,
        max_chars: int = 20_000,
        cache_size: int = 65_536,
    ) -> None:
        check_positive_int("negation_window", negation_window)
        check_positive("alpha", alpha)
        check_positive_int("max_chars", max_chars)
        check_positive_int("cache_size", cache_size, minimum=0)
        self.negation_window = negation_window
        self.alpha = alpha
        self.max_chars = max_chars
        self.cache_size = cache_size
        # Reshares and copies repeat texts: remember the last scores (pure: same
        # text and hint, same score), forgetting everything when full.
        self._cache: dict[tuple[str, str | None], tuple[float, float]] = {}

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return (
            f"LexiconToneScorer(negation_window={self.negation_window!r}, "
            f"alpha={self.alpha!r}, max_chars={self.max_chars!r}, "
            f"cache_size={self.cache_size!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LexiconToneScorer):
            return NotImplemented
        return (self.negation_window, self.alpha, self.max_chars) == (
            other.negation_window,
            other.alpha,
            other.max_chars,
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.negation_window, self.alpha, self.max_chars))

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> ToneScores:
        """Score ``texts``.

        Parameters
        ----------
        texts
            The texts; anything that is not a non-empty string scores ``(0, 0)``.
        langs
            Language hints aligned with ``texts`` (``"fr"``, ``"en-US"``, ``None``),
            or ``None`` for no hints. A hint only settles the false friends.

        Returns
        -------
        ToneScores

        Raises
        ------
        ValueError
            If ``langs`` and ``texts`` differ in length.
        """
        n = len(texts)
        if langs is None:
            langs = [None] * n
        elif len(langs) != n:
            raise ValueError(
                f"langs has {len(langs)} items for {n} texts; valid values: one per text, or None"
            )
        cache = self._cache
        if len(cache) > self.cache_size:
            cache.clear()
        pairs = []
        score_one = self.score_one
        for text, lang in zip(texts, langs, strict=True):
            key = (text, lang)
            pair = cache.get(key) if isinstance(text, str) else None
            if pair is None:
                pair = score_one(text, lang)
                if self.cache_size and isinstance(text, str):
                    cache[key] = pair
            pairs.append(pair)
        scores = np.array(pairs, dtype=np.float32).reshape(n, 2)
        # Rounding to float32 may reach 1.0000001: clip back into the ranges.
        sentiment = np.clip(scores[:, 0], -1.0, 1.0)
        aggression = np.clip(scores[:, 1], 0.0, 1.0)
        return ToneScores(sentiment, aggression)

    def score_one(self, text: str, lang: str | None = None) -> tuple[float, float]:
        """``(sentiment, aggression)`` of one text; see :meth:`score`.

        Examples
        --------
        >>> scorer = LexiconToneScorer()
        >>> scorer.score_one("c'est pas mal du tout")[0] > 0
        True
        >>> scorer.score_one("j'aime pas")[0] < 0
        True
        """
        if not isinstance(text, str) or not text:
            return 0.0, 0.0
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
        hint = _hint(lang)
        # Capitals (ASCII letters only: cheap, and enough): a post in capitals
        # shouts, a word in capitals weighs more.
        orig = text.encode("utf-8", "surrogatepass")
        n_upper = len(orig) - len(orig.translate(None, _UPPER))
        shouting = n_upper >= 8 and n_upper >= 0.7 * (
            len(orig) - len(orig.translate(None, _LETTERS))
        )
        # (Words in capitals are looked for in the text itself: short texts only,
        # so that the cost stays linear.)
        caps = (
            orig
            if n_upper >= 3 and len(orig) <= 2_000 and not shouting and _CAPS_RUN.search(orig)
            else None
        )
        raw, toks = _tokens(text.lower())
        if any(run in raw for run in _ELONG_RUNS) and _ELONG_RE.search(raw):
            # "nuuuul", "coooool": every token is looked up as written, then with its
            # letter runs collapsed (even beside other lexicon words).
            toks = _split(_ELONG_RE.sub(rb"\1", raw))
            s, keep, _ = self._walk(toks, _get_squeezed, hint, caps)
        else:
            s, keep, _ = self._walk(toks, _GET, hint, caps)
        if b"#" in raw:
            for tag in _HASHTAG_RE.findall(raw):
                if tag not in _TABLE and tag.startswith(_HASHTAG_STEM_TUPLE):
                    for stem, (val, agg, _) in _HASHTAG_STEMS.items():
                        if tag.startswith(stem):
                            s += val
                            keep *= 1.0 - agg
                            break
        if b"/" in raw:
            for m in _RATING_RE.finditer(raw):
                before = raw[max(0, m.start() - 16) : m.start()].split()
                if before and before[-1].rsplit(b"'", 1)[-1] in _DATE_WORDS:
                    continue  # "le 1/10", "starts 1/10": a date, not a rating
                s += _RATINGS.get(m.group(), 0.0)
        n_excl = raw.count(b"!")
        if s:
            if shouting:
                s *= _SHOUT
            if n_excl:
                s += math.copysign(_EXCL_STEP * min(n_excl, 4), s)
        if s <= 0.0:  # shouting for joy ("GÉNIAL !!!") is enthusiasm, not aggression
            if shouting:
                keep *= 1.0 - _SHOUT_AGGR
            if n_excl >= 3:
                keep *= 1.0 - _EXCL_AGGR
        sentiment = s / math.sqrt(s * s + self.alpha) if s else 0.0
        return sentiment, 1.0 - keep

    def _walk(
        self, toks: list[bytes], get: _Getter, hint: str | None, caps: bytes | None
    ) -> tuple[float, float, bool]:
        """Sum valences and combine aggression over the tokens found in the lexicon.

        ``caps`` is the original text when some of its words may be in capitals
        (they then weigh more), else ``None``. Returns the summed valence, the
        product of the ``1 - aggression`` weights, and whether any token had a
        valence or an aggression weight.
        """
        entries = list(map(get, toks))
        if not any(entries):
            return 0.0, 1.0, False
        n = len(toks)
        window = self.negation_window
        lang = hint
        voted = hint is not None
        found = False
        before = 0.0  # valences before the last "but"
        after = 0.0  # valences since
        saw_but = False
        keep = 1.0  # product of (1 - aggression)
        neg_until = -1  # tokens up to this index are negated
        you_at = -100  # index of the last second-person word
        intens_at = -100  # index of the pending intensifier...
        intens_mult = 1.0  # ... its multiplier
        intens_val = 0.0  # ... and its own valence, taken back if it modifies a word
        last_at = -100  # index of the last sentiment word...
        last_val = 0.0  # ... what it added
        last_alt = 0.0  # ... what it would add negated
        last_negated = True
        skip_until = -1  # tokens of a matched expression
        for i in compress(range(n), entries):
            if i <= skip_until:
                continue
            val, neg_val, agg, agg_dir, flags, mult = entries[i]  # type: ignore[misc]
            # Fast paths for the most frequent hits: commas and plain words.
            if flags == _BOUNDARY:
                neg_until = -1
                intens_at = last_at = -100
                continue
            if flags != _SENT:
                if flags & _AMBIG:
                    if not voted:
                        lang, voted = _vote(toks), True
                    pair = _AMBIGUOUS.get(toks[i], _NO_PAIR)
                    chosen = pair[0] if lang == "fr" else pair[1] if lang == "en" else None
                    if chosen is not None:
                        val, neg_val, agg, agg_dir, flags, mult = chosen
                    elif flags & _PHRASE:
                        flags = _PHRASE
                    else:
                        continue
                if flags & _PHRASE:
                    for at, phrase_toks, phrase in _PHRASES.get(toks[i], ()):
                        start = i - at
                        end = start + len(phrase_toks)
                        if start > skip_until and end <= n and toks[start:end] == phrase_toks:
                            val, neg_val, agg, agg_dir, flags, mult = phrase
                            skip_until = end - 1
                            if neg_until >= i:  # "pas de souci": its negator is spent;
                                neg_until = -1  # "on ne lâchera rien" is not negated
                            if intens_at >= start:  # "bien joué": so is its intensifier
                                after -= intens_val
                                intens_at = -100
                            break
                    else:
                        if not flags & ~_PHRASE:
                            continue
                if flags & _BOUNDARY:
                    neg_until = -1
                    intens_at = last_at = -100
                    if flags & _BUT:
                        before += after
                        after = 0.0
                        saw_but = True
                    continue
                if flags & _YOU:
                    you_at = i
                if flags & _SMALL:
                    if i and toks[i - 1] in _ARTICLES:  # "un peu", "a little": softer
                        intens_at, intens_mult, intens_val = i, 0.6, 0.0
                    else:  # "peu fiable", "little help": negation
                        neg_until = i + 1
                    continue
                if flags & _POSTNEG and last_at >= i - 2:
                    # "j'aime pas", "ça marche plus": the word before is negated,
                    # not the ones after.
                    if not last_negated:
                        after += last_alt - last_val
                        last_negated = True
                    neg_until = -1
                    continue
                negated = i <= neg_until and not _never_as(toks, i, window)
                if flags & _NEG:
                    neg_until = i + window
                    if not flags & (_SENT | _AGGR | _INTENS):
                        continue
                if flags & _INTENS:
                    if agg:
                        keep *= 1.0 - agg
                        found = True
                    if last_at >= i - 2 and not (
                        (i + 1 < n and (entries[i + 1] or _NO_ENTRY)[4] & _SENT)
                        or (i + 2 < n and (entries[i + 2] or _NO_ENTRY)[4] & _SENT)
                    ):
                        # After the word it modifies: "je kiffe grave", "thanks a lot".
                        after += last_val * (mult - 1.0)
                        last_val *= mult
                        last_alt *= mult
                        continue
                    own = neg_val if negated else val
                    intens_at, intens_mult, intens_val = i, mult, own
                    after += own
                    found = found or own != 0.0
                    continue
                if flags & _AGGR:
                    found = True
                    addressed = (
                        (you_at >= i - _YOU_BEFORE and toks[i - 1] not in _POSSESSIVES)
                        or (i + 1 < n and toks[i + 1] in _YOU_TOKENS)
                        or (i + 2 < n and toks[i + 2] in _YOU_TOKENS)
                    )
                    weight = agg_dir if addressed else agg
                    keep *= 1.0 - (0.5 * weight if negated else weight)
                if not flags & _SENT:
                    continue
            else:
                negated = i <= neg_until and not _never_as(toks, i, window)
            # A word with a valence.
            found = True
            v, alt = (neg_val, val) if negated else (val, neg_val)
            if i - intens_at <= _INTENS_GAP:
                v *= intens_mult
                alt *= intens_mult
                after -= intens_val
                intens_at = -100
            if caps is not None and len(toks[i]) >= 3:
                upper = toks[i].upper()
                if upper != toks[i] and upper in caps:  # "c'est NUL"
                    v *= _CAPS_WORD
                    alt *= _CAPS_WORD
            after += v
            last_at, last_val, last_alt, last_negated = i, v, alt, negated
        s = before * _BUT_BEFORE + after * _BUT_AFTER if saw_but else after
        return s, keep, found


def _never_as(toks: list[bytes], i: int, window: int) -> bool:
    """Whether the word at ``i`` follows "never/jamais ... so/aussi": "never been so
    disappointed", "jamais été aussi déçu" intensify, they do not negate."""
    return (
        i > 1
        and toks[i - 1] in _AS_WORDS
        and not _NEVER_WORDS.isdisjoint(toks[max(0, i - window - 2) : i - 1])
    )


class _Getter(Protocol):
    def __call__(self, key: bytes, /) -> _Entry | None: ...


def _split(raw: bytes) -> list[bytes]:
    """Tokens of cleaned UTF-8 bytes."""
    return raw.translate(_TRANSLATE).replace(b",", b" , ").split()


def _get_squeezed(key: bytes) -> _Entry | None:
    """Look ``key`` up, then under its squeezed spelling."""
    entry = _TABLE.get(key)
    return entry if entry is not None else _SQUEEZED.get(key)
