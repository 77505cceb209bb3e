"""``tocsin replay``: rerun the detectors over an archived stream with other settings.

After a crisis, the team asks what other thresholds would have done. Replay
reads mentions from a JSON-lines file (an export of the mentions topic, a drill
export), runs them offline through the worker's own processing with the given
settings, and prints the incidents they would have raised next to the ones
recorded at the time (an archive of the topics, the live topics, or a drill's
ground truth when the file has one beside it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import msgspec

from streams.alerts import ms_of, rfc3339
from streams.codec import DECODE_ERRORS, repair_surrogates
from streams.drills.offline import run_offline
from streams.settings import Settings

__all__ = ["IncidentSummary", "compare", "read_mentions", "replay", "summarise"]

_LEVELS = ("calm", "watch", "alert", "crisis")


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """An incident in a few figures."""

    incident_id: str
    brand: str
    opened_ms: int
    resolved_ms: int | None
    peak_level: int
    acknowledged: bool
    responses: list[str]  # verdicts


def read_mentions(path: str | Path) -> Iterator[Any]:
    """Mentions of a JSON-lines file, in file order (objects, or arrays of them).

    A line that is not JSON comes as its text, a row that is not a mention: the
    replay refuses it, as a worker refuses what is not a mention, and goes on.
    """
    decode = msgspec.json.Decoder().decode
    with Path(path).open("rb") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                doc = decode(line)
            except DECODE_ERRORS:
                try:  # half an emoji (a lone surrogate escape) reads as U+FFFD, as in a worker
                    doc = decode(repair_surrogates(line))
                except DECODE_ERRORS:
                    yield line.decode("utf-8", "replace").strip()
                    continue
            if isinstance(doc, list):
                yield from doc
            else:
                yield doc


def _ms(text: str | None) -> int | None:
    return ms_of(text) if text else None


def summarise(events: Iterable[dict[str, Any]]) -> list[IncidentSummary]:
    """One summary per incident id, from incident events."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    seen: set[str] = set()
    for e in events:
        event_id = e.get("event_id")
        if event_id in seen:  # delivered twice (after a crash): one event
            continue
        if event_id is not None:
            seen.add(event_id)
        by_id.setdefault(e["incident_id"], []).append(e)
    out = []
    for incident, evs in by_id.items():
        # Acknowledgements are dated by the clock of whoever sent them, not by event
        # time: the latest event may be an ack whose snapshot predates the resolution.
        resolved = [ms for e in evs if (ms := _ms(e.get("resolved_at"))) is not None]
        opened = [ms for e in evs if (ms := _ms(e.get("opened_at"))) is not None]
        out.append(
            IncidentSummary(
                incident_id=incident,
                brand=evs[0]["brand"],
                opened_ms=min(opened, default=0),
                resolved_ms=max(resolved, default=None),
                peak_level=max(e["peak_level"] for e in evs),
                acknowledged=any(e["acknowledged"] for e in evs),
                responses=[e["response"]["verdict"] for e in evs if e.get("response")],
            )
        )
    return sorted(out, key=lambda s: (s.brand, s.opened_ms))


def compare(
    replayed: list[IncidentSummary], recorded: list[IncidentSummary]
) -> list[tuple[IncidentSummary | None, IncidentSummary | None]]:
    """Pair incidents of the same brand whose spans overlap; the rest stand alone."""
    pairs: list[tuple[IncidentSummary | None, IncidentSummary | None]] = []
    left = list(recorded)
    for r in replayed:
        end = r.resolved_ms or 2**62
        match = next(
            (
                x
                for x in left
                if x.brand == r.brand
                and x.opened_ms <= end
                and r.opened_ms <= (x.resolved_ms or 2**62)
            ),
            None,
        )
        if match is not None:
            left.remove(match)
        pairs.append((r, match))
    pairs += [(None, x) for x in left]
    return sorted(pairs, key=lambda p: min(s.opened_ms for s in p if s is not None))


def _cell(s: IncidentSummary | None) -> str:
    if s is None:
        return f"{'-':<64}"
    until = rfc3339(s.resolved_ms)[:16] if s.resolved_ms else "open"
    responses = ",".join(s.responses) or "-"
    return (
        f"{rfc3339(s.opened_ms)[:16]} -> {until:<16} {_LEVELS[s.peak_level]:<7} {responses:<10}"
    )[:64].ljust(64)


def replay(
    path: str | Path,
    settings: Settings,
    *,
    recorded: list[IncidentSummary] | None,
    truth: list[dict[str, Any]] | None = None,
    out: TextIO,
) -> list[IncidentSummary]:
    """Replay ``path``; print the incidents side by side with ``recorded``; return them."""
    run = run_offline(read_mentions(path), settings=settings)
    replayed = summarise(run.incident_events)
    print(
        f"replayed {run.mentions:,} mentions ({run.late:,} late, {run.invalid:,} refused): "
        f"{len(replayed)} incidents, {len(run.alerts)} level changes",
        file=out,
    )
    print(
        f"{'brand':<18} {'replayed (opened -> resolved UTC, peak, responses)':<64}  recorded",
        file=out,
    )
    for mine, theirs in compare(replayed, recorded or []):
        brand = (mine or theirs).brand  # type: ignore[union-attr]
        print(
            f"{brand:<18} {_cell(mine)}  {_cell(theirs) if recorded is not None else ''}", file=out
        )
    if truth:
        print("\nground truth of the drill:", file=out)
        for t in truth:
            print(
                f"  {t['brand']:<18} {t['id']:<24} {t['kind']:<9} deserved "
                f"{_LEVELS[t['level']]:<7} onset {rfc3339(t['onset_ms'])[:16]}",
                file=out,
            )
    return replayed


def truth_beside(path: str | Path) -> list[dict[str, Any]] | None:
    """The ground truth written beside a drill export, if any."""
    from streams.drills import truth_path_for

    truth_path = truth_path_for(path)
    if not truth_path.exists():
        return None
    doc = json.loads(truth_path.read_text(encoding="utf-8"))
    events = doc.get("events", doc) if isinstance(doc, dict) else doc
    return list(events)
