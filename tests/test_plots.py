"""Figures show what they claim: the plotted numbers are the seed means, bands and relative values
of the outcome table, with the registry's labels and units and one colour per scenario; and every
figure the commands draw can be read: no legend or text over another (tests/layout.py measures
them), ranges printed as [-751 to -723], one pair of parentheses around a unit."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from decouple import outcomes, plots  # noqa: E402
from decouple.indicators import KEYS  # noqa: E402


def table() -> pd.DataFrame:
    """Two scenarios x five seeds x three years with known values."""
    rows = []
    for scenario, level in (("baseline", 1.0), ("full_decoupling", 0.5)):
        for seed in range(5):
            for year in (2018.0, 2018.25, 2018.5):
                value = level * (1 + seed) + (year - 2018.0)
                rows.append(
                    {
                        "scenario": scenario,
                        "seed": seed,
                        "year": year,
                        "gap_small_yard": value,
                        "welfare_US": 100.0 * level + seed,
                        # seed-specific money welfare and GDP, so that pairing by seed matters
                        "welfare_usd_US": 1000.0 * level + 50.0 * seed + 10.0 * (year - 2018.0),
                        "gdp_US": 20000.0 + 1000.0 * seed,
                    }
                )
    return pd.DataFrame(rows).set_index(KEYS)


def test_a_panel_draws_the_seed_mean_and_the_10_90_band():
    data = table()
    fig, ax = plt.subplots()
    plots.draw(ax, data, "gap_small_yard")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"Open baseline", "Full decoupling"}
    for scenario, label in (("baseline", "Open baseline"), ("full_decoupling", "Full decoupling")):
        values = data.xs(scenario, level="scenario")["gap_small_yard"].groupby(level="year")
        np.testing.assert_allclose(lines[label].get_ydata(), values.mean().to_numpy())
        assert to_hex(lines[label].get_color()) == plots.SCENARIO_COLOURS[scenario].lower()
    bands = ax.collections
    assert len(bands) == 2
    low, high = (
        data.xs("baseline", level="scenario")["gap_small_yard"].groupby(level="year").quantile(q) for q in (0.1, 0.9)
    )
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(low.min()) and ys.max() == pytest.approx(high.max())
    outcome = outcomes.resolve("gap_small_yard")
    assert ax.get_title() == outcome.label and ax.get_ylabel() == outcome.unit and ax.get_xlabel() == "year"
    plt.close(fig)


def test_consumers_index_is_drawn_as_its_change_against_the_same_seeds_baseline_in_percent():
    data = table()
    indicator, series, _title, unit, log = plots.panel_series(
        data, plots.Panel("welfare[US] against baseline per welfare[US]")
    )
    assert indicator == "welfare_US" and unit == "change vs open baseline (%)" and not log
    full = data.xs("full_decoupling", level="scenario")["welfare_US"]
    base = data.xs("baseline", level="scenario")["welfare_US"]
    expected = 100 * (full - base) / base  # paired by (seed, year)
    np.testing.assert_allclose(series.xs("full_decoupling", level="scenario").to_numpy(), expected.to_numpy())


def test_welfare_is_drawn_as_the_change_against_the_same_seeds_baseline_in_percent_of_gdp():
    data = table()
    panel = plots.Panel("welfare_usd[US] against baseline per gdp[US]")
    indicator, series, _title, unit, _log = plots.panel_series(data, panel)
    assert indicator == "welfare_usd_US" and unit == "change vs open baseline (% of GDP)"
    full = data.xs("full_decoupling", level="scenario")
    base = data.xs("baseline", level="scenario")
    expected = 100 * (full["welfare_usd_US"] - base["welfare_usd_US"]) / base["gdp_US"]  # paired by (seed, year)
    np.testing.assert_allclose(series.xs("full_decoupling", level="scenario").to_numpy(), expected.to_numpy())
    assert (series.xs("baseline", level="scenario") == 0).all()
    # without a baseline the level is drawn, and the title says that it is no effect of the policy
    alone = data.xs("full_decoupling", level="scenario", drop_level=False)
    assert plots.panel_series(alone, panel)[1:] == (
        None,
        f"Welfare, United States\n({plots.NO_BASELINE})",
        "US$ bn per year",
        False,
    )
    # the welfare figure's panel then draws welfare in % of the run's own GDP, not in money
    figure = dict(plots.FIGURES)["welfare.png"][0]
    drawn = plots.panel_series(alone, figure)
    assert drawn.ylabel == "% of GDP" and "not an effect" in drawn.title
    np.testing.assert_allclose(drawn.series.to_numpy(), 100 * alone["welfare_usd_US"] / alone["gdp_US"])
    # a baseline alone is called what it is
    base = data.xs("baseline", level="scenario", drop_level=False)
    assert plots.panel_series(base, figure).title.endswith(f"({plots.BASELINE_ONLY})")


def test_every_panel_names_outcomes_of_the_registry_and_takes_its_units_from_it():
    columns = {o.name for o in outcomes.quarterly()}
    frame = pd.DataFrame(
        {name: [1.0] for name in columns}, index=pd.MultiIndex.from_tuples([("baseline", 0, 2018.0)], names=KEYS)
    )
    drawn = plots.figure_panels(frame)
    assert {name for name, _ in drawn} >= {"capability_gap.png", "welfare.png", "ally_compliance.png"}
    panels_of = dict(plots.FIGURES)
    for file, panels in drawn:
        for panel, (indicator, _series, title, unit, log) in zip(panels_of[file], panels):
            # levels: no baseline beside the baseline; a level of its own where the panel names one
            level = plots.Measure.parse(panel.level or indicator).check()
            assert unit == level.unit() + (", log scale" if log else "")
            assert log == (panel.log and " against " in panel.measure)
            if " against " in panel.measure:
                assert title.endswith(f"({plots.BASELINE_ONLY})")
    assert set(plots.needed()) <= columns
    for panel in [p for _, ps in plots.FIGURES for p in ps] + list(plots.DASHBOARD):
        plots.Measure.parse(panel.measure).check()


def test_the_sweep_heatmap_shows_the_seed_mean_loss_of_each_design_point(tmp_path, monkeypatch):
    from decouple.sweeps import engine, figures
    from decouple.sweeps.experiment import load_experiment

    path = tmp_path / "exp.toml"
    path.write_text("""
