"""Tocsin's topics: names, partitions, retention, and their creation.

The mentions, alerts and dead-letter topics share a partition count so that a
brand (the key) lands on the same partition number everywhere. Faust creates
its own internal topics (the table changelog) itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.settings import Settings

__all__ = ["TopicSpec", "ensure_topics", "partition_counts", "topic_specs"]

_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic Tocsin relies on, and how it wants it configured."""

    name: str
    partitions: int
    replication_factor: int
    retention_ms: int
    purpose: str
    max_message_bytes: int
    broker_time: bool = False  # record timestamps set by the broker (LogAppendTime)

    def configs(self) -> dict[str, str]:
        """Topic-level configs sent at creation."""
        configs = {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": "delete",
            "max.message.bytes": str(self.max_message_bytes),
        }
        if self.broker_time:
            configs["message.timestamp.type"] = "LogAppendTime"
        return configs


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """The topics of a deployment with these settings."""
    n, rf, size = settings.partitions, settings.replication_factor, settings.max_message_bytes
    return [
        # The broker's clock dates the records: a mention more than max_future_ms after
        # its record is refused, and a producer's clock must not be what decides.
        TopicSpec(
            settings.mentions_topic,
            n,
            rf,
            7 * _DAY_MS,
            "incoming mentions (key = brand)",
            size,
            broker_time=True,
        ),
        TopicSpec(settings.alerts_topic, n, rf, 90 * _DAY_MS, "crisis-level changes", size),
        TopicSpec(settings.incidents_topic, n, rf, 365 * _DAY_MS, "incident lifecycle", size),
        TopicSpec(settings.minutes_topic, n, rf, 90 * _DAY_MS, "per-brand minute record", size),
        # Same partition count as mentions: a brand's commands reach its worker.
        TopicSpec(settings.commands_topic, n, rf, 30 * _DAY_MS, "acks and expectations", size),
        # Room for a refused message of the largest size plus its headers.
        TopicSpec(
            settings.deadletter_topic, n, rf, 30 * _DAY_MS, "refused input, unchanged", 2 * size
        ),
    ]


def ensure_topics(settings: Settings, *, timeout_s: float = 30.0) -> list[str]:
    """Create the missing topics; return the names created."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.app_id}-admin",
        request_timeout_ms=int(timeout_s * 1000),
    )
    try:
        existing = set(admin.list_topics())
        wanted = [s for s in topic_specs(settings) if s.name not in existing]
        created = []
        for spec in wanted:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            spec.name,
                            spec.partitions,
                            spec.replication_factor,
                            topic_configs=spec.configs(),
                        )
                    ]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()


def partition_counts(settings: Settings, topics: Sequence[str]) -> dict[str, int]:
    """Partitions of each of ``topics`` on the broker (topics that do not exist are left out)."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-admin"
    )
    try:
        on_broker = set(admin.list_topics())
        existing = [t for t in dict.fromkeys(topics) if t in on_broker]
        if not existing:
            return {}
        return {d["name"]: len(d["partitions"]) for d in admin.describe_topics(existing)}
    finally:
        admin.close()
