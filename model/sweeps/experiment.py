"""Experiment files (``experiments/*.toml``): what to vary, how to sample it, what to keep.

    [experiment]
    title = "..."                  description = "..."
    scenarios = ["selective_decoupling"]      # base scenario(s): names or paths
    baseline = "baseline"          # optional: a paired baseline run per replicate (same seeds)
    replicates = 3                 # seeds per design point
    root_seed = 2026               # seeds come from numpy SeedSequence(root_seed).spawn(replicates)
    steps = 48                     # optional: quarters to run (time.steps)
    sampler = "grid"               # grid | random | lhs | sobol | morris
    samples = 0                    # points (random, lhs), base samples (sobol), trajectories (morris)
    fixed = ["policy.ally_pressure=1.0"]      # overrides for every run, like --set
    keep_timeseries = false        # keep each run's quarterly headline indicators

    [[vary]]                       # one per varied parameter (dotted path as for --set)
    path = "policy.fence"
    values = [0.2, 0.5, 0.8]       # for grid; or low/high for the other samplers
    label = "fence height"

    [metrics]
    names = ["gap_controlled", "welfare_WORLD"]   # kept at each of the years
    years = [2030.0]

    [[figure]]                     # figures drawn after the sweep (see figures.py)
    kind = "heatmap"               # heatmap | violin | bands | sensitivity
    ...

Every run of a design point uses the same replicate seeds (common random numbers), so
differences between points are not noise; a run's id names its scenario, point and replicate,
and the same id gets the same seed in every sweep of the experiment.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import apply_changes, load_registry, load_scenario, parse_override
from ..errors import ConfigError
from ..paths import project_root
from ..world import load_world
from .measures import AT_YEAR, WHOLE_RUN

SAMPLERS = ("grid", "random", "lhs", "sobol", "morris")
FIGURE_KINDS = ("heatmap", "violin", "bands", "sensitivity")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ExperimentSection(_Strict):
    title: str
    description: str = ""
    scenarios: list[str] = Field(min_length=1)
    baseline: str | None = None
    replicates: int = Field(default=1, ge=1, le=10_000)
    root_seed: int = Field(default=0, ge=0)
    steps: int | None = Field(default=None, ge=1, le=400)
    sampler: Literal["grid", "random", "lhs", "sobol", "morris"] = "grid"
    samples: int = Field(default=0, ge=0, le=1_000_000)
    fixed: list[str] = Field(default_factory=list)
    keep_timeseries: bool = False


class Vary(_Strict):
    path: str
    values: list[Any] | None = None
    low: float | None = None
    high: float | None = None
    label: str = ""


class Metrics(_Strict):
    names: list[str] = Field(default_factory=list)
    years: list[float] = Field(default_factory=list)


class Figure(_Strict):
    kind: Literal["heatmap", "violin", "bands", "sensitivity"]
    metric: str | None = None
    metrics: list[str] = Field(default_factory=list)
    title: str = ""
    unit: str = ""
    relative: Literal["none", "loss", "change"] = "none"
    file: str = ""


class ExperimentFile(_Strict):
    experiment: ExperimentSection
    vary: list[Vary] = Field(default_factory=list)
    metrics: Metrics = Field(default_factory=Metrics)
    figure: list[Figure] = Field(default_factory=list)


@dataclass(frozen=True)
class Run:
    """One run of a sweep: a scenario at a design point with one replicate seed."""

    run_id: str
    scenario: str
    point: int  # design-point index (-1 for a paired baseline run)
    replicate: int
    seed: int
    values: dict  # path -> value at this point
    overrides: tuple[str, ...]


@dataclass
class Experiment:
    name: str
    file: Path
    sha256: str
    spec: ExperimentFile
    points: list[dict] = field(default_factory=list)  # path -> value per design point
    design: np.ndarray | None = None  # unit-cube design for sobol/morris analysis

    @property
    def section(self) -> ExperimentSection:
        return self.spec.experiment

    @property
    def paths(self) -> list[str]:
        return [v.path for v in self.spec.vary]

    def seeds(self) -> list[int]:
        """Replicate seeds from one root seed; stable for a given root and replicate index."""
        children = np.random.SeedSequence(self.section.root_seed).spawn(self.section.replicates)
        return [int(c.generate_state(1)[0]) for c in children]

    def points_array(self) -> np.ndarray:
        """The design points as a (points × parameters) array of values."""
        return np.array([[point[p] for p in self.paths] for point in self.points], dtype=float)

    def problem(self) -> dict:
        """The SALib problem of the varied parameters (samplers other than grid)."""
        return {"num_vars": len(self.spec.vary), "names": self.paths,
                "bounds": [[v.low, v.high] for v in self.spec.vary]}

    def runs(self) -> list[Run]:
        seeds = self.seeds()
        fixed = tuple(self.section.fixed) + ((f"time.steps={self.section.steps}",) if self.section.steps else ())
        runs = []
        for scenario in self.section.scenarios:
            tag = Path(scenario).stem
            for p, values in enumerate(self.points):
                overrides = fixed + tuple(f"{k}={_toml_value(v)}" for k, v in values.items())
                for r, seed in enumerate(seeds):
                    runs.append(Run(f"{tag}__p{p:05d}__r{r:03d}", scenario, p, r, seed, values, overrides))
        if self.section.baseline:
            tag = Path(self.section.baseline).stem
            for r, seed in enumerate(seeds):
                runs.append(Run(f"{tag}__baseline__r{r:03d}", self.section.baseline, -1, r, seed, {}, fixed))
        return runs


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return f'"{value}"'


def experiment_path(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise ConfigError(f"{candidate}: experiment file not found")
        return candidate
    path = project_root() / "experiments" / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (project_root() / "experiments").glob("*.toml")))
        raise ConfigError(f"experiment '{name_or_path}' not found in {path.parent}; known experiments: {known}")
    return path


def _format_errors(exc: ValidationError, file: Path, raw: dict) -> str:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc)
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            section = loc[:-1]
            model = {(): ExperimentFile, ("experiment",): ExperimentSection, ("metrics",): Metrics}.get(
                tuple(s for s in section if not s.isdigit()), Vary if "vary" in section else Figure)
            allowed = list(model.model_fields)
            hint = difflib.get_close_matches(loc[-1], allowed, n=1)
            lines.append(f"{file}: unknown key '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
                         + f"; allowed: {', '.join(allowed)}")
        elif err["type"] == "missing":
            lines.append(f"{file}: key '{key}' is required")
        else:
            lines.append(f"{file}: key '{key}' = {value!r}: {err['msg'].lower()}")
    return "\n".join(lines)


def load_experiment(name_or_path: str | Path) -> Experiment:
    """Read, validate and design an experiment; every error names file, key, value and what is allowed."""
    file = experiment_path(name_or_path)
    try:
        raw = tomllib.loads(file.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    try:
        spec = ExperimentFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, file, raw)) from None
    exp = Experiment(file.stem, file, hashlib.sha256(file.read_bytes()).hexdigest(), spec)
    _check(exp)
    _design(exp)
    return exp


def _check(exp: Experiment) -> None:
    file, sec = exp.file, exp.section
    world = load_world()
    registry = load_registry()
    base = None
    for name in sec.scenarios + ([sec.baseline] if sec.baseline else []):
        try:
            scenario = load_scenario(name, tuple(sec.fixed), sectors=world.sectors)
        except ConfigError as exc:
            raise ConfigError(f"{file}: key 'experiment.scenarios' or 'experiment.fixed': {exc}") from None
        base = base or scenario
    for text in sec.fixed:
        parse_override(text)
    if not exp.spec.vary and sec.sampler != "grid":
        raise ConfigError(f"{file}: sampler '{sec.sampler}' needs at least one [[vary]] parameter")
    for i, v in enumerate(exp.spec.vary):
        where = f"{file}: [[vary]] #{i + 1} path '{v.path}'"
        spec = registry.get(v.path)
        if spec is None:
            close = difflib.get_close_matches(v.path, list(registry), n=1)
            raise ConfigError(f"{where}: unknown parameter" + (f" (did you mean '{close[0]}'?)" if close else "")
                              + "; `decouple params baseline` lists every path")
        if sec.sampler == "grid":
            if not v.values or v.low is not None or v.high is not None:
                raise ConfigError(f"{where}: the grid sampler needs 'values = [...]' (and no low/high)")
            for value in v.values:
                apply_changes(base.params, {v.path: value}, f"{where} value {value!r}", world.sectors) \
                    if not spec.structural else _check_structural(base, v.path, value, where, world)
        else:
            if v.values is not None or v.low is None or v.high is None:
                raise ConfigError(f"{where}: sampler '{sec.sampler}' needs 'low' and 'high' (and no values)")
            if spec.type not in ("float", "int"):
                raise ConfigError(f"{where}: sampler '{sec.sampler}' varies numbers; this parameter is {spec.type}")
            lo, hi = spec.range
            if not (lo <= v.low < v.high <= hi):
                raise ConfigError(f"{where}: low = {v.low}, high = {v.high}; allowed: {lo:g} <= low < high <= {hi:g} ({spec.unit})")
    if sec.sampler in ("random", "lhs", "sobol", "morris") and sec.samples < 1:
        raise ConfigError(f"{file}: key 'experiment.samples' = {sec.samples}; sampler '{sec.sampler}' needs samples >= 1")
    unknown = [m for m in exp.spec.metrics.names if m not in AT_YEAR]
    if unknown:
        raise ConfigError(f"{file}: key 'metrics.names' has unknown metric(s) {unknown}; allowed: {', '.join(AT_YEAR)}")
    start = base.params.time.start_year
    end = start + (sec.steps or base.params.time.steps) / 4.0
    for y in exp.spec.metrics.years:
        if not (start <= y <= end) or abs(y * 4 - round(y * 4)) > 1e-9:
            raise ConfigError(f"{file}: key 'metrics.years' has {y}; allowed: quarter years from {start:g} to {end:g}")
    _check_figures(exp, world)


def canonical_column(text: str) -> str:
    """``name@year`` with the year written as the sweep writes it (2030.0 -> 2030)."""
    name, _, year = text.partition("@")
    return f"{name}@{float(year):g}" if year else name


def _check_figures(exp: Experiment, world) -> None:
    kept = {f"{n}@{y:g}" for n in exp.spec.metrics.names for y in exp.spec.metrics.years}
    kept |= set(WHOLE_RUN) | {f"ss50_{s}" for s in world.sectors}
    for i, fig in enumerate(exp.spec.figure):
        where = f"{exp.file}: [[figure]] #{i + 1} ({fig.kind})"
        names = ([fig.metric] if fig.metric else []) + list(fig.metrics)
        if fig.kind in ("heatmap",) and not fig.metric:
            raise ConfigError(f"{where}: needs 'metric'")
        if fig.kind in ("violin", "sensitivity") and not fig.metrics:
            raise ConfigError(f"{where}: needs 'metrics = [...]'")
        if fig.kind == "bands" and not exp.section.keep_timeseries:
            raise ConfigError(f"{where}: needs keep_timeseries = true in [experiment]")
        if fig.kind == "heatmap" and (exp.section.sampler != "grid" or len(exp.spec.vary) != 2):
            raise ConfigError(f"{where}: a heatmap needs the grid sampler over exactly two [[vary]] parameters")
        if fig.kind == "sensitivity" and exp.section.sampler not in ("sobol", "morris"):
            raise ConfigError(f"{where}: sensitivity needs sampler 'sobol' or 'morris'")
        if fig.relative != "none" and not exp.section.baseline:
            raise ConfigError(f"{where}: relative = '{fig.relative}' needs a paired 'baseline' in [experiment]")
        for name in names:
            try:
                column = canonical_column(name)
            except ValueError:
                column = name
            if column not in kept:
                raise ConfigError(f"{where}: metric '{name}' is not kept by the sweep; allowed: "
                                  f"{', '.join(sorted(kept))}")
        if fig.metric:
            fig.metric = canonical_column(fig.metric)
        fig.metrics = [canonical_column(m) for m in fig.metrics]


def _check_structural(base, path, value, where, world) -> None:
    raw = base.params.model_dump()
    from ..config import set_path, validate_params
    set_path(raw, path, value)
    validate_params(raw, where, world.sectors)


def _design(exp: Experiment) -> None:
    sec, vary = exp.section, exp.spec.vary
    if not vary:
        exp.points = [{}]
        return
    if sec.sampler == "grid":
        exp.points = [dict(zip(exp.paths, combo)) for combo in itertools.product(*(v.values for v in vary))]
        return
    registry = load_registry()
    low = np.array([v.low for v in vary])
    high = np.array([v.high for v in vary])
    d = len(vary)
    if sec.sampler == "random":
        unit = np.random.default_rng(sec.root_seed).random((sec.samples, d))
    elif sec.sampler == "lhs":
        from scipy.stats import qmc
        unit = qmc.LatinHypercube(d=d, seed=sec.root_seed).random(sec.samples)
    elif sec.sampler == "sobol":
        from SALib.sample import sobol as sobol_sample
        problem = {"num_vars": d, "names": exp.paths, "bounds": [[0.0, 1.0]] * d}
        unit = sobol_sample.sample(problem, sec.samples, calc_second_order=False, seed=sec.root_seed)
    else:
        from SALib.sample import morris as morris_sample
        problem = {"num_vars": d, "names": exp.paths, "bounds": [[0.0, 1.0]] * d}
        unit = morris_sample.sample(problem, sec.samples, num_levels=4, seed=sec.root_seed)
    exp.design = unit
    values = low + unit * (high - low)
    points = []
    for row in values:
        point = {}
        for v, x in zip(vary, row):
            point[v.path] = int(round(x)) if registry[v.path].type == "int" else round(float(x), 10)
        points.append(point)
    exp.points = points
