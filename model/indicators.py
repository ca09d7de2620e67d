"""Tables of outcomes across runs: one row per (scenario, seed, year), one column per quarterly
outcome of :mod:`decouple.outcomes` (each run's DataCollector table, stacked).

Figures and ``decouple compare`` summarise them across seeds: the mean with the 10th and 90th
percentiles.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import DecoupleError

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


def relative_to(table: pd.DataFrame, indicator: str, reference: str) -> pd.Series:
    """``indicator`` as a percentage of the reference scenario's seed-mean in the same year."""
    ref = table.xs(reference, level="scenario")[indicator].groupby(level="year").mean()
    years = table.index.get_level_values("year")
    return 100.0 * table[indicator] / ref.reindex(years).to_numpy()


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
