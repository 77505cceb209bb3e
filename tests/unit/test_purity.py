"""detectors/ is pure: stdlib, numpy and river only; no I/O library, no clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DETECTORS = sorted((ROOT / "detectors").glob("*.py"))
ALLOWED_THIRD_PARTY = {"numpy", "river"}
FORBIDDEN = ("faust", "kafka", "aiokafka", "prometheus_client", "mode", "msgspec", "yaml")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_detectors_import_only_stdlib_numpy_and_river() -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in DETECTORS:
        outside = _imports(path) - stdlib - ALLOWED_THIRD_PARTY - {"detectors", "__future__"}
        assert not outside, f"{path.name} imports {sorted(outside)}"


def test_importing_detectors_loads_no_io_library() -> None:
    modules = ", ".join(f"detectors.{p.stem}" for p in DETECTORS if p.stem != "__init__")
    code = (
        f"import sys, importlib\n"
        f"for m in '{modules}'.split(', '): importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        f"print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_detectors_read_no_clock_and_open_no_file() -> None:
    banned_calls = {"time.time", "time.monotonic", "datetime.now", "datetime.utcnow", "open"}
    for path in DETECTORS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                assert name not in banned_calls, f"{path.name}:{node.lineno} calls {name}"
