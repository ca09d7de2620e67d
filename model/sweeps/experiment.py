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
    keep_timeseries = false        # keep each run's quarterly outcomes (decouple.outcomes)

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

The design is never built whole: its size is computed first (:meth:`Experiment.size`), and its
points are generated chunk by chunk as the engine asks for runs (:meth:`Experiment.iter_runs`).
An experiment's hash covers its text, the scenario files it names (with the files they extend)
and the evidence base, so a sweep folder never mixes runs of different inputs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import outcomes
from ..config import (
    Scenario,
    apply_changes,
    load_registry,
    load_scenario,
    parse_override,
    parse_toml,
    path_kind,
    shown,
)
from ..errors import ConfigError, suggest
from ..measure import Measure
from ..paths import project_root
from ..world import load_world

#: runs above which a sweep asks for --force (about 7 hours on 2 workers at 0.05 s a run)
RUN_LIMIT = 1_000_000
#: what the driver keeps per run (status, ids; measured about 150 bytes), for the memory estimate
BYTES_PER_RUN = 200
#: design points generated at a time
CHUNK = 4096


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ExperimentSection(_Strict):
    title: str
    description: str = ""
    scenarios: list[str] = Field(min_length=1)
    baseline: str | None = None
    replicates: int = Field(default=1, ge=1, le=10_000)
    root_seed: int = Field(default=0, ge=0, lt=2**63)
    steps: int | None = Field(default=None, ge=1)  # at most time.steps' maximum (checked)
    sampler: Literal["grid", "random", "lhs", "sobol", "morris"] = "grid"
    samples: int = Field(default=0, ge=0, le=1_000_000)
    fixed: list[str] = Field(default_factory=list)
    keep_timeseries: bool = False
    keep_tidy: bool = False  # keep each run's full tidy time series (what `decouple compare` writes)


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
    relative: Literal["none", "loss", "change", "difference", "share_of"] = "none"
    per: str | None = None  # with relative = "share_of": the paired baseline's metric to divide by
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
    file: Path | None  # None for an experiment made in code (decouple compare)
    text: str  # the experiment as TOML or JSON: what the manifest stores and `decouple plot` reads
    sha256: str  # of the text, the scenario files and the evidence base
    spec: ExperimentFile
    tags: dict[str, str] = field(default_factory=dict)  # scenario as given -> its name in run ids
    _points: list[dict] | None = None
    #: an experiment made in code may give its runs one by one (a search's policies in its
    #: futures, each future with its own values and seed), instead of points times replicates
    explicit: list[Run] | None = None
    #: ... and what each run reads (default: the metrics at the years and every whole-run
    #: outcome, :func:`~decouple.sweeps.measures.sweep_measures`) and where it stops (default: its end)
    measures: tuple[Measure, ...] | None = None
    until: float | None = None
    #: the scenario files the runs read (each file and the files it extends), as they were when
    #: the experiment was checked: the hash covers them and every run reads them (not the disk)
    inputs: dict[Path, bytes] = field(default_factory=dict)

    @property
    def section(self) -> ExperimentSection:
        return self.spec.experiment

    @property
    def paths(self) -> list[str]:
        return [v.path for v in self.spec.vary]

    @property
    def origin(self) -> str:
        return str(self.file) if self.file else f"experiment '{self.name}'"

    def seeds(self) -> list[int]:
        """Replicate seeds from one root seed; stable for a given root and replicate index."""
        children = np.random.SeedSequence(self.section.root_seed).spawn(self.section.replicates)
        return [int(c.generate_state(1)[0]) for c in children]

    # ------------------------------------------------------------------ size
    def size(self) -> int:
        """Number of design points, computed without building the design."""
        sec, vary = self.section, self.spec.vary
        if self.explicit is not None:
            return len({(r.scenario, r.point) for r in self.explicit})
        if not vary:
            return 1
        if sec.sampler == "grid":
            return math.prod(len(v.values or ()) for v in vary)
        d = len(vary)
        return sec.samples * {"random": 1, "lhs": 1, "sobol": d + 2, "morris": d + 1}[sec.sampler]

    def n_runs(self) -> int:
        if self.explicit is not None:
            return len(self.explicit)
        per_point = self.section.replicates * len(self.section.scenarios)
        return self.size() * per_point + (self.section.replicates if self.section.baseline else 0)

    def check_size(self, force: bool = False, available: int | None = None) -> None:
        """Refuse a design larger than :data:`RUN_LIMIT` runs unless ``force``, and one whose
        bookkeeping cannot fit in half the available memory in any case."""
        runs = self.n_runs()
        whole = self.section.sampler in ("lhs", "morris")  # designs these samplers build whole
        need = runs * BYTES_PER_RUN + (self.size() * len(self.spec.vary) * 8 * 3 if whole else 0)
        if available is None:
            import psutil

            available = psutil.virtual_memory().available
        hours = runs * 0.05 / 3600
        if need > available / 2:
            raise ConfigError(
                f"{self.origin}: the design has {runs:,} runs and needs about {need / 1e9:,.1f} GB to keep "
                f"track of them, more than half the memory available ({available / 1e9:,.1f} GB); "
                "split it into smaller experiments"
                + (" or use sampler 'random' or 'sobol', which build their points chunk by chunk" if whole else "")
            )
        if runs > RUN_LIMIT and not force:
            raise ConfigError(
                f"{self.origin}: the design has {runs:,} runs (about {hours:,.0f} hours of one worker, "
                f"{need / 1e9:,.2f} GB of bookkeeping), more than the {RUN_LIMIT:,} a sweep runs "
                "without --force; reduce samples, values or replicates, or pass --force"
            )

    # ------------------------------------------------------------------ points
    def iter_points(self) -> Iterator[dict]:
        """The design points (path -> value), generated chunk by chunk."""
        sec, vary = self.section, self.spec.vary
        if not vary:
            yield {}
            return
        if sec.sampler == "grid":
            for combo in itertools.product(*(v.values or [] for v in vary)):
                yield dict(zip(self.paths, combo))
            return
        kinds = [load_registry()[v.path].type for v in vary]
        low = np.array([v.low for v in vary])
        high = np.array([v.high for v in vary])
        for unit in unit_design(sec.sampler, len(vary), sec.samples, sec.root_seed, self.paths):
            values = low + unit * (high - low)
            for row in values:
                yield {
                    v.path: (int(round(x)) if kind == "int" else round(float(x), 10))
                    for v, x, kind in zip(vary, row, kinds)
                }

    @property
    def points(self) -> list[dict]:
        """The design points as a list (for figures; the engine iterates them lazily)."""
        if self._points is None:
            self._points = list(self.iter_points())
        return self._points

    def points_array(self) -> np.ndarray:
        """The design points as a (points × parameters) array of values."""
        return np.array([[point[p] for p in self.paths] for point in self.points], dtype=float)

    def problem(self) -> dict:
        """The SALib problem of the varied parameters (samplers other than grid)."""
        return {
            "num_vars": len(self.spec.vary),
            "names": self.paths,
            "bounds": [[v.low, v.high] for v in self.spec.vary],
        }

    # ------------------------------------------------------------------ runs
    def iter_runs(self) -> Iterator[Run]:
        """Every run, in a fixed order, generated as the engine asks for them."""
        if self.explicit is not None:
            yield from self.explicit
            return
        seeds = self.seeds()
        fixed = tuple(self.section.fixed) + ((f"time.steps={self.section.steps}",) if self.section.steps else ())
        width = max(5, len(str(self.size() - 1)))
        for scenario in self.section.scenarios:
            tag = self.tags.get(scenario, Path(scenario).stem)
            for p, values in enumerate(self.iter_points()):
                overrides = fixed + tuple(f"{k}={toml_value(v)}" for k, v in values.items())
                for r, seed in enumerate(seeds):
                    yield Run(f"{tag}__p{p:0{width}d}__r{r:03d}", scenario, p, r, seed, values, overrides)
        if self.section.baseline:
            tag = self.tags.get(self.section.baseline, Path(self.section.baseline).stem)
            for r, seed in enumerate(seeds):
                yield Run(f"{tag}__baseline__r{r:03d}", self.section.baseline, -1, r, seed, {}, fixed)

    def runs(self) -> list[Run]:
        return list(self.iter_runs())


