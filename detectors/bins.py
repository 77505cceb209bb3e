"""Event-time bins of one brand, closed by the brand's watermark.

Mentions fall into fixed bins of ``bin_ms`` by their own timestamp. The brand's
*watermark* is the largest event time seen so far. Bin ``[start, end)`` closes
when the watermark reaches ``end + grace_ms``; a mention that arrives for a bin
already closed is *late*: it is counted and dropped, never silently lost.

Lateness is decided mention by mention against the watermark *before* that
mention, so feeding a stream in one batch or in many gives the same bins, the
same late count and the same closed sequence (a running maximum does this in
one numpy call). Empty bins between two mentions close as zero bins: silence is
data.

Only open bins are kept, at most ``grace_ms // bin_ms + 2`` of them, each with
bounded evidence: the top authors by reach and a deterministic sample of
mentions (those with the smallest id hash). Memory does not grow with the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from detectors.base import Detector, check_positive_int
from detectors.batch import KIND_CODES, MentionBatch

__all__ = [
    "FIELDS",
    "AuthorStat",
    "BinsUpdate",
    "ClosedBin",
    "EventTimeBins",
    "Sample",
]

#: The numeric columns summed in every bin, in order.
FIELDS: Final[tuple[str, ...]] = (
    "count",
    "reach",
    "negative",
    "aggressive",
    "employee",
    "official",
    "media",
    "sentiment_sum",
)
_COUNT, _REACH, _NEG, _AGG, _EMP, _OFF, _MEDIA, _SENT = range(len(FIELDS))
_N_FIELDS: Final = len(FIELDS)
_MAX_GAP_BINS: Final = 20_160  # two weeks of one-minute bins


@dataclass(frozen=True, slots=True)
class AuthorStat:
    """An author's activity in a bin: mentions, and reach (followers summed over them)."""

    author: str
    followers: int
    kind: int
    count: int
    reach: int


@dataclass(frozen=True, slots=True)
class Sample:
    """A sampled mention, kept as evidence."""

    priority: int
    id: str
    author: str
    followers: int
    kind: int
    negative: bool
    aggressive: bool
    text: str


@dataclass(frozen=True, slots=True)
class ClosedBin:
    """A bin whose content is final.

    ``values`` holds the sums named by :data:`FIELDS`.
    """

    start_ms: int
    end_ms: int
    values: npt.NDArray[np.float64]
    authors: tuple[AuthorStat, ...]
    samples: tuple[Sample, ...]

    @property
    def count(self) -> int:
        """Mentions in the bin."""
        return int(self.values[_COUNT])

    @property
    def reach(self) -> float:
        """Sum of the authors' followers over the bin's mentions."""
        return float(self.values[_REACH])

    @property
    def negative(self) -> int:
        """Negative mentions."""
        return int(self.values[_NEG])

    @property
    def aggressive(self) -> int:
        """Aggressive mentions."""
        return int(self.values[_AGG])

    @property
    def employee(self) -> int:
        """Mentions by employees."""
        return int(self.values[_EMP])

    @property
    def official(self) -> int:
        """Mentions by the brand's official accounts."""
        return int(self.values[_OFF])

    @property
    def media(self) -> int:
        """Mentions by media."""
        return int(self.values[_MEDIA])

    @property
    def mean_sentiment(self) -> float:
        """Mean sentiment of the bin's mentions (0 for an empty bin)."""
        n = self.values[_COUNT]
        return float(self.values[_SENT] / n) if n else 0.0


@dataclass(frozen=True, slots=True)
class BinsUpdate:
    """What one :meth:`EventTimeBins.update` did."""

    accepted: int
    late: int
    closed: list[ClosedBin]


class _AuthorAcc:
    __slots__ = ("author", "count", "followers", "kind", "reach")

    def __init__(self, author: str, followers: int, kind: int, count: int, reach: int) -> None:
        self.author = author
        self.followers = followers
        self.kind = kind
        self.count = count
        self.reach = reach

    def __getstate__(self) -> tuple[str, int, int, int, int]:
        return (self.author, self.followers, self.kind, self.count, self.reach)

    def __setstate__(self, state: tuple[str, int, int, int, int]) -> None:
        self.author, self.followers, self.kind, self.count, self.reach = state

    def rank(self) -> tuple[int, str]:
        return (-self.reach, self.author)


