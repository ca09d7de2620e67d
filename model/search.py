"""Robust policy search: which levers hold up across an ensemble of uncertain futures?

A search file (``experiments/*.toml`` with a ``[search]`` table; see ``precise_yard.toml``) names
the base scenario, the levers to choose (yard membership per candidate sector, and discrete values
of numeric levers such as the fence), the uncertainties and how many futures to sample over their
plausible ranges, and the objectives. Every policy is run in every future — the same futures and
seeds for every policy (common random numbers) — and each objective's values across futures are
reduced by its robustness measure (Kwakkel, Haasnoot and Walker 2016; McPhail et al. 2018):

- ``mean``;
- ``percentile``: the ``percentile``-th worst future (10 = the 10th percentile of a quantity to
  maximise, the 90th of one to minimise);
- ``regret``: the largest shortfall, across futures, from the best policy evaluated in that future
  (minimised);
- ``satisficing``: the share of futures where the value meets ``threshold`` (maximised).

An objective is a :class:`~decouple.measure.Measure` at the search's year: the outcome itself, or
its change against a reference scenario in the same future (``metric = "welfare_usd[US]@2030
against baseline per gdp[US]"``: a welfare cost in % of the baseline's GDP). The older keys still
load: ``against_baseline = true`` compares with the search's ``baseline``, ``per = "gdp_WORLD@2030"``
divides by it. Its ``direction`` defaults to the outcome's (:data:`decouple.outcomes.DIRECTIONS`).
Levers are searched by NSGA-II (pymoo) or, when the lever space is small, enumerated.

Every evaluation (a policy in a future) is a run of the sweep engine
(:mod:`decouple.sweeps.engine`) in ``evaluations/``: a shard per run, failure records, the local
pool or Dask, and resumption, so an interrupted search resumes where it stopped. The futures are
the engine's Latin hypercube over the uncertainties' plausible ranges and its replicate seeds
(both from ``root_seed``), so the same file gives the same front whatever the worker count.

The budget (``futures``, ``population``, ``generations``) can be given on the command line
instead (``decouple search --futures N --population N --generations N``, :meth:`Search.with_budget`):
checked against the same bounds as the file's keys, held to the same run limit, recorded in
``search.json``, and part of the search's hash, so a folder never mixes the evaluations of two
budgets.

Written: ``front.csv`` (the Pareto front with each policy's levers and robust objectives),
``policies.csv`` (every policy evaluated), ``pareto.png`` (with the named scenarios placed on
it) and ``search.json``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config import load_registry, load_scenario, parse_toml, read_text, shown
from .errors import ConfigError, DecoupleError, suggest
from .measure import Measure
from .world import load_world


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SearchSection(_Strict):
    title: str = "Robust policy search"
    description: str = ""
    scenario: str = "selective_decoupling"
    baseline: str = "baseline"
    year: float = 2030.0
    futures: int = Field(16, ge=2, le=10_000)
    root_seed: int = Field(0, ge=0)
    method: Literal["nsga2", "exhaustive"] = "nsga2"
    population: int = Field(40, ge=4, le=10_000)
    generations: int = Field(20, ge=1, le=10_000)
    compare: list[str] = []  # named scenarios to place on the front
    uncertainties: list[str] = Field(min_length=1)  # sampled over their plausible ranges


class Objective(_Strict):
    metric: str  # a measure: OUTCOME@YEAR [against SCENARIO] [per OUTCOME]
    direction: Literal["max", "min"] | None = None  # default: the outcome's direction
    robustness: Literal["mean", "percentile", "regret", "satisficing"] = "mean"
    percentile: float = Field(10.0, gt=0, lt=100)
    threshold: float | None = None
    against_baseline: bool = False
    per: str | None = None
    label: str = ""


class SearchFile(_Strict):
    search: SearchSection
    levers: dict[str, list[Any]]
    objective: list[Objective] = Field(min_length=1)


#: the keys of ``[search]`` that ``decouple search``'s flags of the same name override
BUDGET_KEYS = ("futures", "population", "generations")


@dataclass(frozen=True)
class Search:
    name: str
    spec: SearchFile
    text: str
    #: the budget keys given on the command line that differ from the file's, as (key, value)
    budget: tuple[tuple[str, int], ...] = ()

    def with_budget(self, **given: int | None) -> Search:
        """This search with its budget (``futures``, ``population``, ``generations``) as given,
        each a whole number within the bounds the file's key has (None keeps the file's). An
        enumeration (``method = "exhaustive"``) evaluates every policy: only ``futures`` applies."""
        section = self.spec.search
        changes: dict[str, int] = {}
        for key, value in given.items():
            if key not in BUDGET_KEYS:
                raise ConfigError(f"--{key}: not a budget of a search; allowed: {', '.join(BUDGET_KEYS)}")
            if value is None:
                continue
            low, high = _bounds(key)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(f"--{key} {shown(value)}: allowed: a whole number from {low:,} to {high:,}")
            if key != "futures" and section.method == "exhaustive":
                raise ConfigError(
                    f"--{key} {value}: search '{self.name}' enumerates every policy (method = \"exhaustive\"), "
                    'so it has no population or generations; allowed: --futures only, or method = "nsga2"'
                )
            if value != getattr(section, key):
                changes[key] = value
        if not changes:
            return self
        spec = self.spec.model_copy(update={"search": section.model_copy(update=changes)})
        budget = {**dict(self.budget), **changes}
        return replace(self, spec=spec, budget=tuple(sorted(budget.items())))

    def budget_record(self) -> dict[str, Any]:
        """The budget in force and where each part comes from, for ``search.json``."""
        s = self.spec.search
        flags = dict(self.budget)
        return {key: getattr(s, key) for key in BUDGET_KEYS} | {
            "from_flags": sorted(f"--{k}" for k in flags),
        }

    @property
    def yard_candidates(self) -> list[str]:
        return list(self.spec.levers.get("policy.yard", []))

    @property
    def value_levers(self) -> dict[str, list[Any]]:
        return {k: v for k, v in self.spec.levers.items() if k != "policy.yard"}

    def n_policies(self) -> int:
        n = 2 ** len(self.yard_candidates)
        for values in self.value_levers.values():
            n *= len(values)
        return n

    def n_runs(self) -> int:
        """The most runs the search can ask for: every policy it may evaluate, each reference
        scenario and each named scenario, in every future."""
        s = self.spec.search
        policies = (
            self.n_policies() if s.method == "exhaustive" else min(self.n_policies(), s.population * s.generations)
        )
        others = len({m.against for m in self.measures if m.against}) + len(s.compare)
        return (policies + others) * s.futures

    def check_size(self, force: bool = False) -> None:
        """Refuse a search of more than :data:`~decouple.sweeps.experiment.RUN_LIMIT` runs unless
        ``force``, as a sweep does, before any run."""
        from .sweeps.experiment import RUN_LIMIT

        runs = self.n_runs()
        if runs > RUN_LIMIT and not force:
            s = self.spec.search
            raise ConfigError(
                f"search '{self.name}': up to {runs:,} runs ({s.futures:,} futures x the policies, references "
                f"and named scenarios; about {runs * 0.05 / 3600:,.0f} hours of one worker), more than the "
                f"{RUN_LIMIT:,} a search runs without --force; reduce futures, population, generations or "
                "lever values, or pass --force"
            )

    def hash(self) -> str:
        """The file's text, and the budget flags that change it: two budgets never share a folder."""
        text = self.text + ("\n# budget " + json.dumps(dict(self.budget), sort_keys=True) if self.budget else "")
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @cached_property
    def measures(self) -> list[Measure]:
        """Each objective as a measure (the older keys ``against_baseline`` and ``per`` folded in)."""
        return [objective_measure(o, self.spec.search.baseline) for o in self.spec.objective]

    @cached_property
    def directions(self) -> list[str]:
        """Each objective's direction, ``max`` or ``min`` (given, or the outcome's own)."""
        return [o.direction or _direction_of(m) for o, m in zip(self.spec.objective, self.measures)]


