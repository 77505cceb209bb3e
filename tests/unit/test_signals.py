"""The signals an alert's explanation gives follow the level rules' settings."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.fusion import LevelFusion
from detectors.state import BrandState, DetectionSettings
from streams.drills.offline import run_offline
from tests.synthetic import baseline_then_burst, random_batch

MIN = 60_000
T0 = 1_767_225_600_000


@pytest.mark.parametrize("signal", ["negative_share", "aggressive_share"])
def test_the_tone_signals_threshold_is_the_alert_rules(signal: str) -> None:
    """The threshold of a tone share is where the fusion's ``alert_tone`` would be
    reached, whatever that setting is (it once stayed at the tone detector's own
    default)."""
    thresholds = {}
    for alert_tone in (0.7, 0.95):
        state = BrandState(
            brand="acme", settings=DetectionSettings(fusion=LevelFusion(alert_tone=alert_tone))
        )
        for m in range(30):
            rng = np.random.default_rng(m)
            ts = np.sort(T0 + m * MIN + rng.integers(0, MIN, 5)).tolist()
            state.update(random_batch(rng, ts, id_prefix=f"{m}-", text="the parcel never came"))
        shift = state.tone.negative if signal == "negative_share" else state.tone.aggressive
        (found,) = [s for s in state.signals if s.name == signal]
        assert found.threshold == state.tone.threshold(shift, score=alert_tone)
        thresholds[alert_tone] = found.threshold
    assert thresholds[0.7] < thresholds[0.95]


def test_an_alerts_tone_share_is_over_its_threshold_exactly_when_its_score_is() -> None:
    """Value and threshold are on one scale (the unshrunk recent share), so the
    explanation says a share crossed its line only when its score passed the rule's."""
    alert_tone = DetectionSettings().fusion.alert_tone
    seen = 0
    for seed in range(4):
        for alert in run_offline(baseline_then_burst("acme", seed=seed)).alerts:
            for s in alert["signals"]:
                if s["name"] in ("negative_share", "aggressive_share"):
                    seen += 1
                    assert (s["value"] >= s["threshold"]) == (s["score"] >= alert_tone), s
    assert seen >= 8
