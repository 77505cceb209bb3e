"""deploy/alertmanager/: config check, routing cases, and inhibition on a live Alertmanager."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.stack import AlertmanagerProcess, WebhookSink
from tests.deploy.tools import DEPLOY, alert_rules, require, run

CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
CASES = yaml.safe_load((DEPLOY / "alertmanager" / "tests" / "routes.yml").read_text())


def test_config_passes_amtool_check() -> None:
    out = run([require("amtool"), "check-config", str(CONFIG)])
    assert "SUCCESS" in out and "3 inhibit rules" in out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_route(case: dict[str, Any]) -> None:
    labels = [f"{k}={v}" for k, v in case["labels"].items()]
    out = run(
        [
            require("amtool"),
            "config",
            "routes",
            "test",
            f"--config.file={CONFIG}",
            f"--verify.receivers={','.join(case['receivers'])}",
            *labels,
        ]
    )
    assert ",".join(case["receivers"]) in out.splitlines()


def test_every_alert_has_a_routing_case_with_its_own_labels() -> None:
    for rule in alert_rules():
        cases = [c for c in CASES if c["labels"]["alertname"] == rule["alert"]]
        assert cases, f"no routing case for {rule['alert']}"
        for case in cases:
            for key, value in rule["labels"].items():
                assert case["labels"].get(key) == value, (case["name"], key)


def _alert(name: str, **labels: str) -> dict[str, Any]:
    rule = next(r for r in alert_rules() if r["alert"] == name)
    return {"labels": {"alertname": name, **rule["labels"], **labels}}


def _post(base: str, alerts: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{base}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 200


def _states(base: str) -> dict[tuple[str, str], list[str]]:
    with urllib.request.urlopen(f"{base}/api/v2/alerts", timeout=5) as resp:
        alerts = json.load(resp)
    return {
        (a["labels"]["alertname"], a["labels"].get("brand", "")): a["status"]["inhibitedBy"]
        for a in alerts
    }


def test_a_crisis_inhibits_alert_and_watch_of_its_brand_only(tmp_path: Path) -> None:
    """The real routing tree and inhibit rules; receivers become a local webhook."""
    with WebhookSink() as sink, AlertmanagerProcess(tmp_path, CONFIG, sink.url).start() as am:
        _post(
            am.url,
            [
                _alert("TocsinBrandCrisis", brand="acme"),
                _alert("TocsinBrandAtAlertLevel", brand="acme"),
                _alert("TocsinBrandUnderWatch", brand="acme"),
                _alert("TocsinBrandAtAlertLevel", brand="globex"),
                _alert("TocsinBrandUnderWatch", brand="globex"),
                _alert("TocsinBrandUnderWatch", brand="initech"),
            ],
        )
        deadline = time.monotonic() + 15
        states: dict[tuple[str, str], list[str]] = {}
        while time.monotonic() < deadline:
            states = _states(am.url)
            if len(states) == 6 and all(states[k] for k in _INHIBITED):
                break
            time.sleep(0.2)
        for key in _INHIBITED:
            assert states[key], f"{key} should be inhibited: {states}"
        for key in set(states) - set(_INHIBITED):
            assert not states[key], f"{key} should not be inhibited: {states}"
        # crisis: group_wait 0s, the on-call communication lead is paged at once
        page = sink.wait_for("comms-oncall-page", timeout_s=15)
    assert page["commonLabels"]["brand"] == "acme"
    assert page["commonLabels"]["alertname"] == "TocsinBrandCrisis"


_INHIBITED = [
    ("TocsinBrandAtAlertLevel", "acme"),
    ("TocsinBrandUnderWatch", "acme"),
    ("TocsinBrandUnderWatch", "globex"),
]


def test_one_worker_down_does_not_mute_the_others_lag_no_worker_at_all_does(
    tmp_path: Path,
) -> None:
    """A worker down hands its partitions to the others, whose lag is then news; with
    no worker at all, lag and silent brands are symptoms."""
    with WebhookSink() as sink, AlertmanagerProcess(tmp_path, CONFIG, sink.url).start() as am:
        _post(
            am.url,
            [
                _alert("TocsinWorkerDown", job="tocsin", instance="worker-2:9464"),
                _alert("TocsinConsumerLagGrowing", job="tocsin"),
                _alert("TocsinBrandSilent", brand="globex"),
            ],
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(_states(am.url)) < 3:
            time.sleep(0.2)
        time.sleep(1.0)  # inhibition is evaluated as alerts come: give it a round
        states = _states(am.url)
        assert len(states) == 3 and not any(states.values()), states
        _post(am.url, [_alert("TocsinWorkersAbsent", job="tocsin")])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            states = _states(am.url)
            if states[("TocsinConsumerLagGrowing", "")] and states[("TocsinBrandSilent", "globex")]:
                break
            time.sleep(0.2)
        assert states[("TocsinConsumerLagGrowing", "")], states
        assert states[("TocsinBrandSilent", "globex")], states
        assert not states[("TocsinWorkerDown", "")], states
