"""Helpers for the deploy/ tests: the files, the binaries, and what the rules read.

The binaries come from Debian packages that ``.ci/run`` installs (APT_PACKAGES):
a test that needs one fails when it is missing, it never passes silently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics

__all__ = [
    "ALERTS_FILE",
    "DEPLOY",
    "RECORDING_FILE",
    "ROOT",
    "RULE_FILES",
    "alert_rules",
    "exported_metric_names",
    "metric_names",
    "recorded_sources",
    "require",
    "run",
]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ALERTS_FILE = DEPLOY / "prometheus" / "rules" / "tocsin-alerts.yml"
RECORDING_FILE = DEPLOY / "prometheus" / "rules" / "tocsin-recording.yml"
RULE_FILES = (RECORDING_FILE, ALERTS_FILE)

#: Debian package of each binary the tests run.
_PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "alertmanager": "prometheus-alertmanager",
}

_NAME = re.compile(r"\b([a-z_][a-z0-9_]*:[a-z0-9_]+:[a-z0-9_]+|tocsin_[a-z0-9_]+)\b")


def require(*names: str) -> str:
    """The path of the first of ``names`` found on PATH; fail the test otherwise."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    package = _PACKAGES.get(names[0], "?")
    pytest.fail(
        f"{' or '.join(names)} not found: install the Debian package {package} "
        f"(listed in APT_PACKAGES of .ci/run, which CI installs)",
        pytrace=False,
    )


def run(args: Sequence[str], *, cwd: Path = ROOT, timeout: float = 60) -> str:
    """Run a command; fail the test with its output unless it exits 0."""
    out = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if out.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}", pytrace=False
        )
    return out.stdout + out.stderr


def _rules(path: Path) -> Iterator[dict[str, Any]]:
    for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
        yield from group["rules"]


def alert_rules() -> list[dict[str, Any]]:
    """The alerting rules of tocsin-alerts.yml."""
    return [r for r in _rules(ALERTS_FILE) if "alert" in r]


def recorded_sources() -> dict[str, set[str]]:
    """Each recording rule's name and the raw ``tocsin_*`` metrics it reads."""
    rules = [r for path in RULE_FILES for r in _rules(path) if "record" in r]
    direct = {r["record"]: metric_names(r["expr"]) for r in rules}
    return {
        name: {m for n in names for m in (direct.get(n) or {n})} for name, names in direct.items()
    }


def metric_names(expr: str) -> set[str]:
    """Tocsin metric and recording-rule names a PromQL expression reads.

    >>> sorted(metric_names('sum(rate(tocsin_mentions_processed_total{brand=~"$brand"}[5m]))'))
    ['tocsin_mentions_processed_total']
    >>> sorted(metric_names("brand:tocsin_brand_level:max >= 3"))
    ['brand:tocsin_brand_level:max']
    """
    return {m for m in _NAME.findall(expr) if not m.startswith("__")}


def exported_metric_names() -> set[str]:
    """Every sample name a worker's registry declares, from streams.metrics itself.

    Read from the metric families (no label child needs to exist), so this does
    not depend on how the worker fills them.
    """
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    metrics.watch_watermarks(dict)  # the collectors computed at scrape time, as the worker has
    metrics.watch_consumer_lag(dict)
    metrics.watch_incidents(dict)
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_count", "_sum"),
        "summary": ("_count", "_sum"),
    }
    return {
        family.name + suffix
        for family in registry.collect()
        for suffix in suffixes.get(family.type, ("",))
    }
