"""Top terms and hashtags of a set of texts, for alert evidence.

Run only when evidence is built (a level change), on the bounded samples the
bins keep, so its cost never lands on the per-mention path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["MAX_TERM_CHARS", "STOPWORDS", "tokens", "top_terms"]

_URL: Final = re.compile(r"https?://\S+|www\.\S+")
#: Longer tokens are not terms (no word or hashtag people share is that long); this also
#: bounds what a term adds to the minute records and alerts that carry it.
MAX_TERM_CHARS: Final = 50
_TOKEN: Final = re.compile(r"#\w+|[^\W\d_][\w'’-]*[^\W_]", re.UNICODE)

#: French and English function words, and social-media filler, never reported.
STOPWORDS: Final[frozenset[str]] = frozenset(
    """
    a about after again all also am an and any are as at be been before being but by can
    could did do does doing don't for from had has have having he her here hers him his how
    i i'm if in into is it it's its just me more most my no nor not now of off on once only
    or other our ours out over own same she should so some such than that that's the their
    theirs them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself rt
    via amp lol omg get got one like still even really today new au aux avec ce ces cette
    cet dans de des du elle elles en est et eux il ils je la le les leur leurs lui ma mais
    me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur
    ta te tes toi ton tu un une vos votre vous c'est j'ai n'est plus été être avoir fait
    faire sont ont était comme tout tous toute toutes ça cela ceci bien très aussi encore
    déjà alors donc car si sans chez vers entre quand
    """.split()
)


def tokens(text: str, *, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Lower-cased words and hashtags of ``text`` (3 to ``MAX_TERM_CHARS`` characters),
    without stop words.

    >>> tokens("RT @acme: Recall of the X200 battery!! #AcmeRecall https://t.co/x")
    ['acme', 'recall', 'x200', 'battery', '#acmerecall']
    >>> tokens("spam " + "a" * 51)
    ['spam']
    """
    text = _URL.sub(" ", text.lower())
    return [
        t
        for t in _TOKEN.findall(text)
        if 3 <= len(t) <= MAX_TERM_CHARS and t not in STOPWORDS and t not in exclude
    ]


def top_terms(
    texts: Iterable[str],
    *,
    k: int = 10,
    exclude: Iterable[str] = (),
    weights: Iterable[float] | None = None,
) -> list[str]:
    """The ``k`` terms found in the most texts (each text counts a term once).

    ``weights`` (one per text) let a sampled text stand for the mentions it was
    drawn from. Ties are broken alphabetically, so the result is deterministic.

    >>> top_terms(["battery fire #recall", "another battery fire", "nice phone"], k=2)
    ['battery', 'fire']
    >>> top_terms(["calm day", "battery fire"], k=1, weights=[1.0, 9.0])
    ['battery']
    """
    skip = frozenset(e.lower() for e in exclude)
    counts: dict[str, float] = {}
    texts = list(texts)
    for text, weight in zip(texts, [1.0] * len(texts) if weights is None else weights, strict=True):
        for term in set(tokens(text, exclude=skip)):
            counts[term] = counts.get(term, 0.0) + weight
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [term for term, _ in ranked[:k]]
