"""Experiment figures, declared in each experiment file's ``[[figure]]`` tables.

- ``heatmap``: a grid over the two varied parameters, seed mean of one metric per cell; with
  ``relative`` each run is first compared with its paired baseline run (same seed): ``"loss"``
  or ``"change"`` in per cent of the baseline's value, ``"difference"`` in the metric's own unit,
  ``"share_of"`` in per cent of the baseline's ``per`` metric (a welfare change in % of GDP).
- ``violin``: the distribution across seeds of each metric, one violin per scenario.
- ``bands``: the comparison figures (seed mean and 10-90 % band) from the runs' time series.
- ``sensitivity``: Sobol (first-order and total) or Morris (mu*) indices with confidence
  intervals, one bar chart per metric, computed with SALib from the seed-mean of each point.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..errors import DecoupleError  # noqa: E402
from ..i18n import gettext as _  # noqa: E402
from ..output import atomic_write, write_csv  # noqa: E402
from ..phrase import tr  # noqa: E402
from ..plots import LEGEND_FONT, NEUTRAL, colour, label, plot_figures, style, wrap  # noqa: E402
from .experiment import Experiment  # noqa: E402
from .measures import label_of  # noqa: E402


def _save(fig, path: Path) -> Path:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    plt.close(fig)
    return path


def _decode(value):
    if isinstance(value, str) and value.startswith("["):
        return json.loads(value)
    return value


def _tick(value) -> str:
    value = _decode(value)
    if isinstance(value, list):
        return str(len(value))
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _two_lines(text: str) -> str:
    """A scenario's name under a violin: broken at its first space (Chinese, which has none, by width)."""
    return text.replace(" ", "\n", 1) if " " in text else wrap(text, 12)


def relative(runs: pd.DataFrame, column: str, how: str, per: str | None = None) -> pd.Series:
    """Per-run value against the paired baseline run of the same replicate: ``loss`` and
    ``change`` in per cent of its value, ``difference`` in the metric's unit, ``share_of`` in per
    cent of its ``per`` metric."""
    if how == "none":
        return runs[column]
    baseline = runs[runs["point"] == -1].set_index("replicate")
    ref = runs["replicate"].map(baseline[column])
    if how == "loss":
        return 100.0 * (1.0 - runs[column] / ref)
    if how == "difference":
        return runs[column] - ref
    if how == "share_of":
        return 100.0 * (runs[column] - ref) / runs["replicate"].map(baseline[per])
    return 100.0 * (runs[column] / ref - 1.0)


def heatmap(exp: Experiment, runs: pd.DataFrame, fig_spec, folder: Path) -> Path:
    vary = exp.spec.vary
    if len(vary) != 2 or exp.section.sampler != "grid":
        raise ValueError("a heatmap needs a grid over exactly two parameters")
    data = runs[(runs["point"] >= 0) & (runs["status"] == "done")].copy()
    data["_v"] = relative(
        pd.concat([data, runs[runs["point"] == -1]]), fig_spec.metric, fig_spec.relative, fig_spec.per
    ).loc[data.index]
    cell = data.groupby("point")["_v"].mean()
    x_vals, y_vals = vary[0].values or [], vary[1].values or []  # a heatmap's grid has values (checked)
    grid = np.full((len(y_vals), len(x_vals)), np.nan)
    for p, point in enumerate(exp.points):
        xi = x_vals.index(point[vary[0].path])
        yi = y_vals.index(point[vary[1].path])
        grid[yi, xi] = cell.get(p, np.nan)
    with plt.rc_context(style()):
        fig, ax = plt.subplots(figsize=(9, 7), layout="constrained")
        masked = np.ma.masked_invalid(grid)
        im = ax.imshow(masked, origin="lower", aspect="auto", cmap="viridis")
        ax.set_facecolor("#dddddd")
        for yi in range(grid.shape[0]):
            for xi in range(grid.shape[1]):
                v = grid[yi, xi]
                text = (
                    _("never")
                    if np.isnan(v)
                    else f"{v:.2f}"
                    if abs(v) >= 1000
                    else f"{v:.0f}"
                    if abs(v) >= 100
                    else f"{v:.2g}"
                )
                ax.text(
                    xi,
                    yi,
                    text,
                    ha="center",
                    va="center",
                    fontsize=12,
                    color="black" if np.isnan(v) or v > np.nanmean(grid) else "white",
                )
        ax.set_xticks(range(len(x_vals)), [_tick(v) for v in x_vals])
        ax.set_yticks(range(len(y_vals)), [_tick(v) for v in y_vals])
        ax.set_xlabel(tr(vary[0].label) or vary[0].path)
        ax.set_ylabel(tr(vary[1].label) or vary[1].path)
        ax.grid(False)
        bar = fig.colorbar(im, ax=ax)
        bar.set_label(tr(fig_spec.unit))
        ax.set_title(wrap(tr(fig_spec.title) or fig_spec.metric, 50))
        name = fig_spec.file or f"heatmap_{fig_spec.metric.replace('@', '_')}.png"
        return _save(fig, folder / name)


