"""Scenario files, parameters and their validation.

Every parameter is declared once, in ``seeds/parameters.toml``, with its type, role (policy
lever, uncertainty or constant), default, range, unit, meaning and source. From that registry
this module builds pydantic models (one per section, unknown keys forbidden, strict types, ranges
enforced, read-only once built), loads scenario TOML files (with ``extends`` and dated
``[[events]]``), applies changes — typed values from Python (``{"policy.fence": 0.8}``) or
``path=value`` strings from the command line — and turns any validation failure into one
message that names the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from .errors import ConfigError, DecoupleError, suggest
from .paths import evidence_dir, scenarios_dir

TYPES = ("float", "int", "bool", "sectors")
ROLES = ("lever", "uncertainty", "constant")
SCENARIO_META_KEYS = ("name", "title", "description", "extends", "notice", "questions")
EVENT_KEYS = ("year", "set", "note", "id")
#: problems listed in one error message, at most
MAX_ERRORS = 20
#: files one scenario may extend in a chain, at most
MAX_EXTENDS = 50
#: a scenario's name becomes part of folder and file names: plain names only
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of the registry."""

    path: str
    type: str
    role: str  # lever, uncertainty or constant
    default: Any
    unit: str
    meaning: str
    source: str
    range: tuple[float, float] | None = None
    structural: bool = False
    plausible_given: tuple[float, float] | None = None  # the entry's own ``plausible`` range, if any
    plausible_source: str = ""

    @property
    def plausible(self) -> tuple[float, float] | None:
        """The range exploratory modelling samples an uncertainty over: the entry's ``plausible``
        (with ``plausible_source``), or else the default ± half its size (± a tenth of the allowed
        range where the default is 0), within the allowed range. None for lists and switches."""
        if self.type not in ("float", "int") or self.range is None:
            return None
        if self.plausible_given is not None:
            return self.plausible_given
        lo, hi = self.range
        d = float(self.default)
        half = abs(d) / 2 if d != 0 else (hi - lo) / 10
        low, high = max(lo, d - half), min(hi, d + half)
        if self.type == "int":
            low, high = float(int(round(low))), float(int(round(high)))
        return (low, high) if high > low else (lo, hi)

    @property
    def plausible_reason(self) -> str:
        return self.plausible_source or (
            "assumption: no range is documented, so the default plus or minus half its size (a tenth of "
            "the allowed range around a default of 0), within the allowed range"
        )

    def allowed(self, sectors: tuple[str, ...] = ()) -> str:
        if self.type == "bool":
            return "true or false"
        if self.type == "sectors":
            listed = ", ".join(sectors) if sectors else "sector ids"
            return f'a list of sector ids ({listed}) or "all"'
        kind = "an integer" if self.type == "int" else "a number"
        lo, hi = self.range or (float("-inf"), float("inf"))
        return f"{kind} from {lo:g} to {hi:g} ({self.unit})"


def _walk_registry(table: dict, prefix: str, file: Path, out: dict[str, ParamSpec]) -> None:
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: entry '{path}' is not a table")
        if "type" in value:
            missing = [k for k in ("role", "default", "unit", "meaning", "source") if k not in value]
            if missing or value["type"] not in TYPES or value["role"] not in ROLES:
                raise ConfigError(
                    f"{file}: parameter '{path}' needs type ({', '.join(TYPES)}), role "
                    f"({', '.join(ROLES)}), default, unit, meaning and source; missing {missing}"
                )
            rng = value.get("range")
            if value["type"] in ("float", "int") and (not isinstance(rng, list) or len(rng) != 2):
                raise ConfigError(f"{file}: parameter '{path}' of type {value['type']} needs range = [low, high]")
            structural = bool(value.get("structural", False))
            if structural != (value["role"] == "constant"):
                raise ConfigError(
                    f"{file}: parameter '{path}': the structural parameters, and only they, have role 'constant'"
                )
            plausible = value.get("plausible")
            if plausible is not None:
                ok = (
                    isinstance(plausible, list)
                    and len(plausible) == 2
                    and rng is not None
                    and rng[0] <= plausible[0] < plausible[1] <= rng[1]
                    and isinstance(value.get("plausible_source"), str)
                )
                if not ok:
                    raise ConfigError(
                        f"{file}: parameter '{path}': plausible = {shown(plausible)}; allowed: [low, high] with "
                        f"low < high inside its range {rng}, and a plausible_source that says why"
                    )
            out[path] = ParamSpec(
                path=path,
                plausible_given=(float(plausible[0]), float(plausible[1])) if plausible is not None else None,
                plausible_source=str(value.get("plausible_source", "")),
                type=value["type"],
                role=value["role"],
                default=value["default"],
                unit=value["unit"],
                meaning=value["meaning"],
                source=value["source"],
                range=tuple(rng) if rng else None,
                structural=structural,
            )
        else:
            _walk_registry(value, path, file, out)


