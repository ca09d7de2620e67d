"""The measurement language: one parser and printer for what is measured (decouple.measure), and
directions and regions in the outcome registry (decouple.outcomes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from decouple import DecouplingModel, outcomes
from decouple.errors import ConfigError
from decouple.measure import Measure

ROOT = Path(__file__).resolve().parent.parent

TEXTS = [
    "gap_small_yard@2035",
    "gap_small_yard@2035.75",
    "compliance_lag",
    "welfare_usd[US]@2035 against baseline per gdp[US]",
    "revenue[NL+JP]@2030 against open per revenue[NL+JP]",
    "gdp_WORLD@2030 per gdp_WORLD",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_round_trips(text):
    measure = Measure.parse(text)
    assert str(measure) == text
    assert Measure.parse(str(measure)) == measure


@pytest.mark.parametrize(
    "text, says",
    [
        ("1 < 2", "cannot be read"),
        ("gap_small_yard@20x", "cannot be read"),
        ("成本@2030", "cannot be read"),
        ("gdp[XX]@2030", "region"),
        ("compliance[NL+JP]@2030", "do not add up"),
        ("welfare_usd[US+US]@2030", "each country once"),
        ("compliance_lag@2030", "whole-run"),
        ("gap_small_yard@2030 per compliance_lag", "quarterly"),
        ("no_such_outcome@2030", "unknown outcome"),
    ],
)
def test_bad_measures_are_refused_with_what_is_allowed(text, says):
    with pytest.raises(ConfigError, match=re.escape(says)):
        Measure.parse(text, origin="file.toml").check()


def test_a_regional_name_is_its_recorded_outcome_and_a_sum_adds_its_members():
    assert Measure.parse("welfare_usd[US]@2035").check().outcome == "welfare_usd_US"
    model = DecouplingModel("full_decoupling", seed=3)
    for _ in range(4):
        model.step()
    summed = outcomes.resolve("welfare_usd[NL+JP]").compute(model)
    parts = outcomes.resolve("welfare_usd_NL").compute(model) + outcomes.resolve("welfare_usd_JP").compute(model)
    assert summed == parts and summed != 0.0
    every_country = sum(outcomes.resolve(f"revenue_{c}").compute(model) for c in model.world.countries)
    assert every_country == pytest.approx(float(model.market.revenue.sum()))


def test_against_and_per_compute_a_change_in_per_cent_of_the_reference():
    run = {"welfare_usd_US@2035": 990.0, "gdp_US@2035": 30_000.0}
    base = {"welfare_usd_US@2035": 1000.0, "gdp_US@2035": 25_000.0}
    m = Measure.parse("welfare_usd_US@2035 against baseline per gdp_US")
    assert m.of(run, base) == pytest.approx(100.0 * -10.0 / 25_000.0)  # the reference's GDP
    assert Measure.parse("welfare_usd_US@2035 per gdp_US").of(run) == pytest.approx(100 * 990 / 30_000)
    assert Measure.parse("welfare_usd_US@2035 against baseline").of(run, base) == -10.0
    with pytest.raises(ValueError, match="same seed"):
        m.of(run)


def test_every_outcome_has_a_direction_decision_and_directions_are_words():
    registry = outcomes.registry()
    assert {o.better for o in registry.values()} <= {"larger", "smaller", None}
    assert registry["welfare_usd_WORLD"].better == "larger"
    assert registry["countermeasures"].better == "smaller"
    assert registry["compliance_lag"].better == "smaller"
    assert registry["yard_size"].better is None


def _experiment_measures() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        spec = tomllib.loads(path.read_text())
        section = spec.get("metrics", {})
        for text in section.get("metrics", []):
            found.append((path.name, text))
        for fig in spec.get("figure", []) + spec.get("figures", []):
            for key in ("metric", "per"):
                if key in fig:
                    found.append((path.name, fig[key]))
    return found


@pytest.mark.parametrize("origin, text", _experiment_measures())
def test_every_measure_an_experiment_names_resolves(origin, text):
    Measure.parse(text, origin).check(origin=origin)
