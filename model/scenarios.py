"""Scenario files: loading, ``extends`` chains and dated ``[[events]]``.

A scenario is a TOML file in ``scenarios/`` (or anywhere, given by path) with an optional
``[scenario]`` table (name, title, description, ``extends``, and the classroom's notice and
questions), parameter values by section, and ``[[events]]`` that change live parameters at a date.
:func:`load_scenario` applies the files it extends (parents first), the command line's ``--set``
texts and typed changes from Python, validates everything against the registry of
``seeds/parameters.toml`` (see :mod:`.parameters`) and the sectors of the world (``seeds/sectors.toml``,
see :mod:`.world`), and names the file, the key, the value and what is allowed when something is wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .errors import ConfigError, suggest
from .i18n import gettext as _
from .parameters import (
    apply_changes,
    deep_merge,
    get_path,
    load_registry,
    parse_override,
    registry_entry,
    set_path,
    shown,
    validate_params,
)
from .paths import scenarios_dir
from .tomlfiles import parse_toml, path_kind, read_text, read_toml
from .world import load_world

SCENARIO_META_KEYS = ("name", "title", "description", "extends", "notice", "questions")
EVENT_KEYS = ("year", "set", "note", "id")
#: files one scenario may extend in a chain, at most
MAX_EXTENDS = 50
#: a scenario's name becomes part of folder and file names: plain names only
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


#: scenario files read from memory instead of disk (resolved path -> bytes): see :func:`pinned_files`
_PINNED: dict[Path, bytes] = {}


@contextmanager
def pinned_files(files: Mapping[Path, bytes]) -> Iterator[None]:
    """Within the block, the scenario files in ``files`` are read from these contents, not from
    disk: a sweep reads its scenario files once, when it starts, and every run uses that content
    even if a file is edited, renamed or removed meanwhile."""
    previous = dict(_PINNED)
    _PINNED.update({Path(p): bytes(b) for p, b in files.items()})
    try:
        yield
    finally:
        _PINNED.clear()
        _PINNED.update(previous)


def _kind(path: Path) -> str | None:
    """:func:`path_kind`, with a pinned file counted as a file wherever it is now."""
    if _PINNED:
        try:
            if path.resolve() in _PINNED:
                return "file"
        except (OSError, RuntimeError):  # a loop of links, a name too long: path_kind says why
            pass
    return path_kind(path)


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
        registry_entry(path, f"scenario '{self.name}'", registry, _("`decouple params` lists every key"))
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
            raise ConfigError(
                _("{file}: no event with id '{event}'; events with ids: {known}").format(
                    file=self.file, event=event_id, known=known
                )
            )
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


def scenario_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario name (``full_decoupling``) or a path to a TOML file. With
    ``relative_to`` (the folder of a file that names it), a relative path is read from there, and
    a bare name is looked for there before ``scenarios/``."""
    text = str(name_or_path)
    if not text.strip():
        raise ConfigError(
            _("scenario name is empty; give a scenario name (`decouple scenarios` lists them) or a TOML path")
        )
    candidate = Path(name_or_path)
    looks_like_path = candidate.suffix == ".toml" or "/" in text or os.sep in text or candidate.is_absolute()
    if looks_like_path:
        if relative_to is not None and not candidate.is_absolute():
            candidate = relative_to / candidate
        kind = _kind(candidate)
        if kind is None:
            raise ConfigError(_("{path}: scenario file not found").format(path=candidate))
        if kind != "file":
            raise ConfigError(
                (
                    _("{path}: is a folder, not a scenario file")
                    if kind == "folder"
                    else _("{path}: is not a regular file (a device or a pipe?); give a TOML file")
                ).format(path=candidate)
            )
        return candidate
    if relative_to is not None and _kind(relative_to / f"{text}.toml") == "file":
        return relative_to / f"{text}.toml"
    if _kind(candidate) == "file":
        return candidate
    path = scenarios_dir() / f"{text}.toml"
    if _kind(path) != "file":
        known = [name for name, *_ in list_scenarios()]
        raise ConfigError(
            _("scenario {name} not found in {folder}{hint}; known scenarios: {known}").format(
                name=shown(text), folder=scenarios_dir(), hint=suggest(text, known), known=", ".join(known)
            )
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
        raise ConfigError(_("{path}: 'scenario.extends' forms a cycle: {cycle}").format(path=path, cycle=cycle))
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError(
            _("{path}: 'scenario.extends' chains more than {most} files; at most {most} are allowed").format(
                path=chain[0], most=MAX_EXTENDS
            )
        )
    data = _PINNED.get(path)
    if data is None:
        text = read_text(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    else:  # checked when it was read: UTF-8 text
        text = data.decode("utf-8-sig")
        digest = hashlib.sha256(data).hexdigest()
    table = parse_toml(text, str(path))
    meta = table.pop("scenario", {})
    if not isinstance(meta, dict):
        raise ConfigError(
            _("{path}: [scenario] must be a table with keys {keys}").format(
                path=path, keys=", ".join(SCENARIO_META_KEYS)
            )
        )
    unknown = set(meta) - set(SCENARIO_META_KEYS)
    if unknown:
        raise ConfigError(
            _("{path}: unknown key(s) {unknown} in [scenario]; allowed: {allowed}").format(
                path=path, unknown=sorted(unknown), allowed=", ".join(SCENARIO_META_KEYS)
            )
        )
    events = table.pop("events", [])
    if not isinstance(events, list):
        raise ConfigError(
            _("{path}: 'events' must be an array of tables: [[events]] year = ..., set = {{...}}").format(path=path)
        )
    own_events = [(path, e) for e in events]
    files = [(path, digest)]
    if "extends" in meta:
        parent_name = meta["extends"]
        if not isinstance(parent_name, str):
            raise ConfigError(
                _(
                    "{path}: key 'scenario.extends' = {value}; allowed: the name of a scenario or the path of a TOML "
                    "file, as a string"
                ).format(path=path, value=shown(parent_name))
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
            raise ConfigError(
                _("{origin} entry {value} must be a table with keys {keys}").format(
                    origin=origin, value=shown(table), keys=", ".join(EVENT_KEYS)
                )
            )
        unknown = set(table) - set(EVENT_KEYS)
        if unknown:
            raise ConfigError(
                _("{origin} has unknown key(s) {unknown}; allowed: {allowed}").format(
                    origin=origin, unknown=sorted(unknown), allowed=", ".join(EVENT_KEYS)
                )
            )
        year = table.get("year")
        if not isinstance(year, (int, float)) or isinstance(year, bool) or not 1990 <= year <= 2100:
            raise ConfigError(
                _("{origin} key 'year' = {value}; allowed: a decimal year such as 2022.75 (October 2022)").format(
                    origin=origin, value=shown(year)
                )
            )
        changes = table.get("set")
        if not isinstance(changes, dict) or not changes:
            raise ConfigError(
                _(
                    "{origin} at {year} key 'set' = {value}; allowed: a table of parameter paths, e.g. "
                    'set = {{ "policy.fence" = 0.8 }}'
                ).format(origin=origin, year=year, value=shown(changes))
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
                _(
                    "{origin} key 'year' = {year}; allowed: within the run, from {start:g} to {horizon:g} (the start "
                    "of its last quarter; a later event never takes effect)"
                ).format(origin=origin, year=year, start=start, horizon=horizon)
            )
        for key in ("note", "id"):
            if key in table and not isinstance(table[key], str):
                raise ConfigError(
                    _("{origin} at {year} key '{key}' = {value}; allowed: a string").format(
                        origin=origin, year=year, key=key, value=shown(table[key])
                    )
                )
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
                    _(
                        "{file}: [[events]] at {year:g} sets {path} = {value}, and an event of {other} in the same "
                        "year sets it to {other_value}; merge them into one event or move one to another quarter"
                    ).format(
                        file=b.file,
                        year=b.year,
                        path=clash[0],
                        value=shown(b.changes[clash[0]]),
                        other=a.file,
                        other_value=shown(a.changes[clash[0]]),
                    )
                )
    return events


def _check_meta(path: Path, meta: dict) -> None:
    for key in ("title", "description", "name", "notice"):
        if key in meta and not isinstance(meta[key], str):
            raise ConfigError(
                _("{path}: key 'scenario.{key}' = {value}; allowed: a string").format(
                    path=path, key=key, value=shown(meta[key])
                )
            )
    if "name" in meta and not NAME.fullmatch(meta["name"]):
        raise ConfigError(
            _(
                "{path}: key 'scenario.name' = {value}; allowed: letters, digits, '_', '-' and '.' (it names result "
                "folders), at most 100 characters, not starting with '.' or '-'"
            ).format(path=path, value=shown(meta["name"]))
        )
    questions = meta.get("questions", [])
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise ConfigError(
            _("{path}: key 'scenario.questions' = {value}; allowed: an array of strings").format(
                path=path, value=shown(questions)
            )
        )


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
        sectors = load_world().sectors
    if not isinstance(name_or_path, (str, Path)):
        raise ConfigError(
            _(
                "scenario {value}: allowed: a scenario name (`decouple scenarios` lists them), the path of a TOML "
                "file, or a Scenario"
            ).format(value=shown(name_or_path))
        )
    path = scenario_path(name_or_path)
    raw = _load_raw(path)
    _check_meta(path, raw.meta)
    params = validate_params(raw.table, str(path), sectors)
    t = params.time  # type: ignore[attr-defined]
    horizon = t.start_year + (t.steps - 1) / 4.0  # the file's own run, before --steps and the like
    scenario = Scenario(
        name=raw.meta.get("name", path.stem if NAME.fullmatch(path.stem) else "scenario"),
        title=raw.meta.get("title", _readable(path.stem).replace("_", " ")),
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
        registry_entry(
            key,
            f"--set {shown(text)}",
            registry,
            _("scenario file {path}; `decouple params {name}` lists every key").format(path=path, name=scenario.name),
        )
        set_path(merged, key, value)
        scenario.overrides.append(text)
    if changes:
        if not isinstance(changes, Mapping):
            raise ConfigError(
                _("params: {value}; allowed: a mapping of dotted paths to values, e.g. {{'policy.fence': 0.8}}").format(
                    value=shown(changes)
                )
            )
        for key, value in changes.items():
            registry_entry(
                key, "params", registry, _("`decouple params {name}` lists every key").format(name=scenario.name)
            )
            set_path(merged, key, value)
            scenario.overrides.append(f"{key}={shown(value, 200)}")
    if overrides or changes:
        origin = f"--set (scenario file {path})" if overrides and not changes else f"params (scenario file {path})"
        scenario.params = validate_params(merged, origin, sectors)
    scenario.events = _validate_events(raw.events, scenario, horizon)
    return scenario


def _readable(name: str) -> str:
    """A file name as text any library can take: the bytes a non-UTF-8 locale could not decode
    (kept by Python as surrogates) read as UTF-8, or replaced."""
    return os.fsencode(name).decode("utf-8", errors="replace")


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