@lru_cache(maxsize=4)
def load_registry(file: Path | None = None) -> dict[str, ParamSpec]:
    """Read ``seeds/parameters.toml`` into ``{dotted path: ParamSpec}`` (file order)."""
    file = Path(file) if file is not None else evidence_dir() / "parameters.toml"
    out: dict[str, ParamSpec] = {}
    _walk_registry(read_toml(file), "", file, out)
    return out


def parameters_with_role(role: str) -> dict[str, ParamSpec]:
    """The registry's levers, uncertainties or constants."""
    if role not in ROLES:
        raise ConfigError(f"role '{role}'{suggest(role, ROLES)}; allowed: {', '.join(ROLES)}")
    return {path: spec for path, spec in load_registry().items() if spec.role == role}


# ----------------------------------------------------------------------------- reading files


def path_kind(path: Path, error: type[DecoupleError] = ConfigError) -> str | None:
    """'file', 'folder', 'other' (a device, a pipe) or None (nothing there); a clear error for a
    name the file system cannot take."""
    try:
        if path.is_file():
            return "file"
        if path.is_dir():
            return "folder"
        return "other" if path.exists() else None
    except OSError as exc:
        raise error(
            f"{str(path)[:80]}{'...' if len(str(path)) > 80 else ''}: {exc.strerror or exc} "
            "(a file name has at most 255 bytes)"
        ) from None


def read_text(path: Path, error: type[DecoupleError] = ConfigError) -> str:
    """The text of a UTF-8 file (a byte-order mark is allowed), or an error that says why it
    cannot be read."""
    path = Path(path)
    kind = path_kind(path, error)
    if kind is None:
        raise error(f"{path}: file not found")
    if kind == "folder":
        raise error(f"{path}: is a folder, not a file")
    if kind == "other":
        raise error(f"{path}: is not a regular file (a device or a pipe?); give a TOML file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text (byte {exc.start} is {data[exc.start : exc.start + 1]!r}); "
            "is it a binary file? Scenario, experiment and evidence files are TOML text"
        ) from None


def parse_toml(text: str, origin: str, error: type[DecoupleError] = ConfigError) -> dict:
    """A TOML document as a table, with one clear error for anything ``tomllib`` refuses."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{origin}: not valid TOML: {exc}") from None
    except RecursionError:
        raise error(f"{origin}: not valid TOML: arrays or tables nested too deeply") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4,300 digits)
        raise error(f"{origin}: a value cannot be read: {exc}") from None


def read_toml(path: Path, error: type[DecoupleError] = ConfigError) -> dict:
    """A TOML file as a table, with clear errors for unreadable, binary or invalid files."""
    return parse_toml(read_text(path, error), str(path), error)


# ----------------------------------------------------------------------------- the parameter models


class Parameters(BaseModel):
    """Base of the parameter models: validated when built, read-only afterwards."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def __setattr__(self, name: str, value: Any) -> None:
        section = type(self).__name__.removeprefix("Params").strip("_").replace("_", ".")
        path = f"{section}.{name}" if section else name
        raise ConfigError(
            f"parameters are read-only: '{path}' cannot be set to {shown(value)} in place; change it "
            f"with model.set_params({{'{path}': {shown(value)}}}), which checks the value and applies it "
            "from the next step"
        )

    def __delattr__(self, name: str) -> None:
        raise ConfigError(
            f"parameters are read-only: '{name}' cannot be deleted; every parameter has a value "
            "(its default in seeds/parameters.toml)"
        )


