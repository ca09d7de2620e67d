"""What one run of a sweep reports, read from the outcome registry (:mod:`decouple.outcomes`).

A sweep keeps, for every run, chosen quarterly outcomes at chosen years (``name@year`` columns)
and every whole-run outcome (``compliance_lag``, ``ss50_<sector>``). With ``keep_timeseries`` a
run also keeps every quarterly outcome of every quarter (its DataCollector's table), so the
comparison figures can draw them. A sweep never builds the full tidy time series unless asked
(``tidy``: what `decouple compare` keeps), which costs about as much as the run itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .. import outcomes
from ..evaluate import read
from ..measure import Measure

if TYPE_CHECKING:
    from ..model import DecouplingModel
    from ..world import World


def label_of(column: str) -> str:
    """A figure label for a ``name@year`` or whole-run column."""
    name, _, year = column.partition("@")
    try:
        outcome = outcomes.resolve(name)
        text = outcome.titled
    except Exception:  # a column that is not an outcome (a parameter): its own name
        text = name.replace("_", " ")
    return f"{text}, {float(year):g}" if year else text


def indicator_table(model: DecouplingModel, scenario: str, seed: int) -> pd.DataFrame:
    """The run's quarterly outcomes, one row per quarter, indexed by (scenario, seed, year)."""
    table = model.datacollector.get_model_vars_dataframe()
    table.insert(0, "scenario", scenario)
    table.insert(1, "seed", seed)
    return table.set_index(["scenario", "seed", "year"])


def sweep_measures(metrics: tuple[str, ...], years: tuple[float, ...], world: World | None = None) -> list[Measure]:
    """What a sweep keeps of every run: each metric at each year (``name@year`` columns, year by
    year), then every whole-run outcome by name."""
    kept = [Measure(name, year) for year in sorted(years) for name in metrics]
    return kept + [Measure(o.name) for o in outcomes.whole_run(world)]


class RunRecorder:
    """Steps a model to its end and collects what the sweep asked for (:func:`sweep_measures`,
    read by :func:`decouple.evaluate.read`)."""

    def __init__(self, model: DecouplingModel, metrics: tuple[str, ...], years: tuple[float, ...]):
        self.model = model
        self.measures = sweep_measures(metrics, years, model.world)
        self.values: dict[str, float] = {}

    def run(self) -> RunRecorder:
        self.values = read(self.model, self.measures)
        return self
