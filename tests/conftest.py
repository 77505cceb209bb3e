"""Shared fixtures: the embedded broker is real and started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.tansu import EmbeddedBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A Tansu broker on a free loopback port, in memory, for the whole session."""
    log = Path(tmp_path_factory.mktemp("broker")) / "tansu.log"
    with EmbeddedBroker(log_path=log) as b:
        yield b
