"""Wiring only: the Faust app, its topics, its table, its agent and its metrics."""

from __future__ import annotations

import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import faust
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector

from streams.agent import DetectionAgent
from streams.codec import MentionDecoder
from streams.metrics import Metrics
from streams.processor import Processor
from streams.settings import Settings
from streams.statecodec import KEY_CODEC, STATE_CODEC, register_codecs
from streams.tone import make_scorer

__all__ = ["Worker", "build_worker", "faust_broker_url"]

#: Name of the table of brand records (its changelog is ``<app_id>-brand-state-changelog``).
TABLE_NAME = "brand-state"


@dataclass(frozen=True, slots=True)
class Worker:
    """A wired worker: the Faust app and the parts tests and tools reach for."""

    app: faust.App
    agent: DetectionAgent
    metrics: Metrics
    registry: CollectorRegistry


def faust_broker_url(settings: Settings) -> str:
    """Faust broker URL: ``tocsin://`` selects Tocsin's transport
    (:mod:`streams.faust_transport`), ``tansu://`` the same with the embedded broker's
    workarounds."""
    scheme = "tansu" if settings.broker_kind == "tansu" else "tocsin"
    return ";".join(f"{scheme}://{server}" for server in settings.bootstrap_servers)


def _data_dir(settings: Settings) -> str:
    """Faust's local directory; its parent is created (Faust creates only the leaf)."""
    path = Path(settings.data_dir or Path(tempfile.gettempdir()) / "tocsin" / settings.app_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def build_worker(settings: Settings, *, registry: CollectorRegistry | None = None) -> Worker:
    """Wire a worker from the settings."""
    register_codecs()
    if registry is None:
        registry = CollectorRegistry()
        ProcessCollector(registry=registry)  # memory, CPU, start time: for sizing
        PlatformCollector(registry=registry)
    metrics = Metrics(registry)
    app = faust.App(
        settings.app_id,
        broker=faust_broker_url(settings),
        store="memory://",
        datadir=_data_dir(settings),
        autodiscover=False,
        web_enabled=settings.web_enabled,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_tables_enabled=False,  # when the web server is on: no table data...
        web_router_enabled=False,  # ...nor key routing to it
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=max(0.5, settings.session_timeout_s / 10),
        broker_rebalance_timeout=max(10.0, settings.session_timeout_s * 2),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        producer_acks=-1,
        producer_max_request_size=settings.max_message_bytes,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        stream_wait_empty=False,
        table_standby_replicas=0,
    )

    def raw_topic(*names: str) -> faust.TopicT:
        """Bytes in, bytes out: Tocsin encodes and decodes its own messages."""
        return app.topic(
            *names, key_serializer="raw", value_serializer="raw", partitions=settings.partitions
        )

    mentions = raw_topic(settings.mentions_topic, settings.commands_topic)
    alerts = raw_topic(settings.alerts_topic)
    incidents = raw_topic(settings.incidents_topic)
    minutes = raw_topic(settings.minutes_topic)
    deadletter = raw_topic(settings.deadletter_topic)
    # Faust derives a table's serializers from model types; Tocsin's values are
    # not Faust models, so the changelog topic is declared here with its codecs.
    changelog = app.topic(
        f"{settings.app_id}-{TABLE_NAME}-changelog",
        key_serializer=KEY_CODEC,
        value_serializer=STATE_CODEC,
        partitions=settings.partitions,
        compacting=True,
        acks=False,
        internal=True,
        maxsize=131_072,
        allow_empty=True,
    )
    table = cast(
        Any, app.Table(TABLE_NAME, partitions=settings.partitions, changelog_topic=changelog)
    )
    table.key_serializer = KEY_CODEC
    table.value_serializer = STATE_CODEC
    processor = Processor(
        records=table.data if hasattr(table, "data") else {},
        decoder=MentionDecoder(
            max_text_chars=settings.max_text_chars, max_future_ms=settings.max_future_ms
        ),
        scorer=make_scorer(settings.tone_scorer),
        metrics=metrics,
        detection=settings.detection(),
        source=f"tocsin://{settings.app_id}/{socket.gethostname()}",
        commands_topic=settings.commands_topic,
        max_brands=settings.max_brands,
        quiet_after_ms=settings.quiet_after_ms,
        partitions=settings.partitions,
    )
    agent = DetectionAgent(
        settings=settings,
        processor=processor,
        table=table,
        alerts_topic=alerts,
        incidents_topic=incidents,
        minutes_topic=minutes,
        deadletter_topic=deadletter,
    )
    app.agent(mentions, name="detect")(agent.run)
    table.on_recover(agent.on_recover)
    app.on_partitions_revoked.connect(agent.flush_all)
    app.on_before_shutdown.connect(agent.flush_all)
    if settings.state_flush_interval_s > 0:
        app.timer(interval=settings.state_flush_interval_s / 2)(agent.flush_if_due)
    if settings.quiet_after_ms > 0:  # quiet brands of partitions read to their end
        app.timer(interval=min(30.0, max(0.5, settings.bin_ms / 2000)))(agent.advance_idle)
    metrics.watch_watermarks(lambda: processor.watermarks)
    metrics.watch_consumer_lag(agent.consumer_lag)
    metrics.watch_incidents(agent.unacknowledged)
    return Worker(app=app, agent=agent, metrics=metrics, registry=registry)
