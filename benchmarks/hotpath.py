"""The windowing and detection hot path, measured against two baselines in one run.

    python benchmarks/hotpath.py [--mentions N] [--brands K] [--rate R] [--take C]

Feeds N pre-decoded mentions of K brands through ``detectors.state.update_many``
exactly as the worker does: the stream, in arrival order (Poisson arrivals at R
mentions per brand per minute, a share arriving out of order by up to 40 s), is
cut into processing batches of C mentions, each one columnar
:class:`detectors.batch.MentionBatch` grouped by brand (built before timing:
decoding is not the hot path). In the same run, two baselines do the same work mention by mention:

* ``per_mention_python``: straightforward Python windowing (a dict of bins per
  brand, watermark, lateness, sums, top authors, a sample) whose closed bins go
  through the worker's own per-bin pass (``BrandState._run``: the same
  detectors, fusion, incidents and minute records), so that only the way
  mentions become bins differs;
* ``river_per_mention``: river's drift detectors (ADWIN on the mention rate,
  PageHinkley on sentiment) updated once per mention, as a stream library would.

Each side is also timed on its windowing alone (no per-bin pass), which shows how
much of the cost is per mention and how much per closed brand-bin.

The process runs under the worker's garbage-collector policy
(:mod:`streams.gcpolicy`, applied at start-up as ``tocsin worker`` does);
``--python-gc`` keeps Python's default thresholds instead.

Prints the figures, then one JSON object on its last line with at least
``mentions_per_s``, ``ratio_to_per_mention_python`` and ``state_bytes_per_brand``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.batch import KIND_CODES, MentionBatch
from detectors.bins import update_many as bins_update_many
from detectors.state import BrandState, DetectionSettings, StateUpdate, update_many
from streams.gcpolicy import apply_gc_policy
from streams.settings import Settings

MIN = 60_000
_EMPLOYEE, _OFFICIAL, _MEDIA = (KIND_CODES[k] for k in ("employee", "official", "media"))
T0 = 1_767_225_600_000


def synthesize(n: int, brands: int, rate: float, *, late_share: float, seed: int) -> dict:
    """Columns of n mentions in arrival order (numpy arrays and lists)."""
    rng = np.random.default_rng(seed)
    duration_ms = int(n / (brands * rate) * MIN)
    brand = rng.integers(0, brands, n)
    ts = T0 + rng.integers(0, duration_ms, n)
    arrival = ts.copy()
    late = rng.random(n) < late_share
    arrival[late] += rng.integers(1_000, 40_000, int(late.sum()))
    order = np.argsort(arrival, kind="stable")
    kinds = np.array(list(KIND_CODES.values()), dtype=np.int8)
    cols = {
        "brand": brand[order],
        "ts_ms": ts[order].astype(np.int64),
        "followers": rng.lognormal(5, 2, n).astype(np.int64)[order],
        "sentiment": np.clip(rng.normal(0.05, 0.5, n), -1, 1).astype(np.float32)[order],
        "aggression": (rng.random(n) < 0.03).astype(np.float32)[order],
        "kind": kinds[rng.choice(5, n, p=[0.9, 0.02, 0.01, 0.05, 0.02])][order],
        "author_hash": rng.zipf(1.5, n).astype(np.int64)[order],
        "id_hash": rng.integers(0, 2**62, n, dtype=np.int64)[order],
    }
    cols["ids"] = [f"m{i}" for i in range(n)]
    cols["authors"] = [f"u{a}" for a in cols["author_hash"].tolist()]
    cols["texts"] = ["the brand did something people talk about #brand"] * n
    cols["duration_min"] = duration_ms / MIN
    return cols


def processing_batches(cols: dict, take: int) -> list[tuple[list[int], MentionBatch, list]]:
    """Cut the stream in processing batches, each one columnar batch grouped by brand.

    This is what the worker hands to ``update_many`` for each batch of Kafka messages.
    """
    out = []
    n = len(cols["ids"])
    for lo in range(0, n, take):
        hi = min(n, lo + take)
        b = cols["brand"][lo:hi]
        order = np.argsort(b, kind="stable")
        sb = b[order]
        starts = np.flatnonzero(np.diff(sb, prepend=-1))
        bounds = list(zip(starts.tolist(), [*starts[1:].tolist(), len(order)], strict=True))
        idx = order + lo
        pick = idx.tolist()
        batch = MentionBatch(
            ts_ms=cols["ts_ms"][idx],
            followers=cols["followers"][idx],
            sentiment=cols["sentiment"][idx],
            aggression=cols["aggression"][idx],
            kind=cols["kind"][idx],
            author_hash=cols["author_hash"][idx],
            id_hash=cols["id_hash"][idx],
            ids=[cols["ids"][i] for i in pick],
            authors=[cols["authors"][i] for i in pick],
            texts=[cols["texts"][i] for i in pick],
        )
        out.append((sb[starts].tolist(), batch, bounds))
    return out


def run_tocsin(
    batches: list[tuple[list[int], MentionBatch, list]], brands: int
) -> tuple[float, dict]:
    settings = DetectionSettings()
    states = {b: BrandState(brand=f"brand-{b}", settings=settings) for b in range(brands)}
    gc.collect()
    start = time.process_time()
    closed = changes = late = 0
    for owners, batch, bounds in batches:
        for up in update_many([states[o] for o in owners], batch, bounds):
            closed += up.closed_bins
            changes += len(up.changes)
            late += up.late
    elapsed = time.process_time() - start
    return elapsed, {"states": states, "closed_bins": closed, "changes": changes, "late": late}


def run_tocsin_windowing(batches: list[tuple[list[int], MentionBatch, list]], brands: int) -> float:
    """The event-time bins alone (``detectors.bins.update_many``), no per-bin pass."""
    settings = DetectionSettings()
    states = {b: BrandState(brand=f"brand-{b}", settings=settings) for b in range(brands)}
    gc.collect()
    start = time.process_time()
    for owners, batch, bounds in batches:
        bins_update_many([states[o].bins for o in owners], batch, bounds)
    return time.process_time() - start


class _PerMentionBrand:
    """The same windowing, one mention at a time, in plain Python.

    Its closed bins go through the same per-bin pass as the worker's
    (``BrandState._run``: volume, tone, evolution, fusion, incidents, responses,
    inside, minute records), so the two runs differ only in how mentions
    become bins.
    """

    def __init__(self, brand: int, settings: DetectionSettings, *, detect: bool = True) -> None:
        self.detect = detect
        self.bin_ms, self.grace_ms = settings.bin_ms, settings.grace_ms
        self.wm: int | None = None
        self.closed_until: int | None = None
        self.open: dict[int, list] = {}
        self.state = BrandState(brand=f"brand-{brand}", settings=settings)
        self.late = 0
        self.closed = 0

    def add(self, ts, followers, sentiment, aggression, kind, author, id_hash) -> None:
        b = ts // self.bin_ms
        wm = self.wm
        if wm is not None and (b + 1) * self.bin_ms + self.grace_ms <= wm:
            self.late += 1
            return
        acc = self.open.get(b)
        if acc is None:
            acc = self.open[b] = [0, 0, 0, 0, 0, 0, 0, 0.0, {}, []]
        acc[0] += 1
        acc[1] += followers
        acc[2] += sentiment <= -0.25
        acc[3] += aggression >= 0.5
        acc[4] += kind == _EMPLOYEE
        acc[5] += kind == _OFFICIAL
        acc[6] += kind == _MEDIA
        acc[7] += sentiment
        authors = acc[8]
        authors[author] = authors.get(author, 0) + followers
        sample = acc[9]
        if len(sample) < 8:
            sample.append(id_hash)
        elif id_hash < max(sample):
            sample[sample.index(max(sample))] = id_hash
        if wm is None or ts > wm:
            self.wm = ts
            self._close(ts)

    def _close(self, wm: int) -> None:
        frontier = (wm - self.grace_ms) // self.bin_ms
        start = self.closed_until if self.closed_until is not None else min(self.open)
        if frontier <= start:
            return
        empty = [0, 0, 0, 0, 0, 0, 0, 0.0]
        starts, rows = [], []
        for b in range(start, frontier):
            acc = self.open.pop(b, None)
            starts.append(b * self.bin_ms)
            rows.append(empty if acc is None else acc[:8])
        if self.detect:
            self.state._run(
                np.array(starts, dtype=np.int64),
                np.array(rows, dtype=np.float64),
                StateUpdate(0, 0, 0, []),
            )
        self.closed += len(starts)
        self.closed_until = frontier


def run_per_mention(
    cols: dict, brands: int, *, detect: bool = True
) -> tuple[float, dict[int, _PerMentionBrand]]:
    settings = DetectionSettings()
    states = {b: _PerMentionBrand(b, settings, detect=detect) for b in range(brands)}
    rows = zip(
        cols["brand"].tolist(),
        cols["ts_ms"].tolist(),
        cols["followers"].tolist(),
        cols["sentiment"].tolist(),
        cols["aggression"].tolist(),
        cols["kind"].tolist(),
        cols["author_hash"].tolist(),
        cols["id_hash"].tolist(),
        strict=True,
    )
    rows = list(rows)
    gc.collect()
    start = time.process_time()
    for b, ts, f, s, a, k, au, ih in rows:
        states[b].add(ts, f, s, a, k, au, ih)
    return time.process_time() - start, states


def run_river(cols: dict, brands: int) -> float:
    from river import drift

    detectors = {b: (drift.ADWIN(), drift.PageHinkley()) for b in range(brands)}
    rows = list(zip(cols["brand"].tolist(), cols["sentiment"].tolist(), strict=True))
    gc.collect()
    start = time.process_time()
    for b, s in rows:
        adwin, ph = detectors[b]
        adwin.update(1.0)
        ph.update(s)
    return time.process_time() - start


def _chunks(n: int, size: int) -> Iterator[int]:
    yield from range(0, n, size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--brands", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=20.0, help="mentions per brand per minute")
    parser.add_argument("--take", type=int, default=100_000, help="mentions per processing batch")
    parser.add_argument("--late-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-mentions",
        type=int,
        default=None,
        help="mentions for the baselines (default: all)",
    )
    parser.add_argument(
        "--python-gc",
        action="store_true",
        help="keep Python's garbage-collector thresholds instead of the worker's policy",
    )
    args = parser.parse_args(argv)
    young = 0 if args.python_gc else Settings().gc_young_threshold
    apply_gc_policy(young_threshold=young)  # as `tocsin worker` does at start-up

    cols = synthesize(
        args.mentions, args.brands, args.rate, late_share=args.late_share, seed=args.seed
    )
    batches = processing_batches(cols, args.take)
    per_brand_batch = args.mentions / sum(len(g[0]) for g in batches)
    print(
        f"{args.mentions:,} mentions, {args.brands:,} brands, {args.rate:g}/brand/min over "
        f"{cols['duration_min']:,.0f} min, batches of {args.take:,} "
        f"({per_brand_batch:,.0f} mentions per brand batch), {args.late_share:.0%} out of order"
    )
    elapsed, info = run_tocsin(batches, args.brands)
    rate = args.mentions / elapsed
    states = info["states"]
    sizes = [len(pickle.dumps(s)) for s in states.values()]
    print(
        f"tocsin hot path      {rate:>12,.0f} mentions/s  ({elapsed:.2f} s CPU; "
        f"{info['closed_bins']:,} bins closed, {info['closed_bins'] / elapsed:,.0f} bins/s, "
        f"{info['late']:,} late, {info['changes']} level changes)"
    )
    window_s = run_tocsin_windowing(batches, args.brands)
    print(
        f"  of which windowing   {args.mentions / window_s:>12,.0f} mentions/s  "
        f"({window_s:.2f} s CPU; the per-bin pass: {elapsed - window_s:.2f} s, "
        f"{(elapsed - window_s) / max(info['closed_bins'], 1) * 1e6:.1f} us per bin)"
    )
    nb = args.baseline_mentions or args.mentions
    sub = {k: (v[:nb] if isinstance(v, (list, np.ndarray)) else v) for k, v in cols.items()}
    py, _ = run_per_mention(sub, args.brands)
    py_rate = nb / py
    print(f"per-mention Python   {py_rate:>12,.0f} mentions/s  ({py:.2f} s CPU)")
    py_window, _ = run_per_mention(sub, args.brands, detect=False)
    py_window_rate = nb / py_window
    print(f"  of which windowing   {py_window_rate:>12,.0f} mentions/s  ({py_window:.2f} s CPU)")
    rv = run_river(sub, args.brands)
    rv_rate = nb / rv
    print(f"river per mention    {rv_rate:>12,.0f} mentions/s  ({rv:.2f} s CPU)")
    window_rate = args.mentions / window_s
    result = {
        "mentions": args.mentions,
        "brands": args.brands,
        "rate_per_brand_per_min": args.rate,
        "mentions_per_s": round(rate),
        "bins_per_s": round(info["closed_bins"] / elapsed),
        "windowing_mentions_per_s": round(window_rate),
        "per_bin_pass_us": round((elapsed - window_s) / max(info["closed_bins"], 1) * 1e6, 1),
        "per_mention_python_per_s": round(py_rate),
        "per_mention_python_windowing_per_s": round(py_window_rate),
        "river_per_mention_per_s": round(rv_rate),
        "ratio_to_per_mention_python": round(rate / py_rate, 2),
        "windowing_ratio_to_per_mention_python": round(window_rate / py_window_rate, 2),
        "ratio_to_river": round(rate / rv_rate, 2),
        "state_bytes_per_brand": int(np.mean(sizes)),
        "state_bytes_per_brand_max": int(max(sizes)),
        "gc_young_threshold": young or gc.get_threshold()[0],
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}",
    }
    print(
        f"ratios: x{result['ratio_to_per_mention_python']} per-mention Python "
        f"(windowing alone x{result['windowing_ratio_to_per_mention_python']}), "
        f"x{result['ratio_to_river']} river; state {result['state_bytes_per_brand']:,} bytes/brand "
        "(pickled)"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