def violin(exp: Experiment, runs: pd.DataFrame, fig_spec, folder: Path) -> Path:
    data = runs[runs["status"] == "done"]
    scenarios = list(dict.fromkeys(data["scenario"]))
    metrics = fig_spec.metrics
    cols = min(3, len(metrics))
    rows = int(np.ceil(len(metrics) / cols))
    with plt.rc_context(style()):
        fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 5.5 * rows), squeeze=False, layout="constrained")
        for ax in axes.ravel()[len(metrics) :]:
            ax.set_visible(False)
        for ax, metric in zip(axes.ravel(), metrics):
            values = [data.loc[data["scenario"] == s, metric].dropna().to_numpy() for s in scenarios]
            parts = ax.violinplot(values, showmedians=True)
            for body, s in zip(parts["bodies"], scenarios):
                body.set_facecolor(colour(s, scenarios))
                body.set_alpha(0.6)
            for key in ("cbars", "cmins", "cmaxes", "cmedians"):  # black, not matplotlib's blue (a scenario's)
                parts[key].set_color(NEUTRAL["mark"])
            ax.set_xticks(range(1, len(scenarios) + 1), [_two_lines(label(s)) for s in scenarios], fontsize=12)
            ax.set_title(wrap(label_of(metric), 40), fontsize=14)
        fig.suptitle(tr(fig_spec.title) or _("Outcomes across seeds"), fontsize=18)
        return _save(fig, folder / (fig_spec.file or "violins.png"))


def bands(exp: Experiment, series: pd.DataFrame, fig_spec, folder: Path) -> list[Path]:
    table = series.drop(columns=["run_id", "point"]).set_index(["scenario", "seed", "year"]).sort_index()
    sub = folder / (fig_spec.file or "bands")
    return plot_figures(table, sub, fig_spec.title or exp.section.title)  # (plot_figures translates the title)


def sensitivity(exp: Experiment, runs: pd.DataFrame, fig_spec, folder: Path) -> list[Path]:
    """The sensitivity figure and its table: Sobol first-order and total indices (with their 95 %
    confidence half-widths) or Morris mu* and sigma, per metric and varied parameter, in a CSV
    named as the figure (``sensitivity.csv`` beside ``sensitivity.png``), to cite rather than read
    off bars."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    data = runs[runs["point"] >= 0]
    problem = exp.problem()
    names = [v.label or v.path for v in exp.spec.vary]  # English in the table; the figure's in its language
    metrics = fig_spec.metrics
    table: list[dict] = []
    cols = min(2, len(metrics))
    rows = int(np.ceil(len(metrics) / cols))
    with plt.rc_context(style()):
        size = (9 * cols, (0.55 * len(names) + 3.0) * rows + 0.6)
        fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained")
        for ax in axes.ravel()[len(metrics) :]:
            ax.set_visible(False)
        for ax, metric in zip(axes.ravel(), metrics):
            y = data.groupby("point")[metric].mean().reindex(range(len(exp.points))).to_numpy()
            pos = np.arange(len(names))
            if exp.section.sampler == "sobol":
                si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=exp.section.root_seed)
                ax.barh(
                    pos + 0.2,
                    si["S1"],
                    0.4,
                    xerr=si["S1_conf"],
                    color=NEUTRAL["light"],
                    label=_("first order"),
                    capsize=3,
                )
                ax.barh(
                    pos - 0.2, si["ST"], 0.4, xerr=si["ST_conf"], color=NEUTRAL["mark"], label=_("total"), capsize=3
                )
                ax.set_xlabel(_("Sobol index (share of variance)"))
                shown: tuple[str, ...] = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                si = morris_analyze.analyze(problem, exp.points_array(), y, num_levels=4, seed=exp.section.root_seed)
                shown = ("mu_star", "mu_star_conf", "sigma")
                ax.barh(pos, si["mu_star"], 0.6, xerr=si["mu_star_conf"], color=NEUTRAL["mark"], capsize=3)
                ax.set_xlabel(_("Morris mu* (mean absolute effect)"))
            for i, (v, name) in enumerate(zip(exp.spec.vary, names, strict=True)):
                table.append(
                    {"metric": metric, "parameter": v.path, "label": name}
                    | {k: float(np.asarray(si[k])[i]) for k in shown}
                )
            ax.set_yticks(pos, [tr(name) for name in names], fontsize=12)
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_title(wrap(label_of(metric), 40), fontsize=14)
        if exp.section.sampler == "sobol":  # below the panels, where it covers no bar
            handles, labels = axes[0][0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False, fontsize=LEGEND_FONT)
        fig.suptitle(tr(fig_spec.title) or _("Sensitivity of the main outcomes"), fontsize=18)
        figure = _save(fig, folder / (fig_spec.file or "sensitivity.png"))
    csv = figure.with_suffix(".csv")
    write_csv(csv, pd.DataFrame(table))
    return [figure, csv]


def draw(exp: Experiment, out: Path) -> list[Path]:
    """Every figure of the experiment from the sweep folder ``out``."""
    out = Path(out)
    try:
        runs = pd.read_parquet(out / "runs.parquet")
    except Exception as exc:  # pyarrow raises several kinds for a file that is not parquet
        raise DecoupleError(
            f"{out / 'runs.parquet'}: cannot be read ({type(exc).__name__}); finish or repeat the "
            "sweep with `decouple sweep ... --resume` to rewrite it"
        ) from None
    needed = {"run_id", "point", "replicate", "status"} | {
        m for f in exp.spec.figure for m in ([f.metric] if f.metric else []) + list(f.metrics)
    }
    missing = sorted(needed - set(runs.columns))
    if missing:
        raise DecoupleError(
            f"{out / 'runs.parquet'}: has no column(s) {', '.join(missing)}; it does not hold the "
            "results of this experiment"
        )
    if exp.spec.figure and not (runs["status"] == "done").any():
        raise DecoupleError(f"{out}: no finished runs to draw")
    paths: list[Path] = []
    for spec in exp.spec.figure:
        if spec.kind == "heatmap":
            paths.append(heatmap(exp, runs, spec, out))
        elif spec.kind == "violin":
            paths.append(violin(exp, runs, spec, out))
        elif spec.kind == "bands":
            from .engine import load_timeseries

            paths += bands(exp, load_timeseries(out), spec, out)
        elif spec.kind == "sensitivity":
            paths.extend(sensitivity(exp, runs, spec, out))
    return paths
