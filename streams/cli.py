"""The ``tocsin`` command.

Settings come from ``--settings FILE`` (or ``$TOCSIN_SETTINGS``) and the
``TOCSIN_*`` environment; they are built once here and passed down.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from streams.settings import Settings, SettingsError, load_settings

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(args.settings)
    except SettingsError as exc:
        raise SystemExit(f"tocsin: {exc}") from None


def _broker_settings(args: argparse.Namespace, command: str) -> Settings:
    """The settings of a command that talks to the broker: one must be configured."""
    settings = _settings(args)
    if not settings.broker_url:
        raise SystemExit(
            f"tocsin {command}: no broker configured (set TOCSIN_BROKER_URL, or broker_url in "
            "the --settings file)"
        )
    return settings


def _int_from(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r}: valid values: an integer >= {minimum}")
        return value

    return parse


def _cmd_worker(args: argparse.Namespace) -> int:
    from streams.runner import run_worker

    run_worker(_settings(args))
    return 0


def _cmd_broker(args: argparse.Namespace) -> int:
    from streams.tansu import EmbeddedBroker

    broker = EmbeddedBroker(port=args.port).start()
    print(broker.url, flush=True)
    print(
        f"embedded broker (Tansu, in memory) on {broker.address}; "
        f"export TOCSIN_BROKER_URL={broker.url} TOCSIN_BROKER_KIND=tansu; Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    stopped = False

    def _stop(*_: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not stopped:
            time.sleep(0.2)
    finally:
        broker.stop()
    return 0


def _cmd_topics(args: argparse.Namespace) -> int:
    from streams.topics import ensure_topics, topic_specs

    settings = _broker_settings(args, "topics")
    created = ensure_topics(settings)
    for spec in topic_specs(settings):
        state = "created" if spec.name in created else "exists"
        print(f"{spec.name:<24} {spec.partitions:>3} partitions  {state:<8} {spec.purpose}")
    return 0


def _cmd_produce(args: argparse.Namespace) -> int:
    from streams.producer import MentionProducer
    from streams.render import progress_line

    settings = _broker_settings(args, "produce")
    path = Path(args.file)
    total = None
    if path.is_file() and not args.no_count:
        with path.open("rb") as f:
            total = sum(1 for line in f if line.strip())
    producer = MentionProducer(
        bootstrap_servers=settings.bootstrap_servers,
        topic=settings.mentions_topic,
        batch_max=args.batch_max if args.batch_max is not None else settings.produce_batch_max,
        linger_ms=settings.produce_linger_ms if args.linger_ms is None else args.linger_ms,
        max_message_bytes=settings.max_message_bytes,
    )
    started = last = time.monotonic()
    done = 0
    tty = sys.stderr.isatty()
    with producer, sys.stdin.buffer if args.file == "-" else path.open("rb") as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            producer.send_line(line)
            done += 1
            if done % 1024 == 0:
                producer.poll()
                now = time.monotonic()
                if now - last > (0.25 if tty else 5.0):
                    last = now
                    end = "\r" if tty else "\n"
                    sys.stderr.write(progress_line(done, total, now - started) + end)
    elapsed = time.monotonic() - started
    sys.stderr.write(progress_line(done, total, elapsed) + "\n")
    print(
        f"published {producer.mentions:,} mentions in {producer.messages:,} messages "
        f"to {settings.mentions_topic} in {elapsed:.1f} s",
        file=sys.stderr,
    )
    if producer.too_large:
        print(
            f"not sent: {producer.too_large:,} mentions larger than max_message_bytes "
            f"({settings.max_message_bytes:,})",
            file=sys.stderr,
        )
    if producer.failed:
        print(f"failed: the broker did not take {producer.failed:,} mentions", file=sys.stderr)
        return 1
    return 0


def _cmd_tail(args: argparse.Namespace) -> int:
    from streams.tail import tail

    with contextlib.suppress(KeyboardInterrupt):
        tail(
            _broker_settings(args, "tail"),
            args.topic,
            from_beginning=args.from_beginning,
            as_json=args.json,
            idle_timeout_s=args.idle_timeout,
        )
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from streams.schemas import schema_of

    print(json.dumps(schema_of(args.name), indent=2, sort_keys=True))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    return run_demo(_settings(args), speed=args.speed, workdir=args.workdir)


def _cmd_drill_list(args: argparse.Namespace) -> int:
    from streams.drills import list_scenarios

    for name in list_scenarios():
        print(name)
    return 0


def _load_scenario(name: str):  # type: ignore[no-untyped-def]
    from streams.drills import ScenarioError, load_scenario

    try:
        return load_scenario(name)
    except ScenarioError as exc:
        raise SystemExit(f"tocsin: {exc}") from None


def _cmd_drill_export(args: argparse.Namespace) -> int:
    from streams.drills import export

    result = export(_load_scenario(args.scenario), args.out, seed=args.seed)
    print(f"{result.count:,} mentions -> {result.path}; ground truth -> {result.truth_path}")
    return 0


def _cmd_drill_run(args: argparse.Namespace) -> int:
    from streams.drills.live import print_debrief, run_drill

    scenario = _load_scenario(args.scenario)
    live_from = None
    if args.live_from is not None:
        from streams.drills._nodes import parse_duration

        live_from = scenario.start_ms + parse_duration(args.live_from)
    result = run_drill(
        _settings(args),
        scenario,
        seed=args.seed,
        speed=args.speed,
        live_from_ms=live_from,
        workdir=Path(args.workdir) if args.workdir else None,
    )
    print_debrief(result, scenario)
    return 0


def _cmd_ack(args: argparse.Namespace) -> int:
    from streams.commands import AckCommand, new_command_id, now_ms, send_command

    command = AckCommand(
        command_id=new_command_id(),
        incident_id=args.incident,
        by=args.by,
        note=args.note or "",
        at=now_ms(),
    )
    try:
        send_command(_broker_settings(args, "ack"), command)
    except ValueError as exc:
        raise SystemExit(f"tocsin: {exc}") from None
    print(f"acknowledgement of {args.incident} by {args.by} sent")
    return 0


def _parse_time(text: str) -> int:
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(f"tocsin: {text!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def _cmd_expect(args: argparse.Namespace) -> int:
    from streams.commands import ExpectCommand, new_command_id, now_ms, send_command

    start, end = _parse_time(args.from_), _parse_time(args.to)
    if end <= start:
        raise SystemExit("tocsin: --to must be after --from")
    send_command(
        _broker_settings(args, "expect"),
        ExpectCommand(
            command_id=new_command_id(),
            brand=args.brand,
            from_ms=start,
            to_ms=end,
            kind=args.kind,
            at=now_ms(),
            note=args.note or "",
        ),
    )
    print(f"{args.kind} of {args.brand} expected from {args.from_} to {args.to}")
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from streams.archive import read_archive, read_topics
    from streams.gcpolicy import apply_gc_policy
    from streams.replay import replay, summarise, truth_beside

    settings = _settings(args)
    apply_gc_policy(young_threshold=settings.gc_young_threshold)  # a long offline run
    recorded = None
    try:
        if args.recorded:
            recorded = summarise(read_archive(args.recorded).incidents)
        elif args.from_topics:
            recorded = summarise(read_topics(settings).incidents)
        replay(
            args.file, settings, recorded=recorded, truth=truth_beside(args.file), out=sys.stdout
        )
    except OSError as exc:  # a file missing or unreadable (bad lines are refused inside)
        print(f"tocsin: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_record(args: argparse.Namespace) -> int:
    from streams.archive import read_topics, write_archive

    settings = _broker_settings(args, "record")
    n = write_archive(args.out, read_topics(settings, brand=args.brand).lines())
    print(f"{n:,} messages (alerts, incident events, minutes) written to {args.out}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from streams.report import report_main

    try:
        path = report_main(
            _settings(args),
            args.incident,
            Path(args.out),
            input_path=Path(args.input) if args.input else None,
        )
    except (ValueError, OSError) as exc:  # an unknown or malformed id, a missing file
        print(f"tocsin: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tocsin``."""
    parser = argparse.ArgumentParser(
        prog="tocsin",
        description="Early warning for social-media crises, on Kafka and Faust.",
    )
    parser.add_argument(
        "--settings",
        metavar="FILE",
        default=None,
        help="YAML settings file (else $TOCSIN_SETTINGS)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("worker", help="run a worker (joins the consumer group)")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("broker", help="start the embedded broker (Tansu) and print its URL")
    p.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    p.set_defaults(func=_cmd_broker)

    p = sub.add_parser("topics", help="create Tocsin's topics if missing, and list them")
    p.set_defaults(func=_cmd_topics)

    p = sub.add_parser(
        "produce",
        help="publish mentions (or arrays of them) from a JSON-lines file ('-' for stdin)",
    )
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--batch-max", type=_int_from(1), default=None, help="mentions per message")
    p.add_argument("--linger-ms", type=_int_from(0), default=None, help="longest wait of a batch")
    p.add_argument("--no-count", action="store_true", help="do not pre-count lines")
    p.set_defaults(func=_cmd_produce)

    p = sub.add_parser("tail", help="print alerts or dead letters as they arrive")
    p.add_argument("topic", choices=["alerts", "deadletter"])
    p.add_argument("--from-beginning", action="store_true")
    p.add_argument("--json", action="store_true", help="raw JSON lines")
    p.add_argument(
        "--idle-timeout", type=float, default=None, metavar="S", help="stop after S s of silence"
    )
    p.set_defaults(func=_cmd_tail)

    p = sub.add_parser("ack", help="acknowledge an incident (its later events carry it)")
    p.add_argument("incident", metavar="INCIDENT", help="incident id, INC-<yyyymmddThhmm>-<brand>")
    p.add_argument("--by", required=True, help="who takes it in hand")
    p.add_argument("--note", default=None)
    p.set_defaults(func=_cmd_ack)

    p = sub.add_parser("expect", help="declare a window where a positive spike is expected")
    p.add_argument("brand", metavar="BRAND")
    p.add_argument("--from", dest="from_", required=True, metavar="DATETIME")
    p.add_argument("--to", required=True, metavar="DATETIME")
    p.add_argument("--kind", required=True, choices=["campaign", "launch", "announcement"])
    p.add_argument("--note", default=None)
    p.set_defaults(func=_cmd_expect)

    p = sub.add_parser(
        "replay", help="rerun the detectors over a mentions file, compare the incidents"
    )
    p.add_argument("file", metavar="FILE.jsonl", help="mentions (objects or arrays), file order")
    p.add_argument(
        "--settings", default=argparse.SUPPRESS, metavar="FILE", help="settings to replay with"
    )
    p.add_argument("--recorded", metavar="ARCHIVE", default=None, help="archive of the topics")
    p.add_argument("--from-topics", action="store_true", help="compare with the incidents topic")
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser(
        "record", help="archive the alerts, incident events and minutes (for reports later)"
    )
    p.add_argument("--out", required=True, metavar="ARCHIVE")
    p.add_argument("--brand", default=None, help="only this brand")
    p.set_defaults(func=_cmd_record)

    p = sub.add_parser("report", help="write an incident's HTML report (lessons learnt)")
    p.add_argument("incident", metavar="INCIDENT")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--input", default=None, metavar="ARCHIVE", help="read an archive, not topics")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("schema", help="print a message format's JSON Schema")
    p.add_argument("name", choices=["mention", "alert", "incident", "brand-minutes", "command"])
    p.set_defaults(func=_cmd_schema)

    drill = sub.add_parser("drill", help="crisis drills: list, export, run").add_subparsers(
        dest="drill_command", required=True, metavar="DRILL_COMMAND"
    )
    p = drill.add_parser("list", help="bundled scenario names, one per line")
    p.set_defaults(func=_cmd_drill_list)
    p = drill.add_parser("export", help="write a drill's mentions and ground truth, no broker")
    p.add_argument("scenario", metavar="SCENARIO", help="a bundled name or a YAML file")
    p.add_argument("--out", required=True, metavar="FILE.jsonl")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=_cmd_drill_export)
    p = drill.add_parser("run", help="play a drill live against Tocsin, then debrief")
    p.add_argument("scenario", metavar="SCENARIO", help="a bundled name or a YAML file")
    p.add_argument("--speed", type=float, default=None, help="drill seconds per wall second")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--live-from",
        default=None,
        metavar="DURATION",
        help="drill time (e.g. 6d20h) before which mentions go out at full speed",
    )
    p.add_argument("--workdir", default=None, help="where logs go (default: a temp dir)")
    p.set_defaults(func=_cmd_drill_run)

    p = sub.add_parser("demo", help="broker, worker and a crisis drill, end to end")
    p.add_argument("--speed", type=float, default=60.0, help="scenario seconds per wall second")
    p.add_argument("--workdir", default=None, help="where logs go (default: a temp dir)")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tocsin`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except msgspec.DecodeError as exc:
        print(f"tocsin: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