class _OpenBin:
    __slots__ = ("authors", "samples", "values")

    def __init__(self) -> None:
        self.values = np.zeros(_N_FIELDS, dtype=np.float64)
        self.authors: dict[int, _AuthorAcc] = {}  # by author hash
        self.samples: list[Sample] = []

    def __getstate__(self) -> tuple[object, ...]:
        return (self.values, self.authors, self.samples)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self.values, self.authors, self.samples = state  # type: ignore[assignment]


class EventTimeBins(Detector):
    """Per-brand event-time bins with a watermark and a grace period.

    Parameters
    ----------
    bin_ms
        Width of a bin in milliseconds.
    grace_ms
        How long after a bin's end (in event time) mentions are still accepted.
    negative_below
        A mention is negative when its sentiment is at or below this value.
    aggressive_above
        A mention is aggressive when its aggression is at or above this value.
    top_authors
        Authors kept per bin, by reach.
    sample_size
        Mentions sampled per bin (the smallest id hashes: uniform, deterministic,
        independent of arrival order).
    max_text_chars
        Sampled texts are cut to this length.

    Examples
    --------
    >>> import numpy as np
    >>> from detectors.batch import MentionBatch
    >>> bins = EventTimeBins(bin_ms=60_000, grace_ms=30_000)
    >>> def batch(ts):
    ...     n = len(ts)
    ...     return MentionBatch.from_rows(
    ...         ts_ms=ts, followers=[1] * n, sentiment=[0.0] * n, aggression=[0.0] * n,
    ...         kind=["public"] * n, ids=[f"m{t}" for t in ts], authors=["a"] * n,
    ...         texts=[""] * n)
    >>> bins.update(batch([10_000, 70_000, 50_000])).closed   # 50 s is within grace
    []
    >>> up = bins.update(batch([95_000, 20_000]))             # 95 s closes [0, 60 s)
    >>> up.late, [(b.start_ms, b.count) for b in up.closed]
    (1, [(0, 2)])
    """

    def __init__(
        self,
        *,
        bin_ms: int = 60_000,
        grace_ms: int = 60_000,
        negative_below: float = -0.25,
        aggressive_above: float = 0.5,
        top_authors: int = 8,
        sample_size: int = 8,
        max_text_chars: int = 280,
    ) -> None:
        check_positive_int("bin_ms", bin_ms)
        check_positive_int("grace_ms", grace_ms, minimum=0)
        check_positive_int("top_authors", top_authors)
        check_positive_int("sample_size", sample_size)
        check_positive_int("max_text_chars", max_text_chars)
        if not -1.0 <= negative_below <= 1.0:
            raise ValueError(
                f"negative_below={negative_below!r} is not valid; valid values: a number in [-1, 1]"
            )
        if not 0.0 < aggressive_above <= 1.0:
            raise ValueError(
                f"aggressive_above={aggressive_above!r} is not valid; "
                "valid values: a number in (0, 1]"
            )
        self.bin_ms = bin_ms
        self.grace_ms = grace_ms
        self.negative_below = negative_below
        self.aggressive_above = aggressive_above
        self.top_authors = top_authors
        self.sample_size = sample_size
        self.max_text_chars = max_text_chars
        super().__init__()

    def _init_state(self) -> None:
        self._watermark: int | None = None
        self._closed_until: int | None = None  # every bin index below this is closed
        self._open: dict[int, _OpenBin] = {}
        self._accepted_total = 0
        self._late_total = 0

    # -- read-only views -------------------------------------------------------
    @property
    def watermark_ms(self) -> int | None:
        """Largest event time seen, or None before the first mention."""
        return self._watermark

    @property
    def closed_until_ms(self) -> int | None:
        """Every bin ending at or before this time is closed."""
        return None if self._closed_until is None else self._closed_until * self.bin_ms

    @property
    def open_bins(self) -> int:
        """Bins holding data that have not closed yet."""
        return len(self._open)

    @property
    def accepted_total(self) -> int:
        """Mentions accepted into a bin since the start."""
        return self._accepted_total

    @property
    def late_total(self) -> int:
        """Mentions dropped because their bin had closed."""
        return self._late_total

    # -- updates ---------------------------------------------------------------
    def update(self, batch: MentionBatch) -> BinsUpdate:
        """Add a batch of mentions (in arrival order); return the bins it closed."""
        n = len(batch)
        if n == 0:
            return BinsUpdate(0, 0, [])
        ts = batch.ts_ms
        bin_ms = self.bin_ms
        wm0 = np.iinfo(np.int64).min if self._watermark is None else self._watermark
        # Watermark seen by each mention when it arrived: running max of what came before.
        before = np.empty(n, dtype=np.int64)
        before[0] = wm0
        if n > 1:
            np.maximum.accumulate(ts[:-1], out=before[1:])
            np.maximum(before[1:], wm0, out=before[1:])
        bins = ts // bin_ms
        late_mask = (bins + 1) * bin_ms + self.grace_ms <= before
        n_late = int(np.count_nonzero(late_mask))
        new_wm = int(ts.max()) if self._watermark is None else max(wm0, int(ts.max()))
        if n_late:
            keep = np.flatnonzero(~late_mask)
            batch = batch.take(keep)
            bins = bins[keep]
        if len(batch):
            self._accumulate(batch, bins)
        self._watermark = new_wm
        self._accepted_total += n - n_late
        self._late_total += n_late
        return BinsUpdate(n - n_late, n_late, self._close_through(new_wm))

    def advance(self, *, watermark_ms: int) -> list[ClosedBin]:
        """Move the watermark forward without data (an idle brand); return closed bins.

        A watermark at or behind the current one changes nothing.
        """
        if self._watermark is not None and watermark_ms <= self._watermark:
            return []
        self._watermark = watermark_ms
        return self._close_through(watermark_ms)

    # -- internals -------------------------------------------------------------
    def _accumulate(self, batch: MentionBatch, bins: npt.NDArray[np.int64]) -> None:
        negative = batch.sentiment <= self.negative_below
        aggressive = batch.aggression >= self.aggressive_above
        weights = np.empty((len(batch), _N_FIELDS), dtype=np.float64)
        weights[:, _COUNT] = 1.0
        weights[:, _REACH] = batch.followers
        weights[:, _NEG] = negative
        weights[:, _AGG] = aggressive
        kind = batch.kind
        weights[:, _EMP] = kind == KIND_CODES["employee"]
        weights[:, _OFF] = kind == KIND_CODES["official"]
        weights[:, _MEDIA] = kind == KIND_CODES["media"]
        weights[:, _SENT] = batch.sentiment
        first, last = int(bins.min()), int(bins.max())
        if first == last:
            groups = [(first, np.arange(len(batch)))]
            sums = weights.sum(axis=0, keepdims=True)
        else:
            order = np.argsort(bins, kind="stable")
            sorted_bins = bins[order]
            starts = np.flatnonzero(np.diff(sorted_bins, prepend=sorted_bins[0] - 1))
            sums = np.add.reduceat(weights[order], starts, axis=0)
            bounds = [*starts.tolist(), len(order)]
            groups = [
                (int(sorted_bins[bounds[j]]), order[bounds[j] : bounds[j + 1]])
                for j in range(len(starts))
            ]
        for j, (b, rows) in enumerate(groups):
            open_bin = self._open.get(b)
            if open_bin is None:
                open_bin = self._open[b] = _OpenBin()
            open_bin.values += sums[j]
            self._merge_authors(open_bin, batch, rows)
            self._merge_samples(open_bin, batch, rows, negative, aggressive)

    def _merge_authors(
        self, open_bin: _OpenBin, batch: MentionBatch, rows: npt.NDArray[np.intp]
    ) -> None:
        hashes = batch.author_hash[rows]
        followers = batch.followers[rows]
        uniq, first, inverse, counts = np.unique(
            hashes, return_index=True, return_inverse=True, return_counts=True
        )
        reach = np.bincount(inverse, weights=followers, minlength=len(uniq))
        most = np.zeros(len(uniq), dtype=np.int64)
        np.maximum.at(most, inverse, followers)
        cap = self.top_authors
        if len(uniq) > 2 * cap:
            top = np.argpartition(-reach, 2 * cap)[: 2 * cap]
        else:
            top = np.arange(len(uniq))
        authors = open_bin.authors
        for j in top.tolist():
            key = int(uniq[j])
            entry = authors.get(key)
            if entry is None:
                row = int(rows[first[j]])
                authors[key] = _AuthorAcc(
                    batch.authors[row],
                    int(most[j]),
                    int(batch.kind[row]),
                    int(counts[j]),
                    int(reach[j]),
                )
            else:
                entry.followers = max(entry.followers, int(most[j]))
                entry.count += int(counts[j])
                entry.reach += int(reach[j])
        if len(authors) > 4 * cap:
            ranked = sorted(authors.items(), key=_author_rank)[: 2 * cap]
            open_bin.authors = dict(ranked)

    def _merge_samples(
        self,
        open_bin: _OpenBin,
        batch: MentionBatch,
        rows: npt.NDArray[np.intp],
        negative: npt.NDArray[np.bool_],
        aggressive: npt.NDArray[np.bool_],
    ) -> None:
        k = self.sample_size
        priority = batch.id_hash[rows]
        if len(rows) > k:
            pick = np.argpartition(priority, k)[:k]
            rows = rows[pick]
            priority = priority[pick]
        current = open_bin.samples
        worst = current[-1].priority if len(current) >= k else None
        seen = {s.priority for s in current}
        cut = self.max_text_chars
        added = False
        for row, prio in zip(rows.tolist(), priority.tolist(), strict=True):
            if prio in seen or (worst is not None and prio >= worst):
                continue
            seen.add(prio)
            current.append(
                Sample(
                    priority=prio,
                    id=batch.ids[row],
                    author=batch.authors[row],
                    followers=int(batch.followers[row]),
                    kind=int(batch.kind[row]),
                    negative=bool(negative[row]),
                    aggressive=bool(aggressive[row]),
                    text=batch.texts[row][:cut],
                )
            )
            added = True
        if added:
            current.sort(key=_sample_priority)
            del current[k:]

    def _close_through(self, watermark: int) -> list[ClosedBin]:
        frontier = (watermark - self.grace_ms) // self.bin_ms  # first bin still open
        start = self._closed_until
        if start is None:
            if not self._open:
                return []
            start = min(self._open)
        if frontier <= start:
            return []
        closed: list[ClosedBin] = []
        bin_ms = self.bin_ms
        empty = np.zeros(_N_FIELDS, dtype=np.float64)
        data_bins = sorted(b for b in self._open if b < frontier)
        prev = start
        for b in [*data_bins, frontier]:
            # A silence longer than two weeks: older empty bins teach nothing more.
            for e in range(max(prev, b - _MAX_GAP_BINS), b):
                closed.append(ClosedBin(e * bin_ms, (e + 1) * bin_ms, empty, (), ()))
            if b < frontier:
                closed.append(self._finish(b, self._open.pop(b)))
            prev = b + 1
        self._closed_until = frontier
        return closed

    def _finish(self, b: int, open_bin: _OpenBin) -> ClosedBin:
        ranked = sorted(open_bin.authors.values(), key=_AuthorAcc.rank)[: self.top_authors]
        authors = tuple(AuthorStat(a.author, a.followers, a.kind, a.count, a.reach) for a in ranked)
        return ClosedBin(
            b * self.bin_ms,
            (b + 1) * self.bin_ms,
            open_bin.values,
            authors,
            tuple(open_bin.samples),
        )


def _author_rank(item: tuple[int, _AuthorAcc]) -> tuple[int, str]:
    return item[1].rank()


def _sample_priority(sample: Sample) -> int:
    return sample.priority
