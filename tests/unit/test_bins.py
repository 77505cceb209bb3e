"""Event-time bins: grace, lateness, boundaries, order independence, bounded memory."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.batch import MentionBatch
from detectors.bins import FIELDS, BinsUpdate, EventTimeBins, update_many
from tests.synthetic import random_batch

MIN = 60_000


def step(bins: EventTimeBins, batch: MentionBatch) -> BinsUpdate:
    """Update, then read what the update did."""
    bins.update(batch)
    return bins.last_update


def advance(bins: EventTimeBins, *, watermark_ms: int) -> BinsUpdate:
    """Advance, then read what it did."""
    bins.advance(watermark_ms=watermark_ms)
    return bins.last_update


def make_batch(
    ts: list[int],
    *,
    followers: list[int] | None = None,
    sentiment: list[float] | None = None,
    authors: list[str] | None = None,
) -> MentionBatch:
    n = len(ts)
    return MentionBatch.from_rows(
        ts_ms=ts,
        followers=followers or [1] * n,
        sentiment=sentiment or [0.0] * n,
        aggression=[0.0] * n,
        kind=["public"] * n,
        ids=[f"m{i}-{t}" for i, t in enumerate(ts)],
        authors=authors or [f"a{i % 3}" for i in range(n)],
        texts=["text"] * n,
    )


def counts(closed: list) -> list[tuple[int, int]]:
    return [(b.start_ms // MIN, b.count) for b in closed]


def test_out_of_order_within_grace_is_accepted() -> None:
    bins = EventTimeBins(bin_ms=MIN, grace_ms=30_000)
    up = step(bins, make_batch([65_000, 10_000, 70_000, 59_999]))
    assert up.late == 0 and up.accepted == 4
    up = step(bins, make_batch([89_999]))  # watermark 89.999 s < 60 s + 30 s
    assert up.closed == []
    up = step(bins, make_batch([20_000, 90_000]))  # 20 s arrives before 90 s closes bin 0
    assert up.late == 0
    assert counts(up.closed) == [(0, 3)]


def test_late_beyond_grace_is_counted_and_dropped() -> None:
    bins = EventTimeBins(bin_ms=MIN, grace_ms=30_000)
    step(bins, make_batch([10_000, 95_000]))  # 95 s closes bin 0
    up = step(bins, make_batch([5_000, 59_999, 61_000]))
    assert up.late == 2 and up.accepted == 1
    assert bins.late_total == 2 and bins.accepted_total == 3
    up = step(bins, make_batch([210_000]))
    assert counts(up.closed) == [(1, 2), (2, 0)]  # bin 1 holds 61 s and 95 s; bin 2 empty


def test_bin_boundaries_are_half_open() -> None:
    bins = EventTimeBins(bin_ms=MIN, grace_ms=0)
    up = step(bins, make_batch([0, 59_999, 60_000]))
    # grace 0: the watermark 60 s closes [0, 60 s) at once
    assert counts(up.closed) == [(0, 2)]
    up = step(bins, make_batch([119_999]))
    assert up.closed == []
    up = step(bins, make_batch([120_000]))
    assert counts(up.closed) == [(1, 2)]


def test_a_bin_closes_exactly_when_watermark_reaches_end_plus_grace() -> None:
    bins = EventTimeBins(bin_ms=MIN, grace_ms=15_000)
    step(bins, make_batch([1_000]))
    assert step(bins, make_batch([74_999])).closed == []
    assert counts(step(bins, make_batch([75_000])).closed) == [(0, 1)]
    assert bins.closed_until_ms == MIN


def test_sums_reach_tone_and_kinds() -> None:
    bins = EventTimeBins(bin_ms=MIN, grace_ms=0, negative_below=-0.25)
    batch = MentionBatch.from_rows(
        ts_ms=[1, 2, 3, 4],
        followers=[10, 20, 30, 40],
        sentiment=[-0.9, -0.25, 0.0, 0.8],
        aggression=[1.0, 0.2, 0.5, 0.0],
        kind=["public", "employee", "official", "media"],
        ids=["a", "b", "c", "d"],
        authors=["x", "y", "z", "x"],
        texts=["", "", "", ""],
    )
    step(bins, batch)
    (closed,) = step(bins, make_batch([MIN])).closed
    top = bins.top_authors(start_ms=0, end_ms=MIN)[0]  # a small bin: sampled whole, exact
    assert (top.author, top.followers, round(top.count), round(top.reach)) == ("x", 40, 2, 50)
    values = dict(zip(FIELDS, closed.values, strict=True))
    assert values["count"] == 4 and values["reach"] == 100
    assert values["negative"] == 2  # -0.9 and -0.25 (at the threshold)
    assert values["aggressive"] == 2  # 1.0 and 0.5 (aggressive_above=0.5)
    assert (values["employee"], values["official"], values["media"]) == (1, 1, 1)


def test_gap_closes_empty_bins_and_long_gaps_are_bounded() -> None:
    bins = EventTimeBins(bin_ms=MIN, grace_ms=0)
    step(bins, make_batch([0]))
    up = step(bins, make_batch([10 * MIN]))
    assert counts(up.closed) == [(0, 1)] + [(i, 0) for i in range(1, 10)]
    up = step(bins, make_batch([10 * MIN + 365 * 86_400_000]))  # a year of silence
    assert up.n_closed <= 20_161
    assert up.closed[-1].end_ms == 10 * MIN + 365 * 86_400_000


def test_silences_between_data_bins_are_bounded_too() -> None:
    gap = 20_160  # two weeks of one-minute bins
    bins = EventTimeBins(bin_ms=MIN, grace_ms=0)
    year = 365 * 1440
    # One brand's first batch: an absurdly old mention, then two a year later, 3 bins apart.
    up = step(bins, make_batch([0, year * MIN, (year + 3) * MIN]))
    closed = [b.start_ms // MIN for b in up.closed]
    assert closed == [0, *range(year - gap, year + 3)]
    assert counts(up.closed)[0] == (0, 1) and counts(up.closed)[gap + 1] == (year, 1)
    # The same with the old mention alone first, then the year-later ones.
    again = EventTimeBins(bin_ms=MIN, grace_ms=0)
    step(again, make_batch([0]))
    up2 = step(again, make_batch([year * MIN, (year + 3) * MIN]))
    assert [b.start_ms // MIN for b in up2.closed] == closed


def test_advance_closes_idle_bins_without_data() -> None:
    bins = EventTimeBins(bin_ms=MIN, grace_ms=0)
    step(bins, make_batch([1_000]))
    assert counts(advance(bins, watermark_ms=3 * MIN).closed) == [(0, 1), (1, 0), (2, 0)]
    assert advance(bins, watermark_ms=MIN).n_closed == 0


def test_samples_are_deterministic_and_independent_of_order() -> None:
    ts = list(range(0, 59_000, 100))
    a = EventTimeBins(bin_ms=MIN, grace_ms=0, sample_size=5)
    b = EventTimeBins(bin_ms=MIN, grace_ms=0, sample_size=5)
    batch = make_batch(ts)
    step(a, batch)
    rev = np.arange(len(ts))[::-1].copy()
    step(b, batch.take(rev[:300]))
    step(b, batch.take(rev[300:]))
    step(a, make_batch([MIN]))
    step(b, make_batch([MIN]))
    sa, sb = a.samples(start_ms=0, end_ms=MIN), b.samples(start_ms=0, end_ms=MIN)
    assert [s.id for s in sa] == [s.id for s in sb]
    assert len(sa) == 5
    expected = sorted(batch.id_hash.tolist())[:5]
    assert [s.priority for s in sa] == expected


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=10 * MIN), min_size=1, max_size=80),
    cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=6),
    grace=st.sampled_from([0, 10_000, MIN, 3 * MIN]),
)
def test_batching_does_not_change_the_result(
    offsets: list[int], cuts: list[int], grace: int
) -> None:
    """One batch or many: same closed bins, same late count (lateness is per mention)."""
    ts = [1_700_000_000_000 + o for o in offsets]
    whole = EventTimeBins(bin_ms=MIN, grace_ms=grace)
    split = EventTimeBins(bin_ms=MIN, grace_ms=grace)
    batch = make_batch(ts)
    r1 = step(whole, batch)
    closed1 = list(r1.closed)
    bounds = sorted({0, len(ts), *(min(c, len(ts)) for c in cuts)})
    late2, closed2 = 0, []
    for lo, hi in itertools.pairwise(bounds):
        r = step(split, batch.take(np.arange(lo, hi)))
        late2 += r.late
        closed2 += r.closed
    assert r1.late == late2
    assert counts(closed1) == counts(closed2)
    assert whole.watermark_ms == split.watermark_ms


@settings(max_examples=60, deadline=None)
@given(
    streams=st.lists(
        st.lists(st.integers(min_value=0, max_value=40 * MIN), min_size=1, max_size=40),
        min_size=1,
        max_size=4,
    ),
    rounds=st.integers(min_value=1, max_value=4),
    grace=st.sampled_from([0, MIN, 3 * MIN]),
)
def test_several_brands_at_once_equal_each_brand_alone(
    streams: list[list[int]], rounds: int, grace: int
) -> None:
    """``update_many`` over brands = each brand updated alone: bins, lateness, samples."""
    t0 = 1_700_000_000_000
    together = [EventTimeBins(bin_ms=MIN, grace_ms=grace, sample_bins=40) for _ in streams]
    alone = [EventTimeBins(bin_ms=MIN, grace_ms=grace, sample_bins=40) for _ in streams]
    batches = [make_batch([t0 + o for o in offsets]) for offsets in streams]
    closed_together: list[list] = [[] for _ in streams]
    closed_alone: list[list] = [[] for _ in streams]
    late_together, late_alone = [0] * len(streams), [0] * len(streams)
    for r in range(rounds):
        parts = [b.take(np.arange(len(b))[r::rounds]) for b in batches]
        present = [k for k, p in enumerate(parts) if len(p)]
        if not present:
            continue
        bounds, lo = [], 0
        for k in present:
            bounds.append((lo, lo + len(parts[k])))
            lo += len(parts[k])
        whole = MentionBatch.concat([parts[k] for k in present])
        results = update_many([together[k] for k in present], whole, bounds)
        for k, res in zip(present, results, strict=True):
            closed_together[k] += res.closed
            late_together[k] += res.late
            single = step(alone[k], parts[k])
            closed_alone[k] += single.closed
            late_alone[k] += single.late
    assert late_together == late_alone
    for k in range(len(streams)):
        assert counts(closed_together[k]) == counts(closed_alone[k])
        assert together[k].watermark_ms == alone[k].watermark_ms
        ids = [s.id for s in together[k].samples(start_ms=t0 - MIN, end_ms=t0 + 50 * MIN)]
        assert ids == [s.id for s in alone[k].samples(start_ms=t0 - MIN, end_ms=t0 + 50 * MIN)]


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=30 * MIN), min_size=1, max_size=120),
    followers=st.lists(st.integers(min_value=0, max_value=10**7), min_size=120, max_size=120),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=8),
)
def test_pickling_after_every_batch_changes_no_evidence(
    offsets: list[int], followers: list[int], cuts: list[int]
) -> None:
    """The changelog pickles the state after each batch (closed bins' evidence is
    sealed then): samples and top authors stay those of a state never pickled."""
    t0 = 1_700_000_000_000
    ts = [t0 + o for o in offsets]
    batch = make_batch(
        ts, followers=followers[: len(ts)], authors=[f"a{i % 7}" for i in range(len(ts))]
    )
    plain = EventTimeBins(bin_ms=MIN, grace_ms=MIN, sample_size=3, author_sample_size=4)
    pickled = EventTimeBins(bin_ms=MIN, grace_ms=MIN, sample_size=3, author_sample_size=4)
    bounds = sorted({0, len(ts), *(min(c, len(ts)) for c in cuts)})
    for lo, hi in itertools.pairwise(bounds):
        part = batch.take(np.arange(lo, hi))
        assert counts(step(plain, part).closed) == counts(step(pickled, part).closed)
        pickled = pickle.loads(pickle.dumps(pickled))
        window = {"start_ms": t0 - MIN, "end_ms": t0 + 40 * MIN}
        assert plain.samples(**window) == pickled.samples(**window)
        assert plain.top_authors(**window, k=10) == pickled.top_authors(**window, k=10)


def test_memory_is_bounded_over_a_simulated_month() -> None:
    rng = np.random.default_rng(11)
    bins = EventTimeBins(bin_ms=MIN, grace_ms=2 * MIN)
    t0 = 1_700_000_000_000
    sizes = []
    closed_total = 0
    for hour in range(31 * 24):
        n = int(rng.integers(50, 400))
        base = t0 + hour * 3_600_000
        ts = np.sort(base + rng.integers(0, 3_600_000, n))
        jitter = rng.integers(-90_000, 1, n)  # out of order by up to 90 s
        batch = random_batch(
            rng,
            (ts + jitter).tolist(),
            id_prefix=f"{hour}-",
            max_followers=100_000,
            authors=10_000,
            text="x" * int(rng.integers(10, 500)),
        )
        closed_total += len(step(bins, batch).closed)
        sizes.append(len(pickle.dumps(bins)))
        assert len(bins.samples(start_ms=0, end_ms=2**62)) <= 6 * (10 + 2 + 62)  # + a batch
        assert bins.open_bins <= 2 * MIN // MIN + 2
    assert closed_total > 31 * 24 * 60 - 10
    # no growth: the last week's state is no bigger than the first day's largest
    assert max(sizes[-7 * 24 :]) <= 1.5 * max(sizes[:24])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bin_ms": 0}, "bin_ms=0 is not valid"),
        ({"grace_ms": -1}, "grace_ms=-1 is not valid"),
        ({"negative_below": -2.0}, "negative_below=-2.0 is not valid"),
        ({"aggressive_above": 0.0}, "aggressive_above=0.0 is not valid"),
    ],
)
def test_invalid_parameters_name_the_valid_values(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        EventTimeBins(**kwargs)
    assert "valid values" in str(err.value)


def test_a_brand_state_does_not_keep_the_bins_a_long_silence_closed() -> None:
    """Two weeks of empty bins, closed by one mention after a silence: read by the
    brand's detectors, then dropped, not held until the brand's next mention."""
    from detectors.state import BrandState

    state = BrandState(brand="acme")
    state.update(make_batch([0, 30_000]))
    update = state.update(make_batch([30 * 1440 * MIN]))
    assert update.closed_bins >= 20_160 and len(update.minutes) == update.closed_bins
    closed = state.bins.last_update
    assert closed.n_closed == 0 and closed.closed_values.nbytes == 0
    assert closed.accepted == 1  # what the update did is still readable
    state.advance(watermark_ms=60 * 1440 * MIN)
    assert state.bins.last_update.closed_values.nbytes == 0


@pytest.mark.parametrize("one_brand_at_a_time", [False, True])
def test_a_far_future_brand_does_not_make_another_brands_mentions_late(
    one_brand_at_a_time: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Brands far apart in time (one dated near the end of the year 9999) share a
    batch as if each were alone; a batch too wide for offsets goes brand by brand."""
    import detectors.bins as bins_module

    if one_brand_at_a_time:
        monkeypatch.setattr(bins_module, "_MAX_OFFSET", 1)
    t0 = 1_700_000_000_000
    far = 253_402_300_000_000
    streams = [[far, far + 1], [t0 + k * MIN for k in range(5)], [t0 + 30 * MIN, t0]]
    together = [EventTimeBins(bin_ms=MIN, grace_ms=MIN) for _ in streams]
    parts = [make_batch(ts) for ts in streams]
    bounds, lo = [], 0
    for p in parts:
        bounds.append((lo, lo + len(p)))
        lo += len(p)
    results = update_many(together, MentionBatch.concat(parts), bounds)
    for k, (ts, res) in enumerate(zip(streams, results, strict=True)):
        alone = step(EventTimeBins(bin_ms=MIN, grace_ms=MIN), parts[k])
        assert (res.accepted, res.late) == (alone.accepted, alone.late)
        assert counts(res.closed) == counts(alone.closed)
        assert together[k].watermark_ms == max(ts)
    assert [r.late for r in results] == [0, 0, 1]


