"""The model as an EMA Workbench model: uncertainties, levers and outcomes from the registry.

EMA Workbench (Kwakkel 2017) keeps apart what a policy analysis cannot control (uncertainties),
what it chooses (levers) and what it measures (outcomes). The parameter registry
(``seeds/parameters.toml``) already sorts the parameters by role, and the outcome registry
(:mod:`decouple.outcomes`) defines the outcomes, so :func:`model` only translates:

- each numeric **uncertainty** becomes a ``RealParameter`` (an ``IntegerParameter`` for whole
  numbers) over its plausible range (:attr:`decouple.config.ParamSpec.plausible`, with its source);
- each numeric **lever** becomes a ``RealParameter`` over its allowed range, and the yard becomes
  one ``BooleanParameter`` per sector, ``policy.yard:<sector>`` (in the yard or not);
- each quarterly **outcome** becomes a ``ScalarOutcome`` named ``<outcome>@<year>``, its value in
  the quarter that ends at ``year`` (a :class:`~decouple.measure.Measure`, read by
  :func:`decouple.evaluate.evaluate`), of kind ``MAXIMIZE`` or ``MINIMIZE`` as the outcome's
  direction says (:data:`decouple.outcomes.DIRECTIONS`; ``INFO`` for an outcome none steers by).

The scenario, seed and horizon are EMA ``Constant`` s, so every experiment of a model uses the same
seed (common random numbers) and the function EMA calls is a plain top-level function, which its
multiprocessing evaluator can send to worker processes::

    from ema_workbench import perform_experiments
    from decouple import ema
    experiments, outcomes = perform_experiments(ema.model(), scenarios=100, policies=4)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import outcomes as outcome_registry
from .config import load_registry, load_scenario, shown
from .errors import ConfigError, suggest
from .evaluate import YEAR_TOLERANCE, Point, evaluate
from .measure import Measure
from .world import load_world

with warnings.catch_warnings():  # EMA warns at import that an optional back-end is missing
    warnings.simplefilter("ignore")
    import ema_workbench as ema_wb

#: the outcomes a model reports unless told otherwise
DEFAULT_OUTCOMES = ("gap_controlled", "gap_small_yard", "us_revenue", "cn_self_sufficiency", "compliance_controlled")
#: a yard lever's name: ``policy.yard:<sector>``
YARD = "policy.yard:"


def uncertainty_parameters(paths: Iterable[str] | None = None) -> list:
    """EMA parameters of the registry's numeric uncertainties (or of ``paths``) over their
    plausible ranges."""
    registry = load_registry()
    chosen = list(paths) if paths is not None else [p for p, s in registry.items() if s.role == "uncertainty"]
    out = []
    for path in chosen:
        spec = registry.get(path)
        if spec is None:
            raise ConfigError(f"uncertainty {path!r}{suggest(path, list(registry))}: not a parameter of the registry")
        rng = spec.plausible
        if rng is None:
            if paths is not None:
                raise ConfigError(f"uncertainty {path!r} is a {spec.type}; allowed: numeric parameters")
            continue
        if spec.type == "int":
            out.append(ema_wb.IntegerParameter(path, int(rng[0]), int(rng[1])))
        else:
            out.append(ema_wb.RealParameter(path, float(rng[0]), float(rng[1])))
    return out


def lever_parameters(paths: Iterable[str] | None = None) -> list:
    """EMA parameters of the registry's levers: numeric ones over their allowed range, the yard
    as one boolean per sector (lists of sectors other than the yard and switches are left out
    unless named)."""
    registry = load_registry()
    sectors = load_world().sectors
    chosen = list(paths) if paths is not None else [p for p, s in registry.items() if s.role == "lever"]
    out: list = []
    for path in chosen:
        if path.startswith(YARD):
            sector = path[len(YARD) :]
            if sector not in sectors:
                raise ConfigError(f"lever {path!r}: {sector!r}{suggest(sector, sectors)} is not a sector")
            out.append(ema_wb.BooleanParameter(path))
            continue
        spec = registry.get(path)
        if spec is None or spec.role != "lever" and paths is None:
            raise ConfigError(f"lever {path!r}{suggest(path, list(registry))}: not a lever of the registry")
        if path == "policy.yard":
            out += [ema_wb.BooleanParameter(f"{YARD}{s}") for s in sectors]
        elif spec.type == "bool":
            if paths is not None:
                out.append(ema_wb.BooleanParameter(path))
        elif spec.type in ("float", "int") and spec.range is not None:
            lo, hi = spec.range
            kind = ema_wb.IntegerParameter if spec.type == "int" else ema_wb.RealParameter
            out.append(kind(path, int(lo) if spec.type == "int" else float(lo), int(hi) if spec.type == "int" else hi))
        elif paths is not None:
            raise ConfigError(f"lever {path!r} is a list of sectors; allowed: policy.yard as policy.yard:<sector>")
    return out


#: the texts a switch (or a yard flag) may be given as, besides a real boolean and 0 or 1
BOOL_TEXTS = {"true": True, "false": False, "1": True, "0": False}


def as_bool(key: str, value: Any) -> bool:
    """A switch's value: a boolean (numpy's too), 0 or 1, or exactly ``true``, ``false``, ``1``,
    ``0`` as text; anything else is refused (``bool("false")`` would be True)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in BOOL_TEXTS:
        return BOOL_TEXTS[value]
    raise ConfigError(f"EMA parameter {key!r} = {shown(value)}; allowed: true or false (or 'true', 'false', 1, 0)")


