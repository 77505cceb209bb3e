"""Running a worker process: topics, metrics endpoint, then Faust's worker loop."""

from __future__ import annotations

import logging

import faust
from prometheus_client import disable_created_metrics, start_http_server

from streams.app import build_worker
from streams.gcpolicy import apply_gc_policy
from streams.settings import Settings
from streams.topics import ensure_topics, partition_counts

__all__ = ["faust_worker_for", "run_worker"]

log = logging.getLogger("tocsin")


def faust_worker_for(app: faust.App, settings: Settings) -> faust.Worker:
    """Faust's worker loop for ``app``, without its terminal spinner.

    At log levels from ``warning`` up, the spinner sets the root logger to DEBUG
    (it spins on every record), so every debug record of aiokafka and Faust (a
    few per message sent) would be built and then dropped: about 5 % of the main
    thread in a profile of a live stream. A worker is a service, not a terminal.
    """
    faust_worker = faust.Worker(app, loglevel=settings.log_level.upper(), quiet=True)
    faust_worker.spinner = None
    return faust_worker


def run_worker(settings: Settings) -> None:
    """Run a worker until it is stopped (SIGTERM or SIGINT stop it cleanly)."""
    if not settings.bootstrap_servers:
        raise SystemExit("tocsin worker: no broker configured (set TOCSIN_BROKER_URL)")
    created = ensure_topics(settings)
    counts = partition_counts(settings, [settings.mentions_topic, settings.commands_topic])
    actual = counts.get(settings.mentions_topic)
    commands = counts.get(settings.commands_topic)
    if actual is not None and commands is not None and commands != actual:
        # The agent applies a command to the brand's record on the command's partition:
        # with other partition numbers it would land beside the record, not on it.
        raise SystemExit(
            f"tocsin worker: topic {settings.commands_topic} has {commands} partitions and "
            f"{settings.mentions_topic} has {actual}: a brand's commands must reach the "
            f"partition of its mentions; recreate {settings.commands_topic} with {actual} "
            "partitions (deploy/RUNBOOK.md)"
        )
    if actual is not None and actual != settings.partitions:
        # The table's changelog must have as many partitions as its source topic.
        log.warning(
            "topic %s has %d partitions, not %d: using %d",
            settings.mentions_topic,
            actual,
            settings.partitions,
            actual,
        )
        settings = settings.replace(partitions=actual)
    disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created: unused
    worker = build_worker(settings)
    apply_gc_policy(young_threshold=settings.gc_young_threshold)
    start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=worker.registry)
    faust_worker = faust_worker_for(worker.app, settings)
    log.info(
        "tocsin worker: broker %s, topics created %s, /metrics on %s:%d",
        settings.broker_url,
        created or "none",
        settings.metrics_host,
        settings.metrics_port,
    )
    faust_worker.execute_from_commandline()
