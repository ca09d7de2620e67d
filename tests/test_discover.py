"""Scenario discovery: conditions, an exploration through the sweep engine, PRIM and CART."""

from __future__ import annotations

import json

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


# ---------------------------------------------------------------- issue 20: robustness
WHERE_KEPT = ["gap_controlled@2030", "us_revenue@2030", "yard_wide_year"]


@pytest.mark.parametrize("number", ["3.7e-1", "1E3", ".5", "5.", "2e+0", "7"])
def test_a_condition_takes_numbers_in_every_usual_notation(number):
    condition = parse_condition(f"gap_controlled@2030 < {number}", WHERE_KEPT)
    runs = pd.DataFrame({"gap_controlled@2030": [float(number) - 0.01, float(number) + 0.01]})
    assert condition.evaluate(runs).tolist() == [True, False]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("gäp_controlled@2030 < 0.1", "outside ASCII 'ä'"),
        ("1 < 2", "names no outcome"),
        ("(" * 10_000 + "gap_controlled@2030 < 1" + ")" * 10_000, "more than the 2,000"),
        ("(" * 500 + "gap_controlled@2030 < 1" + ")" * 500, "brackets nested 500 deep"),
        ("not " * 10_000 + "gap_controlled@2030 < 1", "more than the 2,000"),
        ("not " * 400 + "gap_controlled@2030 < 1", "nested more than"),
        ("-" * 1500 + "gap_controlled@2030 < 1", "nested more than"),
        ("not gap_controlled@2030", "parts that do not fit"),
        ("gap_controlled@2030 < 1e999", "too large"),
        ("gap_controlled@2030 < " + "9" * 1000, "too large"),
        ("gap_controlled@2030 = 1", "character '='"),
        ("gap_controlled@2030 < True", "'True'"),
    ],
)
def test_every_bad_condition_is_refused_naming_the_option_the_text_and_what_is_allowed(text, problem):
    with pytest.raises(ConfigError) as caught:
        parse_condition(text, WHERE_KEPT)
    message = str(caught.value)
    assert message.startswith("--where = ") and problem in message
    assert text[:20] in message and len(message) < 1200  # the text, shortened
    if "not a kept outcome" not in message:
        assert "allowed:" in message