def _bounds(key: str) -> tuple[int, int]:
    """A budget key's least and greatest values, as :class:`SearchSection` declares them."""
    low, high = 1, 10**9
    for rule in SearchSection.model_fields[key].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


def objective_measure(obj: Objective, baseline: str) -> Measure:
    """The measure an objective names: its ``metric`` text, with ``against_baseline`` (against the
    search's baseline) and ``per`` (an outcome at the same year) folded in."""
    measure = Measure.parse(obj.metric)
    if obj.against_baseline and not measure.against:
        measure = replace(measure, against=baseline)
    if obj.per and not measure.per:
        measure = replace(measure, per=Measure.parse(obj.per).outcome)
    return measure.check()


def _direction_of(measure: Measure) -> str:
    better = measure.better()
    if better is None:
        raise ConfigError(
            f"objective '{measure}': no actor steers by this outcome; allowed: give direction = max or min"
        )
    return "max" if better == "larger" else "min"


def _check_lever_value(path: Path, lever: str, entry, value: Any) -> None:
    """A lever's value has the lever's type (a real number, a whole number, true or false), is
    finite and lies in its range; a clear error otherwise."""
    kind = entry.type
    if kind == "bool":
        fits = isinstance(value, bool)
        allowed = "true or false"
    elif kind == "int":
        fits = isinstance(value, int) and not isinstance(value, bool)
        allowed = "whole numbers"
    else:
        fits = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        allowed = "finite numbers"
    if entry.range and kind != "bool":
        allowed += f" from {entry.range[0]:g} to {entry.range[1]:g}"
        fits = fits and entry.range[0] <= value <= entry.range[1]
    if not fits:
        raise ConfigError(f"{path}: key 'levers.{lever}' value {shown(value)}; allowed: a list of {allowed}")


