"""The incident report from a small hand-made record of one brand.

The record: three calm hours (2 mentions a minute, one in four negative), then
from 11:00 an angry surge; Tocsin says watch at 11:11, alert at 11:13 (the
incident opens), crisis at 11:21, alert again at 11:51, calm at 12:11; the
incident is resolved at 13:10. A response at 11:30 calmed things; ana
acknowledged at 11:20.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from streams.alerts import Alert, AlertAuthor, AlertEvidence, AlertReason, rfc3339
from streams.archive import ArchiveLine, BrandRecordSet, write_archive
from streams.incidents import AckInfo, IncidentMessage, Minute, ResponseInfo
from streams.report import (
    ReportError,
    UnknownIncidentError,
    build_report,
    find_first_echo,
    load_minutes,
    render_html,
    report_main,
    summary_sentences,
    write_report,
)
from streams.report_svg import LEVEL_NAMES
from streams.settings import Settings

BRAND = "acme"
T0 = 1_772_438_400_000  # 2026-03-02T08:00:00Z
MIN = 60_000
INC = "INC-20260302T1113-acme"
SCRIPT = '<script>alert("pwned")</script> We apologise.'


def at(hhmm: str) -> int:
    """Epoch ms of a time of 2 March 2026 (UTC)."""
    h, m = map(int, hhmm.split(":"))
    return T0 + ((h - 8) * 60 + m) * MIN


def minute_row(
    start: int,
    mentions: int,
    negative: int,
    level: int = 0,
    *,
    expected: float = 2.0,
    aggressive: int = 0,
    terms: tuple[str, ...] = (),
) -> list[Any]:
    """A minute as the brand-minutes topic carries it (a JSON array in field order)."""
    incident = INC if at("11:12") <= start < at("13:10") else None
    return msgspec.to_builtins(
        Minute(start, mentions, expected, 1000.0 * mentions, negative, aggressive, 0, 0, 0,
               -0.1, level, incident, list(terms))
    )  # fmt: skip


def level_at(start: int) -> int:
    for hhmm, level in (("12:10", 0), ("11:50", 2), ("11:20", 3), ("11:12", 2), ("11:10", 1)):
        if start >= at(hhmm):
            return level
    return 0


def make_minutes() -> list[list[Any]]:
    rows = []
    for i in range(6 * 60):  # 08:00 to 14:00
        start = T0 + i * MIN
        if start < at("11:00"):
            rows.append(minute_row(start, 2, i % 2))
        elif start < at("12:10"):
            terms = ("recall", "battery") if start < at("11:40") else ("refund", "recall")
            rows.append(
                minute_row(start, 20, 14, level_at(start), aggressive=4, terms=(*terms, "fire"))
            )
        else:
            rows.append(minute_row(start, 3, 1, level_at(start), terms=("thanks",)))
    return rows


def minutes_message(rows: list[list[Any]]) -> dict[str, Any]:
    return {"schema_version": "1.0", "brand": BRAND, "bin_ms": MIN, "minutes": rows}


def event(kind: str, when: str, level: int, **extra: Any) -> dict[str, Any]:
    ack = [AckInfo(by="ana", at=rfc3339(at("11:20")), note="on it <b>now</b>")]
    resolved = rfc3339(at("13:10")) if kind == "resolved" else None
    return msgspec.to_builtins(
        IncidentMessage(
            schema_version="1.0", event_id=f"{kind}-{when}", type=kind,  # type: ignore[arg-type]
            incident_id=INC, brand=BRAND, event_time=rfc3339(at(when)),
            emitted_at=rfc3339(at(when)), level=level, level_name="x", previous_level=level,
            opened_at=rfc3339(at("11:13")), peak_level=3, resolved_at=resolved,
            acknowledged=when >= "11:20", acknowledgements=ack if when >= "11:20" else [],
            responses=1, **extra,
        )
    )  # fmt: skip


def response() -> ResponseInfo:
    return ResponseInfo(
        response_id="r1", response_time=rfc3339(at("11:30")), posts=2, text=SCRIPT,
        verdict="calmed", window_minutes=30.0, before_mentions=600.0, after_mentions=420.0,
        predicted_after_mentions=600.0, before_negative_share=0.7, after_negative_share=0.5,
        before_aggressive_share=0.2, after_aggressive_share=0.1,
    )  # fmt: skip


def alert(when: str, level: int, previous: int, authors: list[AlertAuthor]) -> dict[str, Any]:
    end = at(when)
    return msgspec.to_builtins(
        Alert(
            schema_version="1.0", alert_id=f"a-{when}", brand=BRAND, level=level,
            level_name=LEVEL_NAMES[level], previous_level=previous,  # type: ignore[arg-type]
            previous_level_name=LEVEL_NAMES[previous],  # type: ignore[arg-type]
            event_time=rfc3339(end), bin_start=rfc3339(end - MIN), emitted_at=rfc3339(end),
            signals=[], reasons=[AlertReason("volume_elevation", 3.0, 2.5)],
            evidence=AlertEvidence(
                window_start=rfc3339(end - 15 * MIN), window_end=rfc3339(end), mentions=10,
                negative=5, aggressive=1, employee=0, official=0, top_terms=["recall"],
                top_authors=authors, sample_mention_ids=[],
            ),
            incident_id=INC if level >= 2 else None,
        )
    )  # fmt: skip


NEWS = AlertAuthor("newsdesk", "media", 800_000, 3, 2_400_000)
ANGRY = AlertAuthor("angry_ann", "public", 900, 12, 10_800)


def make_records(*, minutes: list[list[Any]] | None = None) -> BrandRecordSet:
    return BrandRecordSet(
        alerts=[
            alert("11:11", 1, 0, [ANGRY]),
            alert("11:13", 2, 1, [ANGRY]),
            alert("11:21", 3, 2, [NEWS, ANGRY]),
            alert("11:51", 2, 3, [NEWS]),
            alert("12:11", 0, 2, []),
        ],
        incidents=[
            event("opened", "11:13", 2),
            event("escalated", "11:21", 3),
            event("acknowledged", "11:20", 3),
            event("response_impact", "12:00", 3, response=response()),
            event("de_escalated", "11:51", 2),
            event("de_escalated", "12:11", 0),
            event("resolved", "13:10", 0),
        ],
        minutes=[minutes_message(make_minutes() if minutes is None else minutes)],
    )


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(build_report(make_records(), INC))


# --- first echo ---------------------------------------------------------------------------


def test_first_echo_is_the_start_of_the_negative_surplus() -> None:
    _, minutes = load_minutes(make_records().minutes, BRAND)
    echo = find_first_echo(minutes, opened_ms=at("11:13"), bin_ms=MIN)
    assert (echo.at_ms, echo.rule, echo.raised_from_ms) == (at("11:00"), "surplus", at("11:10"))


def test_first_echo_without_surplus_is_the_start_of_the_raised_run() -> None:
    # The level jumps with nothing negative before it: no surplus to date it from.
    rows = [minute_row(T0 + i * MIN, 2, i % 2) for i in range(180)]
    rows += [minute_row(at("11:00"), 2, 1, 1), minute_row(at("11:01"), 2, 0, 2)]
    minutes = msgspec.convert(rows, list[Minute])
    echo = find_first_echo(minutes, opened_ms=at("11:02"), bin_ms=MIN)
    assert (echo.at_ms, echo.rule) == (at("11:00"), "raised")


def test_a_positive_spike_before_is_not_the_first_echo() -> None:
    # A campaign (many mentions, few negative) raises watch at 09:00; the scandal starts at 10:30.
    rows = [minute_row(T0 + i * MIN, 2, i % 2) for i in range(60)]
    rows += [minute_row(at("09:00") + i * MIN, 30, 3, 1) for i in range(90)]
    rows += [minute_row(at("10:30") + i * MIN, 40, 30, 1 if i < 5 else 2) for i in range(10)]
    minutes = msgspec.convert(rows, list[Minute])
    echo = find_first_echo(minutes, opened_ms=at("10:36"), bin_ms=MIN)
    assert (echo.at_ms, echo.raised_from_ms) == (at("10:30"), at("09:00"))


def test_the_first_echo_does_not_reach_into_the_brands_earlier_incident() -> None:
    """An incident resolved at 10:00 while the brand stayed at watch; a new one opens at
    10:31 on a negative surge from 10:25. Its story starts after the earlier one."""
    earlier = "INC-20260302T0830-acme"
    rows = [minute_row(T0 + i * MIN, 2, i % 2) for i in range(30)]
    rows += [  # 08:30 to 10:00: the earlier incident, negative all along
        msgspec.to_builtins(
            Minute(at("08:30") + i * MIN, 30, 2.0, 0.0, 25, 5, 0, 0, 0, -0.5, 2, earlier, [])
        )
        for i in range(90)
    ]
    rows += [minute_row(at("10:00") + i * MIN, 3, 1, 1) for i in range(25)]  # watch, no incident
    rows += [minute_row(at("10:25") + i * MIN, 30, 25, 1 if i < 5 else 2) for i in range(10)]
    minutes = msgspec.convert(rows, list[Minute])
    for row in minutes[-5:]:
        assert row.incident_id is None  # minute_row dates INC from 11:12 only
    echo = find_first_echo(minutes, opened_ms=at("10:31"), bin_ms=MIN, incident_id=INC)
    assert echo.raised_from_ms == at("10:00")
    assert at("10:00") <= echo.at_ms <= at("10:25")


def test_minutes_that_do_not_cover_the_opening_are_a_clear_error() -> None:
    """Brand-minutes are kept 90 days and incidents a year: minutes from another time
    would make up a report."""
    records = make_records(minutes=[r for r in make_minutes() if r[0] >= at("12:00")])
    with pytest.raises(ReportError, match="do not cover the incident's opening"):
        build_report(records, INC)


# --- the report ---------------------------------------------------------------------------


def test_times_from_first_echo() -> None:
    r = build_report(make_records(), INC)
    assert r.reached_ms == {1: at("11:11"), 2: at("11:13"), 3: at("11:21")}
    assert (r.opened_ms, r.resolved_ms, r.peak_level) == (at("11:13"), at("13:10"), 3)
    assert [(a.by, a.at_ms) for a in r.acknowledgements] == [("ana", at("11:20"))]
    html = render_html(r)
    times = re.search(r'<table id="times">.*?</table>', html)
    assert times is not None
    cells = re.findall(r"<td>([^<]*)</td>", times.group(0))
    assert cells == ["11:11", "11 min", "11:13", "13 min", "11:21", "21 min",
                     "first acknowledgement", "11:20", "20 min"]  # fmt: skip


def test_times_agree_with_the_alerts_when_minutes_are_missing() -> None:
    """Minute records lost from 11:05 to 11:30: the alerts still date each level."""
    rows = [r for r in make_minutes() if not at("11:05") <= r[0] < at("11:30")]
    r = build_report(make_records(minutes=rows), INC)
    assert r.reached_ms == {1: at("11:11"), 2: at("11:13"), 3: at("11:21")}


def test_phases_with_terms_and_authors() -> None:
    r = build_report(make_records(), INC)
    got = [(p.start_ms, p.end_ms, p.level, p.mentions) for p in r.phases]
    assert got == [
        (at("11:00"), at("11:11"), 0, 10 * 20),  # before detection, from the first echo
        (at("11:11"), at("11:13"), 1, 2 * 20),
        (at("11:13"), at("11:21"), 2, 8 * 20),
        (at("11:21"), at("11:51"), 3, 30 * 20),
        (at("11:51"), at("12:11"), 2, 20 * 20),
        (at("12:11"), at("13:10"), 0, 60 * 3),
    ]
    crisis = r.phases[3]
    assert crisis.top_terms == ("fire", "recall", "battery", "refund")
    assert [a.author for a in crisis.top_authors] == ["newsdesk", "angry_ann"]
    assert [a.author for a in r.phases[1].top_authors] == ["angry_ann"]


def test_a_phase_without_minute_terms_takes_those_of_the_alert_that_closed_it() -> None:
    # The worker extracts terms only at alert level or in an incident: before detection the
    # minutes carry none, and the first alert's evidence (the minutes before it) speaks for them.
    rows = make_minutes()
    for row in rows:
        if row[0] < at("11:11"):
            row[-1] = []
    r = build_report(make_records(minutes=rows), INC)
    assert r.phases[0].level == 0
    assert r.phases[0].top_terms == ("recall",)  # the evidence of the 11:11 alert
    assert r.phases[5].top_terms == ("thanks",)  # minutes with terms keep theirs


def test_summary_in_plain_words() -> None:
    text = " ".join(summary_sentences(build_report(make_records(), INC)))
    assert "opened on Mon 02 Mar 2026 at 11:13 UTC; the first echo was at 11:00, 13 min" in text
    assert "peaked at crisis at 11:21, 8 min after opening" in text
    assert "calmed things: 420 mentions in the 30 minutes after it against 600 predicted" in text
    assert "(\u221230 % vs trend)" in text
    assert "First acknowledged by ana at 11:20, 7 min after opening" in text
    assert "Resolved at 13:10, 1 h 57 min after opening" in text


def test_figures_carry_their_data(html: str) -> None:
    for fid in ("volume", "tone", "level"):
        assert f'<figure id="{fid}"' in html
    volume = html[html.index('<figure id="volume"') : html.index('<figure id="tone"')]
    # The window: an hour before the first echo to 30 min after the resolution.
    assert volume.count('class="bar"') == (at("13:40") - at("10:00")) // MIN
    assert 'data-bins="220"' in volume
    assert volume.count('data-verdict="calmed"') == 2  # the marker and the impact
    level = html[html.index('<figure id="level"') :]
    assert re.search(r'class="marker response"[^>]*data-verdict="calmed"', level)
    assert re.search(r'class="marker ack"[^>]*data-by="ana"', level)
    bands = re.findall(r'class="band"[^>]*data-level="(\d)"', level)
    assert bands == ["0", "1", "2", "3", "2", "0"]


def test_text_from_the_internet_stays_inert(html: str) -> None:
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert "<b>now</b>" not in html and "on it &lt;b&gt;now&lt;/b&gt;" in html


def test_self_contained_and_deterministic(html: str) -> None:
    for needle in ("src=", "<link", "url(", "@import", "http://", "https://"):
        assert needle not in html
    assert render_html(build_report(make_records(), INC)) == html


def test_repeated_messages_are_counted_once(html: str) -> None:
    records = make_records()
    records.minutes.append(minutes_message(make_minutes()[150:250]))  # redelivered minutes
    records.incidents += records.incidents[:3]
    records.alerts += records.alerts[:2]
    assert render_html(build_report(records, INC)) == html
    bin_ms, minutes = load_minutes(records.minutes, BRAND)
    assert (bin_ms, len(minutes)) == (MIN, 360)


def test_unknown_incident_is_a_clear_error() -> None:
    with pytest.raises(UnknownIncidentError, match=r"INC-20260302T0900-acme.*found: " + INC):
        build_report(make_records(), "INC-20260302T0900-acme")
    with pytest.raises(ValueError, match="INC-<yyyymmddThhmm>-<brand>"):
        build_report(make_records(), "nonsense")


def test_no_minutes_is_a_clear_error() -> None:
    records = make_records()
    records.minutes.clear()
    with pytest.raises(ReportError, match="brand-minutes"):
        build_report(records, INC)


def test_open_incident() -> None:
    records = make_records()
    records.incidents = [e for e in records.incidents if e["type"] != "resolved"]
    r = build_report(records, INC)
    assert r.resolved_ms is None and r.end_ms == at("14:00")
    assert "Still open at the end of the data (14:00, 2 h 47 min after opening)." in (
        summary_sentences(r)
    )


def test_write_report_and_report_main_from_an_archive(tmp_path: Path, html: str) -> None:
    path = write_report(make_records(), INC, tmp_path / "out")
    assert path == tmp_path / "out" / f"{INC}.html"
    assert path.read_text(encoding="utf-8") == html
    other = BrandRecordSet(minutes=[{**minutes_message([]), "brand": "zeta"}])
    archive = tmp_path / "record.jsonl"
    write_archive(archive, [*make_records().lines(), *other.lines()])
    got = report_main(Settings(), INC, tmp_path / "main", input_path=archive)
    assert got.read_text(encoding="utf-8") == html
    assert ArchiveLine  # the archive format is the one tocsin record writes


@pytest.mark.parametrize(
    "brand", ["acme/fr", "../acme", "Crédit-Agricole", "日本", "日" * 128, "%" * 128]
)
def test_a_brand_with_a_slash_gets_its_report_in_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, brand: str
) -> None:
    """Brand names may hold "/" (the schema refuses only spaces and control
    characters): the report is written in ``--out``, not below or above it; a long name
    (128 characters, up to 512 bytes) still makes a valid file name."""
    monkeypatch.setattr(sys.modules[__name__], "BRAND", brand)
    incident = f"INC-20260302T1113-{brand}"
    monkeypatch.setattr(sys.modules[__name__], "INC", incident)
    out = tmp_path / "reports"
    path = write_report(make_records(), incident, out)
    assert path.parent == out and path.exists()


@pytest.mark.parametrize("bin_min", [1, 2, 3, 4, 5, 7])
def test_volume_bars_hold_whole_bins(bin_min: int) -> None:
    """A bar holds a whole number of bins, or steady traffic reads as a sawtooth."""
    from streams.report import _bucket_minutes

    for span_h in (1, 6, 24, 72):
        width = _bucket_minutes(span_h * 3_600_000, bin_min * MIN)
        assert width % bin_min == 0, (bin_min, span_h, width)


def test_the_texts_follow_the_response_window_setting() -> None:
    """With ``response_window_ms`` at an hour, the legend and notes say so."""
    records = make_records()
    for e in records.incidents:
        if e["type"] == "response_impact":
            e["response"] = {**e["response"], "window_minutes": 60.0}
    page = render_html(build_report(records, INC))
    assert "30 min before a response" not in page and "the 30 minutes on each" not in page
    assert "60 min before a response" in page and "the 60 minutes on each side" in page
    assert "trend of the 120 minutes before" in page