[experiment]
title = "heat"
scenarios = ["selective_decoupling"]
baseline = "baseline"
replicates = 2
root_seed = 4
steps = 4
[[vary]]
path = "policy.fence"
values = [0.2, 0.8]
[[vary]]
path = "policy.ally_pressure"
values = [0.0, 1.0]
[metrics]
names = ["us_revenue"]
years = [2019.0]
[[figure]]
kind = "heatmap"
metric = "us_revenue@2019"
relative = "loss"
file = "loss.png"
""")
    exp = load_experiment(path)
    engine.run_sweep(exp, tmp_path / "out", progress=False)
    drawn = []
    monkeypatch.setattr(figures, "_save", lambda fig, p: drawn.append(fig) or p)
    figures.draw(exp, tmp_path / "out")
    grid = np.asarray(drawn[0].axes[0].images[0].get_array())
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    base = runs[runs.point == -1].set_index("replicate")["us_revenue@2019"]
    for p, point in enumerate(exp.points):
        mine = runs[runs.point == p].set_index("replicate")["us_revenue@2019"]
        loss = (100 * (1 - mine / base.reindex(mine.index))).mean()
        column = [0.2, 0.8].index(point["policy.fence"])
        row = [0.0, 1.0].index(point["policy.ally_pressure"])
        assert grid[row, column] == pytest.approx(loss)
    assert np.ptp(grid) > 0  # the design points differ


def test_validation_figure_places_values_against_their_tolerance():
    from decouple.validation.report import _position

    row = pd.Series(
        {"target": 0.5, "model_low": 0.2, "model_high": 0.8, "model_mean": 0.5, "model_min": 0.2, "model_max": 0.8}
    )
    assert _position(row) == pytest.approx((0.0, -1.0, 1.0))  # the tolerance maps to [-1, 1]
    outside = row.copy()
    outside["model_mean"] = 1.1
    assert _position(outside)[0] > 1.0


def test_heatmap_relative_modes_pair_each_run_with_its_baseline():
    from decouple.sweeps.figures import relative

    runs = pd.DataFrame(
        {
            "point": [-1, -1, 0, 0],
            "replicate": [0, 1, 0, 1],
            "welfare_usd_WORLD@2030": [100.0, 110.0, 90.0, 105.0],
            "gdp_WORLD@2030": [1000.0, 2000.0, 1.0, 1.0],  # the run's own GDP is never the divisor
        }
    )
    column = "welfare_usd_WORLD@2030"
    np.testing.assert_allclose(relative(runs, column, "difference")[2:], [-10.0, -5.0])
    np.testing.assert_allclose(relative(runs, column, "share_of", "gdp_WORLD@2030")[2:], [-1.0, -0.25])
    np.testing.assert_allclose(relative(runs, column, "loss")[2:], [10.0, 100 * 5 / 110])


def test_the_sensitivity_figure_comes_with_its_indices_as_a_table(tmp_path):
    """The Sobol indices a figure shows are written beside it as a CSV: on a known function of two
    parameters (the outcome is 4 × fence; the ally pressure has no effect) the fence's first-order
    and total indices are near 1 and the ally pressure's near 0."""
    from decouple.sweeps import figures
    from decouple.sweeps.experiment import experiment_from_text

    text = """
[experiment]
title = "known function"
scenarios = ["selective_decoupling"]
replicates = 1
root_seed = 5
steps = 2
sampler = "sobol"
samples = 256

[[vary]]
path = "policy.fence"
label = "fence height"
low = 0.2
high = 0.9

[[vary]]
path = "policy.ally_pressure"
low = 0.0
high = 1.0

[metrics]
names = ["gap_controlled"]
years = [2018.5]

[[figure]]
kind = "sensitivity"
metrics = ["gap_controlled@2018.5"]
file = "sobol.png"
"""
    exp = experiment_from_text(text, "known")
    x = exp.points_array()
    runs = pd.DataFrame({"point": range(len(x)), "gap_controlled@2018.5": 4.0 * x[:, 0]})
    paths = figures.sensitivity(exp, runs, exp.spec.figure[0], tmp_path)
    assert [p.name for p in paths] == ["sobol.png", "sobol.csv"]
    table = pd.read_csv(tmp_path / "sobol.csv").set_index("parameter")
    assert list(table.columns) == ["metric", "label", "S1", "S1_conf", "ST", "ST_conf"]
    assert table.loc["policy.fence", "label"] == "fence height"
    assert table.loc["policy.fence", "S1"] > 0.9 and table.loc["policy.fence", "ST"] > 0.9
    assert abs(table.loc["policy.ally_pressure", "S1"]) < 0.05 and table.loc["policy.ally_pressure", "ST"] < 0.05


