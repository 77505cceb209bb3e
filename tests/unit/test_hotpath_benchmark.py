"""benchmarks/hotpath.py runs end to end on a small input (figures are not checked: a
benchmark measures, it does not pass or fail)."""

from __future__ import annotations

import gc
import importlib.util
import json
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "hotpath.py"


def test_the_hot_path_benchmark_runs_and_both_sides_see_the_same_bins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("tocsin_benchmarks_hotpath", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    cols = module.synthesize(20_000, 20, 20.0, late_share=0.05, seed=3)
    _, info = module.run_tocsin(module.processing_batches(cols, 5_000), 20)
    # the per-mention baseline closes the same bins and drops the same late mentions
    _, brands = module.run_per_mention(cols, 20)
    assert sum(x.late for x in brands.values()) == info["late"]
    assert sum(x.closed for x in brands.values()) == info["closed_bins"]

    thresholds = gc.get_threshold()
    try:  # main() applies the worker's collector policy to its process: undo it
        assert module.main(["--mentions", "20000", "--brands", "20", "--take", "5000"]) == 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["mentions"] == 20_000
    assert {"mentions_per_s", "ratio_to_per_mention_python", "state_bytes_per_brand"} <= set(result)
