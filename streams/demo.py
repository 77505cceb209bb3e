"""``tocsin demo``: broker, worker and a crisis drill, end to end, in about two minutes.

Starts the embedded broker (unless ``TOCSIN_BROKER_URL`` names one) and a worker
process, exactly as a deployment runs them, then plays the bundled drill
``demo-live`` (:mod:`streams.drills.live`): days of history at full speed, then
the last two hours at x60. It exits 0 when every crisis of the drill reached
alert level, no calm brand did, and no positive event was raised.
"""

from __future__ import annotations

from pathlib import Path

from streams.drills import load_scenario
from streams.drills.live import print_debrief, run_drill
from streams.settings import Settings

__all__ = ["DEMO_SCENARIO", "run_demo"]

DEMO_SCENARIO = "demo-live"


def run_demo(settings: Settings, *, speed: float = 60.0, workdir: str | None = None) -> int:
    """Run the demo; return the process exit code."""
    scenario = load_scenario(DEMO_SCENARIO)
    result = run_drill(settings, scenario, speed=speed, workdir=Path(workdir) if workdir else None)
    print_debrief(result, scenario)
    d = result.debrief
    ok = (
        all(o.detected for o in d.crisis_events)
        and not d.false_alarms
        and not d.positive_spikes_raised
    )
    print(f"demo {'passed' if ok else 'FAILED'}", flush=True)
    return 0 if ok else 1
