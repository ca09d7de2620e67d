"""Headline indicators computed from tidy time series (one or many runs).

Figures, comparisons and tests all read these, so every headline number has one definition.
``wide(frame)`` returns one row per (scenario, seed, year) and one column per indicator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .world import World, load_world

#: indicator -> (label for figures, unit)
INDICATORS: dict[str, tuple[str, str]] = {
    "gap_small_yard": ("US–China capability gap, small-yard sectors", "share of frontier"),
    "gap_other": ("US–China capability gap, other sectors", "share of frontier"),
    "chips_share_US": ("US firms' share of world logic-chip sales", "share"),
    "chips_share_CN": ("Chinese firms' share of world logic-chip sales", "share"),
    "chips_share_allies": ("Allied firms' share of world logic-chip sales", "share"),
    "us_revenue_small_yard": ("US firms' revenue, small-yard sectors", "US$ bn per year"),
    "us_rd_small_yard": ("US firms' R&D, small-yard sectors", "US$ bn per year"),
    "us_revenue": ("US firms' revenue, all sectors", "US$ bn per year"),
    "us_rd": ("US firms' R&D, all sectors", "US$ bn per year"),
    "cn_self_sufficiency": ("China's self-sufficiency, all sectors", "share of demand"),
    "cn_self_sufficiency_small_yard": ("China's self-sufficiency, small-yard sectors", "share of demand"),
    "compliance_mean": ("Allies' compliance, small-yard sectors", "share"),
    "welfare_US": ("Welfare, United States", "index (2018 = 100)"),
    "welfare_CN": ("Welfare, China", "index (2018 = 100)"),
    "welfare_THIRD": ("Welfare, third countries", "index (2018 = 100)"),
    "welfare_WORLD": ("Welfare, world", "index (2018 = 100)"),
    "trust": ("US–China trust", "index 0–1"),
    "us_cn_sales": ("US–China bilateral sales (both ways)", "US$ bn per year"),
}

KEYS = ["scenario", "seed", "year"]


def _select(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame[frame["metric"] == metric]


def _pivot(frame: pd.DataFrame, metric: str, columns: str) -> pd.DataFrame:
    sel = _select(frame, metric)
    return sel.pivot_table(index=KEYS, columns=columns, values="value", aggfunc="sum", observed=True)


def wide(frame: pd.DataFrame, world: World | None = None) -> pd.DataFrame:
    """One row per (scenario, seed, year), one column per indicator of :data:`INDICATORS`."""
    world = world or load_world()
    frame = frame.copy()
    for col in ("scenario", "metric", "country", "partner", "sector"):
        frame[col] = frame[col].astype(str)
    yard = [s for s, y in zip(world.sectors, world.small_yard) if y]
    other = [s for s, y in zip(world.sectors, world.small_yard) if not y]
    allies = [world.countries[a] for a in world.allies]
    out = pd.DataFrame(index=_pivot(frame, "trust", "metric").index)

    gap = _pivot(frame, "capability_gap", "sector")
    out["gap_small_yard"] = gap[yard].mean(axis=1)
    out["gap_other"] = gap[other].mean(axis=1)

    chips = _select(frame, "market_share")
    chips = chips[chips["sector"] == "logic_chips"].pivot_table(index=KEYS, columns="country", values="value", observed=True)
    out["chips_share_US"] = chips["US"]
    out["chips_share_CN"] = chips["CN"]
    out["chips_share_allies"] = chips[allies].sum(axis=1)

    for metric, name in (("revenue", "us_revenue"), ("rd_spending", "us_rd")):
        sel = _select(frame, metric)
        sel = sel[sel["country"] == "US"].pivot_table(index=KEYS, columns="sector", values="value", observed=True)
        out[name] = sel.sum(axis=1)
        out[f"{name}_small_yard"] = sel[yard].sum(axis=1)

    # China's self-sufficiency weighted by its demand (sales to China) in each run's first year.
    sales = _select(frame, "sales")
    to_china = sales[sales["partner"] == "CN"].pivot_table(index=KEYS, columns="sector", values="value", aggfunc="sum", observed=True)
    first = to_china.groupby(level=["scenario", "seed"]).transform("first")
    ss = _select(frame, "self_sufficiency")
    ss = ss[ss["country"] == "CN"].pivot_table(index=KEYS, columns="sector", values="value", observed=True)
    weights = first[ss.columns]
    out["cn_self_sufficiency"] = (ss * weights).sum(axis=1) / weights.sum(axis=1)
    out["cn_self_sufficiency_small_yard"] = (ss[yard] * weights[yard]).sum(axis=1) / weights[yard].sum(axis=1)

    comp = _select(frame, "compliance")
    comp = comp[comp["sector"].isin(yard)].pivot_table(index=KEYS, columns="country", values="value", aggfunc="mean", observed=True)
    for ally in allies:
        out[f"compliance_{ally}"] = comp[ally]
    out["compliance_mean"] = comp[allies].mean(axis=1)

    welfare = _pivot(frame, "welfare", "country")
    for code in ("US", "CN", "THIRD", "WORLD"):
        out[f"welfare_{code}"] = welfare[code]
    out["trust"] = _pivot(frame, "trust", "metric")["trust"]
    us_cn = sales[((sales["country"] == "US") & (sales["partner"] == "CN")) | ((sales["country"] == "CN") & (sales["partner"] == "US"))]
    out["us_cn_sales"] = us_cn.groupby(KEYS, observed=True)["value"].sum()
    return out.sort_index()


def bands(table: pd.DataFrame, indicator: str, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Mean and (low, high) quantiles across seeds, per scenario and year."""
    grouped = table[indicator].groupby(level=["scenario", "year"], sort=False)
    return pd.DataFrame({"mean": grouped.mean(), "low": grouped.quantile(low), "high": grouped.quantile(high)})


def final_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, 10th and 90th percentile across seeds of each indicator in each scenario's last year."""
    last = table.groupby(level=["scenario", "seed"]).tail(1)
    grouped = last.groupby(level="scenario", sort=False)
    parts = {"mean": grouped.mean(), "p10": grouped.quantile(0.1), "p90": grouped.quantile(0.9)}
    return pd.concat(parts, axis=1).swaplevel(axis=1).sort_index(axis=1)


def relative_to(table: pd.DataFrame, indicator: str, reference: str) -> pd.Series:
    """``indicator`` as a percentage of the reference scenario's seed-mean in the same year."""
    ref = table.xs(reference, level="scenario")[indicator].groupby(level="year").mean()
    years = table.index.get_level_values("year")
    return 100.0 * table[indicator] / ref.reindex(years).to_numpy()


def scenario_means(table: pd.DataFrame, year: float | None = None) -> pd.DataFrame:
    """Seed-mean of every indicator per scenario at ``year`` (default: the last year)."""
    years = table.index.get_level_values("year")
    year = years.max() if year is None else year
    at = table[np.isclose(years, year)]
    return at.groupby(level="scenario", sort=False).mean()