def _flat(table: dict) -> dict:
    """A table's nested tables as dotted keys (``{"policy": {"fence": v}}`` is ``{"policy.fence": v}``)."""
    out: dict = {}
    todo = [("", table)]
    while todo:
        prefix, current = todo.pop()
        for key, value in current.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict) and value:
                todo.append((f"{name}.", value))
            else:
                out[name] = value
    return out


def load_search(name_or_path: str | Path) -> Search:
    """A search file, checked: unknown keys, levers, uncertainties, outcomes or years are errors
    that name the file, the key, the value and what is allowed."""
    from .paths import project_root

    path = Path(name_or_path)
    if not path.suffix:
        path = project_root() / "experiments" / f"{name_or_path}.toml"
    text = read_text(path)
    raw = parse_toml(text, str(path))
    if isinstance(raw.get("levers"), dict):  # [levers] policy.fence = [...] (unquoted) is a nested table
        raw["levers"] = _flat(raw["levers"])
    try:
        spec = SearchFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: key '{key}': {first['msg']} (value {shown(first.get('input'))})") from None
    registry = load_registry()
    world = load_world()
    scen = load_scenario(spec.search.scenario, sectors=world.sectors)
    end = scen.params.time.start_year + scen.params.time.steps / 4.0
    if not scen.params.time.start_year < spec.search.year <= end + 1e-9:
        raise ConfigError(f"{path}: key 'search.year' = {spec.search.year}; allowed: after 2018 up to {end:g}")
    for lever, values in spec.levers.items():
        if lever == "policy.yard":
            bad = [s for s in values if not isinstance(s, str) or s not in world.sectors]
            if bad or not values:
                raise ConfigError(
                    f"{path}: key 'levers.policy.yard' = {shown(values)}; allowed: a list of candidate sectors "
                    f"among {', '.join(world.sectors)}"
                )
            if len(set(values)) != len(values):
                raise ConfigError(f"{path}: key 'levers.policy.yard' = {shown(values)}: a sector listed twice")
            continue
        entry = registry.get(lever)
        if entry is None or entry.role != "lever" or entry.type not in ("float", "int", "bool"):
            raise ConfigError(
                f"{path}: key 'levers.{lever}'{suggest(lever, list(registry))}: not a numeric or switch lever of "
                "seeds/parameters.toml"
            )
        if not values:
            raise ConfigError(f"{path}: key 'levers.{lever}' is empty; allowed: a list of values")
        for v in values:
            _check_lever_value(path, lever, entry, v)
        if len({json.dumps(v) for v in values}) != len(values):
            raise ConfigError(f"{path}: key 'levers.{lever}' = {shown(values)}: a value listed twice")
    levers = set(spec.levers)
    twice = sorted({u for u in spec.search.uncertainties if spec.search.uncertainties.count(u) > 1})
    if twice:
        raise ConfigError(f"{path}: key 'search.uncertainties' lists {', '.join(twice)} twice")
    both = sorted(levers & set(spec.search.uncertainties))
    if both:
        raise ConfigError(
            f"{path}: {', '.join(both)} is both a lever and an uncertainty; allowed: one role for each parameter"
        )
    for obj in spec.objective:
        if obj.threshold is not None and not math.isfinite(obj.threshold):
            raise ConfigError(f"{path}: key 'objective.threshold' = {obj.threshold!r}; allowed: a finite number")
    for u in spec.search.uncertainties:
        entry = registry.get(u)
        if entry is None or entry.plausible is None:
            raise ConfigError(
                f"{path}: key 'uncertainties' value {u!r}{suggest(u, list(registry))}: not a numeric parameter with "
                "a plausible range"
            )
    for obj in spec.objective:
        for key, given in (("metric", obj.metric), ("per", obj.per)):
            if given is None:
                continue
            measure = Measure.parse(given, f"{path}: key 'objective.{key}'")
            try:
                found = measure.check(world).resolved(world)
            except ConfigError as exc:
                raise ConfigError(f"{path}: key 'objective.{key}' = {given!r}: {exc}") from None
            if found.whole_run or measure.year is None or abs(measure.year - spec.search.year) > 1e-9:
                raise ConfigError(
                    f"{path}: key 'objective.{key}' = {given!r}; allowed: a quarterly outcome at the search's "
                    f"year, NAME@{spec.search.year:g}"
                )
        measure = objective_measure(obj, spec.search.baseline)
        if measure.against:
            load_scenario(measure.against, sectors=world.sectors)
        if obj.direction is None:
            try:
                _direction_of(measure)
            except ConfigError as exc:
                raise ConfigError(f"{path}: key 'objective.direction': {exc}") from None
        if obj.robustness == "satisficing" and obj.threshold is None:
            raise ConfigError(f"{path}: objective {obj.metric!r}: robustness 'satisficing' needs a threshold")
    for name in spec.search.compare:
        load_scenario(name, sectors=world.sectors)
    if spec.search.method == "exhaustive" and Search(path.stem, spec, text).n_policies() > 100_000:
        raise ConfigError(f"{path}: method 'exhaustive' over more than 100,000 policies; use 'nsga2'")
    return Search(path.stem, spec, text)


