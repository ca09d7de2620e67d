"""Figures: the scenario comparison with uncertainty bands, readable on a projector.

Every figure uses the same colour for a scenario (Okabe–Ito palette, safe for colour-blind
viewers), labelled axes with units, and shaded bands from the 10th to the 90th percentile
across seeds around the seed mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

from . import outcomes  # noqa: E402
from .errors import DecoupleError  # noqa: E402
from .indicators import bands, measure_series  # noqa: E402
from .measure import Measure  # noqa: E402
from .output import atomic_write  # noqa: E402

SCENARIO_COLOURS = {
    "baseline": "#000000",
    "full_decoupling": "#D55E00",
    "selective_decoupling": "#E69F00",
    "coopetition": "#009E73",
    "historical": "#0072B2",
    "adaptive_rivalry": "#CC79A7",
    "precise": "#56B4E9",
}
EXTRA_COLOURS = ["#F0E442", "#999999", "#8C564B", "#17BECF"]
#: Countries and groups where one figure shows several (Paul Tol's "muted" palette, kept apart
#: from the scenario colours above so that a colour never means both a scenario and a country).
COUNTRY_COLOURS = {
    "US": "#332288",
    "CN": "#882255",
    "JP": "#CC6677",
    "NL": "#88CCEE",
    "KR": "#117733",
    "TW": "#AA4499",
    "EU": "#DDCC77",
    "allies": "#44AA99",
    "THIRD": "#999933",
    "WORLD": "#555555",
}
SCENARIO_LABELS = {
    "baseline": "Open baseline",
    "full_decoupling": "Full decoupling",
    "selective_decoupling": "Selective (small yard)",
    "coopetition": "Co-opetition",
    "historical": "Historical replay",
    "adaptive_rivalry": "Adaptive rivalry",
    "precise": "Precise decoupling",
}
STYLE: dict[RcKeyType, Any] = {
    "font.size": 15,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "legend.fontsize": 13,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "lines.linewidth": 2.6,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}


def colour(scenario: str, order: list[str]) -> str:
    if scenario in SCENARIO_COLOURS:
        return SCENARIO_COLOURS[scenario]
    extras = [s for s in order if s not in SCENARIO_COLOURS]
    return EXTRA_COLOURS[extras.index(scenario) % len(EXTRA_COLOURS)]


def label(scenario: str) -> str:
    return SCENARIO_LABELS.get(scenario, scenario.replace("_", " "))


def draw(
    ax,
    table: pd.DataFrame,
    indicator: str,
    series: pd.Series | None = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> None:
    """Seed-mean line with a 10–90 % band per scenario."""
    data = table if series is None else series.rename(indicator).to_frame()
    order = list(dict.fromkeys(table.index.get_level_values("scenario")))
    b = bands(data, indicator)
    for scen in order:
        part = b.xs(scen, level="scenario")
        c = colour(scen, order)
        ax.plot(part.index, part["mean"], color=c, label=label(scen))
        if (part["high"] - part["low"]).abs().max() > 0:
            ax.fill_between(part.index, part["low"], part["high"], color=c, alpha=0.18, linewidth=0)
    if title is None or ylabel is None:
        outcome = outcomes.resolve(indicator)
        title, ylabel = title or outcome.label, ylabel or outcome.unit
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))


def _save(fig, path: Path) -> Path:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    plt.close(fig)
    return path


def _legend(fig, ax) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, bbox_to_anchor=(0.5, -0.04))


def _has_baseline(table: pd.DataFrame) -> bool:
    scenarios = set(table.index.get_level_values("scenario"))
    return "baseline" in scenarios and len(scenarios) > 1


@dataclass(frozen=True)
class Panel:
    """One panel: what it draws (a :class:`~decouple.measure.Measure` in its text form) and a short
    title (default: the outcome's label). Labels and units come from the outcome registry."""

    measure: str
    title: str = ""
    optional: bool = False  # drawn only where the table has its outcome (the allies' own compliance)


_PLACES = (("US", "United States"), ("CN", "China"), ("THIRD", "Third countries"), ("WORLD", "World"))
_ALLIES = (("JP", "Japan"), ("NL", "Netherlands"), ("KR", "South Korea"), ("TW", "Taiwan"), ("EU", "EU"))

#: The comparison figures, file by file. A measure "against baseline" is drawn as its change
#: against the baseline with the same seed where the table holds the baseline, else as a level.
FIGURES: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "capability_gap.png",
        (
            Panel("gap_small_yard", "Small-yard sectors (chips, tools, AI, quantum)"),
            Panel("gap_other", "Other sectors"),
        ),
    ),
    (
        "chip_market_shares.png",
        (
            Panel("chips_share[US]", "US firms"),
            Panel("chips_share[CN]", "Chinese firms"),
            Panel("chips_share_allies", "Allied firms (JP, NL, KR, TW, EU)"),
        ),
    ),
    ("us_firms.png", (Panel("us_revenue_small_yard"), Panel("us_rd_small_yard"))),
    (
        "china_self_sufficiency.png",
        (Panel("cn_self_sufficiency_small_yard", "Small-yard sectors"), Panel("cn_self_sufficiency", "All sectors")),
    ),
    ("ally_compliance.png", tuple(Panel(f"compliance[{code}]", name, optional=True) for code, name in _ALLIES)),
    (
        "welfare.png",
        tuple(
            Panel(f"welfare_usd[{code}] against baseline per gdp[{code}]", f"Welfare: {name}") for code, name in _PLACES
        ),
    ),
    (
        "decisions.png",
        (
            Panel("yard_size", "US: sectors in its yard", optional=True),
            Panel("compliance_controlled", "Allies: compliance in the yard", optional=True),
            Panel("countermeasures", "China: counter-measures", optional=True),
            Panel("partner_ties", "China: partner ties with third countries", optional=True),
        ),
    ),
    (
        "consumers_index.png",
        (
            Panel("welfare[US] against baseline per welfare[US]", "United States"),
            Panel("welfare[CN] against baseline per welfare[CN]", "China"),
            Panel("welfare[THIRD] against baseline per welfare[THIRD]", "Third countries (IN, VN, ROW)"),
        ),
    ),
)

