"""Detection quality on every bundled drill, offline, with the worker's own code.

    python benchmarks/drills.py [--seed N] [--seeds K] [--scenario NAME ...]
        [--settings FILE] [--sentiment NOISE,ERRORS | --sentiment omit]

Each scenario is generated (seeded), framed as producers frame it and run
through :class:`streams.processor.Processor` (decoding, scoring, windows,
detectors, fusion; only Kafka is left out). The debrief compares the level
changes with the drill's ground truth (see :mod:`streams.drills.debrief`).
Every scenario is generated with ``K`` seeds (``N`` to ``N + K - 1``): one seed
gives nine crisis events, too few for a median to mean much. Two delays are
reported per event: from onset to the first level of 2 or more (the alert) and
to the event's deserved level, both at the end of the bin that changed the
level. A third says when that first alert can leave: a bin closes once its
brand's newest mention is dated ``grace_ms`` past its end, so the alert goes out
when that mention arrives (the drill's arrival times include each mention's
lateness); a live worker adds its processing, about a second.
Prints a table per scenario and seed, a summary, and as its last line one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.closing import BinClosing
from streams.drills import generate_arrivals, ground_truth, list_scenarios, load_scenario
from streams.drills.debrief import WEEK_MS, Debrief, debrief, format_debrief
from streams.drills.model import Sentiment
from streams.drills.offline import run_offline
from streams.settings import load_settings


class Closing:
    """The drill's arrivals as they pass into the run, and when each crisis event's
    first alert could leave (see :mod:`benchmarks.closing`)."""

    def __init__(self, *, grace_ms: int) -> None:
        self._closing = BinClosing(grace_ms=grace_ms)

    def record(self, pairs: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """Pass the mentions on, noting arrival and event times."""
        for arrival, mention in pairs:
            self._closing.note(mention["brand"], mention["ts"], arrival)
            yield mention

    def sent_delays_min(self, d: Debrief) -> list[float]:
        """Per crisis event raised to alert: onset to the arrival of the mention
        that closed the alert's bin (0 for an event that began at alert already)."""
        out = []
        for o in d.from_calm:  # an event that began at alert level has nothing to send
            if o.delay_alert_min is None:
                continue
            end_ms = o.event.onset_ms + round(o.delay_alert_min * 60_000)
            at = self._closing.closed_at(o.event.brand, end_ms)
            if at is not None:
                out.append((at - o.event.onset_ms) / 60_000)
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="first seed")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per scenario")
    parser.add_argument("--scenario", action="append", default=None, help="default: all")
    parser.add_argument("--settings", default=None, help="YAML settings file")
    parser.add_argument(
        "--sentiment",
        default=None,
        metavar="NOISE,ERRORS",
        help="upstream sentiment of every scenario: Gaussian noise and share of random "
        "scores (default: each scenario's, 0.15,0.05 unless it says; 'omit': none, the "
        "built-in scorer reads the texts)",
    )
    args = parser.parse_args(argv)
    sentiment = _sentiment_override(parser, args.sentiment)
    settings = load_settings(args.settings)
    names = args.scenario or list_scenarios()
    all_outcomes = []
    false_alarms = 0
    watch_alarms = 0
    calm_ms = 0
    total_mentions = 0
    started = time.perf_counter()
    seeds = list(range(args.seed, args.seed + args.seeds))
    by_seed: dict[int, list[float]] = {}
    sent: list[float] = []
    for seed in seeds:
        for name in names:
            scenario = load_scenario(name)
            if sentiment is not None:
                scenario = dataclasses.replace(scenario, sentiment=sentiment)
            truth = ground_truth(scenario)
            closing = Closing(grace_ms=settings.grace_ms)
            run = run_offline(
                closing.record(generate_arrivals(scenario, seed=seed)), settings=settings
            )
            d = debrief(
                truth,
                run.changes,
                brands=[b.name for b in scenario.brands],
                start_ms=scenario.start_ms,
                end_ms=scenario.end_ms,
            )
            total_mentions += run.mentions
            title = f"\n== {name}, seed {seed}: {run.mentions:,} mentions, late {run.late}"
            print(format_debrief(d, title=title))
            all_outcomes += d.events
            sent += closing.sent_delays_min(d)
            by_seed.setdefault(seed, []).extend(d.delays_min)
            false_alarms += len(d.false_alarms)
            watch_alarms += len(d.watch_alarms)
            calm_ms += d.calm_brand_ms
    elapsed = time.perf_counter() - started
    crisis = [o for o in all_outcomes if o.detected is not None]
    # Delays of the events that began below alert: a surge within a crisis already
    # paged is detected at delay 0, which says nothing of detection speed.
    from_calm = [o for o in crisis if not o.began_raised]
    delays = [o.delay_min for o in from_calm if o.delay_min is not None]
    to_alert = [o.delay_alert_min for o in from_calm if o.delay_alert_min is not None]
    after = [o.alert_after_end_min for o in crisis if o.alert_after_end_min is not None]
    weeks = calm_ms / WEEK_MS
    by_level: dict[int, list[bool]] = {}
    for o in crisis:
        by_level.setdefault(o.event.level, []).append(bool(o.detected))
    summary = {
        "scenarios": len(names),
        "seeds": len(seeds),
        "crisis_events": len(crisis),
        "crisis_detected_share": round(sum(bool(o.detected) for o in crisis) / len(crisis), 3)
        if crisis
        else None,
        "detected_share_by_level": {
            str(k): round(sum(v) / len(v), 3) for k, v in sorted(by_level.items())
        },
        "crisis_missed": sum(not o.detected for o in crisis),
        "crisis_events_begun_at_alert": len(crisis) - len(from_calm),
        "median_delay_to_alert_min": round(statistics.median(to_alert), 1) if to_alert else None,
        "median_delay_to_alert_sent_min": round(statistics.median(sent), 1) if sent else None,
        "reached_deserved_level": len(delays),
        "median_delay_min": round(statistics.median(delays), 1) if delays else None,
        "median_delay_min_by_seed": [
            round(statistics.median(by_seed[k]), 1) if by_seed.get(k) else None for k in seeds
        ],
        "worst_delay_min": round(max(delays), 1) if delays else None,
        "median_alert_after_end_min": round(statistics.median(after), 1) if after else None,
        "worst_alert_after_end_min": round(max(after), 1) if after else None,
        "stuck_at_alert": sum(o.stuck for o in crisis),
        "false_alarms": false_alarms,
        "calm_brand_weeks": round(weeks, 2),
        "false_alarms_per_brand_week": round(false_alarms / weeks, 3) if weeks else None,
        "false_alarms_per_brand_4w": round(4 * false_alarms / weeks, 3) if weeks else None,
        "positive_spikes_raised": sum(o.wrongly_raised for o in all_outcomes),
        "watch_outside_events_per_brand_week": round(watch_alarms / weeks, 3) if weeks else None,
        "mentions": total_mentions,
        "seconds": round(elapsed, 1),
    }
    print("\n== summary")
    for key, value in summary.items():
        print(f"{key:<28} {value}")
    print(json.dumps(summary))
    return 0


def _sentiment_override(parser: argparse.ArgumentParser, text: str | None) -> Sentiment | None:
    """``--sentiment``: ``omit``, or ``NOISE,ERRORS`` for upstream scores."""
    if text is None:
        return None
    if text == "omit":
        return Sentiment(mode="omit", noise=0.0, errors=0.0)
    try:
        noise, errors = (float(x) for x in text.split(","))
    except ValueError:
        parser.error(f"--sentiment {text!r}: valid values: omit, or NOISE,ERRORS")
    if not (0.0 <= noise <= 1.0 and 0.0 <= errors <= 1.0):
        parser.error(f"--sentiment {text!r}: NOISE and ERRORS lie in [0, 1]")
    return Sentiment(mode="fill", noise=noise, errors=errors)


if __name__ == "__main__":
    sys.exit(main())
