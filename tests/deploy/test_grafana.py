"""deploy/grafana/: committed dashboards equal what the SDK script generates, and are sound."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.deploy.tools import (
    DEPLOY,
    exported_metric_names,
    metric_names,
    recorded_sources,
)

GRAFANA = DEPLOY / "grafana"
COMMITTED = {p.name: p for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tocsin_dashboards", GRAFANA / "dashboards.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, Any]]:
    """The dashboards as deploy/grafana/dashboards.py builds them now (the SDK is needed)."""
    return dict(_script().build())


def test_committed_dashboards_are_the_generated_ones(generated: dict[str, Any]) -> None:
    render = _script().render
    assert sorted(generated) == sorted(COMMITTED)
    for name, board in generated.items():
        assert COMMITTED[name].read_text(encoding="utf-8") == render(board), (
            f"{name} is stale: run .venv/bin/python deploy/grafana/dashboards.py"
        )


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    main = _script().main
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_dashboard_is_sound(name: str) -> None:
    board = json.loads(COMMITTED[name].read_text(encoding="utf-8"))
    assert board["uid"].startswith("tocsin-") and "tocsin" in board["tags"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    for panel in _panels(board):
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24 and pos["h"] > 0, panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and panel.get("description"), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            if "brand" in variables:
                assert 'brand=~"$brand"' in target["expr"], f"{panel['title']} ignores $brand"


def test_every_query_reads_exported_or_recorded_metrics() -> None:
    known = exported_metric_names() | set(recorded_sources())
    known |= {"up", "ALERTS"}
    for name, path in COMMITTED.items():
        board = json.loads(path.read_text(encoding="utf-8"))
        exprs = [t["expr"] for p in _panels(board) for t in p["targets"]]
        exprs += [a["expr"] for a in board.get("annotations", {}).get("list", [])]
        for expr in exprs:
            unknown = metric_names(expr) - known
            assert not unknown, f"{name}: {expr} reads {unknown}"


def test_overview_has_what_the_issue_asks() -> None:
    board = json.loads(COMMITTED["tocsin-overview.json"].read_text(encoding="utf-8"))
    kinds = {p["title"]: p["type"] for p in _panels(board)}
    assert kinds["Crisis level by brand"] == "state-timeline"
    for title in ("Mentions per minute", "Negative share", "Anomaly scores"):
        assert kinds[title] == "timeseries"
    levels = next(p for p in _panels(board) if p["type"] == "state-timeline")
    mapping = levels["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert [mapping[str(i)]["text"] for i in range(4)] == ["calm", "watch", "alert", "crisis"]
    notes = [a["expr"] for a in board["annotations"]["list"]]
    assert any(e.startswith("ALERTS{") for e in notes)


def test_pipeline_has_what_the_issue_asks() -> None:
    board = json.loads(COMMITTED["tocsin-pipeline.json"].read_text(encoding="utf-8"))
    exprs = " ".join(t["expr"] for p in _panels(board) for t in p["targets"])
    for metric in (
        "tocsin_messages_consumed_total",
        "tocsin_consumer_lag_messages",
        "tocsin_mentions_invalid",
        "tocsin_mentions_late_total",
        "tocsin_processing_latency_seconds",
        "tocsin_event_time_lag_seconds",
    ):
        assert metric in exprs, metric


def test_provisioning_matches_the_compose_file() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])
    (source,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "tocsin.yml").read_text()
    )["providers"]
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