def unit_design(sampler: str, d: int, samples: int, seed: int, names: list[str]) -> Iterator[np.ndarray]:
    """Chunks of the unit-cube design (rows of ``d`` values in [0, 1])."""
    if sampler == "random":  # successive draws from one generator: the same rows as one big draw
        rng = np.random.default_rng(seed)
        for start in range(0, samples, CHUNK):
            yield rng.random((min(CHUNK, samples - start), d))
    elif sampler == "sobol":  # Saltelli's scheme as SALib builds it (no second order), base row by base row
        from scipy.stats import qmc

        engine = qmc.Sobol(d=2 * d, scramble=True, seed=seed)
        for start in range(0, samples, CHUNK):
            base = engine.random(min(CHUNK, samples - start))
            a, b = base[:, :d], base[:, d:]
            block = np.empty((len(base), d + 2, d))
            block[:, 0] = a
            for k in range(d):
                block[:, k + 1] = a
                block[:, k + 1, k] = b[:, k]
            block[:, d + 1] = b
            yield block.reshape(-1, d)
    elif sampler == "lhs":  # a Latin hypercube is a whole: built at once (check_size bounds it)
        from scipy.stats import qmc

        yield qmc.LatinHypercube(d=d, seed=seed).random(samples)
    else:  # Morris trajectories, built at once by SALib (check_size bounds them)
        from SALib.sample import morris as morris_sample

        problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}
        yield morris_sample.sample(problem, samples, num_levels=4, seed=seed)


