"""Workers run on Tocsin's Faust transport, whatever the broker."""

from __future__ import annotations

import pytest

from streams import faust_transport, tansu
from streams.app import build_worker
from streams.settings import load_settings


@pytest.mark.parametrize(
    ("kind", "transport"),
    [("kafka", faust_transport.Transport), ("tansu", tansu.Transport)],
)
def test_the_worker_consumes_through_tocsins_consumer_thread(
    kind: str, transport: type[faust_transport.Transport]
) -> None:
    """Apache Kafka and the embedded broker alike get the seek of stream partitions
    with no committed offset (see :mod:`streams.faust_transport`)."""
    settings = load_settings(environ={}, broker_url="kafka://127.0.0.1:1", broker_kind=kind)
    app = build_worker(settings).app
    assert type(app.transport) is transport
    assert isinstance(app.consumer._new_consumer_thread(), faust_transport.ConsumerThread)