def _as_number(key: str, value: Any, kind: str) -> float | int:
    """A numeric parameter's value: a finite real number (a whole one for an integer parameter)."""
    allowed = "a whole number" if kind == "int" else "a finite number"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"EMA parameter {key!r} = {shown(value)}; allowed: {allowed}")
    if not math.isfinite(float(value)) or (kind == "int" and float(value) != int(value)):
        raise ConfigError(f"EMA parameter {key!r} = {shown(value)}; allowed: {allowed}")
    return int(value) if kind == "int" else float(value)


def changes_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{dotted path: value}`` for the model from EMA's keyword values (``policy.yard:<sector>``
    booleans become the yard's list, in the sectors' order). Unknown names and values of the wrong
    type are refused (a :class:`~decouple.errors.ConfigError`), never guessed."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"EMA values = {shown(values)}; allowed: a mapping of parameter names to values")
    sectors = load_world().sectors
    yard_flags: dict[str, bool] = {}
    changes: dict[str, Any] = {}
    registry = load_registry()
    for key, value in values.items():
        if not isinstance(key, str):
            raise ConfigError(f"EMA parameter {shown(key)}: not a name; allowed: a dotted path or {YARD}<sector>")
        if key.startswith(YARD):
            sector = key[len(YARD) :]
            if sector not in sectors:
                raise ConfigError(
                    f"EMA parameter {key!r}: {sector!r}{suggest(sector, sectors)} is not a sector; allowed: "
                    f"{YARD}<sector> for {', '.join(sectors)}"
                )
            yard_flags[sector] = as_bool(key, value)
            continue
        spec = registry.get(key)
        if spec is None:
            raise ConfigError(
                f"EMA parameter {key!r}{suggest(key, list(registry))}: not a parameter of the registry; allowed: "
                f"a dotted path of seeds/parameters.toml or {YARD}<sector>"
            )
        if spec.type in ("int", "float"):
            value = _as_number(key, value, spec.type)
        elif spec.type == "bool":
            value = as_bool(key, value)
        changes[key] = value
    if yard_flags:
        if "policy.yard" in changes:
            raise ConfigError(f"EMA parameters: policy.yard and {YARD}<sector> both set the yard; give one of them")
        changes["policy.yard"] = [s for s in sectors if yard_flags.get(s, False)]
    return changes


def _check_year(year: Any, start: float, end: float, scenario: str) -> float:
    """The year outcomes are read at: a quarter's end after the run's start, up to its last year."""
    allowed = f"a year after {start:g} up to {end:g} (the run's last year) at a quarter's end (2030.0, 2030.25, ...)"
    if isinstance(year, (bool, np.bool_)) or not isinstance(year, (int, float, np.integer, np.floating)):
        raise ConfigError(f"year = {shown(year)}; allowed: {allowed}")
    year = float(year)
    if not math.isfinite(year):
        raise ConfigError(f"year = {year!r}; allowed: {allowed}")
    if year > end + YEAR_TOLERANCE:
        raise ConfigError(f"year = {year:g} is after the run of '{scenario}' ends ({end:g}); allowed: {allowed}")
    if year <= start:
        raise ConfigError(
            f"year = {year:g} is not after the run of '{scenario}' starts ({start:g}); allowed: {allowed}"
        )
    if abs(year * 4 - round(year * 4)) > YEAR_TOLERANCE:
        raise ConfigError(f"year = {year:g} is not a quarter's end; allowed: {allowed}")
    return year


