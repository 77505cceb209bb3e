"""Write a drill to disk: mentions as JSON Lines, ground truth beside them.

``export(scenario, "out/recall.jsonl", seed=7)`` writes ``out/recall.jsonl``
(one mention per line, in arrival order) and ``out/recall.truth.json`` (the
scenario's metadata, the seed, the number of mentions and the labelled
events of :func:`~streams.drills.ground_truth`). No Kafka here: a producer
replays the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from streams.drills.generator import generate
from streams.drills.model import Scenario
from streams.drills.scale import scale_brands
from streams.drills.truth import ground_truth

__all__ = ["ExportResult", "export", "truth_path_for"]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export` wrote."""

    path: Path
    truth_path: Path
    count: int


def truth_path_for(out_path: str | os.PathLike[str]) -> Path:
    """The ground-truth file that goes with an export.

    Examples
    --------
    >>> truth_path_for("runs/recall.jsonl").as_posix()
    'runs/recall.truth.json'
    >>> truth_path_for("runs/recall").as_posix()
    'runs/recall.truth.json'
    """
    path = Path(out_path)
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.name
    return path.with_name(f"{stem}.truth.json")


def _truth_document(
    scenario: Scenario, *, seed: int, count: int, brands: int | None
) -> dict[str, Any]:
    tz = scenario.utc_offset_s
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "source": Path(scenario.source).name,
        "seed": seed,
        "brands_scaled_to": brands,
        "start_ms": scenario.start_ms,
        "end_ms": scenario.end_ms,
        "utc_offset_s": tz,
        "live_from_ms": scenario.playback.live_from_ms,
        "speed": scenario.playback.speed,
        "sentiment": scenario.sentiment.mode,
        "brands": [b.name for b in scenario.brands],
        "mentions": count,
        "levels": {"0": "calm", "1": "watch", "2": "alert", "3": "crisis"},
        "events": [t.to_dict(utc_offset_s=tz) for t in ground_truth(scenario)],
        "responses": [
            {"event": e.id, "id": r.id, "brand": e.brand, "at_ms": r.at_ms, "effect": r.effect}
            for e in scenario.events
            for r in e.responses
        ],
    }


def export(
    scenario: Scenario,
    out_path: str | os.PathLike[str],
    *,
    seed: int,
    brands: int | None = None,
    labels: bool = False,
) -> ExportResult:
    """Generate the drill and write ``FILE.jsonl`` and ``FILE.truth.json``.

    Parameters
    ----------
    scenario
        The drill.
    out_path
        The JSON Lines file to write; its directory is created.
    seed
        Same scenario and seed: byte-identical files.
    brands
        Scale to this many synthetic brands (throughput benchmarks).
    labels
        Add the per-mention answer key (``drill`` field) to each line.

    Returns
    -------
    ExportResult
        The two paths and the number of mentions.

    Examples
    --------
    >>> import tempfile
    >>> from streams.drills import load_scenario
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = export(load_scenario("demo-live"), f"{tmp}/demo.jsonl", seed=3)
    ...     (result.truth_path.name, result.count > 1000)
    ('demo.truth.json', True)
    """
    if brands is not None:
        scenario = scale_brands(scenario, brands=brands)
    path = Path(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.json.Encoder()
    buffer = bytearray()
    count = 0
    with path.open("wb") as out:
        for mention in generate(scenario, seed=seed, labels=labels):
            encoder.encode_into(mention, buffer, -1)
            buffer.extend(b"\n")
            count += 1
            if len(buffer) > 1 << 20:
                out.write(buffer)
                buffer.clear()
        out.write(buffer)
    truth = truth_path_for(path)
    document = _truth_document(scenario, seed=seed, count=count, brands=brands)
    truth.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ExportResult(path=path, truth_path=truth, count=count)
