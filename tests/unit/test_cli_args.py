"""The CLI refuses what it cannot do with a message, not a traceback."""

from __future__ import annotations

import pytest

from streams.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["tail", "alerts"],
        ["topics"],
        ["produce", "/dev/null"],
        ["ack", "INC-20250120T1019-acme", "--by", "ana"],
        [
            "expect",
            "acme",
            "--from",
            "2025-01-20T08:00Z",
            "--to",
            "2025-01-21T08:00Z",
            "--kind",
            "launch",
        ],
    ],
)
def test_commands_that_need_a_broker_say_so_when_none_is_set(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOCSIN_BROKER_URL", raising=False)
    with pytest.raises(SystemExit, match="no broker configured"):
        main(argv)


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_batch_size_below_one_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["produce", "--batch-max", value, "/dev/null"])
    assert "valid values: an integer >= 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "nonsense", "--out", "{tmp}", "--input", "{tmp}/none.jsonl"], "INC-"),
        (
            ["report", "INC-20250120T1019-acme", "--out", "{tmp}", "--input", "{tmp}/none.jsonl"],
            "none.jsonl",
        ),
        (["replay", "{tmp}/none.jsonl"], "none.jsonl"),
    ],
)
def test_report_and_replay_errors_are_a_message_and_status_2(
    argv: list[str], says: str, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tocsin: ") and says in err and "Traceback" not in err
