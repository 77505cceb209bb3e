"""NAB scoring (benchmarks/nab.py) on tiny hand-made files, scores computed by hand.

The file used throughout has 20 rows, one per minute: its probation is
``floor(0.15 * 20) = 3`` rows, and its one window covers rows 10 to 14 (width 5).
``S(p) = 2 / (1 + exp(5 p)) - 1`` is NAB's scaled sigmoid.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

_NAB_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "nab.py"


def _load_nab() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tocsin_benchmarks_nab", _NAB_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


nab = _load_nab()

STANDARD = {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0}
LOW_FN = {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0}
N_ROWS = 20
MINUTE = 60_000
STAMPS = [i * MINUTE for i in range(N_ROWS)]
WINDOW = [(10 * MINUTE, 14 * MINUTE)]


def s_hand(p: float) -> float:
    """The scaled sigmoid, written out again for the hand computations."""
    return 2.0 / (1.0 + math.exp(5.0 * p)) - 1.0


def raw_at_one(detected: dict[int, float], cost: dict[str, float] = STANDARD) -> float:
    """Raw score at threshold 1 of the file whose rows ``detected`` score 1 (others 0)."""
    scores = [detected.get(i, 0.0) for i in range(N_ROWS)]
    rows = nab.sweep_rows("f.csv", STAMPS, scores, WINDOW, cost)
    curve = dict(nab.threshold_curve([rows], cost))
    return curve[1.0] if 1.0 in curve else curve[1.1]


# Cost of detecting rows 15 to 19, just after the window: 0.11 * S(k / 4), k = 1..5.
AFTER = sum(0.11 * s_hand(k / 4) for k in range(1, 6))


def test_probation_length() -> None:
    assert nab.probation_length(20) == 3
    assert nab.probation_length(15_902) == 750  # capped at 0.15 * 5000


def test_detection_at_left_edge_earns_tp_weight() -> None:
    # position -(14 - 10 + 1) / 5 = -1, normalised by S(-1): exactly tpWeight.
    assert raw_at_one({10: 1.0}) == pytest.approx(1.0)
    assert nab.normalised(1.0, 1, STANDARD) == pytest.approx(100.0)


def test_detection_inside_window() -> None:
    # Row 12: position -(14 - 12 + 1) / 5 = -0.6; S(-0.6) = 0.905148, / S(-1) = 0.986614: 0.917429.
    expected = (2.0 / (1.0 + math.exp(-3.0)) - 1.0) / (2.0 / (1.0 + math.exp(-5.0)) - 1.0)
    assert expected == pytest.approx(0.917429, abs=1e-6)
    assert raw_at_one({12: 1.0}) == pytest.approx(expected)


def test_only_earliest_detection_of_a_window_counts() -> None:
    assert raw_at_one({10: 1.0, 11: 1.0, 14: 1.0}) == pytest.approx(1.0)
    # The right edge alone: position -1/5, S(-0.2) / S(-1).
    assert raw_at_one({14: 1.0}) == pytest.approx(s_hand(-0.2) / s_hand(-1.0))


def test_miss_costs_fn_weight() -> None:
    # Nothing detected: -fnWeight per window (the curve's first point, threshold 1.1).
    assert raw_at_one({}) == pytest.approx(-1.0)
    assert raw_at_one({}, LOW_FN) == pytest.approx(-2.0)
    # A detection outside the window does not help.
    assert raw_at_one({16: 1.0}) == pytest.approx(-1.0 + 0.11 * s_hand(2 / 4))
    assert nab.normalised(-1.0, 1, STANDARD) == pytest.approx(0.0)


def test_far_false_positive_costs_fp_weight() -> None:
    # Row 5 is before any window: -fpWeight. Row 10 catches the window.
    scores = [0.0] * N_ROWS
    scores[5] = scores[10] = 1.0
    rows = nab.sweep_rows("f.csv", STAMPS, scores, WINDOW, STANDARD)
    curve = dict(nab.threshold_curve([rows], STANDARD))
    assert curve[1.0] == pytest.approx(1.0 - 0.11)


def test_false_positive_just_after_window_costs_less() -> None:
    # Row 15: |14 - 15| / (5 - 1) = 0.25; S(0.25) = 2 / (1 + e^1.25) - 1 = -0.554600.
    assert s_hand(0.25) == pytest.approx(-0.554600, abs=1e-6)
    scores = [0.0] * N_ROWS
    scores[10] = scores[15] = 1.0
    rows = nab.sweep_rows("f.csv", STAMPS, scores, WINDOW, STANDARD)
    curve = dict(nab.threshold_curve([rows], STANDARD))
    assert curve[1.0] == pytest.approx(1.0 + 0.11 * -0.554600, abs=1e-6)
    # Far after the window (row 19: 5 / 4 = 1.25 widths): S(1.25) = -0.996...
    scores[15], scores[19] = 0.0, 1.0
    rows = nab.sweep_rows("f.csv", STAMPS, scores, WINDOW, STANDARD)
    curve = dict(nab.threshold_curve([rows], STANDARD))
    assert curve[1.0] == pytest.approx(1.0 + 0.11 * s_hand(1.25))


def test_probation_is_ignored() -> None:
    # Rows 0-2 are probation: a detection there is neither an FP nor anything else.
    assert raw_at_one({1: 1.0, 10: 1.0}) == pytest.approx(1.0)
    scores = [0.0] * N_ROWS
    scores[1] = 1.0
    rows = nab.sweep_rows("f.csv", STAMPS, scores, WINDOW, STANDARD)
    assert len(rows.scores) == N_ROWS - 3
    curve = dict(nab.threshold_curve([rows], STANDARD))
    assert 1.0 not in curve  # row 1's score is not even a candidate threshold
    # Threshold 0 detects rows 3-19: 7 far FPs, the window at its left edge, 5 FPs after.
    assert curve[0.0] == pytest.approx(1.0 - 7 * 0.11 + AFTER)


def test_threshold_sweep_picks_the_best() -> None:
    # Window row 12 scores 0.6; FPs at rows 4 (0.9) and 6 (0.5).
    scores = [0.0] * N_ROWS
    scores[4], scores[6], scores[12] = 0.9, 0.5, 0.6
    rows = nab.sweep_rows("f.csv", STAMPS, scores, WINDOW, STANDARD)
    curve = nab.threshold_curve([rows], STANDARD)
    tp = s_hand(-0.6) / s_hand(-1.0)
    assert curve[0] == (1.1, -1.0)
    assert [t for t, _ in curve[:4]] == [1.1, 0.9, 0.6, 0.5]
    assert curve[1][1] == pytest.approx(-1.0 - 0.11)
    assert curve[2][1] == pytest.approx(tp - 0.11)
    assert curve[3][1] == pytest.approx(tp - 0.22)
    threshold, raw = nab.best_threshold([rows], STANDARD)
    assert threshold == 0.6
    assert raw == pytest.approx(tp - 0.11)


def test_ties_keep_the_highest_threshold() -> None:
    # Rows 12 (0.6) and 13 (0.5) are both in the window: thresholds 0.6 and 0.5 tie,
    # NAB keeps the first one of its sweep, the highest.
    scores = [0.0] * N_ROWS
    scores[12], scores[13] = 0.6, 0.5
    rows = nab.sweep_rows("f.csv", STAMPS, scores, WINDOW, STANDARD)
    curve = dict(nab.threshold_curve([rows], STANDARD))
    assert curve[0.6] == curve[0.5]
    threshold, raw = nab.best_threshold([rows], STANDARD)
    assert threshold == 0.6
    assert raw == pytest.approx(s_hand(-0.6) / s_hand(-1.0))


def test_corpus_sums_files_and_normalises(tmp_path: Path) -> None:
    labels = {
        "data/a.csv": [["1970-01-01 00:10:00", "1970-01-01 00:14:00"]],
        "data/b.csv": [["1970-01-01 00:10:00", "1970-01-01 00:14:00"]],
    }
    profiles = {"standard": {"CostMatrix": STANDARD}, "reward_low_FN_rate": {"CostMatrix": LOW_FN}}
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    (tmp_path / "profiles.json").write_text(json.dumps(profiles))
    results = tmp_path / "results" / "data"
    results.mkdir(parents=True)
    for name, hit in (("a.csv", 10), ("b.csv", None)):
        lines = ["timestamp,value,anomaly_score"]
        for i in range(N_ROWS):
            lines.append(f"1970-01-01 00:{i:02d}:00,1,{1.0 if i == hit else 0.0}")
        (results / name).write_text("\n".join(lines) + "\n")
    out = nab.score_corpus(
        tmp_path / "results", tmp_path / "labels.json", tmp_path / "profiles.json"
    )
    # a: +1 (left edge), b: -1 (miss): raw 0; null -2, perfect 2 -> 50.
    norm, raw, threshold = out["standard"]
    assert raw == pytest.approx(0.0)
    assert norm == pytest.approx(50.0)
    assert threshold == 1.0
    # Low FN: threshold 1 gives a +1, b -2 = -1; threshold 0 detects every row of both
    # files: each catches its window at the left edge (+1) and pays 7 far FPs and the
    # 5 rows after its window: 2 * (1 - 0.77 + AFTER) = -0.517, the better one.
    norm, raw, threshold = out["reward_low_FN_rate"]
    assert threshold == 0.0
    assert raw == pytest.approx(2 * (1.0 - 7 * 0.11 + AFTER))
    assert norm == pytest.approx(100.0 * (raw + 4.0) / 6.0)


def test_stream_scores_writes_the_anomaly_ranking_by_default() -> None:
    # Two days of a steady 5-minute series, then a burst: the rows carry the
    # detector's anomaly_score (or, on request, its onset score), causally.
    from detectors.volume import VolumeDetector

    n = 2 * 288 + 24
    stamps = [
        f"2015-03-{1 + i // 288:02d} {i % 288 // 12:02d}:{i % 12 * 5:02d}:00" for i in range(n)
    ]
    values = [10.0 + (i % 7) for i in range(n - 24)] + [60.0] * 24
    written = list(nab.stream_scores(stamps, values, bin_ms=300_000))
    onset = list(nab.stream_scores(stamps, values, bin_ms=300_000, score="score"))
    det = VolumeDetector(bin_ms=300_000)
    anomaly, scores = [], []
    for stamp, value in zip(stamps, values, strict=True):
        det.update(value, end_ms=nab.parse_timestamp_ms(stamp) + 300_000)
        anomaly.append(det.anomaly_score)
        scores.append(det.score)
    assert written == anomaly
    assert onset == scores
    assert max(written[-24:]) > 0.0


def test_stream_scores_rejects_an_unknown_score() -> None:
    with pytest.raises(ValueError, match="score='zscore' is not valid"):
        list(nab.stream_scores(["2015-03-01 00:00:00"], [1.0], bin_ms=300_000, score="zscore"))