def _expand_all(sectors: tuple[str, ...]):
    def expand(value):
        if value == "all" or value == ["all"]:
            return list(sectors)
        if isinstance(value, str):  # a single sector id
            return [value]
        return value

    return expand


def _field_type(spec: ParamSpec, sectors: tuple[str, ...]) -> Any:
    if spec.type in ("float", "int"):
        assert spec.range is not None  # the registry gives every number a range
        lo, hi = spec.range
        if spec.type == "float":
            return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)]
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
        fields: dict[str, Any] = {}
        for key, child in node.items():
            if isinstance(child, ParamSpec):
                default = child.default
                if child.type == "sectors":
                    default = list(sectors) if default == "all" else list(default)
                fields[key] = (_field_type(child, sectors), Field(default=default, description=child.meaning))
            else:
                sub = build(f"{name}_{key}", child)
                fields[key] = (sub, Field(default_factory=sub))
        return create_model(name, __base__=Parameters, **fields)

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


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)``, shortened to ``limit`` characters."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        text = f"<an integer of about {value.bit_length() * 0.30103:.0f} digits>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_error(err: Any, raw: dict, origin: str, registry: dict[str, ParamSpec], sectors: tuple[str, ...]) -> str:
    loc = tuple(err["loc"])
    names = [str(p) for p in loc if not isinstance(p, int)]
    path = ".".join(names)
    value = err.get("input", _lookup(raw, loc))
    if err["type"] == "extra_forbidden":
        group = ".".join(names[:-1])
        siblings = sorted(
            {
                p[len(group) + 1 :].split(".")[0] if group else p.split(".")[0]
                for p in registry
                if not group or p.startswith(group + ".")
            }
        )
        where = f"[{group}]" if group else "the top level"
        return (
            f"{origin}: unknown key '{path}'{suggest(names[-1], siblings)}; allowed keys in {where}: "
            f"{', '.join(siblings)}"
        )
    spec = registry.get(path)
    if spec is None:
        if isinstance(value, dict) or names and any(p.startswith(path + ".") for p in registry):
            return f"{origin}: key '{path}' = {shown(value)} must be a table of parameters"
        return f"{origin}: key '{path}' = {shown(value)}: {err['msg']}"
    problem = err["msg"].lower()
    if err["type"].endswith("_type") or err["type"] in ("model_type", "list_type"):
        problem = f"wrong type ({type(value).__name__})"
    elif err["type"] in ("greater_than_equal", "less_than_equal", "finite_number"):
        problem = "out of range"
    elif err["type"] == "literal_error":
        problem = f"unknown sector {shown(value)}"
        value = _lookup(raw, loc[:-1]) if isinstance(loc[-1], int) else value
    return f"{origin}: key '{path}' = {shown(value)} is {problem}; allowed: {spec.allowed(sectors)}. ({spec.meaning})"


def validate_params(raw: dict, origin: str, sectors: tuple[str, ...]) -> BaseModel:
    """Validate a nested parameter dict; raise one ConfigError listing every problem."""
    model = params_model(sectors)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        registry = load_registry()
        errors = exc.errors()
        lines = [_describe_error(e, raw, origin, registry, sectors) for e in errors[:MAX_ERRORS]]
        if len(errors) > MAX_ERRORS:
            lines.append(f"{origin}: ... and {len(errors) - MAX_ERRORS:,} more problems like these")
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


#: decimal floats as ``repr`` writes them, which TOML reads as Python does (no underscores, no
#: leading zeros, digits on both sides of the point)
PLAIN_FLOAT = re.compile(r"[+-]?(0|[1-9][0-9]*)\.[0-9]+([eE][+-]?[0-9]+)?")


