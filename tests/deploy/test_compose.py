"""deploy/docker-compose.yml and the Dockerfile, validated without a Docker engine.

``docker-compose config`` (Debian's docker-compose) checks the schema and the
interpolation; the rest checks what it cannot: the KRaft quorum, listeners and
replication, the workers' TOCSIN_* settings against streams/settings.py, the
mounted files, and the ports Prometheus scrapes.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import subprocess
import tomllib
from typing import Any

import pytest
import yaml

from streams.cli import build_parser
from streams.settings import Settings, load_settings
from streams.topics import topic_specs
from tests.deploy.tools import DEPLOY, ROOT, require

COMPOSE_FILE = DEPLOY / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
BROKERS = sorted(n for n in SERVICES if n.startswith("kafka-"))
WORKERS = sorted(n for n in SERVICES if n.startswith("worker-"))
FIELDS = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
DAY_MS = 86_400_000


def _compose(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "GRAFANA_ADMIN_PASSWORD"}
    return subprocess.run(
        [require("docker-compose"), "-f", str(COMPOSE_FILE), *args],
        cwd=DEPLOY,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _listeners(text: str) -> dict[str, tuple[str, int]]:
    """``NAME://host:port,...`` as {name: (host, port)}."""
    out = {}
    for item in text.split(","):
        name, address = item.split("://")
        host, port = address.rsplit(":", 1)
        out[name] = (host, int(port))
    return out


def _tocsin_env(service: str) -> dict[str, str]:
    env = {k: str(v) for k, v in SERVICES[service]["environment"].items()}
    assert all(k.startswith("TOCSIN_") for k in env), service
    return env


def _settings(service: str) -> Settings:
    return load_settings(environ=_tocsin_env(service))


def test_docker_compose_accepts_the_file_and_requires_the_grafana_password() -> None:
    ok = _compose("config", "--quiet", GRAFANA_ADMIN_PASSWORD="example")
    assert ok.returncode == 0, ok.stderr
    missing = _compose("config", "--quiet")
    assert missing.returncode != 0 and "set GRAFANA_ADMIN_PASSWORD" in missing.stderr


def test_services() -> None:
    assert BROKERS == ["kafka-1", "kafka-2", "kafka-3"]
    assert WORKERS == ["worker-1", "worker-2"]
    assert {"topics", "prometheus", "alertmanager", "grafana"} <= set(SERVICES)


def test_kraft_quorum_is_consistent() -> None:
    envs = {name: SERVICES[name]["environment"] for name in BROKERS}
    cluster_ids = {env["CLUSTER_ID"] for env in envs.values()}
    assert len(cluster_ids) == 1
    (cluster_id,) = cluster_ids
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16, "a base64url UUID"
    node_ids = {name: int(env["KAFKA_NODE_ID"]) for name, env in envs.items()}
    assert len(set(node_ids.values())) == len(BROKERS)
    for name, env in envs.items():
        voters = {}
        for voter in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","):
            node, address = voter.split("@")
            host, port = address.rsplit(":", 1)
            voters[int(node)] = (host, int(port))
        assert voters == {
            node_ids[b]: (b, _listeners(envs[b]["KAFKA_LISTENERS"])["CONTROLLER"][1])
            for b in BROKERS
        }, name
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert len(voters) % 2 == 1, "an odd quorum"


@pytest.mark.parametrize("name", BROKERS)
def test_broker_listeners_are_consistent(name: str) -> None:
    service = SERVICES[name]
    env = service["environment"]
    listeners = _listeners(env["KAFKA_LISTENERS"])
    advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners) == set(protocols)
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert controller in listeners and controller not in advertised
    assert set(advertised) <= set(listeners)
    inter = env["KAFKA_INTER_BROKER_LISTENER_NAME"]
    assert advertised[inter] == (name, listeners[inter][1]), "reachable on the compose network"
    assert service["hostname"] == name
    published = {p.rsplit(":", 2)[-2] for p in service.get("ports", [])}
    for listener, (host, port) in advertised.items():
        assert port == listeners[listener][1]
        if host == "localhost":
            assert str(port) in published, f"{listener} advertised on the host, so published"
    rf = int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"])
    assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) < rf <= len(BROKERS)
    assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) <= len(BROKERS)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


@pytest.mark.parametrize("name", ["topics", *WORKERS])
def test_tocsin_env_names_real_settings_with_valid_values(name: str) -> None:
    env = _tocsin_env(name)
    unknown = {k for k in env if k.removeprefix("TOCSIN_").lower() not in FIELDS}
    assert not unknown, f"not in streams/settings.py: {unknown}"
    settings = _settings(name)
    assert settings.broker_kind == "kafka"
    ports = {b: _listeners(SERVICES[b]["environment"]["KAFKA_LISTENERS"]) for b in BROKERS}
    assert settings.bootstrap_servers == [f"{b}:{ports[b]['PLAINTEXT'][1]}" for b in BROKERS]
    assert settings.replication_factor <= len(BROKERS)
    message_max = int(SERVICES["kafka-1"]["environment"]["KAFKA_MESSAGE_MAX_BYTES"])
    assert message_max >= 2 * settings.max_message_bytes, "dead letters carry a whole message"


