"""The worker's garbage-collector policy."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from streams.gcpolicy import apply_gc_policy
from streams.settings import SettingsError, load_settings


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restore_gc")
def test_policy_freezes_start_up_and_raises_thresholds() -> None:
    apply_gc_policy(young_threshold=50_000)
    assert gc.get_threshold() == (50_000, 20, 100)
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("restore_gc")
def test_zero_keeps_python_defaults() -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    apply_gc_policy(young_threshold=0)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_the_setting_is_validated() -> None:
    assert load_settings(environ={}).gc_young_threshold == 50_000
    assert load_settings(environ={"TOCSIN_GC_YOUNG_THRESHOLD": "0"}).gc_young_threshold == 0
    with pytest.raises(SettingsError, match="gc_young_threshold"):
        load_settings(environ={"TOCSIN_GC_YOUNG_THRESHOLD": "-1"})