def parse_value(text: str) -> Any:
    """Read a ``--set`` value the way TOML would; bare words stay strings and
    comma-separated words become lists (``logic_chips,chip_tools``)."""
    if not isinstance(text, str):
        raise ConfigError(
            f'--set value {shown(text)}: allowed: text such as 0.8, true, "all" or logic_chips,chip_tools'
        )
    if "\n" in text or "\r" in text:
        raise ConfigError(f"--set value {shown(text)}: one value on one line; give each parameter its own --set")
    if PLAIN_FLOAT.fullmatch(text):
        # a sweep passes every value as its repr: a TOML parse per value was most of the cost of
        # loading a scenario with 66 overrides; this form reads the same in TOML and in Python
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    try:
        table = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        if "," in text:
            parts = [part.strip() for part in text.split(",") if part.strip()]
            if not parts:
                raise ConfigError(f"--set value {shown(text)}: no sector ids between the commas") from None
            return parts
        return text
    except RecursionError:
        raise ConfigError(f"--set value {shown(text)}: arrays nested too deeply") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4,300 digits)
        raise ConfigError(f"--set value {shown(text)}: cannot be read as a number ({exc})") from None
    return table["v"]


def parse_override(text: str) -> tuple[str, Any]:
    if not isinstance(text, str):
        raise ConfigError(f"--set {shown(text)}: expected the text KEY=VALUE, e.g. policy.fence=0.8")
    if "=" not in text:
        raise ConfigError(f"--set {shown(text)}: expected KEY=VALUE, e.g. --set policy.fence=0.8")
    path, value = text.split("=", 1)
    path = path.strip()
    if not path:
        raise ConfigError(f"--set {shown(text)}: the key before '=' is empty")
    return path, parse_value(value.strip())


def _check_path(path: Any, origin: str, registry: dict[str, ParamSpec], hint: str) -> ParamSpec:
    if not isinstance(path, str) or path not in registry:
        raise ConfigError(f"{origin}: unknown key {shown(path)}{suggest(path, registry)}; {hint}")
    return registry[path]


# ----------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Event:
    """A dated change of live parameters (a policy switching on at a date)."""

    year: float
    changes: dict[str, Any]
    note: str = ""
    id: str = ""
    file: str = ""  # the scenario file that declares it


@dataclass
class Scenario:
    """A validated scenario: parameters, events and where they came from."""

    name: str
    title: str
    description: str
    params: Any  # the validated parameters: an instance of params_model(sectors), read-only
    events: list[Event] = field(default_factory=list)
    file: Path | None = None
    file_hash: str | None = None
    chain: list[tuple[Path, str]] = field(default_factory=list)  # (file, sha256): the file, then what it extends
    overrides: list[str] = field(default_factory=list)  # what changed it: "path=value" texts
    sectors: tuple[str, ...] = ()
    notice: str = ""  # classroom: what to notice when the scenario runs
    questions: tuple[str, ...] = ()  # classroom: questions for the class

    def resolved(self) -> dict:
        return self.params.model_dump()

    def get(self, path: str) -> Any:
        """The value of the parameter at dotted ``path``."""
        registry = load_registry()
        _check_path(path, f"scenario '{self.name}'", registry, "`decouple params` lists every key")
        return get_path(self.resolved(), path)

    @property
    def last_quarter_start(self) -> float:
        """Start of the run's last quarter: an event later than this never takes effect."""
        t = self.params.time
        return t.start_year + (t.steps - 1) / 4.0

    def unreached_events(self) -> list[Event]:
        """Events that fall after the run's last quarter (when a shorter run was asked for)."""
        return [e for e in self.events if e.year > self.last_quarter_start + 1e-9]

    def with_event_value(self, event_id: str, path: str, value: Any) -> Scenario:
        """A copy whose event ``event_id`` sets ``path`` to ``value`` (used by calibration)."""
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

    def with_changes(self, changes: Mapping[str, Any], origin: str, base: BaseModel | None = None) -> BaseModel:
        """Return new validated params: ``changes`` (live parameters only) applied to ``base``
        (default: the scenario's own parameters)."""
        return apply_changes(base if base is not None else self.params, changes, origin, self.sectors)