def test_workers_form_one_group_and_topics_come_first() -> None:
    settings = [_settings(name) for name in WORKERS]
    assert len({s.app_id for s in settings}) == 1, "one consumer group"
    assert settings[0] == _settings("topics")
    assert settings[0].partitions >= len(WORKERS), "every worker gets a partition"
    for name in WORKERS:
        assert SERVICES[name]["command"] == ["worker"]
        assert SERVICES[name]["depends_on"]["topics"] == {
            "condition": "service_completed_successfully"
        }
        assert settings[0].metrics_host == "0.0.0.0"
    assert SERVICES["topics"]["command"] == ["topics"]
    for broker in BROKERS:
        assert SERVICES["topics"]["depends_on"][broker] == {"condition": "service_healthy"}


def test_topics_get_partitions_replicas_and_retention() -> None:
    specs = {s.name: s for s in topic_specs(_settings("topics"))}
    assert set(specs) == {
        "mentions",
        "alerts",
        "mentions-deadletter",
        "incidents",
        "brand-minutes",
        "tocsin-commands",
    }
    assert {(s.partitions, s.replication_factor) for s in specs.values()} == {(12, 3)}
    assert specs["mentions"].configs()["retention.ms"] == str(7 * DAY_MS)
    assert specs["alerts"].configs()["retention.ms"] == str(90 * DAY_MS)
    assert specs["mentions-deadletter"].configs()["retention.ms"] == str(30 * DAY_MS)
    assert specs["incidents"].configs()["retention.ms"] == str(365 * DAY_MS)
    assert specs["brand-minutes"].configs()["retention.ms"] == str(90 * DAY_MS)
    assert specs["tocsin-commands"].configs()["retention.ms"] == str(30 * DAY_MS)
    # Mentions are dated against the broker's clock, not the producers'.
    timestamps = {n: s.configs().get("message.timestamp.type") for n, s in specs.items()}
    assert timestamps.pop("mentions") == "LogAppendTime"
    assert set(timestamps.values()) == {None}


def test_bind_mounts_exist() -> None:
    mounts = [
        volume.split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
        if volume.startswith(".")
    ]
    assert len(mounts) == 6
    for source in mounts:
        assert (DEPLOY / source).exists(), source
    named = {v.split(":")[0] for s in SERVICES.values() for v in s.get("volumes", [])}
    assert {n for n in named if not n.startswith(".")} == set(COMPOSE["volumes"])


def test_prometheus_scrapes_the_workers_and_alerts_alertmanager() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    targets = {t for c in jobs["tocsin"]["static_configs"] for t in c["targets"]}
    assert targets == {f"{w}:{_settings(w).metrics_port}" for w in WORKERS}
    (am,) = [
        t
        for a in config["alerting"]["alertmanagers"]
        for c in a["static_configs"]
        for t in c["targets"]
    ]
    host, port = am.split(":")
    assert host in SERVICES and port == "9093"
    mounted = dict(v.split(":")[:2] for v in SERVICES["prometheus"]["volumes"])
    assert mounted["./prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    for rule_file in config["rule_files"]:
        relative = rule_file.removeprefix("rules/")
        assert (DEPLOY / "prometheus" / "rules" / relative).is_file()
        assert mounted["./prometheus/rules"] == "/etc/prometheus/" + rule_file.rsplit("/", 1)[0]


def test_host_ports_are_loopback_only_and_unique() -> None:
    published = [p for s in SERVICES.values() for p in s.get("ports", [])]
    assert published and all(p.startswith("127.0.0.1:") for p in published)
    host_ports = [p.split(":")[1] for p in published]
    assert len(host_ports) == len(set(host_ports))


def _dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_builds_what_compose_runs() -> None:
    steps = _dockerfile()
    build = SERVICES["worker-1"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    args = dict(a.split("=", 1) for kind, a in steps if kind == "ARG" and "=" in a)
    assert args["PYTHON_IMAGE"].startswith("python:3.11")
    assert project["requires-python"] == ">=3.11"
    for kind, value in steps:
        if kind == "COPY" and not value.startswith("--"):
            *sources, _ = value.split()
            for source in sources:
                assert (ROOT / source).exists(), source
    entrypoint = next(yaml.safe_load(v) for k, v in steps if k == "ENTRYPOINT")
    assert entrypoint == ["tocsin"] and "tocsin" in project["scripts"]
    command = next(yaml.safe_load(v) for k, v in steps if k == "CMD")
    assert build_parser().parse_args(command).command == "worker"
    users = [v for k, v in steps if k == "USER"]
    assert users and users[-1] not in {"0", "root"}, "runs as a non-root user"
    exposed = next(v for k, v in steps if k == "EXPOSE")
    assert int(exposed) == Settings().metrics_port == _settings("worker-1").metrics_port
    env = dict(re.findall(r"(TOCSIN_\w+)=(\S+)", " ".join(v for k, v in steps if k == "ENV")))
    assert env and load_settings(environ=env).metrics_host == "0.0.0.0"
    assert any(k == "HEALTHCHECK" for k, _ in steps)
