"""Faust's web server: off by default, on loopback, and never serving table data."""

from __future__ import annotations

from streams.app import build_worker
from streams.settings import load_settings


def test_the_web_server_is_off_by_default_and_on_loopback() -> None:
    app = build_worker(load_settings(environ={}, broker_url="kafka://127.0.0.1:1")).app
    assert app.conf.web_enabled is False
    assert app.conf.web_bind == "127.0.0.1"


def test_turning_the_web_server_on_does_not_expose_tables() -> None:
    settings = load_settings(
        environ={"TOCSIN_WEB_ENABLED": "true"}, broker_url="kafka://127.0.0.1:1"
    )
    app = build_worker(settings).app
    assert app.conf.web_enabled is True
    assert app.conf.web_tables_enabled is False
    assert app.conf.web_router_enabled is False