# ---------------------------------------------------------------- futures and evaluations
def futures(search: Search) -> list[dict[str, Any]]:
    """The ensemble: the sweep engine's Latin hypercube of the uncertainties over their plausible
    ranges (as ``sampler = "lhs"`` draws it from ``root_seed``), each future with the replicate
    seed of its index; the same for every policy."""
    from .sweeps.experiment import unit_design

    registry = load_registry()
    s = search.spec.search
    paths = s.uncertainties
    (unit,) = unit_design("lhs", len(paths), s.futures, s.root_seed, paths)
    seeds = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(s.root_seed).spawn(s.futures)]
    out = []
    for row, seed in zip(unit, seeds):
        values: dict[str, Any] = {}
        for path, u in zip(paths, row):
            lo, hi = registry[path].plausible  # type: ignore[misc]
            v = lo + u * (hi - lo)
            values[path] = int(round(v)) if registry[path].type == "int" else round(float(v), 10)
        out.append({"seed": seed, "values": values})
    return out


def policy_key(policy: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(policy, sort_keys=True).encode()).hexdigest()[:16]


#: a row of raw values of one evaluation: column (``name@year``) -> value
Values = dict[str, float]


class Evaluator:
    """Runs (or reads back) every (policy, future) evaluation through the sweep engine, whose
    shards in ``evaluations/`` make a search resumable."""

    def __init__(
        self, search: Search, out: Path, workers: int = 1, executor: Executor | None = None, force: bool = False
    ):
        from .evaluate import reads_of

        self.search, self.out, self.workers, self.executor = search, out / "evaluations", workers, executor
        self.force = force
        self.futures = futures(search)
        self.reads = reads_of(search.measures)
        self.cache: dict[tuple[str, int], Values] = {}
        self.runs = 0
        self._experiment = _experiment(search, self.reads)

    def evaluate(self, scenario: str, items: list[tuple[str, dict]]) -> dict[str, list[Values]]:
        """{key: raw values in each future} for ``items`` [(key, changes)] of ``scenario``."""
        from .sweeps.engine import run_sweep
        from .sweeps.experiment import Run, toml_value

        todo = []
        for key, changes in items:
            for f, future in enumerate(self.futures):
                if (key, f) in self.cache:
                    continue
                values = {**future["values"], **changes}
                overrides = tuple(f"{k}={toml_value(v)}" for k, v in values.items())
                todo.append(Run(f"{key}__f{f:04d}", scenario, 0, f, future["seed"], values, overrides))
        if todo:
            exp = replace(self._experiment, explicit=todo)
            result = run_sweep(
                exp,
                self.out,
                workers=self.workers,
                resume=True,
                progress=False,
                executor=self.executor,
                force=self.force,
            )
            self.runs += result.computed
            table = result.table if result.table is not None else pd.DataFrame()
            failed = table[table["status"] != "done"] if len(table) else table
            if len(failed):
                first = failed.iloc[0]
                raise DecoupleError(
                    f"{len(failed)} evaluation(s) failed, e.g. {first['run_id']}: {first['error']}; the records are "
                    f"in {self.out / 'failed'} (run the search again to retry them)"
                )
            columns = [r.column() for r in self.reads]
            missing = [c for c in ["run_id", *columns] if c not in table.columns]
            if missing:
                raise DecoupleError(
                    f"{self.out}: the evaluations' table has no column {', '.join(missing)}; remove the folder "
                    "to compute them again"
                )
            for row in table[["run_id", *columns]].itertuples(index=False):
                policy, index = str(row[0]).rsplit("__f", 1)
                self.cache[(policy, int(index))] = dict(zip(columns, (_number(v) for v in row[1:])))
        absent = [
            f"{key}__f{f:04d}" for key, _ in items for f in range(len(self.futures)) if (key, f) not in self.cache
        ]
        if absent:
            raise DecoupleError(
                f"{self.out}: {len(absent)} evaluation(s) missing after the run, e.g. {absent[0]}; run the search "
                "again to compute them"
            )
        return {key: [self.cache[(key, f)] for f in range(len(self.futures))] for key, _ in items}


