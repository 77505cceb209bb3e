"""A brand's state saved by the previous version loads from the changelog and keeps working."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.batch import MentionBatch
from detectors.fusion import Scores
from detectors.state import BrandState
from streams.statecodec import dumps_state, loads_state
from tests.synthetic import random_batch

MIN = 60_000
T0 = 1_767_225_600_000


def minute(start_ms: int, n: int, seed: int) -> MentionBatch:
    rng = np.random.default_rng(seed)
    return random_batch(
        rng,
        np.sort(start_ms + rng.integers(0, MIN, n)).tolist(),
        id_prefix=f"{start_ms}-",
        max_followers=5000,
        authors=50,
        text="the parcel never came",
    )


def test_a_state_saved_before_the_drift_and_the_result_properties_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = BrandState(brand="acme")
    for m in range(30):
        state.update(minute(T0 + m * MIN, 5, seed=m))
    # What earlier versions wrote: no result attributes on the incident detectors, no
    # official posts waiting for their bin nor a response seal,
    # and five fields in Scores (its pickle sets them by position).
    for detector, name in (
        (state.incidents, "_events"),
        (state.responses, "_judged"),
        (state.offline, "_reasons"),
        (state.responses, "_sealed_ms"),
        (state, "_official"),
    ):
        del detector.__dict__[name]
    with monkeypatch.context() as m:
        m.setattr(Scores, "__getstate__", lambda s: [s.onset, s.elevation, s.negative,
                                                     s.aggressive, s.growth])  # fmt: skip
        saved = dumps_state(state)
    restored = loads_state(saved)
    assert restored.scores.drift == 1.0
    assert [s.name for s in restored.signals][2] == "volume_drift"
    assert restored.incidents.events == ()
    assert restored.responses.judged == ()
    assert not restored.offline.advised and restored.offline.reasons == ()
    # and it goes on exactly as the state it was saved from
    batch = minute(T0 + 30 * MIN, 5, seed=30)
    assert restored.update(batch).closed_bins == state.update(batch).closed_bins == 1
    assert restored.scores == state.scores and restored.signals == state.signals


def test_a_reach_sample_saved_with_one_key_less_takes_mentions_in_its_open_bin() -> None:
    """The reach sample keeps author_sample_size + 1 keys per bin since its threshold
    became the next key; an open bin saved with the old size still merges."""
    state = BrandState(brand="acme")
    state.update(minute(T0, 30, seed=1))  # more than the sample: full, and still open
    reach = state.bins._reach_keys
    (open_bin,) = reach
    reach[open_bin] = reach[open_bin][: state.bins.author_sample_size]  # the old size
    restored = loads_state(dumps_state(state))
    late_in_bin = minute(T0 + 1, 20, seed=2)  # the same minute, other mention ids
    assert restored.update(late_in_bin).accepted == 20
