"""The worker loop Tocsin runs: Faust's, minus what a service does not want."""

from __future__ import annotations

import logging

from streams.app import build_worker
from streams.runner import faust_worker_for
from streams.settings import load_settings


def test_a_quiet_log_level_does_not_turn_debug_records_on() -> None:
    """Faust's terminal spinner would set the root logger to DEBUG at ``warning``."""
    settings = load_settings(
        environ={}, broker_url="kafka://127.0.0.1:1", broker_kind="tansu", log_level="warning"
    )
    faust_worker = faust_worker_for(build_worker(settings).app, settings)
    root = logging.Logger("probe", level=logging.WARNING)
    root.addHandler(logging.NullHandler())
    faust_worker.on_setup_root_logger(root, logging.WARNING)
    assert root.level == logging.WARNING
    assert not root.isEnabledFor(logging.DEBUG)