def _number(value: Any) -> float:
    """An evaluation's value as a float; NaN where it is none (the policy is then reported failed)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _experiment(search: Search, reads: list[Measure]):
    """The sweep engine's experiment of a search's evaluations (its runs are given per batch)."""
    from .sweeps.experiment import experiment_from_table

    s = search.spec.search
    scenarios = list(dict.fromkeys([s.scenario, *(m.against for m in search.measures if m.against), *s.compare]))
    table = {
        "experiment": {
            "title": f"Evaluations of search '{search.name}'",
            # the search file's hash makes the experiment's: a folder of another search is refused
            "description": f"search {search.hash()}: {', '.join(map(str, search.measures))}",
            "scenarios": scenarios,
            "root_seed": s.root_seed,
        },
    }
    exp = experiment_from_table(table, f"search_{search.name}")
    return replace(exp, measures=tuple(reads), until=s.year)


# ---------------------------------------------------------------- robustness
def objective_values(search: Search, raw: list[Values], references: dict[str, list[Values]]) -> np.ndarray:
    """(futures, objectives) values of one policy, before robustness: each objective's measure
    from the policy's raw values and, for a change, its reference scenario's in the same future."""
    rows = []
    for f, values in enumerate(raw):
        rows.append([m.of(values, references[m.against][f] if m.against else None) for m in search.measures])
    return np.array(rows, dtype=float)


def robust(search: Search, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each policy's robust value of each objective, signed for minimisation in ``_min`` columns."""
    objs = search.spec.objective
    keys = list(values)
    cube = np.stack([values[k] for k in keys])  # (policies, futures, objectives)
    out = {}
    directions = search.directions
    for j, obj in enumerate(objs):
        v = cube[:, :, j]
        valid = np.isfinite(v).all(axis=1)  # a policy with a value that is no number has no robust value
        direction = directions[j]
        sign = 1.0 if direction == "max" else -1.0
        if obj.robustness == "mean":
            r = v.mean(1)
        elif obj.robustness == "percentile":
            q = obj.percentile if direction == "max" else 100 - obj.percentile
            r = np.percentile(v, q, axis=1)
        elif obj.robustness == "regret":
            # per future, over the policies evaluated that have a value in every future
            best = (sign * v[valid]).max(0) if valid.any() else np.full(v.shape[1], np.nan)
            r = (best[None, :] - sign * v).max(1)
            sign = -1.0  # regret is minimised
        else:
            threshold = float(obj.threshold)  # type: ignore[arg-type]
            r = ((v >= threshold) if direction == "max" else (v <= threshold)).mean(1)
            sign = 1.0
        r = np.where(valid, r, np.nan)
        name = obj.label or f"{obj.metric} ({obj.robustness})"
        out[name] = r
        out[f"_min_{j}"] = -sign * r
    return pd.DataFrame(out, index=keys)


# ---------------------------------------------------------------- the search
def _decode(search: Search, x: Iterable[int]) -> dict[str, Any]:
    x = list(x)
    k = len(search.yard_candidates)
    policy: dict[str, Any] = {}
    if k:
        policy["policy.yard"] = [s for s, bit in zip(search.yard_candidates, x[:k]) if bit]
    for i, (lever, values) in enumerate(search.value_levers.items()):
        policy[lever] = values[int(x[k + i])]
    return policy


