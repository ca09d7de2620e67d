"""Scenario files, parameters and their validation.

Every parameter is declared once, in ``seeds/parameters.toml``, with its type, default, range,
unit, meaning and source. From that registry this module builds pydantic models (one per
section, unknown keys forbidden, strict types, ranges enforced), loads scenario TOML files
(with ``extends`` and dated ``[[events]]``), applies ``--set`` overrides, and turns any
validation failure into one message that names the file, the key, the value and what is
allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from .errors import ConfigError
from .paths import scenarios_dir, seeds_dir

TYPES = ("float", "int", "bool", "sectors")
SCENARIO_META_KEYS = ("name", "title", "description", "extends", "notice", "questions")
EVENT_KEYS = ("year", "set", "note", "id")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of the registry."""

    path: str
    type: str
    default: Any
    unit: str
    meaning: str
    source: str
    range: tuple[float, float] | None = None
    structural: bool = False

    def allowed(self, sectors: tuple[str, ...] = ()) -> str:
        if self.type == "bool":
            return "true or false"
        if self.type == "sectors":
            listed = ", ".join(sectors) if sectors else "sector ids"
            return f'a list of sector ids ({listed}) or "all"'
        kind = "an integer" if self.type == "int" else "a number"
        lo, hi = self.range
        return f"{kind} from {lo:g} to {hi:g} ({self.unit})"


def _walk_registry(table: dict, prefix: str, file: Path, out: dict[str, ParamSpec]) -> None:
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: entry '{path}' is not a table")
        if "type" in value:
            missing = [k for k in ("default", "unit", "meaning", "source") if k not in value]
            if missing or value["type"] not in TYPES:
                raise ConfigError(f"{file}: parameter '{path}' needs type ({', '.join(TYPES)}), default, unit, meaning and source; missing {missing}")
            rng = value.get("range")
            if value["type"] in ("float", "int") and (not isinstance(rng, list) or len(rng) != 2):
                raise ConfigError(f"{file}: parameter '{path}' of type {value['type']} needs range = [low, high]")
            out[path] = ParamSpec(path=path, type=value["type"], default=value["default"], unit=value["unit"],
                                  meaning=value["meaning"], source=value["source"],
                                  range=tuple(rng) if rng else None, structural=bool(value.get("structural", False)))
        else:
            _walk_registry(value, path, file, out)


@lru_cache(maxsize=4)
def load_registry(file: Path | None = None) -> dict[str, ParamSpec]:
    """Read ``seeds/parameters.toml`` into ``{dotted path: ParamSpec}`` (file order)."""
    file = Path(file) if file is not None else seeds_dir() / "parameters.toml"
    with open(file, "rb") as fh:
        table = tomllib.load(fh)
    out: dict[str, ParamSpec] = {}
    _walk_registry(table, "", file, out)
    return out


def _expand_all(sectors: tuple[str, ...]):
    def expand(value):
        if value == "all" or value == ["all"]:
            return list(sectors)
        if isinstance(value, str):  # a single sector id
            return [value]
        return value
    return expand


def _field_type(spec: ParamSpec, sectors: tuple[str, ...]):
    if spec.type == "float":
        lo, hi = spec.range
        return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)]
    if spec.type == "int":
        lo, hi = spec.range
        return Annotated[int, Field(ge=lo, le=hi)]
    if spec.type == "bool":
        return bool
    sector_literal = Literal[sectors]  # type: ignore[valid-type]
    return Annotated[list[sector_literal], BeforeValidator(_expand_all(sectors))]


@lru_cache(maxsize=8)
def params_model(sectors: tuple[str, ...], registry_file: Path | None = None) -> type[BaseModel]:
    """Build the pydantic model of all parameters for a world with ``sectors``."""
    registry = load_registry(registry_file)
    tree: dict = {}
    for path, spec in registry.items():
        node = tree
        *groups, leaf = path.split(".")
        for g in groups:
            node = node.setdefault(g, {})
        node[leaf] = spec

    def build(name: str, node: dict) -> type[BaseModel]:
        fields = {}
        for key, child in node.items():
            if isinstance(child, ParamSpec):
                default = child.default
                if child.type == "sectors":
                    default = list(sectors) if default == "all" else list(default)
                fields[key] = (_field_type(child, sectors), Field(default=default, description=child.meaning))
            else:
                sub = build(f"{name}_{key}", child)
                fields[key] = (sub, Field(default_factory=sub))
        return create_model(name, __config__=ConfigDict(extra="forbid", strict=True, frozen=False), **fields)

    return build("Params", tree)