def test_two_brands_2_pow_26_bins_apart_keep_their_own_bins() -> None:
    """A batch spanning centuries (the sort on brand and bin): brand 0's bin 2**26
    bins past brand 1's would have the same one-number key; each keeps its own."""
    t0 = 1_700_000_000_000 // MIN * MIN
    a_ts, b_ts = t0 + (1 << 26) * MIN, t0
    items = [EventTimeBins(bin_ms=MIN, grace_ms=MIN) for _ in range(2)]
    batch = MentionBatch.concat([make_batch([a_ts]), make_batch([b_ts])])
    ups = update_many(items, batch, [(0, 1), (1, 2)])
    assert [u.accepted for u in ups] == [1, 1]
    open_counts = [{b: v[0] for b, v in it._open.items()} for it in items]
    assert open_counts == [{a_ts // MIN: 1.0}, {b_ts // MIN: 1.0}]


def test_top_authors_estimate_reach_and_counts_without_bias() -> None:
    """Priority sampling: 200 mentions of 50 authors with very unequal reach, ten
    kept per bin; over many bins (other mention ids, so other draws) the estimated
    reach and mention count of all authors average the truth."""
    rng = np.random.default_rng(2)
    reach_of = rng.lognormal(6, 2, 50).astype(int)
    reach_ratio, count_ratio = [], []
    for trial in range(800):
        who = rng.integers(0, 50, 200)
        bins = EventTimeBins(bin_ms=MIN, grace_ms=0)
        bins.update(
            MentionBatch.from_rows(
                ts_ms=[1000] * 200,
                followers=reach_of[who].tolist(),
                sentiment=[0.0] * 200,
                aggression=[0.0] * 200,
                kind=["public"] * 200,
                ids=[f"t{trial}-{i}" for i in range(200)],
                authors=[f"a{a}" for a in who],
                texts=["text"] * 200,
            )
        )
        top = bins.top_authors(start_ms=0, end_ms=MIN, k=50)
        reach_ratio.append(sum(a.reach for a in top) / reach_of[who].sum())
        count_ratio.append(sum(a.count for a in top) / 200)
    for ratios in (reach_ratio, count_ratio):
        error = np.std(ratios) / np.sqrt(len(ratios))
        assert abs(np.mean(ratios) - 1.0) < 3 * error, (np.mean(ratios), error)