#: what a search writes into its folder
SEARCH_FILES = ("search.json", "front.csv", "policies.csv", "named.csv", "pareto.png", "evaluations")
#: stands in for a non-finite objective in the optimiser (such a policy is never on the front)
WORST = 1e300


def run_search(
    search: Search,
    out: Path | str,
    workers: int = 1,
    log=print,
    backend: str = "local",
    scheduler: str | None = None,
    force: bool = False,
) -> dict:
    """Search (or enumerate) the levers; write the front, every policy, the figure and a summary.

    Everything is checked before the first run: the search's size (``force`` lets one above
    :data:`~decouple.sweeps.experiment.RUN_LIMIT` runs go ahead), the folder ``out`` (new, empty,
    or a search folder of this file), the back-end. The folder's ``search.json`` says "running"
    (with the process id) while the search runs; a failed search puts back what it held before.
    The evaluations run on the sweep engine's executor (``backend`` ``local`` or ``dask``, as
    ``decouple sweep`` takes them), one for the whole search."""
    from .output import check_out, mark_out, write_json
    from .sweeps.engine import check_scheduler, make_executor

    if not isinstance(search, Search):
        raise ConfigError(f"search = {shown(search)}; allowed: a search loaded by load_search")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(f"--workers = {shown(workers)}; allowed: a whole number of at least 1")
    search.check_size(force)
    out = check_out(Path(out), "search", SEARCH_FILES)
    stamp = out / "search.json"
    before = _stamp_of(stamp, search, out, log)
    check_scheduler(backend, scheduler)
    mark_out(out, "search")
    write_json(
        stamp,
        {
            "name": search.name,
            "hash": search.hash(),
            "status": "running",
            "pid": os.getpid(),
            "budget": search.budget_record(),
        },
    )
    try:
        with make_executor(backend, workers, scheduler) as executor:
            return _search(search, out, workers, log, executor, force)
    except BaseException:
        if before is None:
            stamp.unlink(missing_ok=True)
        else:
            stamp.write_bytes(before)
        raise


def _stamp_of(stamp: Path, search: Search, out: Path, log) -> bytes | None:
    """The bytes of a folder's ``search.json`` (None: none), after checking that it lets ``search``
    run there: a finished search of another file, or a search still running in another process,
    is refused; a stamp left by a process that died is stale; an unreadable one counts as none."""
    try:
        before = stamp.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{stamp}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        stored = json.loads(before)
    except (ValueError, UnicodeDecodeError):
        stored = None
    if not isinstance(stored, dict) or not isinstance(stored.get("hash"), str):
        log(f"note: {stamp} is unreadable or damaged; it is written anew (the evaluations are checked run by run)")
        return before
    pid = stored.get("pid")
    running = stored.get("status") == "running"
    if running and isinstance(pid, int) and not isinstance(pid, bool) and pid != os.getpid() and _alive(pid):
        raise ConfigError(
            f"{out}: a search is running into it (process {pid}); wait for it, or choose another --out "
            "(nothing was changed)"
        )
    if stored["hash"] != search.hash() and not running:
        raise ConfigError(
            f"{out}: holds a search from a different search file, or with another budget (--futures, "
            "--population, --generations); choose another --out (nothing was changed)"
        )
    return before


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0
    return True