def apply_changes(params: BaseModel, changes: Mapping[str, Any], origin: str, sectors: tuple[str, ...]) -> BaseModel:
    """Validate ``changes`` ({dotted path: value}) against the registry and apply them to a copy
    of ``params``. Structural parameters cannot change once a run has started."""
    if not isinstance(changes, Mapping):
        raise ConfigError(
            f"{origin}: changes must be a mapping of dotted paths to values, e.g. "
            f"{{'policy.fence': 0.8}}; got {type(changes).__name__}"
        )
    registry = load_registry()
    raw = params.model_dump()
    for path, value in changes.items():
        spec = _check_path(path, origin, registry, "`decouple params` lists every key")
        if spec.structural:
            raise ConfigError(f"{origin}: key '{path}' shapes the world at step 0 and cannot change during a run")
        set_path(raw, path, value)
    return validate_params(raw, origin, sectors)


def scenario_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario name (``full_decoupling``) or a path to a TOML file. With
    ``relative_to`` (the folder of a file that names it), a relative path is read from there, and
    a bare name is looked for there before ``scenarios/``."""
    text = str(name_or_path)
    if not text.strip():
        raise ConfigError(
            "scenario name is empty; give a scenario name (`decouple scenarios` lists them) or a TOML path"
        )
    candidate = Path(name_or_path)
    looks_like_path = candidate.suffix == ".toml" or "/" in text or os.sep in text or candidate.is_absolute()
    if looks_like_path:
        if relative_to is not None and not candidate.is_absolute():
            candidate = relative_to / candidate
        kind = path_kind(candidate)
        if kind is None:
            raise ConfigError(f"{candidate}: scenario file not found")
        if kind != "file":
            raise ConfigError(
                f"{candidate}: is a folder, not a scenario file"
                if kind == "folder"
                else f"{candidate}: is not a regular file (a device or a pipe?); give a TOML file"
            )
        return candidate
    if relative_to is not None and path_kind(relative_to / f"{text}.toml") == "file":
        return relative_to / f"{text}.toml"
    if path_kind(candidate) == "file":
        return candidate
    path = scenarios_dir() / f"{text}.toml"
    if path_kind(path) != "file":
        known = [name for name, *_ in list_scenarios()]
        raise ConfigError(
            f"scenario {shown(text)} not found in {scenarios_dir()}{suggest(text, known)}; "
            f"known scenarios: {', '.join(known)}"
        )
    return path


@dataclass
class _Raw:
    table: dict  # parameters, extends applied
    meta: dict  # the [scenario] table, inherited keys applied
    events: list[tuple[Path, Any]]  # (file, event table), parents' first
    chain: list[tuple[Path, str]]  # (file, sha256), the file itself first


def _load_raw(path: Path, chain: tuple[Path, ...] = ()) -> _Raw:
    """Read a scenario file with ``extends`` applied (parents first)."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(str(p) for p in chain[chain.index(path) :] + (path,))
        raise ConfigError(f"{path}: 'scenario.extends' forms a cycle: {cycle}")
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError(
            f"{chain[0]}: 'scenario.extends' chains more than {MAX_EXTENDS} files; at most {MAX_EXTENDS} are allowed"
        )
    table = parse_toml(read_text(path), str(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = table.pop("scenario", {})
    if not isinstance(meta, dict):
        raise ConfigError(f"{path}: [scenario] must be a table with keys {', '.join(SCENARIO_META_KEYS)}")
    unknown = set(meta) - set(SCENARIO_META_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {sorted(unknown)} in [scenario]; allowed: {', '.join(SCENARIO_META_KEYS)}"
        )
    events = table.pop("events", [])
    if not isinstance(events, list):
        raise ConfigError(f"{path}: 'events' must be an array of tables: [[events]] year = ..., set = {{...}}")
    own_events = [(path, e) for e in events]
    files = [(path, digest)]
    if "extends" in meta:
        parent_name = meta["extends"]
        if not isinstance(parent_name, str):
            raise ConfigError(
                f"{path}: key 'scenario.extends' = {shown(parent_name)}; allowed: the name of a scenario "
                "or the path of a TOML file, as a string"
            )
        try:
            parent = scenario_path(parent_name, relative_to=path.parent)
        except ConfigError as exc:
            raise ConfigError(f"{path}: key 'scenario.extends' = {shown(parent_name)}: {exc}") from None
        base = _load_raw(parent, chain + (path,))
        table = deep_merge(base.table, table)
        meta = {**{k: v for k, v in base.meta.items() if k != "name"}, **meta}
        own_events = base.events + own_events
        files += base.chain
    return _Raw(table, meta, own_events, files)


def _flatten(table: dict, prefix: str) -> dict:
    """``{"policy": {"fence": 0.8}}`` under ``prefix`` as ``{"prefix.policy.fence": 0.8}``."""
    out = {}
    stack = [(prefix, table)]
    while stack:
        path, node = stack.pop()
        for k, v in node.items():
            if isinstance(v, dict):
                stack.append((f"{path}.{k}", v))
            else:
                out[f"{path}.{k}"] = v
    return out


def _validate_events(event_tables: list[tuple[Path, Any]], scenario: Scenario, horizon: float) -> list[Event]:
    """Validate the events. ``horizon`` is the start of the last quarter of the run the scenario
    file describes: an event after it never takes effect, so it is an error."""
    events = []
    registry = load_registry()
    start = scenario.params.time.start_year
    for file, table in event_tables:
        origin = f"{file}: [[events]]"
        if not isinstance(table, dict):
            raise ConfigError(f"{origin} entry {shown(table)} must be a table with keys {', '.join(EVENT_KEYS)}")
        unknown = set(table) - set(EVENT_KEYS)
        if unknown:
            raise ConfigError(f"{origin} has unknown key(s) {sorted(unknown)}; allowed: {', '.join(EVENT_KEYS)}")
        year = table.get("year")
        if not isinstance(year, (int, float)) or isinstance(year, bool) or not 1990 <= year <= 2100:
            raise ConfigError(
                f"{origin} key 'year' = {shown(year)}; allowed: a decimal year such as 2022.75 (October 2022)"
            )
        changes = table.get("set")
        if not isinstance(changes, dict) or not changes:
            raise ConfigError(
                f"{origin} at {year} key 'set' = {shown(changes)}; allowed: a table of parameter paths, "
                'e.g. set = { "policy.fence" = 0.8 }'
            )
        flat = {}
        for k, v in changes.items():
            # TOML may nest dotted keys: set = { policy.fence = 0.8 } gives {"policy": {"fence": 0.8}}
            if isinstance(v, dict) and k not in registry:
                flat.update(_flatten(v, k))
            else:
                flat[k] = v
        scenario.with_changes(flat, f"{origin} at {year}")  # validates paths and values
        if not start <= year <= horizon + 1e-9:
            raise ConfigError(
                f"{origin} key 'year' = {year}; allowed: within the run, from {start:g} to {horizon:g} "
                "(the start of its last quarter; a later event never takes effect)"
            )
        for key in ("note", "id"):
            if key in table and not isinstance(table[key], str):
                raise ConfigError(f"{origin} at {year} key '{key}' = {shown(table[key])}; allowed: a string")
        events.append(Event(float(year), flat, table.get("note", ""), table.get("id", ""), str(file)))
    # Same-year events apply in the order they are written, the extended file's first; two of them
    # setting one parameter to different values would make that order matter, so they are refused.
    events = sorted(events, key=lambda e: e.year)  # (a stable sort: file order within a year)
    for i, a in enumerate(events):
        for b in events[i + 1 :]:
            if b.year != a.year:
                break
            clash = [p for p in a.changes if p in b.changes and a.changes[p] != b.changes[p]]
            if clash:
                raise ConfigError(
                    f"{b.file}: [[events]] at {b.year:g} sets {clash[0]} = {shown(b.changes[clash[0]])}, "
                    f"and an event of {a.file} in the same year sets it to {shown(a.changes[clash[0]])}; "
                    "merge them into one event or move one to another quarter"
                )
    return events


def _check_meta(path: Path, meta: dict) -> None:
    for key in ("title", "description", "name", "notice"):
        if key in meta and not isinstance(meta[key], str):
            raise ConfigError(f"{path}: key 'scenario.{key}' = {shown(meta[key])}; allowed: a string")
    if "name" in meta and not NAME.fullmatch(meta["name"]):
        raise ConfigError(
            f"{path}: key 'scenario.name' = {shown(meta['name'])}; allowed: letters, digits, '_', '-' "
            "and '.' (it names result folders), at most 100 characters, not starting with '.' or '-'"
        )
    questions = meta.get("questions", [])
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise ConfigError(f"{path}: key 'scenario.questions' = {shown(questions)}; allowed: an array of strings")


def load_scenario(
    name_or_path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    sectors: tuple[str, ...] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load, merge and validate a scenario.

    ``overrides`` are ``path=value`` strings (the command line's ``--set``); ``changes`` are typed
    values by dotted path (``{"policy.fence": 0.8}``), applied after them."""
    if sectors is None:
        from .world import load_world

        sectors = load_world().sectors
    if not isinstance(name_or_path, (str, Path)):
        raise ConfigError(
            f"scenario {shown(name_or_path)}: allowed: a scenario name (`decouple scenarios` lists "
            "them), the path of a TOML file, or a Scenario"
        )
    path = scenario_path(name_or_path)
    raw = _load_raw(path)
    _check_meta(path, raw.meta)
    params = validate_params(raw.table, str(path), sectors)
    t = params.time  # type: ignore[attr-defined]
    horizon = t.start_year + (t.steps - 1) / 4.0  # the file's own run, before --steps and the like
    scenario = Scenario(
        name=raw.meta.get("name", path.stem if NAME.fullmatch(path.stem) else "scenario"),
        title=raw.meta.get("title", path.stem.replace("_", " ")),
        description=raw.meta.get("description", ""),
        params=params,
        file=path,
        file_hash=raw.chain[0][1],
        chain=raw.chain,
        sectors=sectors,
        notice=raw.meta.get("notice", ""),
        questions=tuple(raw.meta.get("questions", [])),
    )
    registry = load_registry()
    merged = scenario.resolved()
    for text in overrides:
        key, value = parse_override(text)
        _check_path(
            key,
            f"--set {shown(text)}",
            registry,
            f"scenario file {path}; `decouple params {scenario.name}` lists every key",
        )
        set_path(merged, key, value)
        scenario.overrides.append(text)
    if changes:
        if not isinstance(changes, Mapping):
            raise ConfigError(
                f"params: {shown(changes)}; allowed: a mapping of dotted paths to values, e.g. {{'policy.fence': 0.8}}"
            )
        for key, value in changes.items():
            _check_path(key, "params", registry, f"`decouple params {scenario.name}` lists every key")
            set_path(merged, key, value)
            scenario.overrides.append(f"{key}={shown(value, 200)}")
    if overrides or changes:
        origin = f"--set (scenario file {path})" if overrides and not changes else f"params (scenario file {path})"
        scenario.params = validate_params(merged, origin, sectors)
    scenario.events = _validate_events(raw.events, scenario, horizon)
    return scenario


def scenario_chain(scenario: Scenario) -> list[Path]:
    """The scenario's file and every file it extends."""
    return [path for path, _ in scenario.chain]


def list_scenarios() -> list[tuple[str, str, str, Path]]:
    """(name, title, description, path) of every scenario file in ``scenarios/``."""
    out = []
    for path in sorted(scenarios_dir().glob("*.toml")):
        try:
            meta = read_toml(path).get("scenario", {})
        except ConfigError:
            meta = {"title": "(unreadable TOML)"}
        if not isinstance(meta, dict):
            meta = {}
        title = meta.get("title", "")
        description = meta.get("description", "")
        out.append(
            (
                path.stem,
                title if isinstance(title, str) else "",
                description if isinstance(description, str) else "",
                path,
            )
        )
    return out
