"""Tone shift: is the share of negative (or aggressive) mentions above normal?

For each closed bin the detector receives how many mentions it held and how
many were negative and aggressive. It keeps, per share, two exponentially
decayed sums: a *recent* one (``half_life_ms``, minutes) and a *baseline* one
(``baseline_half_life_ms``, days). The recent share is shrunk toward the
baseline by ``prior_strength`` pseudo-mentions, so that a few angry posts at
3 a.m. weigh little: with few mentions the estimate stays near normal and its
uncertainty stays wide. Three angry posts stay under what an alert needs (the
example below); from four within a minute, at a brand that is quiet at that
hour, the volume's onset and the tone together can reach alert.

The score is the posterior probability (normal approximation of the Beta
posterior) that the recent share exceeds the baseline share by more than
``margin``. Until ``warmup_mentions`` have been seen the baseline learns from
everything (a brand's normal may be far from the prior); after that, bins that
look shifted count only ``shifted_weight`` as much, so a long crisis does not
become the new normal while a lasting change of tone is absorbed in days.
"""

from __future__ import annotations

import math
from typing import Any, Final

from detectors.base import Detector, check_fraction, check_positive

__all__ = ["ShareShift", "ToneDetector"]

_SQRT2: Final = math.sqrt(2.0)


class ShareShift:
    """Recent versus baseline share of one kind of mention (negative, aggressive)."""

    __slots__ = ("_base_k", "_base_n", "_k", "_n", "_p0", "_score", "_share", "baseline_share")

    def __init__(self, baseline_share: float) -> None:
        self.baseline_share = baseline_share  # prior before any data
        self._k = 0.0
        self._n = 0.0
        self._base_k = 0.0
        self._base_n = 0.0
        self._score = 0.0
        self._share = 0.0
        self._p0 = math.nan  # the baseline the last score was computed against

    def __getstate__(self) -> tuple[float, ...]:
        return (
            self.baseline_share,
            self._k,
            self._n,
            self._base_k,
            self._base_n,
            self._score,
            self._share,
            self._p0,
        )

    def __setstate__(self, state: tuple[float, ...]) -> None:
        (
            self.baseline_share,
            self._k,
            self._n,
            self._base_k,
            self._base_n,
            self._score,
            self._share,
        ) = state[:7]
        self._p0 = state[7] if len(state) > 7 else math.nan  # pickled before it was kept

    def baseline(self, prior_strength: float) -> float:
        """Baseline share: the decayed long-run share, shrunk toward the prior."""
        return (self._base_k + prior_strength * self.baseline_share) / (
            self._base_n + prior_strength
        )

    def update(
        self,
        k: float,
        n: float,
        decay: float,
        base_decay: float,
        m: float,
        margin: float,
        learn_below: float,
        warmup_mentions: float,
        shifted_weight: float,
        max_weight: float,
        /,
    ) -> None:
        """Fold one bin (k of n mentions) in; recompute the score.

        Positional only (called twice per closed bin): the decays of the recent and
        baseline sums over the gap, then the prior strength ``m`` and the detector's
        margin, learning cut-off, warm-up, shifted weight, and the most a mention of
        this bin may weigh in the baseline once warm.
        """
        self._k = rk = self._k * decay + k
        self._n = rn = self._n * decay + n
        base_k, base_n = self._base_k, self._base_n
        p0 = self.baseline(m)
        mean = (rk + m * p0) / (rn + m)
        spread = mean * (1.0 - mean)
        sd = math.sqrt((spread if spread > 1e-6 else 1e-6) / (rn + m + 1.0))
        z = (mean - p0 - margin) / sd
        self._score = score = 0.5 * (1.0 + math.erf(z / _SQRT2))
        self._share = rk / rn if rn > 0 else 0.0
        self._p0 = p0
        warm = base_n >= warmup_mentions
        weight = 1.0 if not warm or score < learn_below else shifted_weight
        if warm and max_weight < weight:
            weight = max_weight
        self._base_k = base_k * base_decay + weight * k
        self._base_n = base_n * base_decay + weight * n

    @property
    def score(self) -> float:
        """Probability that the recent share exceeds the baseline by the margin."""
        return self._score

    @property
    def share(self) -> float:
        """Recent share, unshrunk (0 without recent mentions)."""
        return self._share

    @property
    def recent_mentions(self) -> float:
        """Decayed number of recent mentions behind :attr:`share`."""
        return self._n

    def scored_baseline(self, prior_strength: float) -> float:
        """The baseline share the last :attr:`score` was computed against (before the
        bin taught the baseline); the current baseline before any bin."""
        p0 = self._p0
        return self.baseline(prior_strength) if math.isnan(p0) else p0

    def threshold(self, *, prior_strength: float, margin: float, z: float) -> float | None:
        """Recent share (as :attr:`share`: unshrunk) at which the last score would
        have been ``Phi(z)``, given the current counts and the baseline it was
        computed against; None when no share could reach it.

        The score's shrunk mean ``M`` solves ``M - p0 - margin = z * sd(M)`` (the
        score's own normal approximation, a quadratic in ``M``); the recent share
        that gives ``M`` once shrunk toward the baseline is the threshold.

        Examples
        --------
        >>> s = ShareShift(0.15)
        >>> s.__setstate__((0.15, 12.0, 40.0, 90.0, 600.0, 0.0, 0.3))
        >>> t = s.threshold(prior_strength=15.0, margin=0.1, z=1.2816)  # Phi(z) = 0.9
        >>> s.__setstate__((0.15, t * 40.0, 40.0, 90.0, 600.0, 0.0, t))
        >>> s.update(0.0, 0.0, 1.0, 1.0, 15.0, 0.1, 0.5, 300.0, 0.05, 1.0)  # no new bin
        >>> round(s.score, 4)
        0.9
        """
        m, rn = prior_strength, self._n
        p0 = self.scored_baseline(m)
        d = p0 + margin
        if d >= 1.0 or rn <= 0.0:
            return None
        c = z * z / (rn + m + 1.0)
        root = math.sqrt(c * (c + 4.0 * d * (1.0 - d)))
        mean = ((2.0 * d + c) + (root if z > 0 else -root)) / (2.0 * (1.0 + c))
        share = (mean * (rn + m) - m * p0) / rn
        if share > 1.0:  # even every recent mention would not do
            return None
        return max(0.0, share)