# ----------------------------------------------------------------------------- layout
# Every figure the commands draw is measured as it is saved (tests/layout.py): no legend over an
# axes or a text, no text over another text or another axes, nothing cut off, tick labels of at
# least 10 pt. A new figure is measured as soon as a command below draws it.


@pytest.fixture
def measured(monkeypatch):
    """{file name: layout problems} of every figure saved while the test runs. The figure is
    measured as drawn on its canvas, and not written (half the time): the canvas is stricter than
    the PNG, which ``bbox_inches="tight"`` widens to what sticks out."""
    from matplotlib.figure import Figure

    from tests.layout import layout_problems

    found: dict[str, list[str]] = {}

    def savefig(fig, fname, *args, **kwargs):
        name = Path(fname).name
        if name.startswith(".") and name.endswith(".tmp"):  # atomic_write's '.NAME.XXXX.tmp'
            name = name[1:-4].rsplit(".", 1)[0]
        found[name] = layout_problems(fig)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return found


def clear(found: dict[str, list[str]]) -> dict[str, list[str]]:
    """The figures with problems (empty when every figure is clear)."""
    return {name: problems for name, problems in found.items() if problems}


def test_the_layout_measure_sees_a_legend_over_the_year_labels_and_text_past_the_edge():
    from tests.layout import layout_problems

    with plt.rc_context(plots.STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(12.4, 5.4))
        for ax in axes:
            for scenario in list(plots.SCENARIO_LABELS)[:4]:
                ax.plot([2018, 2036], [0, 1], label=plots.label(scenario))
            ax.set_xlabel("year")
        # the legend as the figures placed it before: over the x-axis labels
        fig.legend(loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.04))
        fig.suptitle("a title", y=1.02)
        axes[0].tick_params(labelsize=8)
        problems = layout_problems(fig)
    assert any("legend" in p and "covers text 'year'" in p for p in problems)
    assert "text 'a title' is cut off by the figure's edge" in problems
    assert any(p.startswith("tick label") and "8 pt" in p for p in problems)
    plt.close(fig)
    with plt.rc_context(plots.STYLE):  # the same, laid out as the comparison figures are
        fig, axes = plots.panel_grid(2, 6.2, 5.0)
        for ax in axes:
            ax.plot([2018, 2036], [0, 1], label="Open baseline")
            ax.set_xlabel("year")
        plots.legend_below(fig, axes[0])
        fig.suptitle("a title")
        assert layout_problems(fig) == []
    plt.close(fig)