_unit_design = unit_design  # its earlier name


def toml_value(value: Any) -> str:
    """``value`` written as TOML (for ``path=value`` overrides)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def experiment_path(name_or_path: str | Path) -> Path:
    """Resolve an experiment name (``yard_vs_fence``) or the path of a TOML file."""
    if not isinstance(name_or_path, (str, Path)) or not str(name_or_path).strip():
        raise ConfigError(
            f"experiment {shown(name_or_path)}: allowed: an experiment name (a file of experiments/) "
            "or the path of a TOML file"
        )
    candidate = Path(name_or_path)
    kind = path_kind(candidate)
    if candidate.suffix == ".toml" or kind is not None:
        if kind != "file":
            raise ConfigError(
                f"{candidate}: experiment file not found"
                if kind is None
                else f"{candidate}: is a folder, not an experiment file"
                if kind == "folder"
                else f"{candidate}: is not a regular file (a device or a pipe?)"
            )
        return candidate
    path = project_root() / "experiments" / f"{name_or_path}.toml"
    if path_kind(path) != "file":
        known = sorted(p.stem for p in (project_root() / "experiments").glob("*.toml"))
        raise ConfigError(
            f"experiment '{name_or_path}' not found in {path.parent}{suggest(name_or_path, known)}; "
            f"known experiments: {', '.join(known)}"
        )
    return path


def _format_errors(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc)
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            section = loc[:-1]
            tables: dict[tuple[str, ...], type[BaseModel]] = {
                (): ExperimentFile,
                ("experiment",): ExperimentSection,
                ("metrics",): Metrics,
            }
            model = tables.get(tuple(s for s in section if not s.isdigit()), Vary if "vary" in section else Figure)
            allowed = list(model.model_fields)
            lines.append(f"{origin}: unknown key '{key}'{suggest(loc[-1], allowed)}; allowed: {', '.join(allowed)}")
        elif err["type"] == "missing":
            lines.append(f"{origin}: key '{key}' is required")
        else:
            shown = repr(value)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            lines.append(f"{origin}: key '{key}' = {shown}: {err['msg'].lower()}")
    return "\n".join(lines)


def load_experiment(name_or_path: str | Path, check_scenarios: bool = True) -> Experiment:
    """Read, validate and design an experiment file; every error names file, key, value and what is allowed."""
    file = experiment_path(name_or_path)
    from ..config import read_text

    return experiment_from_text(read_text(file), file.stem, file, check_scenarios)


def experiment_from_text(text: str, name: str, file: Path | None = None, check_scenarios: bool = True) -> Experiment:
    """An experiment from its TOML text (a file's, or one stored in a sweep's manifest)."""
    origin = str(file) if file else f"experiment '{name}'"
    return experiment_from_table(parse_toml(text, origin), name, text, file, check_scenarios)


def experiment_from_table(
    raw: dict, name: str, text: str | None = None, file: Path | None = None, check_scenarios: bool = True
) -> Experiment:
    """An experiment from its parsed table (``decouple compare`` builds one in code)."""
    origin = str(file) if file else f"experiment '{name}'"
    try:
        spec = ExperimentFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin)) from None
    if text is None:
        text = json.dumps(raw, sort_keys=True)
    exp = Experiment(name, file, text, "", spec)
    _check(exp, check_scenarios)
    return exp


_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
#: what the engine writes in a sweep folder: no figure may take these names
RESERVED = {"shards", "failed", "timeseries", "tidy", "manifest.json", "runs.parquet", ".decouple"}


def safe_relative(text: str, where: str, suffix: str | None = None) -> str:
    """``text`` if it is a relative path of plain names inside the results folder that the engine
    does not use itself (and ends with ``suffix``, when given), else an error."""
    parts = Path(text).parts
    if not text or Path(text).is_absolute() or not all(_FILE_NAME.fullmatch(p) for p in parts) or len(parts) > 5:
        raise ConfigError(
            f"{where}: {shown(text)} must be a file name inside the results folder (letters, digits, "
            "'_', '-', '.', at most 100 characters a name; folders separated by '/'; no '..', no "
            "absolute path)"
        )
    if parts[0] in RESERVED:
        raise ConfigError(
            f"{where}: {shown(text)} is a name the sweep uses for its own files; choose another "
            f"(taken: {', '.join(sorted(RESERVED))})"
        )
    if suffix and not text.endswith(suffix):
        raise ConfigError(f"{where}: {shown(text)} must end with '{suffix}'")
    if not suffix and text.endswith(".png"):
        raise ConfigError(f"{where}: {shown(text)} names a folder of figures here; leave '.png' out")
    return text


def _check(exp: Experiment, check_scenarios: bool = True) -> None:
    origin, sec = exp.origin, exp.section
    world = load_world()
    registry = load_registry()
    digest = hashlib.sha256(exp.text.encode())
    base: Scenario | None = None
    seen: dict[str, str] = {}
    for given in sec.scenarios + ([sec.baseline] if sec.baseline else []):
        if given in sec.scenarios and sec.scenarios.count(given) > 1:
            raise ConfigError(f"{origin}: key 'experiment.scenarios' lists '{given}' twice; list each scenario once")
        if not check_scenarios:
            exp.tags[given] = Path(given).stem
            continue
        try:
            scenario = load_scenario(given, tuple(sec.fixed), sectors=world.sectors)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: key 'experiment.scenarios' or 'experiment.fixed': {exc}") from None
        is_baseline = given == sec.baseline and given not in sec.scenarios
        if scenario.name in seen and not is_baseline and seen[scenario.name] != str(scenario.file):
            raise ConfigError(
                f"{origin}: scenarios '{seen[scenario.name]}' and '{scenario.file}' are both called "
                f"'{scenario.name}'; give one another name (key 'name' in its [scenario] table) so "
                "that their runs stay apart"
            )
        seen.setdefault(scenario.name, str(scenario.file))
        exp.tags[given] = scenario.name
        for path, read_digest in scenario.chain:
            data = exp.inputs.get(path)
            if data is None:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
                if hashlib.sha256(data).hexdigest() != read_digest:
                    raise ConfigError(f"{path}: changed while it was being read; run again once it is saved")
                exp.inputs[path] = data
            digest.update(data)
        base = base or scenario
    from ..runner import evidence_hash

    digest.update(evidence_hash().encode())
    exp.sha256 = digest.hexdigest()
    if base is None:
        base = load_scenario("baseline", sectors=world.sectors)
    for text in sec.fixed:
        parse_override(text)
    if not exp.spec.vary and sec.sampler != "grid":
        raise ConfigError(f"{origin}: sampler '{sec.sampler}' needs at least one [[vary]] parameter")
    varied = [v.path for v in exp.spec.vary]
    for name in varied:
        if varied.count(name) > 1:
            raise ConfigError(
                f"{origin}: [[vary]] path '{name}' appears {varied.count(name)} times; vary each "
                "parameter once (give all its values in one [[vary]] table)"
            )
    for i, v in enumerate(exp.spec.vary):
        where = f"{origin}: [[vary]] #{i + 1} path '{v.path}'"
        spec = registry.get(v.path)
        if spec is None:
            raise ConfigError(
                f"{where}: unknown parameter{suggest(v.path, registry)}; `decouple params baseline` lists every path"
            )
        if sec.sampler == "grid":
            if not v.values or v.low is not None or v.high is not None:
                raise ConfigError(f"{where}: the grid sampler needs 'values = [...]' (and no low/high)")
            for value in v.values:
                if spec.structural:
                    _check_structural(
                        sec.scenarios + ([sec.baseline] if sec.baseline else []),
                        sec.fixed,
                        v.path,
                        value,
                        where,
                        world,
                        check_scenarios,
                    )
                else:
                    apply_changes(base.params, {v.path: value}, f"{where} value {value!r}", world.sectors)
        else:
            if v.values is not None or v.low is None or v.high is None:
                raise ConfigError(f"{where}: sampler '{sec.sampler}' needs 'low' and 'high' (and no values)")
            if spec.type not in ("float", "int"):
                raise ConfigError(f"{where}: sampler '{sec.sampler}' varies numbers; this parameter is {spec.type}")
            lo, hi = spec.range or (0.0, 0.0)
            if not (lo <= v.low < v.high <= hi):
                raise ConfigError(
                    f"{where}: low = {v.low}, high = {v.high}; allowed: {lo:g} <= low < high <= {hi:g} ({spec.unit})"
                )
    if sec.sampler in ("random", "lhs", "sobol", "morris") and sec.samples < 1:
        raise ConfigError(
            f"{origin}: key 'experiment.samples' = {sec.samples}; sampler '{sec.sampler}' needs samples >= 1"
        )
    recorded = [o.name for o in outcomes.quarterly(world)]
    names = []
    for name in exp.spec.metrics.names:
        try:
            outcome = outcomes.resolve(name, world)
        except ConfigError:
            outcome = None
        if outcome is None or outcome.name not in recorded:
            raise ConfigError(
                f"{origin}: key 'metrics.names' has unknown metric '{name}'{suggest(name, recorded)}; "
                f"allowed (quarterly outcomes, `decouple outcomes`): {', '.join(recorded)}"
            )
        names.append(outcome.name)
    exp.spec.metrics.names = names
    if sec.steps is not None:
        low, high = registry["time.steps"].range or (1, sec.steps)
        if not low <= sec.steps <= high:
            raise ConfigError(
                f"{origin}: key 'experiment.steps' = {sec.steps}; allowed: {low:g} to {high:g} quarters "
                f"(time.steps in seeds/parameters.toml: {high:g} quarters from 2018 run to {2018 + high / 4:g})"
            )
    start = base.params.time.start_year
    end = start + (sec.steps or base.params.time.steps) / 4.0
    for y in exp.spec.metrics.years:
        if not (start <= y <= end) or abs(y * 4 - round(y * 4)) > 1e-9:
            raise ConfigError(
                f"{origin}: key 'metrics.years' has {y}; allowed: quarter years from {start:g} to {end:g}"
            )
    _check_figures(exp, world)


def canonical_column(text: str) -> str:
    """``name@year`` with the outcome's current name (old names are aliases) and the year written
    as the sweep writes it (2030.0 -> 2030)."""
    name, _, year = text.partition("@")
    try:
        name = outcomes.resolve(name).name
    except ConfigError:
        pass  # not an outcome: left for the caller to report
    return f"{name}@{float(year):g}" if year else name


def _check_figures(exp: Experiment, world) -> None:
    kept = {f"{n}@{y:g}" for n in exp.spec.metrics.names for y in exp.spec.metrics.years}
    kept |= {o.name for o in outcomes.whole_run(world)}
    for i, fig in enumerate(exp.spec.figure):
        where = f"{exp.origin}: [[figure]] #{i + 1} ({fig.kind})"
        if fig.file:
            safe_relative(fig.file, f"{where} key 'file'", None if fig.kind == "bands" else ".png")
        names = ([fig.metric] if fig.metric else []) + list(fig.metrics) + ([fig.per] if fig.per else [])
        if (fig.relative == "share_of") != bool(fig.per):
            raise ConfigError(
                f"{where}: key 'per' (a kept metric, e.g. 'gdp_WORLD@2030') goes with relative = 'share_of' "
                f"and only with it (relative = '{fig.relative}', per = {fig.per!r})"
            )
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
                raise ConfigError(
                    f"{where}: metric '{name}' is not kept by the sweep{suggest(name, kept)}; allowed: "
                    f"{', '.join(sorted(kept))}"
                )
        if fig.metric:
            fig.metric = canonical_column(fig.metric)
        if fig.per:
            fig.per = canonical_column(fig.per)
        fig.metrics = [canonical_column(m) for m in fig.metrics]


def _check_structural(
    scenarios: list[str], fixed: list[str], path: str, value: Any, where: str, world, check_scenarios: bool
) -> None:
    """A structural value (the calendar, the firms) reshapes the run: load every scenario with it,
    so that its events, for one, are checked against the run it makes."""
    if not check_scenarios:
        return
    for given in scenarios:
        try:
            load_scenario(given, tuple(fixed) + (f"{path}={toml_value(value)}",), sectors=world.sectors)
        except ConfigError as exc:
            raise ConfigError(f"{where} value {shown(value)}: {exc}") from None