# ----------------------------------------------------------------------------- errors

def _lookup(table: dict, path: tuple) -> Any:
    node: Any = table
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _describe_error(err: dict, raw: dict, origin: str, registry: dict[str, ParamSpec],
                    sectors: tuple[str, ...]) -> str:
    loc = tuple(err["loc"])
    names = [str(p) for p in loc if not isinstance(p, int)]
    path = ".".join(names)
    value = err.get("input", _lookup(raw, loc))
    if err["type"] == "extra_forbidden":
        group = ".".join(names[:-1])
        siblings = sorted({p[len(group) + 1:].split(".")[0] if group else p.split(".")[0]
                           for p in registry if not group or p.startswith(group + ".")})
        hint = difflib.get_close_matches(names[-1], siblings, n=1)
        did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
        where = f"[{group}]" if group else "the top level"
        return (f"{origin}: unknown key '{path}'{did_you_mean}; allowed keys in {where}: "
                f"{', '.join(siblings)}")
    spec = registry.get(path)
    if spec is None:
        if isinstance(value, dict) or names and any(p.startswith(path + ".") for p in registry):
            return f"{origin}: key '{path}' = {value!r} must be a table of parameters"
        return f"{origin}: key '{path}' = {value!r}: {err['msg']}"
    problem = err["msg"].lower()
    if err["type"].endswith("_type") or err["type"] in ("model_type", "list_type"):
        problem = f"wrong type ({type(value).__name__})"
    elif err["type"] in ("greater_than_equal", "less_than_equal", "finite_number"):
        problem = "out of range"
    elif err["type"] == "literal_error":
        problem = f"unknown sector {value!r}"
        value = _lookup(raw, loc[:-1]) if isinstance(loc[-1], int) else value
    return f"{origin}: key '{path}' = {value!r} is {problem}; allowed: {spec.allowed(sectors)}. ({spec.meaning})"


