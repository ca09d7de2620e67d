"""One way to evaluate a point of the model: build it, step it, read its measures.

A :class:`Point` is what fixes a run: a scenario (a name, the path of a TOML file or a loaded
:class:`~decouple.config.Scenario`), a seed, parameter changes by dotted path (typed values, or
``path=value`` strings as the command line's ``--set`` writes them), the measures to read
(:class:`~decouple.measure.Measure`) and, optionally, the year to stop at (``until``). The same
point gives the same values, bit for bit, in any process (docs/engineering.md, "Reproducibility").

:func:`evaluate` returns the raw values the measures read, keyed by column (``name@year``, or
the name of a whole-run outcome or of a quarterly one read at the end):

- a quarterly outcome with a year is read in the quarter that ends then (``gap_controlled@2030``:
  the state after the quarter that ends at 2030.0, as the DataCollector records it; 2018 is the
  initial state); outcomes the DataCollector does not record (``collected=False``, the replay's
  series, regional sums such as ``revenue[NL+JP]``) are computed in that quarter;
- a quarterly outcome without a year is read at the end of the run (``until`` or the scenario's
  last quarter);
- a whole-run outcome (``compliance_lag``) reduces every quarter of the run (its ``summary``).

A year before the start, after the end of the run, or not at a quarter's end is an error that
names the measure and what is allowed. ``against`` and ``per`` need a reference run: the caller
evaluates it as another point with the same seed and combines the two with
:meth:`Measure.of <decouple.measure.Measure.of>` (a search's baseline, a sweep's paired baseline).

:func:`build` gives the model of a point for callers that step it themselves (a run that writes
its whole time series, the replay that records every quarter, the role-play's rounds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import outcomes
from .config import Scenario, load_scenario, parse_override
from .errors import ConfigError
from .measure import Measure
from .model import DecouplingModel
from .world import World, shared_world

if TYPE_CHECKING:
    from .outcomes import Outcome

#: two years closer than this are the same quarter (years are sums of quarters, 0.25)
YEAR_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Point:
    """What one run is: a scenario, a seed, parameter changes, what to read and when to stop.

    ``changes`` are typed values by dotted path (``{"policy.fence": 0.8}``); ``overrides`` are
    ``path=value`` strings (``--set``), applied first. ``check`` checks the model's invariants
    after every quarter (it changes no value)."""

    scenario: str | Path | Scenario
    seed: int = 0
    changes: Mapping[str, Any] = field(default_factory=dict)
    measures: tuple[Measure, ...] = ()
    until: float | None = None
    overrides: tuple[str, ...] = ()
    check: bool = True


def build(point: Point, world: World | None = None) -> DecouplingModel:
    """The model of ``point`` at its initial state (the one place a run's model is built)."""
    world = world if world is not None else shared_world()
    scenario = point.scenario
    changes = dict(point.changes) or None
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, tuple(point.overrides), sectors=world.sectors, changes=changes)
        changes = None
    elif point.overrides:  # a loaded scenario: its overrides are changes like the others, applied first
        changes = {**dict(parse_override(text) for text in point.overrides), **(changes or {})}
    return DecouplingModel(scenario, seed=point.seed, params=changes, world=world, check=point.check)


def evaluate(point: Point, world: World | None = None) -> dict[str, float]:
    """The raw values of ``point``'s measures (see the module's rules), from one run."""
    model = build(point, world)
    try:
        return read(model, point.measures, point.until)
    finally:
        model.release()


def run_end(model: DecouplingModel, until: float | None = None) -> float:
    """The year the run of ``model`` ends: ``until``, checked against the scenario's last quarter."""
    time = model.params.time
    end = time.start_year + time.steps / 4.0
    if until is None:
        return end
    if not time.start_year <= until <= end + YEAR_TOLERANCE or abs(until * 4 - round(until * 4)) > YEAR_TOLERANCE:
        raise ConfigError(
            f"until = {until!r}; allowed: a quarter's end from {time.start_year:g} to {end:g} "
            f"(scenario '{model.scenario.name}')"
        )
    return float(until)


@dataclass(frozen=True)
class _Read:
    """One raw read: an outcome of the registry at a year (None: the end of the run)."""

    column: str
    outcome: Outcome
    year: float | None


def reads_of(measures: Sequence[Measure], world: World | None = None) -> list[Measure]:
    """The raw measures (an outcome at a year) that ``measures`` need from one run, in order."""
    out: dict[str, Measure] = {}
    for measure in measures:
        checked = measure.check(world)
        for name in checked.reads:
            raw = Measure(name, checked.year)
            out.setdefault(raw.column(), raw)
    return list(out.values())


def _plan(model: DecouplingModel, measures: Sequence[Measure], end: float) -> list[_Read]:
    time = model.params.time
    plan = []
    for raw in reads_of(measures, model.world):
        outcome = outcomes.resolve(raw.outcome, model.world)
        year = raw.year
        if year is not None and (
            not time.start_year - YEAR_TOLERANCE <= year <= end + YEAR_TOLERANCE
            or abs(year * 4 - round(year * 4)) > YEAR_TOLERANCE
        ):
            raise ConfigError(
                f"measure '{raw}': year {year:g}; allowed: a quarter's end from {time.start_year:g} to {end:g}, "
                f"where the run of scenario '{model.scenario.name}' ends"
            )
        plan.append(_Read(raw.column(), outcome, year))
    return plan


def read(model: DecouplingModel, measures: Sequence[Measure], until: float | None = None) -> dict[str, float]:
    """Step ``model`` from its current state to ``until`` (default: the scenario's end) and
    return the raw values ``measures`` read (see the module's rules)."""
    end = run_end(model, until)
    plan = _plan(model, measures, end)
    whole_run = [r for r in plan if r.outcome.whole_run]
    # quarterly reads the collector keeps are taken from its lists at the end (its data frame
    # costs more than the run's other bookkeeping); the others are computed in their quarter
    from_collector = [r for r in plan if not r.outcome.whole_run and r.outcome.collected and model.recording]
    in_quarter = [r for r in plan if not r.outcome.whole_run and r not in from_collector]
    values: dict[str, float] = {}
    years: list[float] = []
    observed: list[list[float]] = []

    def observe() -> None:
        year = model.year
        if whole_run:
            years.append(year)
            observed.append([r.outcome.compute(model) for r in whole_run])
        for r in in_quarter:
            if r.year is not None and abs(r.year - year) < YEAR_TOLERANCE:
                values[r.column] = float(r.outcome.compute(model))

    observe()
    while model.running and model.year < end - YEAR_TOLERANCE:
        model.step()
        observe()
    for r in in_quarter:
        if r.year is None:
            values[r.column] = float(r.outcome.compute(model))
    if from_collector:
        collected = model.datacollector.model_vars
        recorded = np.asarray(collected["year"], dtype=float)
        for r in from_collector:
            at = np.flatnonzero(np.abs(recorded - (model.year if r.year is None else r.year)) < YEAR_TOLERANCE)
            values[r.column] = float(collected[r.outcome.name][at[-1]])
    if whole_run:
        run_years = np.asarray(years)
        for k, r in enumerate(whole_run):
            series = np.array([row[k] for row in observed], dtype=float)  # contiguous, as each summary sums it
            values[r.column] = float(r.outcome.summary(run_years, series))  # type: ignore[misc]
    return {r.column: values[r.column] for r in plan}
