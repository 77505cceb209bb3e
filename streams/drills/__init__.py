"""Crisis drills: labelled, reproducible streams of social-media mentions.

Crisis-communication teams train on *drills*: a simulated, accelerated storm
of posts about a brand, internal and external. Tocsin generates them from
YAML scenarios, and the same labelled scenarios measure its detection.

A scenario (``scenarios/_example.yaml`` documents every field) gives, for one
or more brands over a period, their baseline traffic (mean rate, daily and
weekly seasonality, holidays, over-dispersed noise, platform, language and
author mixes, tone), the events to detect (start, shape, size, tone,
vocabulary, who posts), the official responses and their effect (calms,
none, backfires), and the ground truth: the crisis level each event deserves
(0 calm, 1 watch, 2 alert, 3 crisis).

Typical use, from a CLI or a benchmark::

    from streams.drills import export, generate, ground_truth, list_scenarios, load_scenario

    scenario = load_scenario("product-recall")          # or a path to a .yaml file
    for mention in generate(scenario, seed=7):           # dicts, in arrival order
        ...
    truth = ground_truth(scenario)                       # list[GroundTruthEvent]
    export(scenario, "runs/recall.jsonl", seed=7)        # + runs/recall.truth.json

For throughput, ``generate(scenario, seed=7, brands=500)`` clones the
scenario's brands (and their events) to 500 synthetic brands. For a live
demo, :func:`schedule` publishes the history at full speed and plays the
rest accelerated (see :mod:`streams.drills.playback`).

Examples
--------
>>> from streams.drills import ground_truth, load_scenario
>>> [(t.id, t.kind, t.level) for t in ground_truth(load_scenario("viral-campaign"))]
[('summer-ad', 'positive', 1)]
"""

from streams.drills._nodes import ScenarioError
from streams.drills.export import ExportResult, export, truth_path_for
from streams.drills.generator import generate, generate_arrivals
from streams.drills.model import (
    AuthorRole,
    Baseline,
    Brand,
    Effect,
    Event,
    EventKind,
    Level,
    Response,
    Scenario,
    Shape,
    Tone,
    Truth,
    Wave,
)
from streams.drills.playback import schedule
from streams.drills.scale import scale_brands, scale_rates
from streams.drills.scenario import list_scenarios, load_scenario, parse_scenario, scenario_path
from streams.drills.truth import GroundTruthEvent, ground_truth

__all__ = [
    "AuthorRole",
    "Baseline",
    "Brand",
    "Effect",
    "Event",
    "EventKind",
    "ExportResult",
    "GroundTruthEvent",
    "Level",
    "Response",
    "Scenario",
    "ScenarioError",
    "Shape",
    "Tone",
    "Truth",
    "Wave",
    "export",
    "generate",
    "generate_arrivals",
    "ground_truth",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "scale_brands",
    "scale_rates",
    "scenario_path",
    "schedule",
    "truth_path_for",
]
