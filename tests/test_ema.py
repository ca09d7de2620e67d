"""EMA Workbench interop (decouple.ema) and mesa.batch_run on the model."""

from __future__ import annotations

import warnings

import mesa
import numpy as np
import pytest

from decouple import DecouplingModel, ema
from decouple.config import load_registry
from decouple.errors import ConfigError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import ema_workbench as ema_wb

SMALL = dict(
    uncertainties=["china.state_support", "market.china_supply_risk"],
    levers=["policy.fence", "policy.yard"],
    outcomes=["gap_small_yard", "us_revenue"],
    year=2021.0,
)


def test_the_model_takes_its_uncertainties_levers_and_outcomes_from_the_registries(world):
    m = ema.model()
    registry = load_registry()
    numeric = [p for p, s in registry.items() if s.role == "uncertainty" and s.type in ("float", "int")]
    assert [u.name for u in m.uncertainties] == numeric
    for u in m.uncertainties:
        assert (u.lower_bound, u.upper_bound) == pytest.approx(registry[u.name].plausible)
    lever_names = [lv.name for lv in m.levers]
    assert [f"policy.yard:{s}" for s in world.sectors] == [n for n in lever_names if n.startswith("policy.yard:")]
    assert "policy.fence" in lever_names and "policy.fdpr" not in lever_names
    assert [o.name for o in m.outcomes] == [f"{n}@2030" for n in ema.DEFAULT_OUTCOMES]


def test_perform_experiments_runs_and_each_run_is_the_models_own(world):
    m = ema.model(**SMALL)
    experiments, outcomes = ema_wb.perform_experiments(m, scenarios=3, policies=2)
    assert len(experiments) == 6 and np.isfinite(outcomes["gap_small_yard@2021"]).all()
    row = experiments.iloc[4]
    values = {c: row[c] for c in ["china.state_support", "market.china_supply_risk", "policy.fence"]}
    values |= {c: row[c] for c in experiments.columns if c.startswith("policy.yard:")}
    direct = DecouplingModel("selective_decoupling", seed=0, params=ema.changes_of(values), world=world)
    while direct.year < 2021.0:
        direct.step()
    assert outcomes["us_revenue@2021"][4] == direct.outcome("us_revenue")
    assert direct.params.policy.yard == [s for s in world.sectors if row[f"policy.yard:{s}"]]


def test_the_multiprocessing_evaluator_gives_the_same_results():
    m = ema.model(**SMALL)
    with ema_wb.SequentialEvaluator(m) as evaluator:
        seq_exp, seq_out = evaluator.perform_experiments(scenarios=2, policies=2)
    with ema_wb.MultiprocessingEvaluator(m, n_processes=2) as evaluator:
        mp_exp, mp_out = evaluator.perform_experiments(scenarios=2, policies=2)
    # EMA samples afresh per call; compare each multiprocessing run with its own direct run
    for i in range(len(mp_exp)):
        values = {c: mp_exp.iloc[i][c] for c in mp_exp.columns if c in {p.name for p in m.uncertainties + m.levers}}
        direct = ema.run_experiment("selective_decoupling", 0, 2021.0, ("gap_small_yard", "us_revenue"), **values)
        assert direct["us_revenue@2021"] == mp_out["us_revenue@2021"][i]
    assert len(seq_exp) == len(mp_exp) == 4


def test_bad_names_are_clear_errors():
    with pytest.raises(ConfigError, match="not a parameter of the registry"):
        ema.model(uncertainties=["china.state_suport"])
    with pytest.raises(ConfigError, match="not a quarterly outcome"):
        ema.model(outcomes=["ss50_logic_chips"])
    with pytest.raises(ConfigError, match="allowed: a year after"):
        ema.model(year=2050.0)
    with pytest.raises(ConfigError, match="is not a sector"):
        ema.model(levers=["policy.yard:semiconductors"])