@pytest.fixture(scope="module")
def short_runs() -> pd.DataFrame:
    """Every scenario of scenarios/, seed 1, ten quarters: an outcome table as `compare` draws it,
    with the seven scenarios' legend and the states' decisions."""
    from decouple.runner import run_one

    names = list(plots.SCENARIO_COLOURS)
    return pd.concat([run_one(name, 1, ("time.steps=10",)).indicators for name in names])


def test_comparison_and_run_figures_leave_every_legend_and_label_clear(short_runs, measured, tmp_path, monkeypatch):
    table = short_runs
    drawn = [p.name for p in plots.plot_figures(table, tmp_path / "all", "Seven scenarios")]
    assert "decisions.png" in drawn and len(measured) == len(drawn) == len(plots.FIGURES) + 1
    assert clear(measured) == {}
    # a single run, and a baseline alone: the panels drawn against the baseline become levels with
    # longer titles (the other figures are drawn as above)
    against = tuple((name, panels) for name, panels in plots.FIGURES if any(" against " in p.measure for p in panels))
    monkeypatch.setattr(plots, "FIGURES", against)
    for scenario in ("full_decoupling", "baseline"):
        measured.clear()
        one = table.xs(scenario, level="scenario", drop_level=False)
        plots.plot_figures(one, tmp_path / scenario, f"{plots.label(scenario)} (seed 1)")
        assert set(measured) == {name for name, _ in against} | {"dashboard.png"}
        assert clear(measured) == {}
    fig_font = plots.STYLE["xtick.labelsize"]
    assert fig_font >= 10 and plots.LEGEND_FONT >= fig_font


EXPERIMENTS = sorted(
    p for p in (Path(__file__).parent.parent / "experiments").glob("*.toml") if "[experiment]" in p.read_text()
)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_every_sweep_figure_leaves_every_legend_and_label_clear(path, measured, tmp_path):
    """The heatmaps, violins and sensitivity bars of every experiment file, drawn from made-up
    results of its runs (its titles, labels, grid and scenarios are the real ones); its bands are
    the comparison figures, measured above."""
    from decouple.sweeps import figures
    from decouple.sweeps.experiment import load_experiment

    exp = load_experiment(path)
    specs = [f for f in exp.spec.figure if f.kind != "bands"]
    if not specs:
        pytest.skip(f"{path.name} draws only bands")
    rng = np.random.default_rng(3)
    metrics = {
        m for f in specs for m in ([f.metric] if f.metric else []) + list(f.metrics) + ([f.per] if f.per else [])
    }
    runs = pd.DataFrame(
        [
            {"run_id": r.run_id, "scenario": r.scenario, "point": r.point, "replicate": r.replicate, "status": "done"}
            | {m: float(rng.normal(100.0, 40.0)) for m in sorted(metrics)}
            for r in exp.iter_runs()
        ]
    )
    for spec in specs:
        if spec.kind == "heatmap":
            figures.heatmap(exp, runs, spec, tmp_path)
        elif spec.kind == "violin":
            figures.violin(exp, runs, spec, tmp_path)
        else:
            figures.sensitivity(exp, runs, spec, tmp_path)
    assert len(measured) == len(specs) and clear(measured) == {}


def test_the_search_figure_labels_named_scenarios_clear_of_each_other_and_the_legend(measured, tmp_path):
    """Named scenarios close together, at the corners and on the front: each label stays inside
    the axes and clear of the other labels, of the legend and of the colour bar."""
    from decouple.search import _figure, load_search

    search = load_search(Path(__file__).parent.parent / "experiments" / "precise_yard.toml")
    cols = [o.label or o.metric for o in search.spec.objective]
    rng = np.random.default_rng(8)
    policies = pd.DataFrame(rng.random((60, 3)), columns=cols)
    policies["on_front"] = rng.random(60) < 0.3
    corners = [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.5, 0.5), (0.51, 0.5), (0.5, 0.52)]
    named = pd.DataFrame(
        [{"scenario": s, cols[0]: x, cols[1]: y, cols[2]: 0.5} for s, (x, y) in zip(plots.SCENARIO_COLOURS, corners)]
    )
    _figure(search, policies, named, tmp_path / "pareto.png", cols)
    assert clear(measured) == {}