def _search(search: Search, out: Path, workers: int, log, executor: Executor | None, force: bool = False) -> dict:
    started = time.perf_counter()
    s = search.spec.search
    stamp = out / "search.json"
    ev = Evaluator(search, out, workers, executor, force)
    references = {  # each reference scenario of a change, in every future, without the policy
        name: ev.evaluate(name, [(f"reference_{name}", {})])[f"reference_{name}"]
        for name in dict.fromkeys(m.against for m in search.measures if m.against)
    }
    evaluated: dict[str, dict[str, Any]] = {}
    values: dict[str, np.ndarray] = {}

    def evaluate(policies: list[dict[str, Any]]) -> list[str]:
        items = [(policy_key(p), dict(p)) for p in policies]
        raw = ev.evaluate(s.scenario, items)
        for p, (key, _) in zip(policies, items):
            evaluated[key] = p
            values[key] = objective_values(search, raw[key], references)
        return [k for k, _ in items]

    n_var = len(search.yard_candidates) + len(search.value_levers)
    upper = [1] * len(search.yard_candidates) + [len(v) - 1 for v in search.value_levers.values()]
    if s.method == "exhaustive":
        grid = list(itertools.product(*[range(u + 1) for u in upper]))
        evaluate([_decode(search, x) for x in grid])
    else:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.problem import Problem
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.mutation.pm import PM
        from pymoo.operators.repair.rounding import RoundingRepair
        from pymoo.operators.sampling.rnd import IntegerRandomSampling
        from pymoo.optimize import minimize

        n_obj = len(search.spec.objective)

        class LeverProblem(Problem):
            def __init__(self):
                super().__init__(n_var=n_var, n_obj=n_obj, xl=np.zeros(n_var), xu=np.array(upper), vtype=int)

            def _evaluate(self, X, out_, *args, **kwargs):
                keys = evaluate([_decode(search, np.round(x).astype(int)) for x in X])
                table = robust(search, values)  # regret against every policy evaluated so far
                scores = table.loc[keys, [f"_min_{j}" for j in range(n_obj)]].to_numpy()
                out_["F"] = np.where(np.isfinite(scores), scores, WORST)
                log(f"  evaluated {len(evaluated)} policies ({ev.runs} runs computed)")

        algorithm = NSGA2(
            pop_size=s.population,
            sampling=IntegerRandomSampling(),
            crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
            mutation=PM(eta=20, vtype=float, repair=RoundingRepair()),
            eliminate_duplicates=True,
        )
        minimize(LeverProblem(), algorithm, ("n_gen", s.generations), seed=s.root_seed, verbose=False)
    table = robust(search, values)
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    mins = table[[c for c in table.columns if c.startswith("_min_")]].to_numpy()
    finite = np.isfinite(mins).all(axis=1)  # a policy with an objective that is no number is failed
    front_idx = np.flatnonzero(finite)[NonDominatedSorting().do(mins[finite], only_non_dominated_front=True)]
    if not finite.all():
        log(
            f"note: {int((~finite).sum())} of {len(finite)} policies have an objective that is not a number "
            f"(e.g. {table.index[~finite][0]}); they are reported failed in policies.csv and left off the front"
        )
    shown_cols = [c for c in table.columns if not c.startswith("_min_")]
    rows = []
    for key in table.index:
        p = evaluated[key]
        row = {"policy": key, **{k: (",".join(v) if isinstance(v, list) else v) for k, v in p.items()}}
        if "policy.yard" in p:
            row["yard_size"] = len(p["policy.yard"])
        row.update({c: table.loc[key, c] for c in shown_cols})
        rows.append(row)
    policies = pd.DataFrame(rows)
    policies["status"] = np.where(finite, "done", "failed: an objective is not a number")
    policies["on_front"] = False
    policies.loc[front_idx, "on_front"] = True
    from .output import write_csv, write_json

    write_csv(out / "policies.csv", policies)
    front = policies[policies["on_front"]].drop(columns=["on_front", "status"])
    write_csv(out / "front.csv", front)
    named = _named(search, ev, references, values) if s.compare else pd.DataFrame()
    if len(named):
        write_csv(out / "named.csv", named)
    figure = _figure(search, policies, named, out / "pareto.png", shown_cols)
    summary = {
        "name": search.name,
        "hash": search.hash(),
        "status": "done",
        "policies": len(policies),
        "front": int(len(front)),
        "failed": int((~finite).sum()),
        "runs_computed": ev.runs,
        "futures": len(ev.futures),
        "budget": search.budget_record(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(stamp, summary)
    return {"summary": summary, "front": front, "policies": policies, "named": named, "figure": figure}


def _named(
    search: Search, ev: Evaluator, references: dict[str, list[Values]], policies: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The named scenarios' robust objectives under the same futures (their whole scripts); a
    regret is measured against the best of the policies searched in each future."""
    out = []
    for name in search.spec.search.compare:
        key = f"scenario_{name}"
        raw = ev.evaluate(name, [(key, {})])[key]
        table = robust(search, {**policies, key: objective_values(search, raw, references)})
        out.append({"scenario": name, **{c: table.loc[key, c] for c in table.columns if not c.startswith("_min_")}})
    return pd.DataFrame(out)


#: where a named scenario's label may sit, in points from its star, tried in this order: right,
#: left, above, below and the four corners (text alignment follows the side)
LABEL_OFFSETS = (
    (12, 0, "left", "center"),
    (-12, 0, "right", "center"),
    (0, 14, "center", "bottom"),
    (0, -14, "center", "top"),
    (10, 10, "left", "bottom"),
    (-10, 10, "right", "bottom"),
    (10, -10, "left", "top"),
    (-10, -10, "right", "top"),
)


def _label_points(fig, ax, points: list[tuple[float, float, str]], dots, fontsize: float) -> None:
    """Label each named point beside its star: the first offset of :data:`LABEL_OFFSETS` whose
    text lies inside the axes and clear of the stars, of the labels placed before it and of the
    other points drawn (``dots``: data coordinates); failing that, clear of stars and labels only;
    failing that, inside the axes. The overlap test of ``tests/layout.py`` measures the result.
    The figure's layout must be final (constrained, legend and colour bar placed)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)

    def square(x: float, y: float, half_pt: float) -> tuple[float, float, float, float]:
        cx, cy = ax.transData.transform((x, y))
        half = half_pt * fig.dpi / 72
        return (cx - half, cy - half, cx + half, cy + half)

    taken = [square(x, y, 10.0) for x, y, _ in points]  # a star of 20 pt
    others = [square(x, y, 4.5) for x, y in dots]  # a dot of 9 pt

    def apart(box, boxes) -> bool:
        return all(
            min(box.x1, x1) - max(box.x0, x0) <= 0 or min(box.y1, y1) - max(box.y0, y0) <= 0 for x0, y0, x1, y1 in boxes
        )

    def within(box) -> bool:
        return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1

    for x, y, text in points:
        candidates = []
        for dx, dy, ha, va in LABEL_OFFSETS:
            note = ax.annotate(
                text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=fontsize
            )
            candidates.append((note, note.get_window_extent(renderer)))
        inside = [c for c in candidates if within(c[1])] or candidates
        clear = [c for c in inside if apart(c[1], taken)] or inside
        chosen = next((c for c in clear if apart(c[1], others)), clear[0])
        for note, _box in candidates:
            if note is not chosen[0]:
                note.remove()
        box = chosen[1]
        taken.append((box.x0, box.y0, box.x1, box.y1))


def _figure(search: Search, policies: pd.DataFrame, named: pd.DataFrame, path: Path, cols: list[str]) -> Path:
    """The Pareto front over the first two objectives (colour: the third, on a colour bar), the
    other policies evaluated in grey, and the named scenarios as black-edged white stars with their
    names: scenario colours would read as values of the colour bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .i18n import gettext as _
    from .output import atomic_write
    from .phrase import tr
    from .plots import LEGEND_FONT, NEUTRAL, label, style

    xcol, ycol = cols[0], cols[1] if len(cols) > 1 else cols[0]
    ccol = cols[2] if len(cols) > 2 else None
    with plt.rc_context(style()):
        fig, ax = plt.subplots(figsize=(11, 8), layout="constrained")
        rest = policies[~policies["on_front"]]
        front = policies[policies["on_front"]].sort_values(xcol)
        ax.scatter(rest[xcol], rest[ycol], s=18, color=NEUTRAL["muted"], label=_("policies evaluated"))
        if ccol:
            sc = ax.scatter(
                front[xcol],
                front[ycol],
                s=80,
                c=front[ccol],
                cmap="viridis",
                edgecolors="black",
                label=_("Pareto front (colour: third objective)"),
            )
            fig.colorbar(sc, ax=ax, label=tr(ccol))
        else:
            ax.scatter(
                front[xcol], front[ycol], s=80, color=NEUTRAL["mark"], edgecolors="black", label=_("Pareto front")
            )
        handles, _labels = ax.get_legend_handles_labels()
        if len(named):
            ax.scatter(
                named[xcol],
                named[ycol],
                marker="*",
                s=400,
                facecolors=NEUTRAL["face"],
                edgecolors="black",
                linewidths=1.6,
                zorder=5,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="*",
                    markersize=20,
                    linestyle="none",
                    markerfacecolor=NEUTRAL["face"],
                    markeredgecolor="black",
                    label=_("named scenario (same futures)"),
                )
            )
        ax.margins(0.08)
        ax.set_xlabel(tr(xcol))
        ax.set_ylabel(tr(ycol))
        ax.set_title(tr(search.spec.search.title))
        fig.legend(
            handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=LEGEND_FONT - 2
        )
        if len(named):
            points = [(row[xcol], row[ycol], label(row["scenario"])) for _, row in named.iterrows()]
            dots = list(zip(policies[xcol], policies[ycol]))
            _label_points(fig, ax, points, dots, fontsize=13)
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
        plt.close(fig)
    return path
