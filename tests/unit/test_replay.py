"""Replay: other settings over an archived stream, side by side with what was recorded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streams.archive import ArchiveLine, read_archive, write_archive
from streams.drills import export, load_scenario
from streams.drills.offline import run_offline
from streams.replay import IncidentSummary, compare, read_mentions, summarise
from tests.unit.test_report import make_records

ROOT = Path(__file__).resolve().parents[2]
H = 3_600_000


def summary(brand: str, opened: int, resolved: int | None) -> IncidentSummary:
    return IncidentSummary(f"INC-{brand}-{opened}", brand, opened, resolved, 2, False, [])


def test_compare_pairs_overlapping_incidents_of_the_same_brand() -> None:
    replayed = [summary("acme", 10 * H, 12 * H), summary("acme", 30 * H, None)]
    recorded = [summary("acme", 11 * H, 13 * H), summary("globex", 10 * H, 11 * H)]
    pairs = compare(replayed, recorded)
    assert (replayed[0], recorded[0]) in pairs
    assert (replayed[1], None) in pairs and (None, recorded[1]) in pairs


def test_replay_with_stricter_settings_from_an_export(tmp_path: Path) -> None:
    path = tmp_path / "recall.jsonl"
    export(load_scenario("product-recall"), path, seed=3)
    recorded = run_offline(read_mentions(path))
    archive = tmp_path / "recorded.jsonl"
    write_archive(
        archive,
        (ArchiveLine(topic="incidents", key=e["brand"], value=e) for e in recorded.incident_events),
    )
    assert summarise(read_archive(archive).incidents)
    settings = tmp_path / "strict.yaml"
    settings.write_text("fusion_alert_tone: 0.999\nfusion_crisis_tone: 0.9999\n")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.cli",
            "replay",
            str(path),
            "--settings",
            str(settings),
            "--recorded",
            str(archive),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "laiterie-dupre" in out and "ground truth of the drill" in out
    lines = [line for line in out.splitlines() if line.startswith("laiterie-dupre")]
    assert lines and all(line.count("->") >= 1 for line in lines)


def test_a_file_with_text_timestamps_and_bad_rows_replays(tmp_path: Path) -> None:
    """RFC 3339 timestamps are valid mentions; rows that are not mentions are refused,
    as the worker refuses them, instead of stopping the replay."""
    good = '"text":"hello","platform":"x","author":{"id":"u","followers":3}'
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        f'{{"id":"1","brand":"acme","ts":"2026-01-01T10:00:00Z",{good}}}\n'
        f'{{"id":"2","brand":"acme","ts":1767261660000,{good}}}\n'
        "42\n"
        f'[{{"id":"3","ts":"not a time",{good}}},'
        f' {{"id":"4","brand":"acme","ts":"2026-01-01T10:02:00+00:00",{good}}}]\n'
    )
    run = run_offline(read_mentions(path))
    assert (run.mentions, run.invalid) == (3, 2)


def test_a_line_that_is_not_json_is_refused_and_the_replay_goes_on(tmp_path: Path) -> None:
    good = '"text":"hello","platform":"x","author":{"id":"u","followers":3}'
    path = tmp_path / "f.jsonl"
    path.write_text(
        f'{{"id":"1","brand":"acme","ts":"2026-01-01T10:00:00Z",{good}}}\n'
        "not json\n"
        f'{{"id":"2","brand":"acme","ts":"2026-01-01T10:01:00Z",{good}}}\n'
    )
    run = run_offline(read_mentions(path))
    assert (run.mentions, run.invalid) == (2, 1)


def test_half_an_emoji_replays_as_a_worker_reads_it(tmp_path: Path) -> None:
    """A lone surrogate escape (a text cut in the middle of an emoji) reads as U+FFFD,
    alone or in an array, as the worker reads it."""
    rest = '"platform":"x","author":{"id":"u","followers":3}'
    cut = '"text":"cut \\ud83d"'
    path = tmp_path / "f.jsonl"
    path.write_text(
        f'{{"id":"1","brand":"acme","ts":"2026-01-01T10:00:00Z",{cut},{rest}}}\n'
        f'[{{"id":"2","brand":"acme","ts":"2026-01-01T10:01:00Z",{cut},{rest}}}]\n'
    )
    mentions = list(read_mentions(path))
    assert [m["text"] for m in mentions] == ["cut \ufffd"] * 2
    run = run_offline(iter(mentions))
    assert (run.mentions, run.invalid) == (2, 0)


def test_summarise_counts_a_redelivered_event_once() -> None:
    """At-least-once delivery: an incident event read twice is one event."""
    events = make_records().incidents
    redelivered = events + [e for e in events if e["type"] == "response_impact"]
    assert [s.responses for s in summarise(redelivered)] == [s.responses for s in summarise(events)]
    assert any(s.responses for s in summarise(events))


def test_an_acknowledgement_dated_after_the_resolution_does_not_reopen_the_incident() -> None:
    """Acks carry their sender's clock: in a drill (dates in the past) every ack comes
    after the resolution, with the incident still open in its snapshot."""
    events = make_records().incidents
    (summary,) = summarise(events)
    assert summary.resolved_ms is not None
    ack = next(e for e in events if e["type"] == "acknowledged")
    late_ack = {**ack, "event_id": "late-ack", "event_time": "2026-03-02T13:30:00Z"}
    (again,) = summarise([*events, late_ack])
    assert (again.resolved_ms, again.opened_ms) == (summary.resolved_ms, summary.opened_ms)
