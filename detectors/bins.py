"""Event-time bins of one brand, closed by the brand's watermark, with bounded evidence.

Mentions fall into fixed bins of ``bin_ms`` by their own timestamp. The brand's
*watermark* is the largest event time seen so far. Bin ``[start, end)`` closes
when the watermark reaches ``end + grace_ms``; a mention that arrives for a bin
already closed is *late*: it is counted and dropped, never silently lost.

Lateness is decided mention by mention against the watermark *before* that
mention (a running maximum, one numpy call), so feeding a stream in one batch
or in many gives the same bins, the same late count and the same closed
sequence. Empty bins between two mentions close as zero bins: silence is data.

Everything per mention is a numpy operation over the whole batch; the Python
work is per batch and per bin, never per mention. Alongside the sums, two
bounded pieces of evidence explain alerts:

* a deterministic *sample* of each bin: the ``sample_size`` mentions with the
  smallest id hash (uniform, independent of arrival order and batching), kept
  for the open bins and the last ``sample_bins`` closed ones (the caller reads
  what it needs after each update, then :meth:`forget_evidence`);
* a *priority sample by reach* of the same bins (Duffield, Lund and Thorup's
  priority sampling: the ``author_sample_size`` mentions with the largest
  ``followers / u``, ``u`` uniform from the id hash), from which the top
  authors by reach and their mention counts are estimated without bias, in
  bounded memory, identically however the stream was batched.

Only open bins hold sums, at most ``grace_ms // bin_ms + 2`` of them once the
watermark runs; memory does not grow with the run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from detectors.base import Detector, check_positive_int, is_number
from detectors.batch import KIND_CODES, MentionBatch

__all__ = [
    "FIELDS",
    "AuthorStat",
    "BinsUpdate",
    "ClosedBin",
    "EventTimeBins",
    "Sample",
    "update_many",
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
COUNT, REACH, NEGATIVE, AGGRESSIVE, EMPLOYEE, OFFICIAL, MEDIA, SENTIMENT = range(len(FIELDS))
_N_FIELDS: Final = len(FIELDS)
_MAX_GAP_BINS: Final = 20_160  # two weeks of one-minute bins
_EMPTY: Final = np.iinfo(np.int64).max
_MIN_TS: Final = np.iinfo(np.int64).min
_MAX_OFFSET: Final = 1 << 62  # brand offsets of the running maximum stay below it
_BIN_SPAN: Final = np.int64(1 << 26)  # bins of one batch, in the one-key sort
_KEY_SCALE: Final = float(2**62)  # id hashes are 63-bit; reach keys use their top 62 bits


@dataclass(frozen=True, slots=True)
class AuthorStat:
    """An author among the most reaching: recency-weighted mentions and reach."""

    author: str
    followers: int
    kind: int
    count: float
    reach: float


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
    bin_start_ms: int


@dataclass(frozen=True, slots=True)
class ClosedBin:
    """A bin whose content is final; ``values`` holds the sums named by :data:`FIELDS`."""

    start_ms: int
    end_ms: int
    values: tuple[float, ...]

    @property
    def count(self) -> int:
        """Mentions in the bin."""
        return int(self.values[COUNT])

    @property
    def reach(self) -> float:
        """Sum of the authors' followers over the bin's mentions."""
        return self.values[REACH]


@dataclass(frozen=True, slots=True)
class BinsUpdate:
    """What one :meth:`EventTimeBins.update` did; closed bins as arrays, oldest first."""

    accepted: int
    late: int
    bin_ms: int
    closed_start_ms: npt.NDArray[np.int64]
    closed_values: npt.NDArray[np.float64]

    @property
    def n_closed(self) -> int:
        """Bins closed."""
        return int(self.closed_start_ms.shape[0])

    @property
    def closed(self) -> list[ClosedBin]:
        """The closed bins as objects (convenient, slower than the arrays)."""
        return [
            ClosedBin(start, start + self.bin_ms, tuple(row))
            for start, row in zip(
                self.closed_start_ms.tolist(), self.closed_values.tolist(), strict=True
            )
        ]


def _no_closed() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    return np.zeros(0, dtype=np.int64), np.zeros((0, _N_FIELDS), dtype=np.float64)


_NONE_CLOSED: Final = _no_closed()
for _array in _NONE_CLOSED:
    _array.flags.writeable = False  # shared: empty and read-only


class EventTimeBins(Detector):
    """Per-brand event-time bins with a watermark, a grace period and bounded evidence.

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
    sample_size
        Mentions sampled per bin.
    sample_bins
        Closed bins whose samples are kept.
    author_sample_size
        Mentions per bin in the priority sample by reach.
    max_text_chars
        Sampled texts are cut to this length.

    Examples
    --------
    >>> from detectors.batch import MentionBatch
    >>> bins = EventTimeBins(bin_ms=60_000, grace_ms=30_000)
    >>> def batch(ts):
    ...     n = len(ts)
    ...     return MentionBatch.from_rows(
    ...         ts_ms=ts, followers=[1] * n, sentiment=[0.0] * n, aggression=[0.0] * n,
    ...         kind=["public"] * n, ids=[f"m{t}" for t in ts], authors=["a"] * n,
    ...         texts=[""] * n)
    >>> bins.update(batch([10_000, 70_000, 50_000]))            # 50 s is within grace
    >>> bins.last_update.n_closed
    0
    >>> bins.update(batch([95_000, 20_000]))                     # 95 s closes [0, 60 s)
    >>> up = bins.last_update
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
        sample_size: int = 6,
        sample_bins: int = 10,
        author_sample_size: int = 10,
        max_text_chars: int = 280,
    ) -> None:
        check_positive_int("bin_ms", bin_ms)
        check_positive_int("grace_ms", grace_ms, minimum=0)
        check_positive_int("sample_size", sample_size)
        check_positive_int("sample_bins", sample_bins)
        check_positive_int("author_sample_size", author_sample_size)
        check_positive_int("max_text_chars", max_text_chars)
        if not (is_number(negative_below) and -1.0 <= negative_below <= 1.0):
            raise ValueError(
                f"negative_below={negative_below!r} is not valid; valid values: a number in [-1, 1]"
            )
        if not (is_number(aggressive_above) and 0.0 < aggressive_above <= 1.0):
            raise ValueError(
                f"aggressive_above={aggressive_above!r} is not valid; "
                "valid values: a number in (0, 1]"
            )
        self.bin_ms = bin_ms
        self.grace_ms = grace_ms
        self.negative_below = negative_below
        self.aggressive_above = aggressive_above
        self.sample_size = sample_size
        self.sample_bins = sample_bins
        self.author_sample_size = author_sample_size
        self.max_text_chars = max_text_chars
        super().__init__()

    def _init_state(self) -> None:
        self._watermark: int | None = None
        self._closed_until: int | None = None  # every bin index below this is closed
        self._open: dict[int, npt.NDArray[np.float64]] = {}
        self._accepted_total = 0
        self._late_total = 0
        # Samples by bin: the k smallest id hashes.
        self._sample_keys: dict[int, npt.NDArray[np.int64]] = {}
        # hash -> (id, author, followers, kind, negative, aggressive, text)
        self._samples: dict[int, tuple[str, str, int, int, bool, bool, str]] = {}
        # Priority sample by reach, by bin: the smallest keys u / (followers + 1).
        self._reach_keys: dict[int, npt.NDArray[np.int64]] = {}
        # key -> (author hash, author, followers, kind)
        self._reach_rows: dict[int, tuple[int, str, int, int]] = {}
        # Evidence of closed bins sealed when the state was last pickled:
        # (0 samples | 1 reach, bin) -> JSON [keys, rows]. Closed bins never change.
        self._sealed: dict[tuple[int, int], bytes] = {}
        self._last = self._nothing_closed()

    # -- pickling: the state goes to the changelog after every batch -----------
    def __getstate__(self) -> dict[str, Any]:
        """The state, the evidence of closed bins sealed first (see :meth:`_seal`)."""
        self._seal()
        state = self.__dict__.copy()
        del state["_last"]  # read right after an update, never after a restart
        for name, _ in _EVIDENCE:
            state[name] = _pack(self.__dict__[name])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, _ in _EVIDENCE:
            state[name] = _unpack(state[name])
        self.__dict__.update(state)
        self._last = self._nothing_closed()
        # Reach samples pickled when they kept author_sample_size keys, not one more:
        # pad their rows (the merge reads the last of k + 1).
        k = self.author_sample_size + 1
        reach = self._reach_keys
        for b, row in list(reach.items()):
            if len(row) < k:
                reach[b] = np.concatenate((row, np.full(k - len(row), _EMPTY, dtype=np.int64)))

    def _seal(self) -> None:
        """Encode the evidence of closed bins once, as bytes.

        A closed bin's evidence never changes until it is forgotten; sealed, it
        costs a copy of its bytes each time the state is pickled (after every
        batch that touches the brand) instead of a walk over its rows, and less
        memory. Reads decode it (alerts and incident evidence only).
        """
        cut = self._closed_until
        if cut is None:
            return
        oldest = cut - self.sample_bins  # older ones go at the next update: not worth it
        for t, (name, rows_name) in enumerate(_EVIDENCE):
            table: dict[int, npt.NDArray[np.int64]] = self.__dict__[name]
            closed = [b for b in table if oldest <= b < cut]
            if not closed:
                continue
            rows: dict[int, Any] = self.__dict__[rows_name]
            for b in closed:
                keys = [k for k in table.pop(b).tolist() if k != _EMPTY]
                self._sealed[(t, b)] = json.dumps(
                    [keys, [rows[k] for k in keys]], ensure_ascii=False, separators=(",", ":")
                ).encode()
            _drop_unreferenced(table, rows)

    def _evidence(self, t: int, lo: int, hi: int) -> list[tuple[int, list[int], list[Any]]]:
        """(bin, keys, rows) of evidence table ``t`` for the bins ``lo..hi``, oldest first."""
        name, rows_name = _EVIDENCE[t]
        table: dict[int, npt.NDArray[np.int64]] = self.__dict__[name]
        rows: dict[int, Any] = self.__dict__[rows_name]
        out = []
        for b, arr in table.items():
            if lo <= b <= hi:
                keys = [k for k in arr.tolist() if k != _EMPTY]
                out.append((b, keys, [rows[k] for k in keys]))
        for (tt, b), blob in self._sealed.items():
            if tt == t and lo <= b <= hi:
                keys, values = json.loads(blob)
                out.append((b, keys, [tuple(v) for v in values]))
        out.sort(key=lambda item: item[0])
        return out

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

    def samples(self, *, start_ms: int, end_ms: int) -> list[Sample]:
        """Sampled mentions of the bins within ``[start_ms, end_ms)``, newest bins first."""
        lo, hi = start_ms // self.bin_ms, (end_ms - 1) // self.bin_ms
        out: list[Sample] = []
        for b, keys, rows in reversed(self._evidence(0, lo, hi)):
            for p, (i, author, followers, kind, neg, agg, text) in zip(keys, rows, strict=True):
                out.append(Sample(p, i, author, followers, kind, neg, agg, text, b * self.bin_ms))
        return out

    def forget_closed(self) -> None:
        """Drop the arrays of the bins the last update closed, once they are read.

        After a long silence one update closes up to two weeks of bins; kept until
        the brand's next update, they would hold about 1.5 MB per brand.
        """
        self._last = BinsUpdate(self._last.accepted, self._last.late, self.bin_ms, *_NONE_CLOSED)

    def forget_evidence(self) -> None:
        """Drop the samples of bins older than the last ``sample_bins`` closed ones.

        Every update starts with this: the evidence of the bins an update closed
        stays readable until the next update.
        """
        if self._closed_until is None:
            return
        oldest = self._closed_until - self.sample_bins
        for table, rows in (
            (self._sample_keys, self._samples),
            (self._reach_keys, self._reach_rows),
        ):
            stale = [b for b in table if b < oldest]
            if stale:
                for b in stale:
                    del table[b]
                if len(rows) > 2 * self.sample_size * (len(table) + 1) + 64:
                    _drop_unreferenced(table, rows)
        for sealed in [key for key in self._sealed if key[1] < oldest]:
            del self._sealed[sealed]

    def top_authors(self, *, start_ms: int, end_ms: int, k: int = 5) -> list[AuthorStat]:
        """Authors with the most estimated reach over the bins within ``[start_ms, end_ms)``.

        Each of the ``author_sample_size`` mentions with the smallest keys stands for
        ``1 / p`` mentions, with ``p = min(1, (followers + 1) * tau / 2**62)`` its
        chance to be sampled and ``tau`` the next key (the bin keeps one mention
        more than it reports: with the largest reported key instead, the estimates
        would run about a tenth high); every mention counts once when the bin's
        sample is not full.
        """
        lo, hi = start_ms // self.bin_ms, (end_ms - 1) // self.bin_ms
        k_max = self.author_sample_size
        totals: dict[int, list[float]] = {}  # author hash -> [mentions, reach]
        info: dict[int, tuple[str, int, int]] = {}
        for _, keys, rows in self._evidence(1, lo, hi):
            tau = None
            if len(keys) > k_max:  # full (keys ascending): the (k+1)-th is the threshold
                tau, rows = keys[k_max], rows[:k_max]
            for author_hash, name, followers, kind in rows:
                p = 1.0 if tau is None else min(1.0, (followers + 1) * tau / _KEY_SCALE)
                acc = totals.setdefault(author_hash, [0.0, 0.0])
                acc[0] += 1.0 / p
                acc[1] += followers / p
                known = info.get(author_hash)
                info[author_hash] = (name, max(followers, known[1] if known else 0), kind)
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1][1], info[kv[0]][0]))[:k]
        return [AuthorStat(*info[h], count, reach) for h, (count, reach) in ranked]

    # -- updates ---------------------------------------------------------------
    def _nothing_closed(self) -> BinsUpdate:
        return BinsUpdate(0, 0, self.bin_ms, *_NONE_CLOSED)

    @property
    def last_update(self) -> BinsUpdate:
        """What the last :meth:`update` or :meth:`advance` did: mentions accepted and
        late, and the bins it closed (until :meth:`forget_closed`, which a brand's
        state calls once its detectors have read them)."""
        return self._last

    def update(self, batch: MentionBatch) -> None:
        """Add a batch of mentions (in arrival order); see :attr:`last_update`."""
        if len(batch) == 0:
            self._last = self._nothing_closed()
            return
        update_many([self], batch, [(0, len(batch))])

    def advance(self, *, watermark_ms: int) -> None:
        """Move the watermark forward without data (an idle brand); see :attr:`last_update`.

        A watermark at or behind the current one changes nothing.
        """
        if self._watermark is not None and watermark_ms <= self._watermark:
            self._last = self._nothing_closed()
            return
        self._watermark = watermark_ms
        self._last = BinsUpdate(0, 0, self.bin_ms, *self._close_through(watermark_ms))

    # -- internals -------------------------------------------------------------
    def _close_through(
        self, watermark: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        frontier = (watermark - self.grace_ms) // self.bin_ms  # first bin still open
        start = self._closed_until
        if start is None:
            if not self._open:
                return _no_closed()
            start = min(self._open)
        if frontier <= start:
            return _no_closed()
        data = sorted(b for b in self._open if b < frontier)
        ranges = [(start, frontier)]
        if frontier - start > _MAX_GAP_BINS:
            # A silence longer than two weeks, before, between or after data bins,
            # closes only its last two weeks: older empty bins teach nothing more, and
            # one absurdly old mention must not close years of bins.
            ranges = []
            run_start = covered = start  # the current run of bins; the first not in it
            for b in [*data, frontier]:
                if b - covered > _MAX_GAP_BINS:
                    if covered > run_start:
                        ranges.append((run_start, covered))
                    run_start = b - _MAX_GAP_BINS
                covered = b + 1
            ranges.append((run_start, frontier))
        index = np.concatenate([np.arange(lo, hi, dtype=np.int64) for lo, hi in ranges])
        values = np.zeros((index.size, _N_FIELDS), dtype=np.float64)
        if data:
            pos = np.searchsorted(index, data)
            values[pos] = [self._open.pop(b) for b in data]
        self._closed_until = frontier
        return index * self.bin_ms, values


def update_many(
    items: Sequence[EventTimeBins],
    batch: MentionBatch,
    bounds: Sequence[tuple[int, int]],
    *,
    late_out: npt.NDArray[np.bool_] | None = None,
) -> list[BinsUpdate]:
    """Update the bins of several brands at once: ``batch[lo:hi]`` goes to ``items[k]``.

    The work on mentions is done once for the whole batch with numpy, whatever the
    number of brands; Python loops run over brands and (brand, bin) groups only.
    Every item must have the same parameters and every slice must be non-empty.
    ``EventTimeBins.update`` is this with one brand: there is one implementation.
    Returns each item's :attr:`EventTimeBins.last_update`.
    """
    first = items[0]
    for it in items:  # what the previous update closed has been read by now
        it.forget_evidence()
    bin_ms, grace = first.bin_ms, first.grace_ms
    n = len(batch)
    k_items = len(items)
    lengths = np.array([hi - lo for lo, hi in bounds], dtype=np.int64)
    starts = np.array([lo for lo, _ in bounds], dtype=np.int64)
    seg = np.repeat(np.arange(k_items, dtype=np.int64), lengths)
    ts = batch.ts_ms
    if k_items == 1 and int(starts[0]) == 0 and int(lengths[0]) == n:
        run = np.maximum.accumulate(ts)
    else:  # running maximum within each brand: offsets past the batch's span keep them apart
        low = int(ts.min())
        span = int(ts.max()) - low + 1
        if span * k_items < _MAX_OFFSET:
            offset = seg * np.int64(span) - np.int64(low)
            run = np.maximum.accumulate(ts + offset) - offset
        else:  # a batch spanning millennia over many brands: one brand at a time
            run = np.concatenate(
                [
                    np.maximum.accumulate(ts[lo:hi])
                    for lo, hi in zip(starts, starts + lengths, strict=True)
                ]
            )
    wm0 = np.array(
        [_MIN_TS if it._watermark is None else it._watermark for it in items], dtype=np.int64
    )
    # Watermark seen by each mention when it arrived: the running max of what came before.
    before = np.empty(n, dtype=np.int64)
    before[1:] = run[:-1]
    before[starts] = _MIN_TS
    np.maximum(before, wm0[seg], out=before)
    bins = ts // bin_ms
    late = (bins + 1) * bin_ms + grace <= before
    if late_out is not None:
        late_out[:] = late
    late_per = np.bincount(seg, weights=late, minlength=k_items).astype(np.int64).tolist()
    top = np.maximum.reduceat(ts, starts)
    new_wm = np.maximum(top, wm0).tolist()
    keep = np.flatnonzero(~late)
    if keep.size:
        _accumulate_many(items, batch, keep, seg[keep], bins[keep])
    out = []
    for k, it in enumerate(items):
        wm = int(new_wm[k])
        it._watermark = wm
        n_late = int(late_per[k])
        accepted = int(lengths[k]) - n_late
        it._accepted_total += accepted
        it._late_total += n_late
        it._last = done = BinsUpdate(accepted, n_late, bin_ms, *it._close_through(wm))
        out.append(done)
    return out


def _accumulate_many(
    items: Sequence[EventTimeBins],
    batch: MentionBatch,
    rows: npt.NDArray[np.intp],
    seg: npt.NDArray[np.int64],
    bins: npt.NDArray[np.int64],
) -> None:
    first = items[0]
    negative = batch.sentiment[rows] <= first.negative_below
    aggressive = batch.aggression[rows] >= first.aggressive_above
    kind = batch.kind[rows]
    followers = batch.followers[rows]
    m = rows.size
    weights = np.empty((m, _N_FIELDS), dtype=np.float64)
    weights[:, COUNT] = 1.0
    weights[:, REACH] = followers
    weights[:, NEGATIVE] = negative
    weights[:, AGGRESSIVE] = aggressive
    weights[:, EMPLOYEE] = kind == KIND_CODES["employee"]
    weights[:, OFFICIAL] = kind == KIND_CODES["official"]
    weights[:, MEDIA] = kind == KIND_CODES["media"]
    weights[:, SENTIMENT] = batch.sentiment[rows]
    # Groups of (brand, bin), in one sort.
    low = int(bins.min())
    key = seg * _BIN_SPAN + (bins - low)
    if int(bins.max()) - low >= _BIN_SPAN:  # a batch spanning centuries: sort on both
        order = np.lexsort((bins, seg))
    else:
        order = np.argsort(key, kind="stable")
    # A group starts where the brand or the bin changes (not where the key does: in
    # a batch spanning centuries two brands' keys may be equal).
    s_seg, s_bin = seg[order], bins[order]
    change = np.empty(m, dtype=np.bool_)
    change[0] = True
    np.not_equal(s_seg[1:], s_seg[:-1], out=change[1:])
    change[1:] |= s_bin[1:] != s_bin[:-1]
    group_start = np.flatnonzero(change)
    sums = np.add.reduceat(weights[order], group_start, axis=0)
    g_seg = seg[order][group_start].tolist()
    g_bin = bins[order][group_start].tolist()
    group_of = np.empty(m, dtype=np.int64)
    group_of[order] = np.repeat(np.arange(group_start.size), np.diff([*group_start, m]))
    for k, b, row in zip(g_seg, g_bin, sums, strict=True):
        opened = items[k]._open
        acc = opened.get(b)
        if acc is None:
            opened[b] = row.copy()
        else:
            acc += row
    # Uniform sample: the smallest id hashes.
    id_hash = batch.id_hash[rows]
    entered = _merge_smallest_many(
        [it._sample_keys for it in items], first.sample_size, g_seg, g_bin, group_of, id_hash
    )
    if entered[0]:
        local, keys = entered
        cut = first.max_text_chars
        ids, authors, texts = batch.ids, batch.authors, batch.texts
        for sg, key_value, r, fol, kd, neg, agg in zip(
            seg[local].tolist(),
            keys,
            rows[local].tolist(),
            followers[local].tolist(),
            kind[local].tolist(),
            negative[local].tolist(),
            aggressive[local].tolist(),
            strict=True,
        ):
            items[sg]._samples[key_value] = (
                ids[r],
                authors[r],
                fol,
                kd,
                neg,
                agg,
                texts[r][:cut],
            )
    # Priority sample by reach: the smallest u / (followers + 1).
    reach_key = (id_hash >> 1) // (followers + 1)
    entered = _merge_smallest_many(
        [it._reach_keys for it in items],
        first.author_sample_size + 1,  # the one more is the threshold (see top_authors)
        g_seg,
        g_bin,
        group_of,
        reach_key,
    )
    if entered[0]:
        local, keys = entered
        authors = batch.authors
        for sg, key_value, ah, r, fol, kd in zip(
            seg[local].tolist(),
            keys,
            batch.author_hash[rows[local]].tolist(),
            rows[local].tolist(),
            followers[local].tolist(),
            kind[local].tolist(),
            strict=True,
        ):
            items[sg]._reach_rows[key_value] = (ah, authors[r], fol, kd)


def _merge_smallest_many(
    tables: list[dict[int, npt.NDArray[np.int64]]],
    k: int,
    g_seg: list[int],
    g_bin: list[int],
    group_of: npt.NDArray[np.int64],
    key: npt.NDArray[np.int64],
) -> tuple[list[int], list[int]]:
    """Merge rows into their (brand, bin) sample's ``k`` smallest keys.

    Returns the rows that entered and their keys. A key equal to one already in
    its sample (the same mention delivered again) is ignored, so the result does
    not depend on batching or redelivery.
    """
    empty = _empty_row(k)
    current = [tables[sg].get(b, empty) for sg, b in zip(g_seg, g_bin, strict=True)]
    limit = np.array([row[k - 1] for row in current], dtype=np.int64)
    enter = np.flatnonzero(key < limit[group_of])
    if enter.size == 0:
        return [], []
    touched = np.unique(group_of[enter]).tolist()
    old = np.concatenate([current[g] for g in touched])
    cand_group = np.concatenate(
        [np.repeat(np.asarray(touched, dtype=np.int64), k), group_of[enter]]
    )
    cand_key = np.concatenate([old, key[enter]])
    cand_row = np.concatenate([np.full(len(touched) * k, -1, dtype=np.int64), enter])
    order = np.lexsort((cand_row, cand_key, cand_group))
    cand_group, cand_key, cand_row = cand_group[order], cand_key[order], cand_row[order]
    fresh = np.ones(cand_group.size, dtype=bool)
    fresh[1:] = (cand_group[1:] != cand_group[:-1]) | (cand_key[1:] != cand_key[:-1])
    cand_group, cand_key, cand_row = cand_group[fresh], cand_key[fresh], cand_row[fresh]
    gstart = np.flatnonzero(np.diff(cand_group, prepend=-1))
    rank = np.arange(cand_group.size) - np.repeat(gstart, np.diff([*gstart, cand_group.size]))
    kept = rank < k
    new_rows = np.full((len(touched), k), _EMPTY, dtype=np.int64)
    position = np.searchsorted(np.asarray(touched, dtype=np.int64), cand_group[kept])
    new_rows[position, rank[kept]] = cand_key[kept]
    for i, g in enumerate(touched):
        tables[g_seg[g]][g_bin[g]] = new_rows[i]
    new = kept & (cand_row >= 0)
    return cand_row[new].tolist(), cand_key[new].tolist()


_EVIDENCE: Final = (("_sample_keys", "_samples"), ("_reach_keys", "_reach_rows"))


def _drop_unreferenced(table: dict[int, npt.NDArray[np.int64]], rows: dict[int, Any]) -> None:
    """Delete the rows whose keys no bin of ``table`` holds any more."""
    live = {k for keys in table.values() for k in keys.tolist()}
    for key in [key for key in rows if key not in live]:
        del rows[key]


def _pack(
    table: dict[int, npt.NDArray[np.int64]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """A per-bin key table as (bins, one row of keys per bin)."""
    bins = np.fromiter(table, dtype=np.int64, count=len(table))
    rows = np.stack(list(table.values())) if table else np.zeros((0, 0), dtype=np.int64)
    return bins, rows


def _unpack(
    packed: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> dict[int, npt.NDArray[np.int64]]:
    bins, rows = packed
    return dict(zip(bins.tolist(), rows, strict=True))


_EMPTY_ROWS: dict[int, npt.NDArray[np.int64]] = {}


def _empty_row(k: int) -> npt.NDArray[np.int64]:
    row = _EMPTY_ROWS.get(k)
    if row is None:
        row = _EMPTY_ROWS[k] = np.full(k, _EMPTY, dtype=np.int64)
        row.setflags(write=False)
    return row