def test_mesa_batch_run_drives_the_model_with_plain_keywords():
    results = mesa.batch_run(
        DecouplingModel,
        {"scenario": "selective_decoupling", "policy.fence": [0.3, 0.8], "seed": [1, 2]},
        iterations=1,
        max_steps=8,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 4
    by = {(r["policy.fence"], r["seed"]): r for r in results}
    assert by[(0.8, 1)]["gap_small_yard"] > by[(0.3, 1)]["gap_small_yard"]
    assert by[(0.3, 1)]["Step"] == 8


def test_outcome_kinds_follow_the_registrys_directions():
    m = ema.model(outcomes=["gap_small_yard", "yard_size"], year=2021.0)
    kinds = {o.name: o.kind for o in m.outcomes}
    assert kinds["gap_small_yard@2021"] == ema_wb.ScalarOutcome.MAXIMIZE  # the US seeks a larger gap
    assert kinds["yard_size@2021"] == ema_wb.ScalarOutcome.INFO  # no actor steers by it


def test_an_unknown_parameter_is_a_clear_error_not_a_key_error():
    with pytest.raises(ConfigError, match=r"'policy\.fense'.*not a parameter of the registry"):
        ema.changes_of({"policy.fense": 0.5})


# ---------------------------------------------------------------- issue 20: robustness
@pytest.mark.parametrize(
    "call, problem",
    [
        (lambda: ema.changes_of({"policy.fense": 0.5}), "not a parameter of the registry"),
        (lambda: ema.changes_of({"policy.yard:chips": True}), "'chips' .*is not a sector"),
        (lambda: ema.changes_of({5: 0.5}), "not a name"),
        (lambda: ema.changes_of({"policy.fence": "0.5"}), "allowed: a finite number"),
        (lambda: ema.changes_of({"policy.fence": float("nan")}), "allowed: a finite number"),
        (lambda: ema.changes_of({"allies.negotiation_lag": 2.5}), "allowed: a whole number"),
        (lambda: ema.run_experiment("selective_decoupling", 0, 2019.0, ("gap_smal_yard",)), "unknown outcome"),
        (lambda: ema.run_experiment("selective_decoupling", 0, 2019.0, "gap_small_yard"), "a list of names"),
        (lambda: ema.run_experiment("selective_decoupling", 0, 2019.0, ("yard_wide_year",)), "whole-run"),
        (lambda: ema.run_experiment("no_such_scenario", 0, 2019.0, ("gap_small_yard",)), "not found"),
        (lambda: ema.run_experiment("selective_decoupling", -1, 2019.0, ("gap_small_yard",)), "seed"),
        (lambda: ema.run_experiment("selective_decoupling", 0, "2019", ("gap_small_yard",)), "year = '2019'"),
        (lambda: ema.model(outcomes="gap_small_yard"), "a list of names"),
        (lambda: ema.model(outcomes=["no_such_outcome"]), "unknown outcome"),
        (lambda: ema.model(seed=-3), "seed"),
        (lambda: ema.model(year=float("nan")), "year = nan"),
    ],
)
def test_every_bad_name_or_value_is_a_config_error(call, problem):
    with pytest.raises(ConfigError, match=problem):
        call()


def test_negotiation_lag_is_an_integer_parameter():  # the case above relies on it
    assert load_registry()["allies.negotiation_lag"].type == "int"


@pytest.mark.parametrize("year, problem", [(2040.0, "after the run"), (2036.0, "after the run"), (2017.0, "starts")])
def test_a_year_outside_the_run_is_refused_naming_it_and_the_runs_last_year(year, problem):
    with pytest.raises(ConfigError, match=problem) as caught:
        ema.run_experiment("selective_decoupling", 0, year, ("gap_small_yard",))
    assert f"year = {year:g}" in str(caught.value) and "2035.75" in str(caught.value)


def test_a_year_after_a_shortened_run_is_refused_not_answered_with_its_last_quarter():
    with pytest.raises(ConfigError, match=r"year = 2020 is after the run .* ends \(2019\)"):
        ema.run_experiment("selective_decoupling", 0, 2020.0, ("gap_small_yard",), **{"time.steps": 4})


@pytest.mark.parametrize(
    "given, expected",
    [(True, True), (False, False), ("true", True), ("false", False), ("1", True), ("0", False), (1, True), (0, False)],
)
def test_a_switch_takes_exactly_the_documented_values(given, expected):
    assert ema.changes_of({"adaptive.us_yard": given}) == {"adaptive.us_yard": expected}
    assert ema.changes_of({"policy.yard:chip_tools": given})["policy.yard"] == (["chip_tools"] if expected else [])


@pytest.mark.parametrize("given", ["False", "no", "yes", "", 2, 0.0, None, [True]])
def test_a_switch_refuses_anything_else(given):
    with pytest.raises(ConfigError, match="allowed: true or false"):
        ema.changes_of({"adaptive.us_yard": given})
    with pytest.raises(ConfigError, match="allowed: true or false"):
        ema.changes_of({"policy.yard:chip_tools": given})