def validate_params(raw: dict, origin: str, sectors: tuple[str, ...]) -> BaseModel:
    """Validate a nested parameter dict; raise one ConfigError listing every problem."""
    model = params_model(sectors)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        registry = load_registry()
        lines = [_describe_error(e, raw, origin, registry, sectors) for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None


# ----------------------------------------------------------------------------- helpers on nested dicts

def get_path(table: dict, path: str) -> Any:
    node = table
    for part in path.split("."):
        node = node[part]
    return node


def set_path(table: dict, path: str, value: Any) -> None:
    *groups, leaf = path.split(".")
    node = table
    for g in groups:
        nxt = node.setdefault(g, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"key '{path}': '{g}' is a parameter, not a section")
        node = nxt
    node[leaf] = value


def deep_merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def parse_value(text: str) -> Any:
    """Read a ``--set`` value the way TOML would; bare words stay strings and
    comma-separated words become lists (``logic_chips,chip_tools``)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        if "," in text:
            return [part.strip() for part in text.split(",") if part.strip()]
        return text


def parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. --set policy.fence=0.8")
    path, value = text.split("=", 1)
    path = path.strip()
    if not path:
        raise ConfigError(f"--set {text!r}: the key before '=' is empty")
    return path, parse_value(value.strip())


# ----------------------------------------------------------------------------- scenarios

@dataclass(frozen=True)
class Event:
    """A dated change of live parameters (a policy switching on at a date)."""

    year: float
    changes: dict[str, Any]
    note: str = ""
    id: str = ""


@dataclass
class Scenario:
    """A validated scenario: parameters, events and where they came from."""

    name: str
    title: str
    description: str
    params: BaseModel
    events: list[Event] = field(default_factory=list)
    file: Path | None = None
    file_hash: str | None = None
    overrides: list[str] = field(default_factory=list)
    sectors: tuple[str, ...] = ()
    notice: str = ""  # classroom: what to notice when the scenario runs
    questions: tuple[str, ...] = ()  # classroom: questions for the class

    def resolved(self) -> dict:
        return self.params.model_dump()

    def get(self, path: str) -> Any:
        return get_path(self.resolved(), path)

    def with_event_value(self, event_id: str, path: str, value: Any) -> "Scenario":
        """A copy whose event ``event_id`` sets ``path`` to ``value`` (used by calibration)."""
        import dataclasses
        matches = [e for e in self.events if e.id == event_id]
        if not matches:
            known = ", ".join(e.id for e in self.events if e.id) or "none"
            raise ConfigError(f"{self.file}: no event with id '{event_id}'; events with ids: {known}")
        events = []
        for e in self.events:
            if e.id == event_id:
                changes = {**e.changes, path: value}
                self.with_changes(changes, f"{self.file}: event '{event_id}'")  # validate
                e = dataclasses.replace(e, changes=changes)
            events.append(e)
        return dataclasses.replace(self, events=events)

    def with_changes(self, changes: dict[str, Any], origin: str, base: BaseModel | None = None) -> BaseModel:
        """Return new validated params: ``changes`` (live parameters only) applied to ``base``
        (default: the scenario's own parameters)."""
        return apply_changes(base if base is not None else self.params, changes, origin, self.sectors)


def apply_changes(params: BaseModel, changes: dict[str, Any], origin: str, sectors: tuple[str, ...]) -> BaseModel:
    """Validate ``changes`` ({dotted path: value}) against the registry and apply them to a copy
    of ``params``. Structural parameters cannot change once a run has started."""
    registry = load_registry()
    raw = params.model_dump()
    for path, value in changes.items():
        spec = registry.get(path)
        if spec is None:
            close = difflib.get_close_matches(path, list(registry), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{origin}: unknown key '{path}'{hint}; `decouple params` lists every key")
        if spec.structural:
            raise ConfigError(f"{origin}: key '{path}' shapes the world at step 0 and cannot change during a run")
        set_path(raw, path, value)
    return validate_params(raw, origin, sectors)


def scenario_path(name_or_path: str | Path) -> Path:
    """Resolve a scenario name (``full_decoupling``) or a path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise ConfigError(f"{candidate}: scenario file not found")
        return candidate
    path = scenarios_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(name for name, *_ in list_scenarios())
        raise ConfigError(f"scenario '{name_or_path}' not found in {scenarios_dir()}; known scenarios: {known}")
    return path


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _load_raw(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, dict, list[tuple[Path, dict]]]:
    """Return (parameter dict, metadata, [(file, event table)]) with ``extends`` applied."""
    path = path.resolve()
    if path in chain:
        raise ConfigError(f"{path}: 'scenario.extends' forms a cycle: {' -> '.join(str(p) for p in chain + (path,))}")
    table = _read_toml(path)
    meta = table.pop("scenario", {})
    if not isinstance(meta, dict):
        raise ConfigError(f"{path}: [scenario] must be a table with keys {', '.join(SCENARIO_META_KEYS)}")
    unknown = set(meta) - set(SCENARIO_META_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {sorted(unknown)} in [scenario]; allowed: {', '.join(SCENARIO_META_KEYS)}")
    events = table.pop("events", [])
    if not isinstance(events, list):
        raise ConfigError(f"{path}: 'events' must be an array of tables: [[events]] year = ..., set = {{...}}")
    own_events = [(path, e) for e in events]
    if "extends" in meta:
        parent = scenario_path(meta["extends"]) if not Path(meta["extends"]).is_absolute() else Path(meta["extends"])
        base, parent_meta, parent_events = _load_raw(parent, chain + (path,))
        table = deep_merge(base, table)
        meta = {**{k: v for k, v in parent_meta.items() if k != "name"}, **meta}
        own_events = parent_events + own_events
    return table, meta, own_events


def _validate_events(event_tables: list[tuple[Path, dict]], scenario: Scenario) -> list[Event]:
    events = []
    registry = load_registry()
    start = scenario.params.time.start_year
    end = start + scenario.params.time.steps / 4
    for file, table in event_tables:
        origin = f"{file}: [[events]]"
        if not isinstance(table, dict):
            raise ConfigError(f"{origin} entry {table!r} must be a table with keys {', '.join(EVENT_KEYS)}")
        unknown = set(table) - set(EVENT_KEYS)
        if unknown:
            raise ConfigError(f"{origin} has unknown key(s) {sorted(unknown)}; allowed: {', '.join(EVENT_KEYS)}")
        year = table.get("year")
        if not isinstance(year, (int, float)) or isinstance(year, bool) or not 1990 <= year <= 2100:
            raise ConfigError(f"{origin} key 'year' = {year!r}; allowed: a decimal year such as 2022.75 (October 2022)")
        changes = table.get("set")
        if not isinstance(changes, dict) or not changes:
            raise ConfigError(f"{origin} at {year} key 'set' = {changes!r}; allowed: a table of parameter paths, e.g. set = {{ \"policy.fence\" = 0.8 }}")
        flat = {}
        for k, v in changes.items():
            # TOML may nest dotted keys: set = { policy.fence = 0.8 } gives {"policy": {"fence": 0.8}}
            if isinstance(v, dict) and k not in registry:
                for kk, vv in _flatten(v, k).items():
                    flat[kk] = vv
            else:
                flat[k] = v
        scenario.with_changes(flat, f"{origin} at {year}")  # validates paths and values
        if not start <= year <= end:
            raise ConfigError(f"{origin} key 'year' = {year}; allowed: within the run, {start:g} to {end:g}")
        events.append(Event(float(year), flat, str(table.get("note", "")), str(table.get("id", ""))))
    return sorted(events, key=lambda e: e.year)


def _flatten(table: dict, prefix: str) -> dict:
    out = {}
    for k, v in table.items():
        path = f"{prefix}.{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, path))
        else:
            out[path] = v
    return out


def load_scenario(name_or_path: str | Path, overrides: list[str] | tuple[str, ...] = (),
                  sectors: tuple[str, ...] | None = None) -> Scenario:
    """Load, merge and validate a scenario; apply ``--set`` overrides ("path=value")."""
    if sectors is None:
        from .world import load_world
        sectors = load_world().sectors
    path = scenario_path(name_or_path)
    raw, meta, event_tables = _load_raw(path)
    params = validate_params(raw, str(path), sectors)
    for key in ("title", "description", "name"):
        if key in meta and not isinstance(meta[key], str):
            raise ConfigError(f"{path}: key 'scenario.{key}' = {meta[key]!r}; allowed: a string")
    if "notice" in meta and not isinstance(meta["notice"], str):
        raise ConfigError(f"{path}: key 'scenario.notice' = {meta['notice']!r}; allowed: a string")
    questions = meta.get("questions", [])
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise ConfigError(f"{path}: key 'scenario.questions' = {questions!r}; allowed: an array of strings")
    scenario = Scenario(
        name=meta.get("name", path.stem), title=meta.get("title", path.stem.replace("_", " ")),
        description=meta.get("description", ""), params=params, file=path,
        file_hash=hashlib.sha256(path.read_bytes()).hexdigest(), sectors=sectors,
        notice=meta.get("notice", ""), questions=tuple(questions),
    )
    if overrides:
        registry = load_registry()
        merged = scenario.resolved()
        for text in overrides:
            key, value = parse_override(text)
            if key not in registry:
                close = difflib.get_close_matches(key, list(registry), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ConfigError(f"--set {text}: unknown key '{key}'{hint} for scenario file {path}; `decouple params {scenario.name}` lists every key")
            set_path(merged, key, value)
            scenario.overrides.append(text)
        scenario.params = validate_params(merged, f"--set (scenario file {path})", sectors)
    scenario.events = _validate_events(event_tables, scenario)
    return scenario


def list_scenarios() -> list[tuple[str, str, str, Path]]:
    """(name, title, description, path) of every scenario file in ``scenarios/``."""
    out = []
    for path in sorted(scenarios_dir().glob("*.toml")):
        try:
            meta = _read_toml(path).get("scenario", {})
        except ConfigError:
            meta = {"title": "(unreadable TOML)"}
        out.append((path.stem, meta.get("title", ""), meta.get("description", ""), path))
    return out
