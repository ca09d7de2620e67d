"""One evaluation engine (decouple.evaluate): a point's measures as a hand-stepped model gives them."""

from __future__ import annotations

import pytest

from decouple import DecouplingModel, outcomes
from decouple.errors import ConfigError
from decouple.evaluate import Point, build, evaluate
from decouple.measure import Measure


def _stepped_to(year: float, world, **changes) -> DecouplingModel:
    model = DecouplingModel("selective_decoupling", seed=3, params=changes or None, world=world)
    while model.year < year - 1e-9:
        model.step()
    return model


def test_quarterly_and_regional_measures_are_read_in_the_quarter_they_name(world):
    measures = tuple(Measure.parse(t) for t in ("gap_small_yard@2020", "us_revenue@2021", "revenue[NL+JP]@2020.5"))
    values = evaluate(Point("selective_decoupling", 3, {"policy.fence": 0.7}, measures, until=2021.0), world)
    assert list(values) == ["gap_small_yard@2020", "us_revenue@2021", "revenue[NL+JP]@2020.5"]
    at_2020 = _stepped_to(2020.0, world, **{"policy.fence": 0.7})
    assert values["gap_small_yard@2020"] == at_2020.outcome("gap_small_yard")
    mid = _stepped_to(2020.5, world, **{"policy.fence": 0.7})
    members = outcomes.resolve("revenue[NL+JP]", world).members
    assert values["revenue[NL+JP]@2020.5"] == pytest.approx(sum(mid.outcome(m) for m in members), rel=1e-12)
    at_2021 = _stepped_to(2021.0, world, **{"policy.fence": 0.7})
    assert values["us_revenue@2021"] == at_2021.outcome("us_revenue")
    # a measure without a year is read where the run ends
    end = evaluate(Point("selective_decoupling", 3, {"policy.fence": 0.7}, (Measure("us_revenue"),), 2021.0), world)
    assert end["us_revenue"] == values["us_revenue@2021"]


def test_overrides_and_changes_give_the_same_run(world):
    measures = (Measure("gap_controlled", 2019.0),)
    typed = evaluate(Point("selective_decoupling", 1, {"policy.fence": 0.3}, measures, until=2019.0), world)
    text = evaluate(Point("selective_decoupling", 1, measures=measures, until=2019.0, overrides=("policy.fence=0.3",)))
    other = evaluate(Point("selective_decoupling", 1, {"policy.fence": 0.9}, measures, until=2019.0), world)
    assert typed == text and typed != other


def test_a_whole_run_outcome_reduces_the_quarters_run(world):
    values = evaluate(Point("selective_decoupling", 2, measures=(Measure("compliance_lag"),)), world)
    assert set(values) == {"compliance_lag"} and values["compliance_lag"] >= 0


def test_years_outside_the_run_are_clear_errors(world):
    with pytest.raises(ConfigError, match=r"gap_small_yard@2040.*allowed: a quarter's end from 2018"):
        evaluate(Point("selective_decoupling", 1, measures=(Measure("gap_small_yard", 2040.0),)), world)
    with pytest.raises(ConfigError, match=r"gap_small_yard@2022.*to 2021"):  # past `until`, not its last value
        evaluate(Point("selective_decoupling", 1, measures=(Measure("gap_small_yard", 2022.0),), until=2021.0), world)
    with pytest.raises(ConfigError, match=r"2020.1.*quarter's end"):
        evaluate(Point("selective_decoupling", 1, measures=(Measure("gap_small_yard", 2020.1),)), world)
    with pytest.raises(ConfigError, match="whole-run outcome"):
        evaluate(Point("selective_decoupling", 1, measures=(Measure("compliance_lag", 2030.0),)), world)


def test_build_gives_the_points_model_at_its_start(world):
    model = build(Point("selective_decoupling", 4, {"policy.fence": 0.6}), world)
    assert model.steps == 0 and model.params.policy.fence == 0.6 and model.seed == 4
