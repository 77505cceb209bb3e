"""The report of a drill, rendered by headless Chromium as a person would see it.

The backfire-then-calm drill runs offline through the worker's code; someone
acknowledges the incident through the brand's own tracker; the record goes to
an archive (and, once, to the topics of the embedded broker). ``tocsin
report`` writes the HTML; Debian's ``chromium`` renders it: its DOM must hold
the three figures with their data, and its screenshot must show them.

Chromium is required (CI installs the Debian packages ``chromium`` and
``fonts-liberation``): without it these tests fail, they do not skip.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import time
import zlib
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from kafka import KafkaProducer

from streams.archive import ArchiveLine, read_archive, write_archive
from streams.drills import generate, load_scenario
from streams.drills.offline import run_offline
from streams.incidents import incident_message
from streams.report import IncidentReport, build_report, ms_of, report_main
from streams.report_svg import LEVEL_COLOURS, VERDICT_COLOURS
from streams.settings import Settings
from streams.tansu import EmbeddedBroker
from streams.topics import ensure_topics
from tests.kafka_helpers import isolated_settings

pytestmark = pytest.mark.timeout(180)

INC = "INC-20250120T1019-nuage-mobile"
BRAND = "nuage-mobile"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


# --- the drill, its record and its report ------------------------------------------------


def drill_lines() -> list[ArchiveLine]:
    """The drill's alerts, incident events and minutes, plus an acknowledgement at 10:35."""
    run = run_offline(generate(load_scenario("backfire-then-calm"), seed=1))
    events = list(run.incident_events)
    opened = next(e for e in events if e["type"] == "opened")
    state = run.records[BRAND].state
    ack = state.acknowledge(
        INC, by="Ana (comms lead)", note="on it", at_ms=ms_of(opened["opened_at"]) + 14 * 60_000
    )
    assert ack is not None
    message = incident_message(ack, state.incidents.find(INC), emitted_at_ms=0)
    events.append(msgspec.to_builtins(message))
    return (
        [ArchiveLine(topic="alerts", key=a["brand"], value=a) for a in run.alerts]
        + [ArchiveLine(topic="incidents", key=e["brand"], value=e) for e in events]
        + [ArchiveLine(topic="brand-minutes", key=m["brand"], value=m) for m in run.minutes]
    )


@pytest.fixture(scope="module")
def lines() -> list[ArchiveLine]:
    return drill_lines()


@pytest.fixture(scope="module")
def archive(lines: list[ArchiveLine], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("record") / "backfire-then-calm.jsonl"
    write_archive(path, lines)
    return path


@pytest.fixture(scope="module")
def report(archive: Path) -> IncidentReport:
    return build_report(read_archive(archive, brand=BRAND), INC)


@pytest.fixture(scope="module")
def html_path(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    path = report_main(Settings(), INC, out, input_path=archive)
    assert path == out / f"{INC}.html"
    return path


# --- Chromium ----------------------------------------------------------------------------


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium; fail (not skip) when the Debian package is missing."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail(
            "headless Chromium is required: apt-get install chromium fonts-liberation "
            "(CI's .ci/run installs them)"
        )
    binary = str(CHROMIUM) if CHROMIUM.exists() else str(shutil.which("chromium"))
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )


