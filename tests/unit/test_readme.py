"""The README's examples run, and its two set-up commands come first."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_examples_run() -> None:
    result = doctest.testfile(
        str(README), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_starts_with_the_two_commands() -> None:
    lines = [line for line in README.read_text(encoding="utf-8").splitlines() if line.strip()]
    block = lines[lines.index("```") + 1 : lines.index("```") + 3]
    assert [line.split()[:2] for line in block] == [["make", "demo"], ["make", "test"]]