class ToneDetector(Detector):
    """Shift of the negative share and of the aggressive share against the brand's own normal.

    Parameters
    ----------
    half_life_ms
        Half-life of the recent window.
    baseline_half_life_ms
        Half-life of the baseline.
    prior_strength
        Pseudo-mentions at the baseline share added to the recent window.
    margin
        Increase of share (absolute) that counts as a shift.
    negative_prior, aggressive_prior
        Shares assumed before the brand's baseline is learnt.
    alarm_score
        Default score of :meth:`threshold` (a brand's explanations use its level
        rules' ``alert_tone`` instead).
    warmup_mentions
        Mentions the baseline learns from unconditionally, at the start.
    shifted_weight
        Weight of a shifted bin in the baseline, after warm-up.
    burst_weight
        After warm-up, a bin weighs in the baseline at most as much as this many
        bins of the brand's typical volume (a mean of its mentions per bin over the
        baseline's memory, itself capped so, and at least one mention): a burst (a
        happy viral campaign, a crisis) does not become the brand's normal tone by
        its sheer count.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> tone = ToneDetector()
    >>> t = 0
    >>> for _ in range(600):                    # ten calm hours: 10 % negative
    ...     t += 60_000
    ...     n = int(rng.poisson(20))
    ...     tone.update(n, int(rng.binomial(n, 0.10)), 0, end_ms=t)
    >>> round(tone.negative.score, 3) < 0.5
    True
    >>> for _ in range(5):                      # then 70 % negative
    ...     t += 60_000
    ...     tone.update(40, 28, 6, end_ms=t)
    >>> tone.negative.score > 0.99
    True
    >>> quiet = ToneDetector()
    >>> quiet.update(3, 3, 3, end_ms=60_000)    # three angry posts at 3 a.m.
    >>> round(quiet.aggressive.score, 2)        # under 0.8, what alert needs
    0.75
    """

    def __init__(
        self,
        *,
        half_life_ms: int = 600_000,
        baseline_half_life_ms: int = 3 * 86_400_000,
        prior_strength: float = 15.0,
        margin: float = 0.10,
        negative_prior: float = 0.15,
        aggressive_prior: float = 0.03,
        alarm_score: float = 0.9,
        warmup_mentions: float = 300.0,
        shifted_weight: float = 0.05,
        burst_weight: float = 3.0,
    ) -> None:
        check_positive("half_life_ms", half_life_ms)
        check_positive("baseline_half_life_ms", baseline_half_life_ms)
        check_positive("prior_strength", prior_strength)
        check_fraction("margin", margin)
        check_fraction("negative_prior", negative_prior)
        check_fraction("aggressive_prior", aggressive_prior)
        check_fraction("alarm_score", alarm_score)
        check_positive("warmup_mentions", warmup_mentions, allow_zero=True)
        check_fraction("shifted_weight", shifted_weight, low=0.0, high=1.0)
        check_positive("burst_weight", burst_weight)
        self.half_life_ms = half_life_ms
        self.baseline_half_life_ms = baseline_half_life_ms
        self.prior_strength = prior_strength
        self.margin = margin
        self.negative_prior = negative_prior
        self.aggressive_prior = aggressive_prior
        self.alarm_score = alarm_score
        self.warmup_mentions = warmup_mentions
        self.shifted_weight = shifted_weight
        self.burst_weight = burst_weight
        self._z_alarm = _probit(alarm_score)
        super().__init__()

    def _init_state(self) -> None:
        self._last_end_ms: int | None = None
        self.negative = ShareShift(self.negative_prior)
        self.aggressive = ShareShift(self.aggressive_prior)
        self._typical_n = 0.0  # mentions per bin, capped at burst_weight times itself
        self._bins = 0  # bins seen (the typical volume is a running mean at first)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled detector; one pickled before ``burst_weight`` gains it."""
        self._restore_upgraded(state)

    def update(self, count: float, negative: float, aggressive: float, *, end_ms: int) -> None:
        """Fold in one closed bin: its mentions, negative and aggressive mentions."""
        dt = 0 if self._last_end_ms is None else max(0, end_ms - self._last_end_ms)
        self._last_end_ms = end_ms
        decay = 0.5 ** (dt / self.half_life_ms)
        base_decay = 0.5 ** (dt / self.baseline_half_life_ms)
        # The brand's typical mentions per bin, and the most a mention of this bin
        # may weigh in the baselines (burst_weight typical bins' worth in all).
        cap = self.burst_weight * max(self._typical_n, 1.0)
        self._bins += 1
        gain = max(1.0 - base_decay, 1.0 / self._bins)
        self._typical_n += gain * (min(count, cap) - self._typical_n)
        most = cap / count if count > cap else 1.0
        m, margin, warmup, shifted = (
            self.prior_strength,
            self.margin,
            self.warmup_mentions,
            self.shifted_weight,
        )
        self.negative.update(
            negative, count, decay, base_decay, m, margin, 0.5, warmup, shifted, most
        )
        self.aggressive.update(
            aggressive, count, decay, base_decay, m, margin, 0.5, warmup, shifted, most
        )

    def threshold(self, shift: ShareShift, *, score: float | None = None) -> float | None:
        """The recent share at which ``shift``'s last score would have reached
        ``score`` (default :attr:`alarm_score`), given its current counts; None when
        no share could (too few recent mentions).

        Examples
        --------
        >>> tone = ToneDetector()
        >>> tone.update(20, 3, 0, end_ms=60_000)
        >>> bar = tone.threshold(tone.negative)
        >>> low, high = (tone.threshold(tone.negative, score=p) for p in (0.5, 0.99))
        >>> low < bar < high
        True
        >>> quiet = ToneDetector()
        >>> quiet.update(3, 3, 3, end_ms=60_000)    # three angry posts: a share of 1
        >>> quiet.threshold(quiet.aggressive, score=0.8) is None  # that 0.8 needs more
        True
        """
        if score is None:
            z = self._z_alarm
        else:
            check_fraction("score", score)
            z = _probit(score)
        return shift.threshold(prior_strength=self.prior_strength, margin=self.margin, z=z)

    def baseline(self, shift: ShareShift) -> float:
        """The baseline share of ``shift``."""
        return shift.baseline(self.prior_strength)

    def scored_baseline(self, shift: ShareShift) -> float:
        """The baseline share ``shift``'s last score was computed against."""
        return shift.scored_baseline(self.prior_strength)


def _probit(p: float) -> float:
    """Inverse of the standard normal CDF (bisection; called rarely)."""
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + math.erf(mid / _SQRT2)) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