class Elements(HTMLParser):
    """The DOM's elements, each with the id of the figure holding it."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[str] = []
        self.found: dict[str, list[tuple[str, dict[str, str]]]] = defaultdict(list)
        self._figure: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "figure":
            self._figure = a.get("id", "")
            self.figures.append(self._figure)
        self.found[self._figure or ""].append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._figure = None

    def in_figure(self, fid: str, classes: str) -> list[dict[str, str]]:
        """Attributes of the elements of figure ``fid`` having all these classes."""
        want = set(classes.split())
        return [a for _, a in self.found[fid] if want <= set(a.get("class", "").split())]

    def figure(self, fid: str) -> dict[str, str]:
        return next(a for tag, a in self.found[fid] if tag == "figure")


@pytest.fixture(scope="module")
def dom(html_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Elements:
    profile = tmp_path_factory.mktemp("chromium-dom")
    out = chromium("--dump-dom", html_path.as_uri(), profile=profile).stdout
    assert "<html" in out and "Incident report" in out
    parser = Elements()
    parser.feed(out)
    return parser


def decode_png(data: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Pixels of an 8-bit RGB or RGBA, non-interlaced PNG (zlib and the five filters)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IHDR":
            header = data[pos + 8 : pos + 8 + n]
        elif kind == b"IDAT":
            idat.append(data[pos + 8 : pos + 8 + n])
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and ctype in (2, 6)
    bpp = 3 if ctype == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, w * bpp + 1)
    out = np.zeros((h, w * bpp), dtype=np.uint8)
    prev = out[0].copy()
    for y in range(h):
        out[y] = _unfilter(int(raw[y, 0]), raw[y, 1:], prev, bpp)
        prev = out[y]
    return out.reshape(h, w, bpp)


def _unfilter(kind: int, line: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 1:
        return (np.cumsum(line.reshape(-1, bpp), axis=0) % 256).astype(np.uint8).ravel()
    if kind == 2:
        return line + prev
    cur, up = bytearray(line.tobytes()), prev.tobytes()
    for i in range(len(cur)):
        a = cur[i - bpp] if i >= bpp else 0
        b = up[i]
        if kind == 3:
            cur[i] = (cur[i] + ((a + b) >> 1)) & 255
        else:
            c = up[i - bpp] if i >= bpp else 0
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return np.frombuffer(bytes(cur), dtype=np.uint8)


def pixels_of(img: np.ndarray, colour: str) -> int:
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return int(np.all(img[:, :, :3] == rgb, axis=2).sum())


# --- tests -------------------------------------------------------------------------------


def test_the_drill_report_in_numbers(report: IncidentReport) -> None:
    assert report.peak_level == 3
    assert [r.info.verdict for r in report.responses] == ["backfired", "calmed"]
    # The leak starts at 10:00 UTC (the drill's ground truth). Volume and tone together
    # reach the alert rule at 10:19 before volume alone reaches the watch rule: the level
    # goes from calm straight to alert, and the report dates the first echo back to 10:0x.
    assert report.first_echo.rule == "surplus"
    assert ms_of("2025-01-20T10:00:00Z") <= report.first_echo.at_ms <= ms_of("2025-01-20T10:05Z")
    assert report.reached_ms[2] == report.opened_ms == ms_of("2025-01-20T10:19:00Z")
    # After the second peak (18:04) the hour's volume is still about eight times the last
    # week's normal, with a negative tone: alert, then watch, still on when the incident
    # resolves an hour after the alert ended.
    assert [p.level for p in report.phases] == [0, 2, 3, 2, 3, 2, 1]


def test_chromium_renders_the_three_figures_with_their_data(
    dom: Elements, report: IncidentReport
) -> None:
    assert dom.figures == ["volume", "tone", "level"]
    bars = dom.in_figure("volume", "bar")
    assert len(bars) == int(dom.figure("volume")["data-bins"]) == len(report.minutes) > 500
    assert sum(int(b["data-mentions"]) for b in bars) == sum(m.mentions for m in report.minutes)
    for fid in ("volume", "tone", "level"):
        verdicts = [m["data-verdict"] for m in dom.in_figure(fid, "marker response")]
        assert verdicts == ["backfired", "calmed"], fid
        assert len(dom.in_figure(fid, "marker echo")) == 1, fid
    impacts = {i["data-verdict"]: i for i in dom.in_figure("volume", "impact")}
    backfired, calmed = impacts["backfired"], impacts["calmed"]
    # the figure shows what the verdict says: after the backfiring response, the flow is
    # above its trend by more than the backfire ratio (1.3)
    assert float(backfired["data-after"]) > 1.3 * float(backfired["data-predicted"])
    assert float(calmed["data-after"]) < float(calmed["data-predicted"])
    for series in ("negative", "aggressive"):
        (line,) = dom.in_figure("tone", f"series {series}")
        (normal,) = dom.in_figure("tone", f"baseline {series}")
        assert 0 < float(normal["data-share"]) < 0.3
        assert int(line["data-points"]) > 500
    bands = dom.in_figure("level", "band")
    assert {b["data-level-name"] for b in bands} == {"calm", "watch", "alert", "crisis"}
    kinds = sorted(m["data-kind"] for m in dom.in_figure("level", "marker"))
    assert kinds == ["ack", "echo", "opened", "resolved", "response", "response"]
    (ack,) = dom.in_figure("level", "marker ack")
    assert ack["data-by"] == "Ana (comms lead)"


def test_the_screenshot_shows_the_figures(html_path: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    chromium(f"--screenshot={png}", "--window-size=1400,2400", html_path.as_uri(), profile=tmp_path)
    data = png.read_bytes()
    assert len(data) > 100_000
    img = decode_png(data)
    assert img.shape[:2] == (2400, 1400)
    packed = img[:, :, 0].astype(np.uint32) << 16 | img[:, :, 1].astype(np.uint32) << 8
    packed |= img[:, :, 2]
    assert len(np.unique(packed)) > 500  # text, lines and bands: not a blank page
    # The level bands (crisis, alert) and both verdict colours are painted.
    assert pixels_of(img, LEVEL_COLOURS[3]) > 20_000
    assert pixels_of(img, LEVEL_COLOURS[2]) > 10_000
    assert pixels_of(img, VERDICT_COLOURS["backfired"]) > 500
    assert pixels_of(img, VERDICT_COLOURS["calmed"]) > 500


def test_report_main_reads_the_topics(
    broker: EmbeddedBroker, lines: list[ArchiveLine], html_path: Path, tmp_path: Path
) -> None:
    """The same record on the topics gives the same report, byte for byte."""
    settings = isolated_settings(
        broker, "report", incidents_topic="report-incidents", minutes_topic="report-minutes"
    )
    ensure_topics(settings)
    topic = {
        "alerts": settings.alerts_topic,
        "incidents": settings.incidents_topic,
        "brand-minutes": settings.minutes_topic,
    }
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", max_request_size=8_388_608
    )
    try:
        for line in lines:
            producer.send(
                topic[line.topic], key=line.key.encode(), value=msgspec.json.encode(line.value)
            )
        producer.flush(timeout=60)
    finally:
        producer.close()
    started = time.monotonic()
    path = report_main(settings, INC, tmp_path, input_path=None)
    assert time.monotonic() - started < 60
    assert path.read_bytes() == html_path.read_bytes()