def _noise_runs(n: int, seed: int, signal: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.random(n), rng.random(n)
    out = a if signal else rng.random(n)
    return pd.DataFrame({"a": a, "b": b, "out@2030": out})


@pytest.mark.parametrize("signal", [False, True])
def test_a_box_over_noise_says_so_and_a_real_one_does_not(signal, tmp_path):
    runs = _noise_runs(16 if not signal else 200, 3, signal)
    condition = parse_condition("out@2030 > 0.6", ["out@2030"])
    discover(runs, ["a", "b"], condition, tmp_path / "d", "prim", "test")
    report = (tmp_path / "d" / "report.md").read_text()
    limits = pd.read_csv(tmp_path / "d" / "box_limits.csv")
    noise = bool((limits["qp"].isna() | (limits["qp"] > 0.1)).all())
    assert noise is (not signal)  # the data were made so
    assert ("not distinguishable from noise" in report) is noise
    assert ("every restriction has quasi-p > 0.1; run more samples" in report) is (noise and len(limits) > 0)
    assert json.loads((tmp_path / "d" / "discovery.json").read_text())["noise"] is noise


@pytest.fixture(scope="module")
def yard_sweep(tmp_path_factory):
    """A sweep over sets of sectors (a categorical dimension) and the fence, 2 steps."""
    base = tmp_path_factory.mktemp("yards")
    (base / "yards.toml").write_text(
        """
[experiment]
title = "yards"
scenarios = ["selective_decoupling"]
replicates = 1
root_seed = 3
steps = 2
fixed = ["policy.start_year=2018.0"]

[[vary]]
path = "policy.yard"
values = [["chip_tools"], ["chip_tools", "logic_chips"], ["chip_tools", "logic_chips", "ai_compute", "quantum"]]

[[vary]]
path = "policy.fence"
values = [0.2, 0.4, 0.6, 0.8]

[metrics]
names = ["yard_size"]
years = [2018.5]
"""
    )
    from decouple.sweeps.experiment import load_experiment

    result = run_sweep(load_experiment(base / "yards.toml"), base / "sweep", workers=1, progress=False)
    assert result.done == 12
    return base / "sweep"


@pytest.mark.parametrize("method", ["prim", "cart"])
def test_a_set_of_sectors_is_boxed_as_a_categorical_dimension(yard_sweep, tmp_path, method):
    runs, x_cols, _ = conditions_of(yard_sweep)
    assert x_cols == ["policy.yard", "policy.fence"]  # the set of sectors is not dropped
    assert set(runs["policy.yard"].cat.categories) == {
        "chip_tools",
        "chip_tools+logic_chips",
        "chip_tools+logic_chips+ai_compute+quantum",
    }
    condition = parse_condition("yard_size@2018.5 > 3", list(runs.columns))
    discover(runs, x_cols, condition, tmp_path / method, method, "yards")
    report = (tmp_path / method / "report.md").read_text()
    assert "1 categorical (policy.yard" in report
    if method == "prim":
        limits = pd.read_csv(tmp_path / method / "box_limits.csv")
        row = limits[limits["uncertainty"] == "policy.yard"].iloc[0]
        assert row["values"] == "chip_tools+logic_chips+ai_compute+quantum"
    else:
        boxes = pd.read_csv(tmp_path / method / "boxes.csv")
        assert boxes["limits"].str.contains("policy.yard in {").any()


def test_discover_refuses_a_folder_of_someone_elses_files_before_any_work(yard_sweep, tmp_path, capsys, monkeypatch):
    from decouple import discover as module
    from decouple.cli import main

    def never(*args, **kwargs):
        raise AssertionError("PRIM ran before the output folder was checked")

    monkeypatch.setattr(module, "run_prim", never)
    monkeypatch.setattr(module, "run_sweep", never, raising=False)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("mine")
    where = ["--where", "yard_size@2018.5 > 3"]
    assert main(["discover", str(yard_sweep), *where, "--out", str(theirs)]) == 2
    assert main(["discover", "--runs", "10", "--where", "gap_controlled@2019 < 0.5", "--out", str(theirs)]) == 2
    err = capsys.readouterr().err
    assert err.count("holds files that `decouple discover` did not write (thesis.tex)") == 2
    assert sorted(p.name for p in theirs.iterdir()) == ["thesis.tex"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["discover", str(yard_sweep), *where, "--out", str(afile / "sub")]) == 2
    assert "lies under" in capsys.readouterr().err
    assert main(["discover", str(yard_sweep), *where, "--out", str(yard_sweep)]) == 2  # the sweep's own folder
    assert "did not write" in capsys.readouterr().err


def test_discover_rewrites_its_own_folder_and_drops_its_stale_files(yard_sweep, tmp_path):
    runs, x_cols, _ = conditions_of(yard_sweep)
    condition = parse_condition("yard_size@2018.5 > 3", list(runs.columns))
    discover(runs, x_cols, condition, tmp_path / "d", "prim")
    assert (tmp_path / "d" / "box_limits.csv").is_file() and (tmp_path / "d" / ".decouple").is_file()
    discover(runs, x_cols, condition, tmp_path / "d", "cart")
    assert (tmp_path / "d" / "boxes.csv").is_file() and not (tmp_path / "d" / "box_limits.csv").exists()


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda f: (f / "runs.parquet").write_bytes(b"PAR1garbage"), "runs.parquet: not a readable table"),
        (lambda f: (f / "manifest.json").write_text('{"experiment": 5}'), "not a finished sweep folder"),
        (lambda f: (f / "manifest.json").write_text('{"experiment": {"name": "x", "text": 3}}'), "text or name"),
        (lambda f: (f / "manifest.json").write_text(""), "not a finished sweep folder"),
    ],
)
def test_a_damaged_sweep_folder_is_a_clear_error(yard_sweep, tmp_path, damage, problem):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(yard_sweep, folder)
    damage(folder)
    with pytest.raises(DecoupleError, match=problem):
        conditions_of(folder)


def test_discover_warns_on_standard_error_when_its_box_is_noise(yard_sweep, tmp_path, capsys):
    import shutil

    from decouple.cli import main

    noisy = tmp_path / "noisy"
    shutil.copytree(yard_sweep, noisy)
    runs = pd.read_parquet(noisy / "runs.parquet")
    runs["yard_size@2018.5"] = np.random.default_rng(4).random(len(runs))  # unrelated to the levers
    runs.to_parquet(noisy / "runs.parquet", index=False)
    for folder, where, noise in ((noisy, "yard_size@2018.5 > 0.5", True), (yard_sweep, "yard_size@2018.5 > 3", False)):
        out = tmp_path / f"d_{noise}"
        assert main(["discover", str(folder), "--where", where, "--out", str(out)]) == 0
        printed = capsys.readouterr()
        record = json.loads((out / "discovery.json").read_text())
        assert record["noise"] is noise  # the data were made so
        line = f"decouple: warning: PRIM's box for '{where}' is not distinguishable from noise"
        assert (line in printed.err) is noise and line not in printed.out
        assert ("run more samples (see" in printed.err) is noise and bool(record["warning"]) is noise
        assert printed.err.strip().endswith("report.md)") is noise
