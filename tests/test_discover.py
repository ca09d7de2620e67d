"""Scenario discovery: conditions, an exploration through the sweep engine, PRIM and CART."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decouple.discover import active_uncertainties, conditions_of, discover, exploration_table, parse_condition
from decouple.errors import ConfigError, DecoupleError
from decouple.sweeps.engine import run_sweep
from decouple.sweeps.experiment import experiment_from_table

KEPT = ["gap_controlled@2030", "gap_controlled@2035", "us_revenue@2030", "yard_wide_year"]


def test_a_condition_reads_kept_outcomes_and_refuses_what_is_not_kept():
    c = parse_condition("gap_controlled@2030 < 0.1 and not us_revenue@2030 > 1500", KEPT)
    runs = pd.DataFrame({"gap_controlled@2030": [0.05, 0.05, 0.2, np.nan], "us_revenue@2030": [1000, 2000, 1000, 1000]})
    assert c.evaluate(runs).tolist() == [True, False, False, False]
    with pytest.raises(ConfigError, match="year not kept; the results keep gap_controlled at 2030, 2035"):
        parse_condition("gap_controlled@2031 < 0.1", KEPT)
    with pytest.raises(ConfigError, match="'gap_controled@2030'.*did you mean.*allowed: gap_controlled@2030"):
        parse_condition("gap_controled@2030 < 0.1", KEPT)
    with pytest.raises(ConfigError, match="not a valid condition"):
        parse_condition("gap_controlled@2030 <", KEPT)
    with pytest.raises(ConfigError, match="not allowed"):
        parse_condition("__import__('os') < 1", KEPT)
    with pytest.raises(ConfigError, match="no comparison"):
        parse_condition("gap_controlled@2030", KEPT)


def test_an_exploration_leaves_out_the_rules_a_scenario_does_not_use():
    scripted, adaptive = (
        set(active_uncertainties("selective_decoupling")),
        set(active_uncertainties("adaptive_rivalry")),
    )
    assert not any(p.startswith(("us.", "third.")) for p in scripted)
    assert "us.gap_sensitivity" in adaptive and scripted < adaptive


@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("discover") / "exploration"
    exp = experiment_from_table(exploration_table("selective_decoupling", 60, 2020.0, [], 7), "explore")
    result = run_sweep(exp, folder, workers=1, progress=False)
    assert result.done == 60
    return folder


def test_prim_finds_a_box_and_writes_what_a_researcher_needs(explored, tmp_path):
    runs, x_cols, _ = conditions_of(explored)
    assert len(runs) == 60 and "china.state_support" in x_cols
    threshold = float(runs["cn_self_sufficiency@2020"].quantile(0.75))
    condition = parse_condition(f"cn_self_sufficiency@2020 > {threshold}", list(runs.columns))
    files = discover(runs, x_cols, condition, tmp_path / "prim", "prim", "test")
    names = {p.name for p in files}
    assert {"peeling_trajectory.png", "box_limits.csv", "pairs_scatter.png", "report.md"} <= names
    limits = pd.read_csv(tmp_path / "prim" / "box_limits.csv")
    assert {"uncertainty", "min", "max", "qp"} <= set(limits.columns) and len(limits) >= 1
    assert (limits["min"] >= limits["plausible_low"] - 1e-9).all() and (
        limits["max"] <= limits["plausible_high"] + 1e-9
    ).all()
    assert "coverage" in (tmp_path / "prim" / "report.md").read_text()


def test_cart_writes_its_boxes_and_a_condition_that_always_holds_is_refused(explored, tmp_path):
    runs, x_cols, _ = conditions_of(explored)
    threshold = float(runs["cn_self_sufficiency@2020"].median())
    cart = discover(
        runs,
        x_cols,
        parse_condition(f"cn_self_sufficiency@2020 > {threshold}", list(runs.columns)),
        tmp_path / "cart",
        "cart",
    )
    boxes = pd.read_csv(tmp_path / "cart" / "boxes.csv")
    assert len(boxes) >= 2 and boxes["coverage"].between(0, 1).all() and cart
    with pytest.raises(DecoupleError, match="holds in every run"):
        discover(runs, x_cols, parse_condition("cn_self_sufficiency@2020 > -1", list(runs.columns)), tmp_path / "x")


def test_the_command_refuses_a_bad_condition_before_running(tmp_path, capsys):
    from decouple.cli import main

    code = main(["discover", "--runs", "20", "--where", "gap_controlled@2040 < 0.1", "--out", str(tmp_path / "d")])
    assert code == 2
    err = capsys.readouterr().err
    assert "year 2040 not kept" in err and "up to 2035.75" in err
    assert not (tmp_path / "d").exists()
