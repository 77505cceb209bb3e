"""One brand's whole detection state, and its single entry point.

:meth:`BrandState.update` takes a columnar batch of the brand's mentions, puts
them in event-time bins, runs every closed bin through the detectors and the
fusion, and returns the level changes with their explanation. The worker, the
drills, the replays and the benchmarks all go through it; there is no second
implementation of the detection.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from detectors.base import check_positive_int
from detectors.batch import KIND_CODES, MentionBatch
from detectors.bins import (
    AGGRESSIVE,
    COUNT,
    EMPLOYEE,
    NEGATIVE,
    OFFICIAL,
    REACH,
    BinsUpdate,
    EventTimeBins,
    Sample,
)
from detectors.bins import update_many as bins_update_many
from detectors.evolution import EvolutionDetector
from detectors.fusion import LevelFusion, Reason, Scores
from detectors.incidents import (
    Incident,
    IncidentEvent,
    IncidentTracker,
    InsideMonitor,
    OfflineAdvisor,
    ResponseImpact,
    ResponseMonitor,
)
from detectors.terms import top_terms
from detectors.tone import ToneDetector
from detectors.volume import VolumeDetector

__all__ = [
    "ALERT_NAMESPACE",
    "AuthorEvidence",
    "BrandState",
    "DetectionSettings",
    "Evidence",
    "Expectation",
    "LevelChange",
    "MinuteRecord",
    "Signal",
    "StateUpdate",
    "update_many",
]

#: Namespace of the deterministic alert ids (UUID version 5).
ALERT_NAMESPACE: Final = uuid.UUID("6f1d7c1e-3b0a-5c55-9a57-7d2b0c7e1a11")


@dataclass(frozen=True, slots=True)
class DetectionSettings:
    """Every detection parameter a user may set; the same for all brands.

    Parameters
    ----------
    bin_ms, grace_ms
        Event-time bin width and grace period.
    negative_below, aggressive_above
        Per-mention thresholds on sentiment and aggression.
    evidence_bins
        Closed bins whose samples and authors explain an alert.
    fusion
        Thresholds of the level rules.
    resolve_after_ms
        Calm time (below alert) after which an incident is resolved.
    response_window_ms
        Windows before and after an official response that judge its impact.
    """

    bin_ms: int = 60_000
    grace_ms: int = 60_000
    negative_below: float = -0.25
    aggressive_above: float = 0.5
    evidence_bins: int = 15
    fusion: LevelFusion = field(default_factory=LevelFusion)
    resolve_after_ms: int = 60 * 60_000
    response_window_ms: int = 30 * 60_000

    def __post_init__(self) -> None:
        check_positive_int("bin_ms", self.bin_ms)
        check_positive_int("grace_ms", self.grace_ms, minimum=0)
        check_positive_int("evidence_bins", self.evidence_bins)


@dataclass(frozen=True, slots=True)
class Signal:
    """A measured signal behind a level: its value, normal value and alarm threshold."""

    name: str
    value: float
    baseline: float
    threshold: float | None  # None: no value could reach the bar (too few mentions)
    score: float
    unit: str


@dataclass(frozen=True, slots=True)
class AuthorEvidence:
    """An author among the most reaching in the evidence window (estimated from a sample)."""

    author: str
    kind: str
    followers: int
    mentions: int
    reach: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the alert rests on: window, counts, terms, authors and sample mentions."""

    window_start_ms: int
    window_end_ms: int
    mentions: int
    negative: int
    aggressive: int
    employee: int
    official: int
    top_terms: tuple[str, ...]
    top_authors: tuple[AuthorEvidence, ...]
    sample_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A change of crisis level on a closed bin, with its explanation."""

    brand: str
    level: int
    previous_level: int
    bin_start_ms: int
    event_time_ms: int
    signals: tuple[Signal, ...]
    reasons: tuple[Reason, ...]
    evidence: Evidence
    incident_id: str | None = None

    @property
    def alert_id(self) -> str:
        """Deterministic id: the same brand, bin and levels always give the same id."""
        name = f"{self.brand}/{self.event_time_ms}/{self.previous_level}/{self.level}"
        return str(uuid.uuid5(ALERT_NAMESPACE, name))


@dataclass(slots=True)
class StateUpdate:
    """What one update did.

    Mentions accepted and late, bins closed, level changes, incident events, and
    the closed bins themselves (start, sums as in :data:`detectors.bins.FIELDS`,
    the level after each, and top terms of the bins closed at level 1 or more
    or during an incident): the brand's minute-by-minute record.
    """

    accepted: int
    late: int
    closed_bins: int
    changes: list[LevelChange]
    events: list[IncidentEvent] = field(default_factory=list)
    minutes: list[MinuteRecord] = field(default_factory=list)
    #: Mentions left out because the brand already counted their id (a collector
    #: that sends a mention twice), in this batch or in a bin still open.
    repeated: int = 0


@dataclass(frozen=True, slots=True)
class MinuteRecord:
    """One closed bin of the brand, as the record keeps it."""

    start_ms: int
    values: list[float]
    expected: float
    level: int
    incident_id: str | None
    top_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Expectation:
    """A declared window in which a positive spike is expected (a campaign, a launch)."""

    from_ms: int
    to_ms: int
    kind: str


#: An official post up to this long after an incident's resolution still answers it
#: (apologies often come the next morning, after a quiet night).
_RESPONSE_AFTER_MS: Final = 24 * 3_600_000
#: Official posts left waiting for their bin to close after an update, at most.
_OFFICIAL_WAITING: Final = 64
_NO_IDS: Final[npt.NDArray[np.int64]] = np.zeros(0, dtype=np.int64)
#: Mention ids a brand keeps for its open bins, at most (16 bytes each, in memory only).
_HELD_IDS: Final = 4096
#: Mixes a brand's position in a batch into its mentions' id hashes (odd, 64-bit).
_MIX: Final = np.int64(-7046029254386353131)

_KIND_NAMES: Final = ("public", "employee", "official", "media", "unknown")
_OFFICIAL_CODE: Final = KIND_CODES["official"]
#: Mentions per top author below which author concentration is not measured.
_MENTIONS_PER_TOP_AUTHOR: Final = 10


class BrandState:
    """Windows, detectors and level of one brand.

    Parameters
    ----------
    brand
        The brand's name (the Kafka key).
    settings
        Detection parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from detectors.batch import MentionBatch
    >>> rng = np.random.default_rng(3)
    >>> state = BrandState(brand="acme")
    >>> def minute(t0, n, neg, aggr):
    ...     ts = np.sort(t0 + rng.integers(0, 60_000, n))
    ...     return MentionBatch.from_rows(
    ...         ts_ms=ts.tolist(), followers=rng.integers(10, 5000, n).tolist(),
    ...         sentiment=np.where(rng.random(n) < neg, -0.8, 0.3).tolist(),
    ...         aggression=(rng.random(n) < aggr).astype(float).tolist(),
    ...         kind=["public"] * n, ids=[f"{t0}-{i}" for i in range(n)],
    ...         authors=[f"u{j}" for j in rng.integers(0, 500, n)],
    ...         texts=["battery fire recall"] * n)
    >>> t0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000
    >>> changes = []
    >>> for m in range(3 * 24 * 60):                       # three calm days
    ...     batch = minute(t0 + m * 60_000, int(rng.poisson(8)), 0.1, 0.0)
    ...     changes += state.update(batch).changes
    >>> for m in range(3 * 24 * 60, 3 * 24 * 60 + 20):     # then an angry surge
    ...     changes += state.update(minute(t0 + m * 60_000, 80, 0.8, 0.4)).changes
    >>> max(c.level for c in changes)
    3
    >>> changes[-1].evidence.top_terms[:3]
    ('battery', 'fire', 'recall')
    """

    #: Official posts (time, id, text, posts it stands for) whose bin has not closed
    #: yet; a state pickled before they waited for it has none.
    _official: tuple[tuple[int, str, str, int], ...] = ()
    #: Id hashes and times of the mentions counted in the bins still open (a mention
    #: sent again is not counted twice); none in a state pickled before.
    _held_ids: npt.NDArray[np.int64] = _NO_IDS
    _held_ts: npt.NDArray[np.int64] = _NO_IDS

    def __init__(self, *, brand: str, settings: DetectionSettings | None = None) -> None:
        self.brand = brand
        self.settings = settings if settings is not None else DetectionSettings()
        s = self.settings
        self.bins = EventTimeBins(
            bin_ms=s.bin_ms,
            grace_ms=s.grace_ms,
            negative_below=s.negative_below,
            aggressive_above=s.aggressive_above,
            sample_bins=s.evidence_bins,
        )
        # Its threshold (an explanation) is the count at which a bin's onset score
        # reaches the level rules' onset_score.
        self.volume = VolumeDetector(bin_ms=s.bin_ms, alarm_score=s.fusion.onset_score)
        self.tone = ToneDetector()
        self.evolution = EvolutionDetector(bin_ms=s.bin_ms)
        self.fusion = s.fusion.clone()
        self.incidents = IncidentTracker(resolve_after_ms=s.resolve_after_ms)
        self.responses = ResponseMonitor(bin_ms=s.bin_ms, window_ms=s.response_window_ms)
        self.inside = InsideMonitor()
        self.offline = OfflineAdvisor()
        self.expectations: list[Expectation] = []
        # (start, sums) of the last closed bins: the evidence window
        self.recent: deque[tuple[int, list[float]]] = deque(maxlen=s.evidence_bins)
        # The brand's own name says nothing about the crisis: keep it out of top terms.
        words = re.findall(r"[^\W_]+", brand.lower())
        self._brand_words = (brand.lower(), "".join(words), *words, *(f"#{w}" for w in words))
        self._official = ()
        self._last_count = 0.0
        self._last_scores = Scores(
            onset=0.0, elevation=1.0, negative=0.0, aggressive=0.0, growth=0.0
        )

    # -- read-only views -------------------------------------------------------
    @property
    def level(self) -> int:
        """Current crisis level, 0 to 3."""
        return self.fusion.level

    @property
    def scores(self) -> Scores:
        """Scores of the last closed bin."""
        return self._last_scores

    @property
    def signals(self) -> tuple[Signal, ...]:
        """Signals of the last closed bin: value, baseline, threshold and score of each."""
        tone, scores = self.tone, self._last_scores
        elevation = scores.elevation
        return (
            Signal(
                "volume",
                self._last_count,
                self.volume.expected,
                self.volume.threshold,
                scores.onset,
                "mentions per bin",
            ),
            Signal(
                "volume_elevation",
                elevation,
                1.0,
                self.fusion.alert_elevation,
                _over_normal_score(elevation),
                "recent volume over normal",
            ),
            Signal(
                "volume_drift",
                scores.drift,
                1.0,
                self.fusion.alert_elevation,
                _over_normal_score(scores.drift),
                "last hour's volume over the last week's normal",
            ),
            Signal(
                "volume_growth",
                self.evolution.volume.per_hour,
                0.0,
                math.log(2.0) * 60.0 / self.fusion.crisis_doubling_min,
                self.evolution.volume.score,
                "e-folds per hour (0.69: doubling every hour)",
            ),
            Signal(
                "reach_growth",
                self.evolution.reach.per_hour,
                0.0,
                math.log(2.0) * 60.0 / self.fusion.crisis_doubling_min,
                self.evolution.reach.score,
                "e-folds per hour (0.69: doubling every hour)",
            ),
            Signal(
                "negative_share",
                tone.negative.share,
                tone.scored_baseline(tone.negative),
                tone.threshold(tone.negative, score=self.fusion.alert_tone),
                scores.negative,
                "share of recent mentions",
            ),
            Signal(
                "aggressive_share",
                tone.aggressive.share,
                tone.scored_baseline(tone.aggressive),
                tone.threshold(tone.aggressive, score=self.fusion.alert_tone),
                scores.aggressive,
                "share of recent mentions",
            ),
        )

    # -- updates ---------------------------------------------------------------
    def expect(self, expectation: Expectation) -> None:
        """Declare a window in which a positive spike raises no alert (keeps the last 20)."""
        if expectation not in self.expectations:
            self.expectations.append(expectation)
            del self.expectations[:-20]

    def retune(self, fusion: LevelFusion) -> None:
        """Take the level rules' thresholds of ``fusion`` (changed settings), keeping the
        brand's level and its timers; the other detection settings stay the brand's."""
        if self.fusion._get_params() != fusion._get_params():
            self.fusion = self.fusion.retuned(fusion)
        # only what the volume threshold shown in alerts is computed for
        self.volume.alarm_score = fusion.onset_score
        # field by field: settings pickled by an older version may lack a newer field
        kept = {
            f.name: getattr(self.settings, f.name)
            for f in fields(DetectionSettings)
            if f.name != "fusion" and hasattr(self.settings, f.name)
        }
        self.settings = DetectionSettings(**kept, fusion=fusion)

    def acknowledge(self, incident: str, *, by: str, note: str, at_ms: int) -> IncidentEvent | None:
        """Record that someone took an incident in hand."""
        return self.incidents.acknowledge(incident, by=by, note=note, at_ms=at_ms)

    def update(self, batch: MentionBatch) -> StateUpdate:
        """Add the brand's mentions (arrival order); return what changed."""
        return update_many([self], batch, [(0, len(batch))])[0]

    def advance(self, *, watermark_ms: int) -> StateUpdate:
        """Move event time forward without mentions (the brand went quiet)."""
        out = StateUpdate(0, 0, 0, [])
        self.bins.advance(watermark_ms=watermark_ms)
        self._run_closed(self.bins.last_update, out)
        if self._held_ids.size:
            self._hold(self._held_ids, self._held_ts)  # the bins that closed forget theirs
        self._flush_official()
        return out

    def _run_closed(self, result: BinsUpdate, out: StateUpdate) -> None:
        """Run the bins ``result`` closed through the detectors, then let the bins
        drop them (:meth:`EventTimeBins.forget_closed`)."""
        if result.closed_start_ms.size:  # most updates of a busy worker close none
            self._run(result.closed_start_ms, result.closed_values, out)
            self.bins.forget_closed()

    def _note_row(self, batch: MentionBatch, i: int, *, official: bool) -> None:
        """Employee posts are kept as evidence; official posts are responses, which
        wait for their bin to close (:meth:`_release_official`)."""
        if official:
            post = (int(batch.ts_ms[i]), batch.ids[i], batch.texts[i][:280], 1)
            self._official = (*self._official, post)  # sorted when bins close
        else:
            self.inside.add_post(ts_ms=int(batch.ts_ms[i]), mention_id=batch.ids[i])

    def _hold(self, ids: npt.NDArray[np.int64], ts: npt.NDArray[np.int64]) -> None:
        """Keep the ids of the mentions of the open bins, the newest
        ``_HELD_IDS`` at most (a brand in a viral crisis may get more)."""
        watermark = self.bins.watermark_ms
        if watermark is not None:
            bins = self.bins
            still = ts >= (watermark - bins.grace_ms) // bins.bin_ms * bins.bin_ms
            ids, ts = ids[still], ts[still]
        if ids.size > _HELD_IDS:
            newest = np.argpartition(ts, ids.size - _HELD_IDS)[ids.size - _HELD_IDS :]
            ids, ts = ids[newest], ts[newest]
        self._held_ids, self._held_ts = ids, ts

    def __getstate__(self) -> dict[str, Any]:
        """The state as the changelog keeps it, without the ids of the open bins'
        mentions: a record is written after every batch, and must not grow with the
        traffic (after a restart or a rebalance, a mention sent again within the
        grace period may count twice)."""
        state = self.__dict__.copy()
        state.pop("_held_ids", None)
        state.pop("_held_ts", None)
        return state

    def _flush_official(self) -> None:
        """After an update: more than ``_OFFICIAL_WAITING`` official posts still
        waiting for their bins (a flood within the grace period) are kept as the
        first post of each bin and the number of posts it stands for, so that the
        state stays small; posts of one bin are one response (``group_ms``) anyway,
        live or replayed."""
        if len(self._official) > _OFFICIAL_WAITING:
            bin_ms = self.settings.bin_ms
            firsts: dict[int, tuple[int, str, str, int]] = {}
            for post in sorted(self._official):
                known = firsts.get(post[0] // bin_ms)
                if known is None:
                    firsts[post[0] // bin_ms] = post
                else:
                    firsts[post[0] // bin_ms] = (*known[:3], known[3] + post[3])
            self._official = tuple(firsts.values())

    def _release_official(self, end_ms: int) -> None:
        """Hand the official posts dated before ``end_ms`` to the response monitor.

        Held until their bin closes, they meet the incident state of their own
        event time, however the mentions were batched: a statement posted after
        an incident opened is a response of its own, even within ``group_ms`` of a
        holding line posted before (:meth:`ResponseMonitor.seal`).
        """
        keep = []
        for post in self._official:  # in time order
            if post[0] < end_ms:
                at, mention_id, text, posts = post
                self.responses.add_response(
                    response_ms=at, mention_id=mention_id, text=text, posts=posts
                )
            else:
                keep.append(post)
        self._official = tuple(keep)

    def _expected(self, end_ms: int) -> bool:
        return any(e.from_ms < end_ms <= e.to_ms for e in self.expectations)

    def _run(
        self, starts: npt.NDArray[np.int64], values: npt.NDArray[np.float64], out: StateUpdate
    ) -> None:
        volume, tone, evolution, fusion = self.volume, self.tone, self.evolution, self.fusion
        incidents, responses, inside = self.incidents, self.responses, self.inside
        bin_ms = self.settings.bin_ms
        recent = self.recent
        expectations = self.expectations
        if self._official:
            self._official = tuple(sorted(self._official))  # released in time order
        for start, row in zip(starts.tolist(), values.tolist(), strict=True):
            end = start + bin_ms
            count = row[COUNT]
            if self._official:
                self._release_official(end)
            volume.update(count, end_ms=end)
            tone.update(count, row[NEGATIVE], row[AGGRESSIVE], end_ms=end)
            evolution.update(count, row[REACH], end_ms=end)
            scores = Scores(
                onset=volume.score,
                elevation=volume.elevation,
                negative=tone.negative.score,
                aggressive=tone.aggressive.score,
                growth=evolution.volume.per_hour,
                drift=volume.drift,
            )
            fusion.update(scores, end_ms=end, expected=bool(expectations) and self._expected(end))
            self._last_count, self._last_scores = count, scores
            recent.append((start, row))
            level = fusion.level
            if fusion.changed or incidents.current is not None:
                incidents.update(
                    self.brand, level=level, previous_level=fusion.previous_level, end_ms=end
                )
                if any(e.type == "opened" for e in incidents.events):
                    self.offline.reset()  # its hold counts within one incident
                    responses.seal(at_ms=end)
                out.events += incidents.events
            responses.update(
                end_ms=end,
                count=count,
                negative=row[NEGATIVE],
                aggressive=row[AGGRESSIVE],
                employee=row[EMPLOYEE],
                expected=volume.expected,
            )
            inside.update(employee=row[EMPLOYEE], end_ms=end)
            if responses.judged:
                out.events += self._impacts(responses.judged, end)
            current = incidents.current
            if current is not None:
                out.events += self._watch_incident(current, end)
            if fusion.changed:
                out.changes.append(self._change(start, end))
            incident = current.id if current is not None else None
            terms: tuple[str, ...] = ()
            if count and (level or incident):
                terms = tuple(
                    self._terms(self.bins.samples(start_ms=start, end_ms=end), [(start, row)])
                )
            out.minutes.append(
                MinuteRecord(start, row, volume.expected, level, incident, terms[:5])
            )
            out.closed_bins += 1

    def _incident_at(self, t_ms: int) -> Incident | None:
        """The incident a response at ``t_ms`` answers: open then, or resolved within a day."""
        tracker = self.incidents
        for inc in reversed([*tracker.past, *([tracker.current] if tracker.current else [])]):
            if inc.opened_ms <= t_ms and (
                inc.resolved_ms is None or t_ms <= inc.resolved_ms + _RESPONSE_AFTER_MS
            ):
                return inc
        return None

    def _impacts(self, impacts: Sequence[ResponseImpact], end: int) -> list[IncidentEvent]:
        events = []
        for impact in impacts:
            inc = self._incident_at(impact.response_ms)
            if inc is None:  # official posts outside incidents are ordinary communication
                continue
            inc.responses += 1
            events.append(
                IncidentEvent(
                    type="response_impact",
                    incident_id=inc.id,
                    brand=self.brand,
                    event_time_ms=end,
                    level=self.fusion.level,
                    previous_level=self.fusion.level,
                    incident=inc.snapshot(),
                    details={"key": impact.response_id, "response": impact},
                )
            )
        return events

    def _watch_incident(self, inc: Incident, end: int) -> list[IncidentEvent]:
        events = []
        window = self.settings.response_window_ms
        if not inc.inside_flagged and self.inside.rising:
            inc.inside_flagged = True
            c, _, _, e = self.responses.recent_sums(end_ms=end, window_ms=window)
            events.append(
                self._incident_event(
                    inc,
                    "inside_rising",
                    end,
                    employee_posts=self.inside.recent_posts,
                    expected_posts=round(self.inside.expected_posts, 2),
                    employee_share=round(e / c, 4) if c else 0.0,
                    employee_mention_ids=[
                        i for t, i in self.inside.ids if t >= inc.opened_ms - window
                    ][-10:],
                )
            )
        if not inc.offline_flagged and inc.responses:
            c, _, a, _ = self.responses.recent_sums(end_ms=end, window_ms=window)
            share = a / c if c else 0.0
            concentration = 0.0
            if share >= self.offline.aggressive_share:
                concentration = self._author_concentration(end)
            offline = self.offline
            offline.update(
                responses=inc.responses,
                aggressive_share=share,
                concentration=concentration,
                end_ms=end,
            )
            if offline.advised:
                inc.offline_flagged = True
                events.append(
                    self._incident_event(
                        inc, "offline_recommended", end, reasons=list(offline.reasons)
                    )
                )
        return events

    def _incident_event(
        self, inc: Incident, kind: str, end: int, **details: object
    ) -> IncidentEvent:
        return IncidentEvent(
            type=kind,  # type: ignore[arg-type]
            incident_id=inc.id,
            brand=self.brand,
            event_time_ms=end,
            level=self.fusion.level,
            previous_level=self.fusion.level,
            details=details,
            incident=inc.snapshot(),
        )

    # -- explanations ----------------------------------------------------------
    def _change(self, start: int, end: int) -> LevelChange:
        return LevelChange(
            brand=self.brand,
            level=self.fusion.level,
            previous_level=self.fusion.previous_level,
            bin_start_ms=start,
            event_time_ms=end,
            signals=self.signals,
            reasons=self.fusion.reasons,
            evidence=self._evidence(end),
            incident_id=self.incidents.current.id if self.incidents.current else None,
        )

    def _terms(self, samples: list[Sample], window: list[tuple[int, list[float]]]) -> list[str]:
        """Top terms, each sampled text weighted by the mentions of its bin it stands for."""
        return top_terms(
            (s.text for s in samples),
            k=10,
            exclude=self._brand_words,
            weights=_sample_weights(samples, window),
        )

    def _author_concentration(self, end: int) -> float:
        """Share of the last ``evidence_bins`` bins' mentions by the most active authors.

        Estimated from the uniform sample of mentions (each weighted by the mentions of its
        bin it stands for), not from the authors by reach: the accounts that pile on (trolls,
        bots) often reach few people. The brand's own official posts do not count. Under
        ``_MENTIONS_PER_TOP_AUTHOR`` mentions per top author the share says nothing (five
        authors always write half of ten mentions): 0.
        """
        start = end - self.settings.evidence_bins * self.settings.bin_ms
        samples = self.bins.samples(start_ms=start, end_ms=end)
        by_author: dict[str, float] = {}
        total = 0.0
        for sample, weight in zip(samples, _sample_weights(samples, self.recent), strict=True):
            if sample.kind != _OFFICIAL_CODE:
                by_author[sample.author] = by_author.get(sample.author, 0.0) + weight
                total += weight
        k = self.offline.top_authors
        if total < _MENTIONS_PER_TOP_AUTHOR * k:
            return 0.0
        return sum(sorted(by_author.values(), reverse=True)[:k]) / total

    def _evidence(self, end: int) -> Evidence:
        window = list(self.recent)
        # exactly the last evidence_bins bins: what the bins keep samples of, however batched
        start = end - self.settings.evidence_bins * self.settings.bin_ms
        sums = (
            [sum(row[i] for _, row in window) for i in range(len(window[0][1]))] if window else []
        )

        def total(field: int) -> int:
            return int(sums[field]) if sums else 0

        samples = self.bins.samples(start_ms=start, end_ms=end)
        if self.fusion.level >= 2:
            samples.sort(key=lambda s: not (s.negative or s.aggressive))  # stable: recent first
        authors = self.bins.top_authors(start_ms=start, end_ms=end, k=5)
        return Evidence(
            window_start_ms=start,
            window_end_ms=end,
            mentions=total(COUNT),
            negative=total(NEGATIVE),
            aggressive=total(AGGRESSIVE),
            employee=total(EMPLOYEE),
            official=total(OFFICIAL),
            top_terms=tuple(self._terms(samples, window)),
            top_authors=tuple(
                AuthorEvidence(
                    author=a.author,
                    kind=_KIND_NAMES[a.kind],
                    followers=a.followers,
                    mentions=round(a.count),
                    reach=round(a.reach),
                )
                for a in authors
            ),
            sample_ids=tuple(s.id for s in samples[:10]),
        )


def _over_normal_score(ratio: float) -> float:
    """A volume ratio to normal as a score in [0, 1): 0 up to normal, 0.5 at twice it."""
    return max(0.0, 1.0 - 1.0 / ratio) if ratio > 0 else 0.0


def _sample_weights(
    samples: Sequence[Sample], window: Iterable[tuple[int, list[float]]]
) -> list[float]:
    """How many of its bin's mentions each sampled mention stands for."""
    count = {start: row[COUNT] for start, row in window}
    drawn: dict[int, int] = {}
    for s in samples:
        drawn[s.bin_start_ms] = drawn.get(s.bin_start_ms, 0) + 1
    return [count.get(s.bin_start_ms, 0.0) / drawn[s.bin_start_ms] for s in samples]


def update_many(
    states: Sequence[BrandState], batch: MentionBatch, bounds: Sequence[tuple[int, int]]
) -> list[StateUpdate]:
    """Update several brands at once: ``batch[lo:hi]`` are the mentions of ``states[k]``.

    The per-mention work is done once over the whole batch (numpy); what remains
    in Python runs per brand and per closed bin. All states must share their
    settings. The worker, the
    replays and the benchmarks all come here; ``BrandState.update`` is this with
    one brand. A mention whose id its brand already counted, earlier in the batch or
    in a bin still open, is left out (:attr:`StateUpdate.repeated`); one for a bin
    already closed is late anyway.
    """
    batch, bounds, repeated = _without_repeats(states, batch, bounds)
    results = _update_many(states, batch, bounds)
    for state, out, n in zip(states, results, repeated, strict=True):
        out.repeated = n
        state._flush_official()
    return results


def _without_repeats(
    states: Sequence[BrandState], batch: MentionBatch, bounds: Sequence[tuple[int, int]]
) -> tuple[MentionBatch, Sequence[tuple[int, int]], list[int]]:
    """The batch without the mentions whose id their brand already counted, the new
    bounds, and how many each brand lost."""
    n = len(batch)
    if not n:
        return batch, bounds, [0] * len(states)
    seg = np.full(n, -1, dtype=np.int64)
    mix = np.arange(len(bounds), dtype=np.int64) * _MIX  # arrays wrap silently
    held = []
    for k, (lo, hi) in enumerate(bounds):
        seg[lo:hi] = k
        ids = states[k]._held_ids
        if ids.size and hi > lo:
            held.append(ids ^ mix[k])
    key = batch.id_hash ^ (seg * _MIX)  # an id of one brand, not of another
    _, first = np.unique(key, return_index=True)
    if first.size == n and not held:
        return batch, bounds, [0] * len(states)
    keep = np.zeros(n, dtype=np.bool_)
    keep[first] = True
    if held:
        keep &= ~np.isin(key, np.concatenate(held))
    if keep.all():
        return batch, bounds, [0] * len(states)
    before = np.concatenate(([0], np.cumsum(keep)))  # kept rows before each position
    new_bounds = [(int(before[lo]), int(before[hi])) for lo, hi in bounds]
    lost = [(hi - lo) - (b - a) for (lo, hi), (a, b) in zip(bounds, new_bounds, strict=True)]
    return batch.take(np.flatnonzero(keep)), new_bounds, lost


def _hold_ids(
    states: Sequence[BrandState],
    batch: MentionBatch,
    bounds: Sequence[tuple[int, int]],
    late: npt.NDArray[np.bool_],
) -> None:
    """Note the ids of the mentions the bins accepted; forget those of closed bins."""
    for state, (lo, hi) in zip(states, bounds, strict=True):
        if hi > lo:
            ok = ~late[lo:hi]
            ids = np.concatenate((state._held_ids, batch.id_hash[lo:hi][ok]))
            ts = np.concatenate((state._held_ts, batch.ts_ms[lo:hi][ok]))
            state._hold(ids, ts)


def _update_many(
    states: Sequence[BrandState], batch: MentionBatch, bounds: Sequence[tuple[int, int]]
) -> list[StateUpdate]:
    empty = [k for k, (lo, hi) in enumerate(bounds) if hi <= lo]
    if empty:  # nothing to do for them
        keep = [k for k in range(len(states)) if k not in set(empty)]
        done = _update_many([states[k] for k in keep], batch, [bounds[k] for k in keep])
        results_by_k = dict(zip(keep, done, strict=True))
        return [results_by_k.get(k, StateUpdate(0, 0, 0, [])) for k in range(len(states))]
    if not states:
        return []
    late = np.zeros(len(batch), dtype=np.bool_)
    closed = bins_update_many([st.bins for st in states], batch, bounds, late_out=late)
    _hold_ids(states, batch, bounds, late)
    # official and employee posts (rare) the bins accepted: to their brand (a late
    # one is dropped and counted like any other mention, not judged as a response)
    kind = batch.kind
    special = np.flatnonzero(
        ((kind == KIND_CODES["official"]) | (kind == KIND_CODES["employee"])) & ~late
    )
    if special.size:
        los = np.array([lo for lo, _ in bounds], dtype=np.int64)
        owner = np.searchsorted(los, special, side="right") - 1
        for i, o in zip(special.tolist(), owner.tolist(), strict=True):
            if o >= 0 and i < bounds[o][1]:
                states[o]._note_row(batch, i, official=int(kind[i]) == KIND_CODES["official"])
    results = []
    for state, result in zip(states, closed, strict=True):
        out = StateUpdate(result.accepted, result.late, 0, [])
        state._run_closed(result, out)
        results.append(out)
    return results
