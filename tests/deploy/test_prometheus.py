"""deploy/prometheus/: promtool checks and unit tests, and what the rules promise."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.deploy.tools import (
    DEPLOY,
    RULE_FILES,
    alert_rules,
    exported_metric_names,
    metric_names,
    recorded_sources,
    require,
    run,
)

PROMETHEUS = DEPLOY / "prometheus"
RUNBOOK = DEPLOY / "RUNBOOK.md"
TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
RUNBOOK_BASE = "https://tocsin.example.com/deploy/RUNBOOK.md#"


def test_config_and_rules_pass_promtool_check() -> None:
    promtool = require("promtool")
    out = run([promtool, "check", "config", str(PROMETHEUS / "prometheus.yml")])
    assert "2 rule files found" in out
    run([promtool, "check", "rules", *map(str, RULE_FILES)])


def test_rules_pass_their_promtool_unit_tests() -> None:
    assert TESTS, "no promtool test files"
    out = run([require("promtool"), "test", "rules", *map(str, TESTS)])
    assert out.count("SUCCESS") == len(TESTS), out


def test_every_alert_has_a_promtool_test_where_it_fires() -> None:
    fired = set()
    for path in TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert {r["alert"] for r in alert_rules()} <= fired


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_alert_carries_what_routing_and_people_need(rule: dict[str, Any]) -> None:
    assert re.fullmatch(r"Tocsin(?:[A-Z][a-z]+)+", rule["alert"]), "CamelCase, Tocsin prefix"
    labels, notes = rule["labels"], rule["annotations"]
    assert labels["severity"] in {"critical", "warning", "info"}
    assert labels["team"] in {"communication", "sre"}
    if labels["team"] == "communication":
        assert labels["level"] in {"crisis", "alert", "watch"}
    assert {"summary", "description", "runbook_url"} <= set(notes)
    anchor = notes["runbook_url"].removeprefix(RUNBOOK_BASE)
    assert anchor == rule["alert"].lower()
    headings = re.findall(r"^#+ (\S+)", RUNBOOK.read_text(encoding="utf-8"), re.MULTILINE)
    assert rule["alert"] in headings, "a RUNBOOK.md section named after the alert"


def test_rules_read_metrics_the_worker_exports() -> None:
    exported = exported_metric_names()
    recorded = recorded_sources()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                for name in metric_names(rule["expr"]):
                    known = name in exported or name in recorded
                    assert known, f"{rule.get('alert') or rule['record']} reads unknown {name}"


def test_every_metric_the_rules_read_is_in_the_readme() -> None:
    """Ops read the rules next to the README's metrics table: none is undocumented."""
    readme = (DEPLOY.parent / "README.md").read_text(encoding="utf-8")
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                for name in metric_names(rule["expr"]):
                    if name.startswith("tocsin_"):
                        family = re.sub(r"_(bucket|count|sum)$", "", name)  # a histogram's series
                        assert f"`{family}`" in readme, name
