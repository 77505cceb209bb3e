"""Mentions (decoded structs) to the columnar batch the detectors take.

The only per-mention Python work of the worker after decoding happens here: one
pass per column, then the tone scorer over the texts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detectors.batch import KIND_CODES, MentionBatch, stable_hash
from detectors.lexicon import ToneScorer
from streams.mention import Mention

__all__ = ["to_batch"]


def to_batch(mentions: Sequence[Mention], scorer: ToneScorer) -> MentionBatch:
    """Columns of ``mentions``, in order; the scorer fills missing sentiment and all aggression."""
    n = len(mentions)
    texts = [m.text for m in mentions]
    ids = [m.id for m in mentions]
    authors = [m.author.id for m in mentions]
    tone = scorer.score(texts, [m.lang for m in mentions])
    upstream = np.fromiter(
        (np.nan if m.sentiment is None else m.sentiment for m in mentions), np.float32, n
    )
    sentiment = np.where(np.isnan(upstream), tone.sentiment, upstream).astype(np.float32)
    return MentionBatch(
        ts_ms=np.fromiter((m.ts_ms for m in mentions), np.int64, n),
        followers=np.fromiter((m.author.followers for m in mentions), np.int64, n),
        sentiment=sentiment,
        aggression=np.asarray(tone.aggression, dtype=np.float32),
        kind=np.fromiter((KIND_CODES[m.author.kind] for m in mentions), np.int8, n),
        author_hash=np.fromiter(map(stable_hash, authors), np.int64, n),
        id_hash=np.fromiter(map(stable_hash, ids), np.int64, n),
        ids=ids,
        authors=authors,
        texts=texts,
    )