def test_the_discovery_figures_leave_every_label_clear(measured, tmp_path):
    from decouple.discover import discover, parse_condition

    rng = np.random.default_rng(3)
    a, b, c = rng.random(200), rng.random(200), rng.random(200)
    runs = pd.DataFrame({"china.state_support": a, "market.china_supply_risk": b, "noise": c, "out@2030": a + 0.2 * b})
    condition = parse_condition("out@2030 > 0.7", ["out@2030"])
    discover(runs, ["china.state_support", "market.china_supply_risk", "noise"], condition, tmp_path / "d", "prim", "t")
    assert {"peeling_trajectory.png", "pairs_scatter.png"} <= set(measured)
    assert clear(measured) == {}


# ----------------------------------------------------------------------------- printed labels and ranges


def depth(text: str) -> int:
    """How deep parentheses nest in ``text`` (-1 when they do not balance)."""
    level = deepest = 0
    for char in text:
        level += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, level)
        if level < 0:
            return -1
    return deepest if level == 0 else -1


def test_a_range_prints_its_ends_apart_from_their_minus_signs():
    from decouple.compare import band
    from decouple.validation.report import markdown

    assert band("{:+.0f}", -737.2, -751.0, -723.4) == "-737 [-751 to -723]"
    assert band("{:.3f}", 0.2, 0.1, 0.3) == "0.200 [0.100 to 0.300]"
    row = {"id": "x", "kind": "pattern", "compared": "c", "documented": "d", "target": -1.0, "facts": "f"}
    row |= {"model_mean": -2.0, "model_min": -3.0, "model_max": -1.5, "tolerance": "t", "why": "w", "passed": True}
    assert "| -2 [-3 to -1.5] |" in markdown(pd.DataFrame([row]), [1, 2])


def test_every_label_with_a_unit_has_one_pair_of_parentheses():
    from decouple.compare import headline_rows, welfare_rows
    from decouple.sweeps.measures import label_of

    assert outcomes.with_unit("Consumers' index, China", "index (2018 = 100)") == (
        "Consumers' index, China (index, 2018 = 100)"
    )
    assert outcomes.with_unit("Trust", "index 0–1") == "Trust (index 0–1)"
    every = list(outcomes.registry().values())
    assert any("(" in o.unit for o in every)  # the case this guards against exists
    for o in every:
        assert depth(o.titled) == 1, o.titled
        assert depth(label_of(o.name if o.whole_run else f"{o.name}@2030")) == 1
    # the tables `decouple compare` prints
    names = [o.name for o in outcomes.headlines()]
    index = pd.MultiIndex.from_product([names, ["mean", "p10", "p90"]])
    summary = pd.DataFrame([[1.0] * len(index)], index=["baseline"], columns=index)
    welfare = pd.DataFrame(
        {f"{m}_{k}": [1.0] for m in ("welfare_change_usd_bn", "gdp_change_pct") for k in ("mean", "p10", "p90")},
        index=pd.MultiIndex.from_tuples([("full_decoupling", "US")], names=["scenario", "region"]),
    )
    rows = headline_rows(summary) + welfare_rows(welfare)
    assert len(rows) == len(names) + 2 * 5  # two measures for each of five regions
    for text, cells in rows:
        assert depth(text) == 1, text
        assert all(" to " in cell for cell in cells if cell)
    # the figures' titles and axis labels
    columns = {o.name for o in outcomes.quarterly()}
    frame = pd.DataFrame(
        {name: [1.0] for name in columns}, index=pd.MultiIndex.from_tuples([("baseline", 0, 2018.0)], names=KEYS)
    )
    for _file, panels in plots.figure_panels(frame):
        for drawn in panels:
            assert depth(drawn.title) <= 1 and depth(drawn.ylabel) <= 1, drawn


def test_the_validation_figure_leaves_every_label_clear(measured, tmp_path):
    """`decouple validate`'s figure, with every check of seeds/checks.toml passing or missing."""
    from decouple.validation.checks import all_checks
    from decouple.validation.report import figure

    checks = all_checks()
    rng = np.random.default_rng(1)
    rows = []
    for check in checks:
        value = check.target * rng.uniform(0.2, 3.0)
        rows.append(
            {"id": check.id, "kind": check.kind, "passed": check.passes(value), "target": check.target}
            | {"model_mean": value, "model_min": 0.9 * value, "model_max": 1.1 * value}
        )
    figure(pd.DataFrame(rows), tmp_path / "validation.png", checks)
    assert list(measured) == ["validation.png"] and clear(measured) == {}
