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

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from . import outcomes as outcome_registry
from .config import load_registry, load_scenario
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


def changes_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{dotted path: value}`` for the model from EMA's keyword values (``policy.yard:<sector>``
    booleans become the yard's list, in the sectors' order)."""
    sectors = load_world().sectors
    yard_flags = {k[len(YARD) :]: bool(v) for k, v in values.items() if k.startswith(YARD)}
    changes: dict[str, Any] = {}
    registry = load_registry()
    for key, value in values.items():
        if key.startswith(YARD):
            continue
        spec = registry.get(key)
        if spec is None:
            raise ConfigError(
                f"EMA parameter {key!r}{suggest(key, list(registry))}: not a parameter of the registry; allowed: "
                f"a dotted path of seeds/parameters.toml or {YARD}<sector>"
            )
        if spec.type == "int":
            value = int(value)
        elif spec.type == "float":
            value = float(value)
        elif spec.type == "bool":
            value = bool(value)
        changes[key] = value
    if yard_flags:
        changes["policy.yard"] = [s for s in sectors if yard_flags.get(s, False)]
    return changes


def run_experiment(scenario: str, seed: int, year: float, outcome_names: tuple[str, ...], **values: Any) -> dict:
    """One run, for EMA: the scenario with ``values`` applied, run to the quarter ending at
    ``year``; returns ``{<outcome>@<year>: value}`` under the names given."""
    measures = {f"{name}@{year:g}": Measure(name, float(year)) for name in outcome_names}
    point = Point(scenario, int(seed), changes_of(values), tuple(measures.values()), until=float(year), check=False)
    read = evaluate(point)
    return {key: read[measure.check().column()] for key, measure in measures.items()}


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
    spec = load_scenario(scenario, sectors=load_world().sectors)
    end = spec.params.time.start_year + spec.params.time.steps / 4.0
    start = spec.params.time.start_year
    if not start < year <= end + YEAR_TOLERANCE or abs(year * 4 - round(year * 4)) > YEAR_TOLERANCE:
        raise ConfigError(
            f"year = {year!r}; allowed: a year after {start:g} up to {end:g} at a quarter's end (2030.0, 2030.25, ...)"
        )
    names = tuple(outcomes)
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