def _names(what: str, given: Any) -> tuple[str, ...]:
    """A list of names (outcomes, uncertainties, levers); a single text would be read letter by letter."""
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise ConfigError(f"{what} = {shown(given)}; allowed: a list of names, e.g. [{shown(given)}]")
    names = tuple(given)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise ConfigError(f"{what}: {shown(bad[0])} is not a name; allowed: a list of names")
    return names


def run_experiment(scenario: str, seed: int, year: float, outcome_names: tuple[str, ...], **values: Any) -> dict:
    """One run, for EMA: the scenario with ``values`` applied, run to the quarter ending at
    ``year``; returns ``{<outcome>@<year>: value}`` under the names given. Every argument is
    checked before the run: the year against the run's span (with the values applied), the
    outcomes against the registry, the values by name and type."""
    from .model import check_seed

    check_seed(seed, "seed")
    names = _names("outcome_names", outcome_names)
    changes = changes_of(values)
    if not isinstance(scenario, (str, Path)):
        raise ConfigError(f"scenario = {shown(scenario)}; allowed: a scenario's name or file")
    spec = load_scenario(scenario, sectors=load_world().sectors, changes=changes or None)
    start = spec.params.time.start_year
    year = _check_year(year, start, start + spec.params.time.steps / 4.0, spec.name)
    measures = {f"{name}@{year:g}": Measure(name, year).check(origin="outcome_names") for name in names}
    for key, measure in measures.items():
        if measure.resolved().whole_run:
            raise ConfigError(f"outcome {key.split('@')[0]!r} is not a quarterly outcome; allowed: `decouple outcomes`")
    point = Point(scenario, int(seed), changes, tuple(measures.values()), until=year, check=False)
    read = evaluate(point)
    return {key: read[measure.column()] for key, measure in measures.items()}


def outcome_kind(name: str) -> int:
    """EMA's kind of a ``ScalarOutcome`` for an outcome: from its direction in the registry."""
    better = Measure(name).better()
    return {"larger": ema_wb.ScalarOutcome.MAXIMIZE, "smaller": ema_wb.ScalarOutcome.MINIMIZE}.get(
        better or "", ema_wb.ScalarOutcome.INFO
    )


def model(
    scenario: str = "selective_decoupling",
    *,
    uncertainties: Iterable[str] | None = None,
    levers: Iterable[str] | None = None,
    outcomes: Iterable[str] = DEFAULT_OUTCOMES,
    year: float = 2030.0,
    seed: int = 0,
    name: str = "decoupling",
) -> Any:
    """An ``ema_workbench.Model`` of ``scenario`` (checked) with the registry's uncertainties and
    levers (or those named) and ``outcomes`` at ``year`` (checked against the outcome registry)."""
    from .model import check_seed

    if not isinstance(scenario, (str, Path)):
        raise ConfigError(f"scenario = {shown(scenario)}; allowed: a scenario's name or file")
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(f"name = {shown(name)}; allowed: a Python identifier, e.g. 'decoupling'")
    check_seed(seed, "seed")
    spec = load_scenario(scenario, sectors=load_world().sectors)
    start = spec.params.time.start_year
    year = _check_year(year, start, start + spec.params.time.steps / 4.0, spec.name)
    names = _names("outcomes", outcomes)
    if not names:
        raise ConfigError("outcomes = []; allowed: at least one outcome's name (`decouple outcomes` lists them)")
    uncertainties = None if uncertainties is None else _names("uncertainties", uncertainties)
    levers = None if levers is None else _names("levers", levers)
    for n in names:
        found = outcome_registry.resolve(n)
        if found.whole_run:
            raise ConfigError(f"outcome {n!r} is not a quarterly outcome; allowed: `decouple outcomes` lists them")
    m = ema_wb.Model(name, function=run_experiment)
    m.uncertainties = uncertainty_parameters(uncertainties)
    m.levers = lever_parameters(levers)
    m.constants = [
        ema_wb.Constant("scenario", str(spec.file)),
        ema_wb.Constant("seed", int(seed)),
        ema_wb.Constant("year", float(year)),
        ema_wb.Constant("outcome_names", names),
    ]
    label = f"{year:g}"
    m.outcomes = [ema_wb.ScalarOutcome(f"{n}@{label}", kind=outcome_kind(n)) for n in names]
    return m