#: the one-slide dashboard's six headline panels
DASHBOARD: tuple[Panel, ...] = (
    Panel("gap_small_yard", "US–China capability gap\n(small-yard sectors)"),
    Panel("chips_share[US]", "US share of world\nlogic-chip sales"),
    Panel("us_rd_small_yard", "US firms' R&D\n(small-yard sectors)"),
    Panel("cn_self_sufficiency_small_yard", "China's self-sufficiency\n(small-yard sectors)"),
    Panel("compliance_small_yard", "Allies' compliance\n(small-yard sectors)"),
    Panel("welfare_usd[WORLD] against baseline per gdp[WORLD]", "World welfare"),
)


def panel_series(table: pd.DataFrame, panel: Panel) -> tuple[str, pd.Series | None, str, str]:
    """(indicator, series or None for the column itself, title, y label) of a panel on ``table``."""
    measure = Measure.parse(panel.measure, "plots.FIGURES").check()
    if measure.against and not _has_baseline(table):
        measure = Measure(measure.outcome)  # no reference in the table: its level
    title = panel.title or measure.label()
    unit = measure.unit()
    if measure.against:
        unit = f"{unit} vs {label(measure.against).lower()}"
    series = None if (measure.against is None and measure.per is None) else measure_series(table, measure)
    return measure.outcome, series, title, unit


def figure_panels(table: pd.DataFrame) -> list[tuple[str, list[tuple]]]:
    """(file name, [(indicator, series, title, ylabel), ...]) for each figure the table can show."""
    figures = []
    for name, panels in FIGURES:
        if name == "decisions.png" and not _states_decide(table):
            continue
        shown = [p for p in panels if not p.optional or _reads(p) <= set(table.columns) or name == "decisions.png"]
        if shown:
            figures.append((name, [panel_series(table, p) for p in shown]))
    return figures


def _reads(panel: Panel) -> set[str]:
    return set(Measure.parse(panel.measure).check().reads)


def _states_decide(table: pd.DataFrame) -> bool:
    """Some state decides by its rule in the table (M13-M16): the decisions figure is drawn."""
    deciding = [c for c in ("us_resolve", "partner_ties", "third_lean") if c in table.columns]
    return bool(deciding) and bool((table[deciding].abs().to_numpy() > 0).any())


@cache
def needed() -> tuple[str, ...]:
    """The outcomes every comparison figure needs (the optional panels are drawn where present);
    derived from the panels when first asked, so that importing this module reads no seeds."""
    panels = [p for _, ps in FIGURES for p in ps] + list(DASHBOARD)
    return tuple(dict.fromkeys(name for p in panels if not p.optional for name in sorted(_reads(p))))


def check_columns(table: pd.DataFrame, origin: object) -> None:
    """A clear error when an outcome table lacks what the figures draw, or holds no rows."""
    missing = [name for name in needed() if name not in table.columns]
    if missing:
        raise DecoupleError(
            f"{origin}: has no column(s) {', '.join(missing)}; the figures draw them. Run the "
            "command again to rewrite the table"
        )
    if table.empty:
        raise DecoupleError(f"{origin}: holds no rows to draw")


def plot_figures(table: pd.DataFrame, folder: Path, title: str = "") -> list[Path]:
    """Draw every figure of the comparison (or of one run) into ``folder``; return the paths."""
    folder = Path(folder)
    paths = []
    with plt.rc_context(STYLE):
        for name, panels in figure_panels(table):
            fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.4), squeeze=False)
            for ax, (ind, series, ttl, ylab) in zip(axes[0], panels):
                draw(ax, table, ind, series, ttl, ylab)
            _legend(fig, axes[0][0])
            fig.suptitle(title or outcomes.resolve(panels[0][0]).label, fontsize=18, y=1.02)
            paths.append(_save(fig, folder / name))
        paths.append(dashboard(table, folder / "dashboard.png", title))
    return paths


def dashboard(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Six headline panels on one slide."""
    panels = [panel_series(table, p) for p in DASHBOARD]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 3, figsize=(19, 10.5))
        for ax, (ind, series, ttl, ylab) in zip(axes.ravel(), panels):
            draw(ax, table, ind, series, ttl, ylab)
        _legend(fig, axes[0][0])
        fig.suptitle(title or "Technology decoupling scenarios, 2018–2035", fontsize=20)
        fig.tight_layout(rect=(0, 0.03, 1, 0.97))
        return _save(fig, path)
