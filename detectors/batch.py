"""The columnar batch: one brand's mentions, in arrival order, as arrays.

Decoding, validation and text scoring happen before (in ``streams``); the
detectors only ever see columns. A batch is the unit of work of
:meth:`detectors.state.BrandState.update`: every per-mention operation on it is a
numpy operation, so a batch of a thousand mentions costs about as many Python
steps as a batch of ten.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["KIND_CODES", "MentionBatch", "stable_hash"]

#: Author kinds and their codes in :attr:`MentionBatch.kind`.
KIND_CODES: Final[dict[str, int]] = {
    "public": 0,
    "employee": 1,
    "official": 2,
    "media": 3,
    "unknown": 4,
}


def stable_hash(text: str) -> int:
    """Return a 63-bit hash of ``text`` (CRC-32 and Adler-32), the same in every process.

    Python's ``hash()`` is salted per process; state that outlives a process
    (changelogs, replays) needs a stable one. This one costs about 0.15 us.

    >>> stable_hash("acme")
    207830920603894167
    >>> 0 <= stable_hash("") < 2**63
    True
    """
    data = text.encode("utf-8", "surrogatepass")
    return (zlib.crc32(data) << 31) ^ zlib.adler32(data)


@dataclass(frozen=True, slots=True)
class MentionBatch:
    """Mentions of one brand, column by column, in the order they arrived.

    Parameters
    ----------
    ts_ms
        Event time of each mention, epoch milliseconds (int64).
    followers
        Followers of the author (int64, >= 0): the mention's reach.
    sentiment
        Tone in [-1, 1] (float32), upstream or scored from the text.
    aggression
        Aggressiveness in [0, 1] (float32), scored from the text.
    kind
        Author kind code (int8), see :data:`KIND_CODES`.
    author_hash
        :func:`stable_hash` of the author id (int64, >= 0).
    id_hash
        :func:`stable_hash` of the mention id (int64, >= 0); orders samples.
    ids, authors, texts
        The mention ids, author ids and texts, for evidence.

    Examples
    --------
    >>> b = MentionBatch.from_rows(
    ...     ts_ms=[1_000, 2_000], followers=[10, 200], sentiment=[-0.8, 0.1],
    ...     aggression=[1.0, 0.0], kind=["public", "media"],
    ...     ids=["m1", "m2"], authors=["ann", "bob"], texts=["awful", "news"])
    >>> len(b), int(b.followers.sum())
    (2, 210)
    """

    ts_ms: npt.NDArray[np.int64]
    followers: npt.NDArray[np.int64]
    sentiment: npt.NDArray[np.float32]
    aggression: npt.NDArray[np.float32]
    kind: npt.NDArray[np.int8]
    author_hash: npt.NDArray[np.int64]
    id_hash: npt.NDArray[np.int64]
    ids: Sequence[str]
    authors: Sequence[str]
    texts: Sequence[str]

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])

    def __post_init__(self) -> None:
        n = len(self)
        for name in ("followers", "sentiment", "aggression", "kind", "author_hash", "id_hash"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"column {name} must have shape ({n},)")
        for name in ("ids", "authors", "texts"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"column {name} must have {n} items")

    def take(self, index: npt.NDArray[np.intp]) -> MentionBatch:
        """Return the rows at ``index`` (positions), in that order."""
        pick = index.tolist()
        return MentionBatch(
            ts_ms=self.ts_ms[index],
            followers=self.followers[index],
            sentiment=self.sentiment[index],
            aggression=self.aggression[index],
            kind=self.kind[index],
            author_hash=self.author_hash[index],
            id_hash=self.id_hash[index],
            ids=[self.ids[i] for i in pick],
            authors=[self.authors[i] for i in pick],
            texts=[self.texts[i] for i in pick],
        )

    def slice(self, start: int, stop: int) -> MentionBatch:
        """Rows ``start`` to ``stop`` (views of the arrays, no copy)."""
        return MentionBatch(
            ts_ms=self.ts_ms[start:stop],
            followers=self.followers[start:stop],
            sentiment=self.sentiment[start:stop],
            aggression=self.aggression[start:stop],
            kind=self.kind[start:stop],
            author_hash=self.author_hash[start:stop],
            id_hash=self.id_hash[start:stop],
            ids=self.ids[start:stop],
            authors=self.authors[start:stop],
            texts=self.texts[start:stop],
        )

    @classmethod
    def concat(cls, batches: Sequence[MentionBatch]) -> MentionBatch:
        """Join batches end to end, keeping their order."""
        if len(batches) == 1:
            return batches[0]
        return cls(
            ts_ms=np.concatenate([b.ts_ms for b in batches]),
            followers=np.concatenate([b.followers for b in batches]),
            sentiment=np.concatenate([b.sentiment for b in batches]),
            aggression=np.concatenate([b.aggression for b in batches]),
            kind=np.concatenate([b.kind for b in batches]),
            author_hash=np.concatenate([b.author_hash for b in batches]),
            id_hash=np.concatenate([b.id_hash for b in batches]),
            ids=[x for b in batches for x in b.ids],
            authors=[x for b in batches for x in b.authors],
            texts=[x for b in batches for x in b.texts],
        )

    @classmethod
    def from_rows(
        cls,
        *,
        ts_ms: Sequence[int],
        followers: Sequence[int],
        sentiment: Sequence[float],
        aggression: Sequence[float],
        kind: Sequence[str],
        ids: Sequence[str],
        authors: Sequence[str],
        texts: Sequence[str],
    ) -> MentionBatch:
        """Build a batch from plain Python sequences (tests, tools)."""
        return cls(
            ts_ms=np.asarray(ts_ms, dtype=np.int64),
            followers=np.asarray(followers, dtype=np.int64),
            sentiment=np.asarray(sentiment, dtype=np.float32),
            aggression=np.asarray(aggression, dtype=np.float32),
            kind=np.asarray([KIND_CODES[k] for k in kind], dtype=np.int8),
            author_hash=np.asarray([stable_hash(a) for a in authors], dtype=np.int64),
            id_hash=np.asarray([stable_hash(i) for i in ids], dtype=np.int64),
            ids=list(ids),
            authors=list(authors),
            texts=list(texts),
        )
