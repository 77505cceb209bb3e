"""Settings a worker would crash on, or misbehave with, are refused when loaded."""

from __future__ import annotations

import pytest

from streams.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        # detection parameters that the first mention's state would refuse
        ("TOCSIN_RESOLVE_AFTER_MS", "-1", "resolve_after_ms"),
        ("TOCSIN_RESPONSE_WINDOW_MS", "-1", "window_ms"),
        ("TOCSIN_NEGATIVE_BELOW", "nan", "negative_below"),
        ("TOCSIN_AGGRESSIVE_ABOVE", "-3", "aggressive_above"),
        # worker settings
        ("TOCSIN_SESSION_TIMEOUT_S", "-5", "session_timeout_s"),
        ("TOCSIN_SESSION_TIMEOUT_S", "inf", "session_timeout_s"),
        ("TOCSIN_WEB_PORT", "70000", "web_port"),
        ("TOCSIN_MAX_TEXT_CHARS", "200000", "max_text_chars"),
        ("TOCSIN_METRICS_PORT", "-1", "metrics_port"),
        ("TOCSIN_METRICS_HOST", "", "metrics_host"),
        ("TOCSIN_APP_ID", " ", "app_id"),
        ("TOCSIN_INCIDENTS_TOPIC", "", "incidents_topic"),
        ("TOCSIN_ALERTS_TOPIC", "mentions", "the topics must differ"),
    ],
)
def test_invalid_settings_are_refused_naming_the_setting(
    variable: str, value: str, named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ={variable: value})


def test_the_defaults_are_valid() -> None:
    settings = load_settings(environ={})
    assert settings.detection().fusion.alert_tone == settings.fusion_alert_tone


def test_an_unknown_tocsin_variable_is_refused_with_the_closest_name() -> None:
    with pytest.raises(
        SettingsError, match="TOCSIN_METRICS_PROT; did you mean TOCSIN_METRICS_PORT"
    ):
        load_settings(environ={"TOCSIN_METRICS_PROT": "9000"})
    assert load_settings(environ={"TOCSIN_SETTINGS": ""}).metrics_port == 9464
