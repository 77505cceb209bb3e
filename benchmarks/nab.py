"""NAB (Numenta Anomaly Benchmark) for Tocsin's volume detector: detect, then score.

Usage, from the repository root::

    .venv/bin/python benchmarks/nab.py detect --data DATA_DIR --out RESULTS_DIR
    .venv/bin/python benchmarks/nab.py score --results RESULTS_DIR \\
        --labels realTweets_windows.json --profiles profiles.json
    .venv/bin/python benchmarks/nab.py run --data DATA_DIR --out RESULTS_DIR \\
        --labels realTweets_windows.json --profiles profiles.json   # both

``detect`` streams every ``*.csv`` under ``--data`` (recursively; columns
``timestamp,value``) through a fresh :class:`~detectors.volume.VolumeDetector`
per file, with its documented defaults (the same for every file), one row at a
time: the score written for row ``i`` depends on rows ``<= i`` only. The score
is the detector's :attr:`~detectors.volume.VolumeDetector.anomaly_score` (how
unusual the last hour is for the series, reported once per episode: a ranking,
which is what NAB's corpus-wide threshold needs); ``--score score`` writes the
onset score the product alarms on instead. It writes
``timestamp,value,anomaly_score`` at the same relative path under ``--out``.
The data are never copied into the repository.

``score`` implements NAB's published scoring (numenta/NAB v1.1, ``nab/sweeper.py``
and ``nab/optimizer.py``; ``nab/runner.py`` for the normalisation):

* probation: the first ``min(floor(0.15 n), 0.15 * 5000)`` rows of each file are
  dropped from scoring (``Sweeper._getProbationaryLength``);
* every row whose score is ``>= threshold`` is a detection;
* inside a labelled window (rows from the first timestamp ``>= start`` to the last
  ``<= end``) a detected row ``i`` is worth
  ``tpWeight * S(-(right - i + 1) / width) / S(-1)`` with the scaled sigmoid
  ``S(p) = 2 / (1 + exp(5 p)) - 1`` (``-1`` if ``p > 3``); only the best (the
  earliest) detection of a window counts; a window without one costs
  ``-fnWeight`` (``Sweeper.calcSweepScore``, ``calcScoreByThreshold``);
* a detected row outside every window costs ``fpWeight * S(|i - prevRight| /
  (prevWidth - 1))``: about ``-fpWeight`` far from a window, less just after one,
  and exactly ``-fpWeight`` before the first window of its file;
* the raw score of a threshold is the sum over files; the threshold is swept over
  every distinct score value of the corpus, from the top, and the best raw score
  wins (ties go to the highest threshold, as NAB's stable sort does), per profile;
* normalised score ``100 * (raw - null) / (perfect - null)`` with
  ``null = -fnWeight * windows`` and ``perfect = tpWeight * windows``.

Where this departs from NAB's code: NAB requires each window's limits to be
timestamps of the file (it matches them with ``==``); here a window covers the rows
whose timestamps fall within its limits, which is the same thing when they match.
Windows of files missing from the results are left out of the normalisation (with a
warning), instead of failing.

The last line printed is one JSON object with the three normalised scores and the
threshold of the standard profile.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from detectors.volume import VolumeDetector  # noqa: E402

__all__ = [
    "PROFILES",
    "PUBLISHED",
    "SCORES",
    "FileRows",
    "best_threshold",
    "detect",
    "main",
    "normalised",
    "probation_length",
    "raw_at",
    "scaled_sigmoid",
    "score_corpus",
    "sweep_rows",
]

#: NAB's realTweets table from the data set's README (standard, low FP, low FN).
PUBLISHED: dict[str, tuple[float, float, float]] = {
    "ARTime": (83.17, 74.58, 88.78),
    "CAD OSE": (74.48, 73.13, 76.93),
    "Numenta HTM": (69.35, 63.55, 73.50),
    "earthgecko Skyline": (68.93, 45.32, 78.28),
    "KNN CAD": (64.29, 42.16, 73.46),
    "Relative Entropy": (59.76, 55.01, 63.07),
    "Twitter ADVec": (59.62, 35.82, 69.04),
    "Random Cut Forest": (62.93, 50.15, 69.96),
    "Windowed Gaussian": (51.41, 16.33, 64.58),
    "Bayesian changepoint": (7.03, 2.93, 20.99),
    "river ADWIN / PageHinkley / KSWIN": (0.0, 0.0, 0.0),
}

#: Profile names in the order NAB prints them.
PROFILES: tuple[str, ...] = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")

PROBATION_FRACTION = 0.15

#: Detector scores ``detect`` can write: the anomaly ranking (default), the onset.
SCORES: tuple[str, ...] = ("anomaly_score", "score")


# --------------------------------------------------------------------------- detect


def parse_timestamp_ms(text: str) -> int:
    """Epoch milliseconds of a NAB timestamp (naive, taken as UTC).

    >>> parse_timestamp_ms("2015-02-26 21:42:53")
    1424986973000
    """
    stamp = datetime.fromisoformat(text.strip())
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return round(stamp.timestamp() * 1000)


def read_series(path: Path) -> tuple[list[str], list[float]]:
    """Read a NAB data file: its timestamps (as written) and values."""
    stamps: list[str] = []
    values: list[float] = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if [h.strip() for h in header[:2]] != ["timestamp", "value"]:
            raise ValueError(f"{path}: expected a 'timestamp,value' header, got {header}")
        for row in reader:
            if row:
                stamps.append(row[0])
                values.append(float(row[1]))
    return stamps, values


def stream_scores(
    stamps: Sequence[str],
    values: Sequence[float],
    *,
    bin_ms: int,
    params: dict[str, Any] | None = None,
    score: str = SCORES[0],
) -> Iterator[float]:
    """Feed one file through a fresh detector, row by row; yield each row's score.

    A row's timestamp is taken as the start of its bin (the bin ends ``bin_ms``
    later). Should rows be missing, the missing bins are fed as zero counts, as
    Tocsin's windowing does, and get no output row. ``score`` names the detector
    property written (one of :data:`SCORES`).
    """
    if score not in SCORES:
        raise ValueError(f"score={score!r} is not valid; valid values: {', '.join(SCORES)}")
    detector = VolumeDetector(bin_ms=bin_ms, **(params or {}))
    last_end: int | None = None
    for stamp, value in zip(stamps, values, strict=True):
        end_ms = parse_timestamp_ms(stamp) + bin_ms
        if last_end is not None:
            while end_ms - last_end > bin_ms:
                last_end += bin_ms
                detector.update(0.0, end_ms=last_end)
        detector.update(value, end_ms=end_ms)
        last_end = end_ms
        yield float(getattr(detector, score))


def detect(
    data_dir: Path,
    out_dir: Path,
    *,
    bin_ms: int,
    params: dict[str, Any] | None = None,
    score: str = SCORES[0],
) -> list[Path]:
    """Run the detector over every CSV under ``data_dir``; write results under ``out_dir``.

    ``params`` are extra :class:`VolumeDetector` arguments (the defaults otherwise);
    ``score`` is the property written (see :func:`stream_scores`).
    """
    files = sorted(p for p in data_dir.rglob("*.csv") if p.is_file())
    if not files:
        raise SystemExit(f"no *.csv under {data_dir}")
    written: list[Path] = []
    for path in files:
        stamps, values = read_series(path)
        target = out_dir / path.relative_to(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["timestamp", "value", "anomaly_score"])
            for stamp, value, row_score in zip(
                stamps,
                values,
                stream_scores(stamps, values, bin_ms=bin_ms, params=params, score=score),
                strict=True,
            ):
                writer.writerow([stamp, _fmt_value(value), repr(row_score)])
        written.append(target)
    return written


def _fmt_value(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


# --------------------------------------------------------------------------- score


def sigmoid(x: float) -> float:
    """The standard logistic function."""
    return 1.0 / (1.0 + math.exp(-x))


def scaled_sigmoid(position: float) -> float:
    """NAB's scaled sigmoid of a relative position (``sweeper.scaledSigmoid``).

    >>> round(scaled_sigmoid(-1.0), 5), scaled_sigmoid(0.0), scaled_sigmoid(3.5)
    (0.98661, 0.0, -1.0)
    """
    if position > 3.0:
        return -1.0
    return 2.0 * sigmoid(-5.0 * position) - 1.0


def probation_length(n_rows: int, fraction: float = PROBATION_FRACTION) -> float:
    """Rows at the start of a file that are not scored (``_getProbationaryLength``).

    >>> probation_length(1000), probation_length(15_902)
    (150, 750.0)
    """
    return min(math.floor(fraction * n_rows), fraction * 5000)


@dataclass(frozen=True)
class FileRows:
    """The scorable rows of one file: anomaly score, NAB weight, window id (or None)."""

    name: str
    scores: list[float]
    weights: list[float]
    windows: list[str | None]
    n_windows: int


def sweep_rows(
    name: str,
    stamps_ms: Sequence[int],
    scores: Sequence[float],
    windows_ms: Sequence[tuple[int, int]],
    cost: dict[str, float],
) -> FileRows:
    """Per-row NAB weights of one file (``Sweeper.calcSweepScore``); probation dropped.

    ``windows_ms`` are ``(start, end)`` limits in epoch ms, sorted. A window covers the
    rows whose timestamps lie within its limits; a window with no row is ignored.
    """
    n = len(stamps_ms)
    if len(scores) != n:
        raise ValueError(f"{name}: {len(scores)} scores for {n} rows")
    # Row ranges of the windows.
    ranges: list[tuple[int, int]] = []
    for start, end in windows_ms:
        left = next((i for i in range(n) if stamps_ms[i] >= start), n)
        right = next((i for i in range(n - 1, -1, -1) if stamps_ms[i] <= end), -1)
        if left <= right:
            ranges.append((left, right))
    max_tp = scaled_sigmoid(-1.0)
    probation = probation_length(n)
    out_scores: list[float] = []
    out_weights: list[float] = []
    out_windows: list[str | None] = []
    inside: tuple[int, int] | None = None
    prev: tuple[int, int] | None = None
    next_window = 0
    for i in range(n):
        if inside is None and next_window < len(ranges) and i == ranges[next_window][0]:
            inside = ranges[next_window]
            next_window += 1
        if inside is not None:
            left, right = inside
            width = right - left + 1
            weight = scaled_sigmoid(-(right - i + 1) / width) * cost["tpWeight"] / max_tp
            window: str | None = f"{name}|{left}"
        else:
            if prev is None:
                unweighted = -1.0
            else:
                prev_width = prev[1] - prev[0] + 1
                # NAB divides by (width - 1); a one-row window would divide by zero there.
                unweighted = scaled_sigmoid(abs(prev[1] - i) / max(prev_width - 1, 1))
            weight = unweighted * cost["fpWeight"]
            window = None
        if i >= probation:
            out_scores.append(float(scores[i]))
            out_weights.append(weight)
            out_windows.append(window)
        if inside is not None and i == inside[1]:
            prev = inside
            inside = None
    n_windows = len({w for w in out_windows if w is not None})
    return FileRows(name, out_scores, out_weights, out_windows, n_windows)


def threshold_curve(files: Sequence[FileRows], cost: dict[str, float]) -> list[tuple[float, float]]:
    """Raw corpus score for every candidate threshold (``Sweeper.calcScoreByThreshold``).

    Returns ``(threshold, raw_score)`` pairs from the highest threshold down; the first
    pair, threshold 1.1, detects nothing. A threshold ``t`` detects rows with score ``>= t``.
    """
    rows: list[tuple[float, float, str | None]] = []
    for f in files:
        rows.extend(zip(f.scores, f.weights, f.windows, strict=True))
    rows.sort(key=lambda r: r[0], reverse=True)
    parts: dict[str, float] = {}
    for _, _, window in rows:
        if window is not None:
            parts[window] = -cost["fnWeight"]
    fp_total = 0.0
    window_total = sum(parts.values())
    curve: list[tuple[float, float]] = []
    current = 1.1
    for score, weight, window in rows:
        if score != current:
            curve.append((current, fp_total + window_total))
            current = score
        if window is None:
            fp_total += weight
        elif weight > parts[window]:
            window_total += weight - parts[window]
            parts[window] = weight
    curve.append((current, fp_total + window_total))
    return curve


def raw_at(files: Sequence[FileRows], cost: dict[str, float], threshold: float) -> float:
    """Raw corpus score when rows with score ``>= threshold`` are detections."""
    raw = -math.inf
    for t, s in threshold_curve(files, cost):
        if t < threshold:
            break
        raw = s
    return raw


def best_threshold(files: Sequence[FileRows], cost: dict[str, float]) -> tuple[float, float]:
    """The threshold with the best raw corpus score, and that score (NAB's optimizer)."""
    best_t, best_s = 1.1, -math.inf
    for t, s in threshold_curve(files, cost):
        if s > best_s:  # strict: ties keep the higher threshold, as NAB's stable sort
            best_t, best_s = t, s
    return best_t, best_s


def normalised(raw: float, n_windows: int, cost: dict[str, float]) -> float:
    """``100 * (raw - null) / (perfect - null)`` (``Runner.normalize``).

    >>> normalised(-3.0, 3, {"tpWeight": 1.0, "fnWeight": 1.0})
    0.0
    >>> normalised(3.0, 3, {"tpWeight": 1.0, "fnWeight": 1.0})
    100.0
    """
    null = -cost["fnWeight"] * n_windows
    perfect = cost["tpWeight"] * n_windows
    return 100.0 * (raw - null) / (perfect - null)


def load_labels(path: Path) -> dict[str, list[tuple[int, int]]]:
    """NAB windows file -> ``{relative path: [(start_ms, end_ms), ...]}``, sorted."""
    raw = json.loads(path.read_text())
    return {
        key: sorted((parse_timestamp_ms(a), parse_timestamp_ms(b)) for a, b in windows)
        for key, windows in raw.items()
    }


def _label_key(relative: str, labels: dict[str, list[tuple[int, int]]]) -> str | None:
    if relative in labels:
        return relative
    base = relative.rsplit("/", 1)[-1]
    matches = [k for k in labels if k.rsplit("/", 1)[-1] == base]
    return matches[0] if len(matches) == 1 else None


def load_results(
    results_dir: Path, labels: dict[str, list[tuple[int, int]]], costs: dict[str, dict[str, float]]
) -> tuple[dict[str, list[FileRows]], int]:
    """Read every result CSV that has labels; return its rows per profile and the windows."""
    per_profile: dict[str, list[FileRows]] = {p: [] for p in costs}
    seen: set[str] = set()
    n_windows = 0
    for path in sorted(results_dir.rglob("*.csv")):
        key = _label_key(path.relative_to(results_dir).as_posix(), labels)
        if key is None:
            continue
        seen.add(key)
        stamps: list[int] = []
        scores: list[float] = []
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                stamps.append(parse_timestamp_ms(row["timestamp"]))
                scores.append(float(row["anomaly_score"]))
        for profile, cost in costs.items():
            rows = sweep_rows(key, stamps, scores, labels[key], cost)
            per_profile[profile].append(rows)
        n_windows += len(labels[key])  # NAB normalises by every labelled window
    missing = sorted(set(labels) - seen)
    if missing:
        print(
            f"warning: no results for {len(missing)} labelled file(s): {missing}", file=sys.stderr
        )
    if not seen:
        raise SystemExit(f"no result CSV under {results_dir} matches the labels")
    return per_profile, n_windows


def score_corpus(
    results_dir: Path,
    labels_path: Path,
    profiles_path: Path,
    *,
    fixed_threshold: float | None = None,
) -> dict[str, tuple[float, float, float]]:
    """Score a results folder: ``{profile: (normalised, raw, threshold)}``.

    The threshold is NAB's optimised one, or ``fixed_threshold`` when given.
    """
    labels = load_labels(labels_path)
    profiles = json.loads(profiles_path.read_text())
    costs = {name: dict(p["CostMatrix"]) for name, p in profiles.items()}
    per_profile, n_windows = load_results(results_dir, labels, costs)
    out: dict[str, tuple[float, float, float]] = {}
    for profile, cost in costs.items():
        if fixed_threshold is None:
            threshold, raw = best_threshold(per_profile[profile], cost)
        else:
            threshold = fixed_threshold
            raw = raw_at(per_profile[profile], cost, threshold)
        out[profile] = (normalised(raw, n_windows, cost), raw, threshold)
    return out


def report(
    results: dict[str, tuple[float, float, float]],
    fixed: dict[str, tuple[float, float, float]] | None = None,
) -> dict[str, float]:
    """Print the table next to the published one; return the summary JSON object.

    ``fixed`` are the scores at a fixed threshold, the detector's ``alarm_score``
    (0.5: an onset alarm, or an hour three typical deviations above normal), with
    no optimisation.
    """
    names = [p for p in PROFILES if p in results] + [p for p in results if p not in PROFILES]
    width = max(len(n) for n in PUBLISHED) + 2
    print(f"{'detector':<{width}}" + "".join(f"{n:>22}" for n in names))
    mine = "Tocsin VolumeDetector"
    print(f"{mine:<{width}}" + "".join(f"{results[n][0]:>22.2f}" for n in names))
    if fixed is not None:
        label = f"  same, at fixed threshold {next(iter(fixed.values()))[2]:g}"
        print(f"{label:<{width}}" + "".join(f"{fixed[n][0]:>22.2f}" for n in names))
    for name, published in PUBLISHED.items():
        cells = dict(zip(PROFILES, published, strict=True))
        print(f"{name:<{width}}" + "".join(f"{cells.get(n, math.nan):>22.2f}" for n in names))
    print()
    for n in names:
        norm, raw, threshold = results[n]
        print(f"{n}: normalised {norm:.2f}, raw {raw:.3f}, threshold {threshold!r}")
    summary = {n: round(results[n][0], 2) for n in names}
    summary["threshold"] = results["standard"][2] if "standard" in results else math.nan
    return summary


# --------------------------------------------------------------------------- CLI


def _parse_param(text: str) -> tuple[str, Any]:
    """``"shift_ratio=3"`` -> ``("shift_ratio", 3)``."""
    name, sep, value = text.partition("=")
    if not sep:
        raise SystemExit(f"--set {text!r}: expected NAME=VALUE")
    try:
        return name.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return name.strip(), value.strip()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add_detect_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, required=True, help="folder of NAB data CSVs")
        p.add_argument("--out", type=Path, required=True, help="folder for the result CSVs")
        p.add_argument(
            "--bin-ms", type=int, default=300_000, help="bin width of the data (NAB: 5 minutes)"
        )
        p.add_argument(
            "--set",
            dest="params",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a VolumeDetector argument other than its default (repeatable)",
        )
        p.add_argument(
            "--score",
            choices=SCORES,
            default=SCORES[0],
            help="detector score to write (default: the anomaly ranking)",
        )

    def add_score_args(p: argparse.ArgumentParser, *, results: bool) -> None:
        if results:
            p.add_argument("--results", type=Path, required=True, help="folder of result CSVs")
        p.add_argument("--labels", type=Path, required=True, help="NAB windows JSON")
        p.add_argument("--profiles", type=Path, required=True, help="NAB profiles JSON")

    add_detect_args(sub.add_parser("detect", help="write anomaly scores"))
    add_score_args(sub.add_parser("score", help="score a results folder"), results=True)
    run = sub.add_parser("run", help="detect, then score")
    add_detect_args(run)
    add_score_args(run, results=False)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.command in ("detect", "run"):
        params = dict(_parse_param(p) for p in args.params)
        written = detect(args.data, args.out, bin_ms=args.bin_ms, params=params, score=args.score)
        elapsed = time.perf_counter() - started
        print(f"detect: {len(written)} file(s) written under {args.out} in {elapsed:.1f} s")
    if args.command in ("score", "run"):
        results_dir = args.results if args.command == "score" else args.out
        alarm_score = VolumeDetector().alarm_score
        if args.command == "run":
            alarm_score = VolumeDetector(**params).alarm_score
        summary = report(
            score_corpus(results_dir, args.labels, args.profiles),
            score_corpus(results_dir, args.labels, args.profiles, fixed_threshold=alarm_score),
        )
        print(f"total wall time {time.perf_counter() - started:.1f} s")
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
