"""Tables of outcomes across runs: one row per (scenario, seed, year), one column per quarterly
outcome of :mod:`decouple.outcomes` (each run's DataCollector table, stacked).

Figures and ``decouple compare`` summarise them across seeds: the mean with the 10th and 90th
percentiles.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import outcomes
from .errors import DecoupleError
from .measure import Measure

KEYS = ["scenario", "seed", "year"]
FILE = "indicators.csv"


def bands(table: pd.DataFrame, indicator: str, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Mean and (low, high) quantiles across seeds, per scenario and year."""
    grouped = table[indicator].groupby(level=["scenario", "year"], sort=False)
    return pd.DataFrame({"mean": grouped.mean(), "low": grouped.quantile(low), "high": grouped.quantile(high)})


def final_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, 10th and 90th percentile across seeds of each outcome in each scenario's last year."""
    last = table.groupby(level=["scenario", "seed"], sort=False).tail(1)
    grouped = last.groupby(level="scenario", sort=False)
    parts = {"mean": grouped.mean(), "p10": grouped.quantile(0.1), "p90": grouped.quantile(0.9)}
    return pd.concat(parts, axis=1).swaplevel(axis=1).sort_index(axis=1)


def paired_change(table: pd.DataFrame, indicator: str, reference: str, per: str | None = None) -> pd.Series:
    """``indicator`` minus the reference scenario's value in the same seed and year (common random
    numbers: the scenarios of a comparison share their seeds); where the reference lacks that
    seed, minus its seed-mean in the year. With ``per``, in per cent of the reference's ``per``
    (e.g. the change of ``welfare_usd_US`` in % of the baseline's ``gdp_US``)."""
    ref_table = table.xs(reference, level="scenario")
    columns = list(dict.fromkeys([indicator] + ([per] if per else [])))
    keys = pd.MultiIndex.from_arrays([table.index.get_level_values("seed"), table.index.get_level_values("year")])
    paired = ref_table[columns].reindex(keys)
    by_year = ref_table[columns].groupby(level="year").mean().reindex(table.index.get_level_values("year"))
    paired = paired.fillna(pd.DataFrame(by_year.to_numpy(), index=keys, columns=columns))
    change = table[indicator].to_numpy() - paired[indicator].to_numpy()
    if per:
        change = 100.0 * change / paired[per].to_numpy()
    return pd.Series(change, index=table.index, name=indicator)


def measure_series(table: pd.DataFrame, measure: Measure) -> pd.Series:
    """A :class:`~decouple.measure.Measure` (without its year) on every row of an outcome table:
    its outcome, against its reference scenario with the same seed and year, per its divisor. A
    sum of regions (``revenue[NL+JP]``) adds its members' columns."""

    def column(name: str) -> pd.Series:
        outcome = outcomes.resolve(name)
        if outcome.members:
            return sum((table[m] for m in outcome.members), pd.Series(0.0, index=table.index)).rename(name)
        return table[outcome.name]

    names = measure.reads
    frame = pd.concat([column(n).rename(n) for n in names], axis=1) if names else table
    if measure.against:
        return paired_change(frame, measure.outcome, measure.against, per=measure.per)
    if measure.per:
        return (100.0 * frame[measure.outcome] / frame[measure.per]).rename(measure.outcome)
    return frame[measure.outcome]


#: the regions whose welfare and GDP the outcome registry reports, besides each country
GROUPS = ("THIRD", "WORLD")

#: what :func:`welfare_against` reports of each region, as measures against the reference
WELFARE_AGAINST = {
    "welfare_change_usd_bn": "welfare_usd[{region}] against {reference}",
    "welfare_change_pct_gdp": "welfare_usd[{region}] against {reference} per gdp[{region}]",
    "gdp_change_pct": "gdp[{region}] against {reference} per gdp[{region}]",
    "acr_change_pct_gdp": "gains_from_trade_usd[{region}] against {reference} per gdp[{region}]",
}


def welfare_against(table: pd.DataFrame, reference: str = "baseline") -> pd.DataFrame:
    """Each scenario's welfare and GDP against the reference scenario, per region (countries,
    THIRD, WORLD), seed and year: the change of ``welfare_usd`` in US$ bn a year and in % of the
    reference's GDP, and the change of GDP in %; with the ``gains_from_trade_usd_*`` columns also the
    ACR cross-check (``acr_change_pct_gdp``: the change of the gains from trade in the modelled
    sectors, in % of the reference's GDP). Needs the ``welfare_usd_*`` and ``gdp_*`` columns."""
    regions = [c[len("welfare_usd_") :] for c in table.columns if c.startswith("welfare_usd_")]
    parts = []
    for region in regions:
        columns: dict[str, object] = {"region": region}
        for name, text in WELFARE_AGAINST.items():
            measure = Measure.parse(text.format(region=region, reference=reference)).check()
            if set(measure.reads) <= set(table.columns):
                columns[name] = measure_series(table, measure)
        if "welfare_change_pct_gdp" in columns:
            parts.append(pd.DataFrame(columns))
    if not parts:
        raise DecoupleError("the outcome table has no welfare_usd_* and gdp_* columns to compare")
    frame = pd.concat(parts).reset_index()
    return frame[frame["scenario"] != reference].reset_index(drop=True)


#: the measures of :func:`welfare_against`, in order
WELFARE_MEASURES = ("welfare_change_usd_bn", "welfare_change_pct_gdp", "gdp_change_pct", "acr_change_pct_gdp")


def welfare_summary(against: pd.DataFrame) -> pd.DataFrame:
    """Mean, 10th and 90th percentile across seeds of :func:`welfare_against` in each scenario's
    last year: one row per (scenario, region)."""
    last = against[against["year"] == against.groupby("scenario")["year"].transform("max")]
    values = [v for v in WELFARE_MEASURES if v in last.columns]
    grouped = last.groupby(["scenario", "region"], sort=False)[values]
    out = pd.concat({"mean": grouped.mean(), "p10": grouped.quantile(0.1), "p90": grouped.quantile(0.9)}, axis=1)
    out.columns = [f"{v}_{k}" for k, v in out.columns]
    return out


def read_table(folder: Path) -> pd.DataFrame:
    """The outcome table of a results folder of `decouple run` or `decouple compare`."""
    path = Path(folder) / FILE
    if not path.is_file():
        raise DecoupleError(
            f"{folder}: no {FILE}; is this a results folder of `decouple run` or `decouple compare` "
            "(of this version)? Run it again to get one"
        )
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DecoupleError(f"{path}: cannot be read ({exc}); run the command again to rewrite it") from None
    missing = [k for k in KEYS if k not in table.columns]
    if missing:
        raise DecoupleError(f"{path}: has no column(s) {missing}; it is not an outcome table of this project")
    table["scenario"] = table["scenario"].astype(str)
    for column in table.columns:
        if column != "scenario":
            try:
                table[column] = pd.to_numeric(table[column])
            except (ValueError, TypeError):
                raise DecoupleError(
                    f"{path}: column '{column}' holds values that are not numbers; run the command "
                    "again to rewrite the table"
                ) from None
    return table.set_index(KEYS)
