"""Real Prometheus and Alertmanager processes on loopback, and a webhook sink.

They run the Debian binaries on free ports with temporary storage. The
Alertmanager keeps deploy/alertmanager/alertmanager.yml's routing tree and
inhibit rules, with every receiver replaced by a webhook to a local sink, so
nothing leaves the machine and the test sees who would have been called.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import yaml

from streams.tansu import free_port
from tests.deploy.tools import require

__all__ = ["AlertmanagerProcess", "PrometheusProcess", "WebhookSink"]


class WebhookSink:
    """An HTTP server on loopback that keeps every JSON body POSTed, by path."""

    def __init__(self) -> None:
        received: list[tuple[str, dict[str, Any]]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path.strip("/"), json.loads(body or b"{}")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.received = received
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, receiver: str, *, timeout_s: float) -> dict[str, Any]:
        """The first notification sent to ``receiver``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for path, body in list(self.received):
                if path == receiver:
                    return body
            time.sleep(0.1)
        seen = sorted({p for p, _ in self.received})
        raise AssertionError(f"no notification for {receiver} in {timeout_s} s; got {seen}")


class _Process:
    name = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir / self.name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "log.txt"
        self.proc: subprocess.Popen[bytes] | None = None

    def _args(self) -> list[str]:
        raise NotImplementedError

    def start(self, *, timeout_s: float = 30) -> Self:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self._args(), cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.tail_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {timeout_s} s:\n{self.tail_log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def tail_log(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as resp:
            return json.load(resp)


class AlertmanagerProcess(_Process):
    """Alertmanager with the routes and inhibitions of ``config``, receivers sent to ``sink``."""

    name = "alertmanager"

    def __init__(self, workdir: Path, config: Path, sink: str) -> None:
        super().__init__(workdir)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["receivers"] = [
            {"name": r["name"], "webhook_configs": [{"url": f"{sink}/{r['name']}"}]}
            for r in data["receivers"]
        ]
        self.config = self.workdir / "alertmanager.yml"
        self.config.write_text(yaml.safe_dump(data), encoding="utf-8")

    def _args(self) -> list[str]:
        return [
            require("prometheus-alertmanager", "alertmanager"),
            f"--config.file={self.config}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]


class PrometheusProcess(_Process):
    """Prometheus scraping ``targets`` as job tocsin every second, with ``rule_files``."""

    name = "prometheus"

    def __init__(
        self,
        workdir: Path,
        *,
        targets: Sequence[str],
        rule_files: Sequence[Path],
        alertmanager: str | None = None,
    ) -> None:
        super().__init__(workdir)
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(p) for p in rule_files],
            "scrape_configs": [
                {"job_name": "tocsin", "static_configs": [{"targets": list(targets)}]}
            ],
        }
        if alertmanager:
            config["alerting"] = {
                "alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]
            }
        self.config = self.workdir / "prometheus.yml"
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")

    def _args(self) -> list[str]:
        return [
            require("prometheus"),
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result."""
        body = self.get("/api/v1/query", query=expr)
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def query_range(self, expr: str, start: float, end: float, step: str) -> list[dict[str, Any]]:
        """A range query's result, as Grafana asks for a time series panel."""
        body = self.get("/api/v1/query_range", query=expr, start=start, end=end, step=step)
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts."""
        return list(self.get("/api/v1/alerts")["data"]["alerts"])
