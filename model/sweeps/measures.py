"""What one run of a sweep reports, read from the outcome registry (:mod:`decouple.outcomes`).

A sweep keeps, for every run, chosen quarterly outcomes at chosen years (``name@year`` columns)
and every whole-run outcome (``compliance_lag``, ``ss50_<sector>``). With ``keep_timeseries`` a
run also keeps every quarterly outcome of every quarter (its DataCollector's table), so the
comparison figures can draw them. A sweep never builds the full tidy time series unless asked
(``tidy``: what `decouple compare` keeps), which costs about as much as the run itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import outcomes

if TYPE_CHECKING:
    from ..model import DecouplingModel


def label_of(column: str) -> str:
    """A figure label for a ``name@year`` or whole-run column."""
    name, _, year = column.partition("@")
    try:
        outcome = outcomes.resolve(name)
        text = f"{outcome.label} ({outcome.unit})"
    except Exception:  # a column that is not an outcome (a parameter): its own name
        text = name.replace("_", " ")
    return f"{text}, {float(year):g}" if year else text


def indicator_table(model: DecouplingModel, scenario: str, seed: int) -> pd.DataFrame:
    """The run's quarterly outcomes, one row per quarter, indexed by (scenario, seed, year)."""
    table = model.datacollector.get_model_vars_dataframe()
    table.insert(0, "scenario", scenario)
    table.insert(1, "seed", seed)
    return table.set_index(["scenario", "seed", "year"])


class RunRecorder:
    """Steps a model to its end and collects what the sweep asked for."""

    def __init__(self, model: DecouplingModel, metrics: tuple[str, ...], years: tuple[float, ...]):
        self.model = model
        self.metrics = tuple(outcomes.resolve(name, model.world).name for name in metrics)
        self.years = tuple(sorted(years))
        self.values: dict[str, float] = {}
        self._whole_run = outcomes.whole_run(model.world)
        self._observed: list[list] = []
        self._years: list[float] = []

    def _observe(self) -> None:
        m = self.model
        self._years.append(m.year)
        self._observed.append([o.compute(m) for o in self._whole_run])

    def run(self) -> RunRecorder:
        m = self.model
        self._observe()
        while m.running:
            m.step()
            self._observe()
        # the collector's lists, read directly: its data frame costs more than the rest of this
        collected = m.datacollector.model_vars
        recorded = np.asarray(collected["year"], dtype=float)
        for year in self.years:
            at = np.flatnonzero(np.abs(recorded - year) < 1e-6)
            if not at.size:
                raise ValueError(f"year {year:g} is not reached by the run (it ends at {m.year:g})")
            for name in self.metrics:
                self.values[f"{name}@{year:g}"] = float(collected[name][at[0]])
        years = np.asarray(self._years)
        for k, outcome in enumerate(self._whole_run):
            series = np.array([row[k] for row in self._observed], dtype=float)
            self.values[outcome.name] = float(outcome.summary(years, series))
        return self
