"""Figures: the scenario comparison with uncertainty bands, readable on a projector.

Every figure uses the same colour for a scenario (Okabe–Ito palette, safe for colour-blind
viewers), labelled axes with units, and shaded bands from the 10th to the 90th percentile
across seeds around the seed mean.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from . import outcomes  # noqa: E402
from .errors import DecoupleError  # noqa: E402
from .indicators import bands, paired_change, relative_to  # noqa: E402
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
STYLE = {
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


def _consumers_series(table: pd.DataFrame, code: str) -> tuple[pd.Series | None, str]:
    """The consumers' index (``welfare_*``): against the baseline where there is one."""
    if _has_baseline(table):
        return relative_to(table, f"welfare_{code}", "baseline"), "consumers' index, % of the baseline"
    return None, "consumers' index (2018 = 100)"


def _money_series(table: pd.DataFrame, code: str) -> tuple[str, pd.Series | None, str]:
    """(indicator, series, unit) of welfare in money: its change against the baseline with the same
    seed in % of the baseline's GDP where there is a baseline, else its level in US$ bn a year."""
    indicator = f"welfare_usd_{code}"
    if _has_baseline(table):
        series = paired_change(table, indicator, "baseline", per=f"gdp_{code}")
        return indicator, series, "% of GDP vs open baseline"
    return indicator, None, "US$ bn per year"


def figure_panels(table: pd.DataFrame) -> list[tuple[str, list[tuple]]]:
    """(file name, [(indicator, series, title, ylabel), ...]) for each figure."""
    consumers = {code: _consumers_series(table, code) for code in ("US", "CN", "THIRD")}
    money = {code: _money_series(table, code) for code in ("US", "CN", "THIRD", "WORLD")}
    places = (("US", "United States"), ("CN", "China"), ("THIRD", "Third countries"), ("WORLD", "World"))
    return [
        (
            "capability_gap.png",
            [
                (
                    "gap_small_yard",
                    None,
                    "Small-yard sectors (chips, tools, AI, quantum)",
                    "US minus China, share of frontier",
                ),
                ("gap_other", None, "Other sectors", "US minus China, share of frontier"),
            ],
        ),
        (
            "chip_market_shares.png",
            [
                ("chips_share_US", None, "US firms", "share of world logic-chip sales"),
                ("chips_share_CN", None, "Chinese firms", "share of world logic-chip sales"),
                ("chips_share_allies", None, "Allied firms (JP, NL, KR, TW, EU)", "share of world logic-chip sales"),
            ],
        ),
        (
            "us_firms.png",
            [
                ("us_revenue_small_yard", None, "US firms' revenue, small-yard sectors", "US$ bn per year"),
                ("us_rd_small_yard", None, "US firms' R&D, small-yard sectors", "US$ bn per year"),
            ],
        ),
        (
            "china_self_sufficiency.png",
            [
                ("cn_self_sufficiency_small_yard", None, "Small-yard sectors", "share of China's demand met at home"),
                ("cn_self_sufficiency", None, "All sectors", "share of China's demand met at home"),
            ],
        ),
        (
            "ally_compliance.png",
            [
                (f"compliance_{a}", None, name, "compliance with US controls (0-1)")
                for a, name in (
                    ("JP", "Japan"),
                    ("NL", "Netherlands"),
                    ("KR", "South Korea"),
                    ("TW", "Taiwan"),
                    ("EU", "EU"),
                )
                if f"compliance_{a}" in table.columns
            ],
        ),
        (
            "welfare.png",
            [(money[code][0], money[code][1], f"Welfare: {name}", money[code][2]) for code, name in places],
        ),
        *_decision_panels(table),
        (
            "consumers_index.png",
            [
                ("welfare_US", consumers["US"][0], "United States", consumers["US"][1]),
                ("welfare_CN", consumers["CN"][0], "China", consumers["CN"][1]),
                ("welfare_THIRD", consumers["THIRD"][0], "Third countries (IN, VN, ROW)", consumers["THIRD"][1]),
            ],
        ),
    ]


def _decision_panels(table: pd.DataFrame) -> list[tuple[str, list[tuple]]]:
    """The states' decisions (M13-M16), where some state decides by its rule in the table."""
    deciding = [c for c in ("us_resolve", "partner_ties", "third_lean") if c in table.columns]
    if not deciding or not (table[deciding].abs().to_numpy() > 0).any():
        return []
    return [
        (
            "decisions.png",
            [
                ("yard_size", None, "US: sectors in its yard", "sectors"),
                ("compliance_controlled", None, "Allies: compliance in the yard", "compliance (0-1)"),
                ("countermeasures", None, "China: counter-measures", "intensity (0-1)"),
                ("partner_ties", None, "China: partner ties with third countries", "ties (0-1)"),
            ],
        )
    ]


#: outcomes every comparison figure needs (the allies' own compliance panels are drawn where present)
NEEDED = (
    "gap_small_yard",
    "gap_other",
    "chips_share_US",
    "chips_share_CN",
    "chips_share_allies",
    "us_revenue_small_yard",
    "us_rd_small_yard",
    "cn_self_sufficiency_small_yard",
    "cn_self_sufficiency",
    "compliance_small_yard",
    "welfare_US",
    "welfare_CN",
    "welfare_THIRD",
    "welfare_WORLD",
    *(f"{kind}_{code}" for kind in ("welfare_usd", "gdp") for code in ("US", "CN", "THIRD", "WORLD")),
)


def check_columns(table: pd.DataFrame, origin: object) -> None:
    """A clear error when an outcome table lacks what the figures draw, or holds no rows."""
    missing = [name for name in NEEDED if name not in table.columns]
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
    indicator, welfare, wlabel = _money_series(table, "WORLD")
    panels = [
        ("gap_small_yard", None, "US–China capability gap\n(small-yard sectors)", "share of frontier"),
        ("chips_share_US", None, "US share of world\nlogic-chip sales", "share"),
        ("us_rd_small_yard", None, "US firms' R&D\n(small-yard sectors)", "US$ bn per year"),
        ("cn_self_sufficiency_small_yard", None, "China's self-sufficiency\n(small-yard sectors)", "share of demand"),
        ("compliance_small_yard", None, "Allies' compliance\n(small-yard sectors)", "share"),
        (indicator, welfare, "World welfare", wlabel),
    ]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 3, figsize=(19, 10.5))
        for ax, (ind, series, ttl, ylab) in zip(axes.ravel(), panels):
            draw(ax, table, ind, series, ttl, ylab)
        _legend(fig, axes[0][0])
        fig.suptitle(title or "Technology decoupling scenarios, 2018–2035", fontsize=20)
        fig.tight_layout(rect=(0, 0.03, 1, 0.97))
        return _save(fig, path)
