"""The levers, each declared once in ``seeds/levers.toml``: what a person can move, and what it sets.

A :class:`Lever` is a control of the classroom app (:mod:`decouple.demo.levers`) and of the
role-play (:mod:`decouple.play.teams`), and a name search and EMA can use for a parameter. It
has a label and a help text, a kind (``float``, ``int``, ``bool`` or ``sectors``), a step and a
range, and turns a value into ``{dotted path: value}`` changes for a scenario event or
:meth:`DecouplingModel.set_params`, including what it also sets: the yard's rule "the controlled
sectors are controlled country-wide and under the foreign direct product rule, as the October
2022 rules were (S2 一(一))" is its ``also`` in ``seeds/levers.toml``, and nowhere else.

Every lever is checked against the parameter registry (``seeds/parameters.toml``) when read:
its parameters must exist, its kind must be the registry's type (a switch may stand for other
types through its ``on`` and ``off`` values), and its range may only narrow the registry's. A bad
row is a clear error naming the file, the key, the value and what is allowed.

Use :func:`all` for every lever (``{code}`` rows expanded to one lever per country) and
:func:`get` for one, by id or by the parameter it sets.
"""

from __future__ import annotations

import builtins
import math
import reprlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ParamSpec, load_registry, read_toml
from .errors import ConfigError, suggest
from .paths import evidence_dir

if TYPE_CHECKING:
    from .world import World

LEVERS_FILE = "levers.toml"
KINDS = ("float", "int", "bool", "sectors")
#: the keys a lever's row may have (see the file's header)
KEYS = (
    "label",
    "help",
    "kind",
    "path",
    "step",
    "min",
    "max",
    "also",
    "fixed",
    "sets",
    "on",
    "off",
    "on_from",
    "ruled_by",
)
CODE = "{code}"


class _ShortRepr(reprlib.Repr):
    """reprlib's shortened repr, with integers too long to print named by their size (Python
    refuses to turn an int of more than 4300 digits into text)."""

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 200:  # about 60 digits
            return f"an integer of about {int(x.bit_length() * 0.30103) + 1} digits"
        return builtins.repr(x)


_SHORT = _ShortRepr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = 8
_SHORT.maxlevel = 3


def short_repr(value: Any) -> str:
    """``value`` as an error message shows it: a repr of at most a few dozen characters, whatever
    its size or depth (a request may send a million-digit number or a list nested 100,000 deep)."""
    return _SHORT.repr(value)


@dataclass(frozen=True)
class Lever:
    """One control: the parameter it sets, its kind, range and step, and what it also sets."""

    id: str  # the row of seeds/levers.toml, with {code} filled in
    path: str  # the parameter that takes its value (a switch: the first it sets)
    kind: str  # "float", "int", "bool" or "sectors"
    label: str
    help: str
    min: float = 0.0
    max: float = 1.0
    step: float = 1.0
    also: tuple[str, ...] = ()  # parameters that take the same value
    fixed: tuple[tuple[str, Any], ...] = ()  # parameters set with it, to fixed values
    sets: tuple[str, ...] = ()  # a switch: the parameters it turns on and off
    on: tuple[tuple[str, Any], ...] = ()  # a switch: what "on" sets (default: each of `sets` True)
    off: tuple[tuple[str, Any], ...] = ()  # a switch: what "off" sets (default: each of `sets` False)
    on_from: str = ""  # a switch: the scenario whose values of `sets` "on" takes
    ruled_by: str = ""  # the [adaptive] switch that hands it to a decision rule
    country: str = ""  # the country a {code} row was filled in with
    row: str = ""  # its row's key in seeds/levers.toml (``allies.willingness.{code}``)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every parameter the lever may set."""
        if self.kind == "bool":
            return tuple(dict.fromkeys((*self.sets, *(p for p, _ in self.on), *(p for p, _ in self.off))))
        return (self.path, *self.also, *(p for p, _ in self.fixed))

    def changes(self, value: Any) -> dict[str, Any]:
        """The parameter changes a value of this lever makes (the value checked by the registry
        when the changes are applied)."""
        if self.kind == "bool":
            if value:
                return dict(self.on) if self.on else _on_values(self)
            return dict(self.off) if self.off else {p: False for p in self.sets}
        if self.kind == "float":
            value = float(value)
        elif self.kind == "int":
            value = int(value)
        out = {self.path: value}
        out.update({p: value for p in self.also})
        out.update(dict(self.fixed))
        return out

    def read(self, params: Any) -> Any:
        """The lever's current value in ``params`` (a switch is on when every parameter it sets
        is: true, a non-empty set, a number other than 0)."""
        if self.kind == "bool":
            return builtins.all(bool(_get(params, p)) for p in self.sets)
        value = _get(params, self.path)
        if self.kind == "sectors":
            return list(value)
        return int(value) if self.kind == "int" else float(value)

    def check(self, value: Any, sectors: tuple[str, ...]) -> Any:
        """The value, checked against the lever's kind and range; a clear error naming the lever,
        the value (shortened: it may come from anyone's request) and what is allowed otherwise.

        A number is a finite int or float (never a bool, a text or a list) within the range, and
        whole for an ``int`` lever; a switch is true or false (never 0 or 1); a set of sectors is a
        list of distinct sector ids of ``sectors``."""
        if self.kind == "sectors":
            return self._check_sectors(value, sectors)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"lever {self.id}: {short_repr(value)}; allowed: true or false")
            return value
        whole = self.kind == "int"
        allowed = f"{'a whole number' if whole else 'a number'} from {self.min:g} to {self.max:g}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"lever {self.id}: {short_repr(value)}; allowed: {allowed}")
        # compared as Python numbers: an int too large for a float is out of range, not an overflow
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"lever {self.id}: {short_repr(value)} is not a finite number; allowed: {allowed}")
        if not self.min - 1e-9 <= value <= self.max + 1e-9:
            raise ConfigError(f"lever {self.id}: {short_repr(value)} is out of range; allowed: {allowed}")
        if whole and value != int(value):
            raise ConfigError(f"lever {self.id}: {short_repr(value)}; allowed: {allowed}")
        return int(value) if whole else float(value)

    def _check_sectors(self, value: Any, sectors: tuple[str, ...]) -> list[str]:
        allowed = f"a list of distinct sector ids of {', '.join(sectors)}"
        if not isinstance(value, list) or not builtins.all(isinstance(s, str) for s in value):
            raise ConfigError(f"lever {self.id}: {short_repr(value)}; allowed: {allowed}")
        unknown = [s for s in value if s not in sectors]
        if unknown:
            raise ConfigError(f"lever {self.id}: unknown sector(s) {short_repr(unknown)}; allowed: {allowed}")
        twice = sorted(s for s, n in Counter(value).items() if n > 1)
        if twice:
            raise ConfigError(f"lever {self.id}: sector(s) {short_repr(twice)} given twice; allowed: {allowed}")
        return [s for s in sectors if s in value]  # the world's order

    def public(self) -> dict:
        """What a page needs to draw the control."""
        return {
            "id": self.id,
            "path": self.path,
            "kind": self.kind,
            "label": self.label,
            "help": self.help,
            "min": self.min,
            "max": self.max,
            "step": self.step,
        }


def _get(params: Any, path: str) -> Any:
    node = params
    for part in path.split("."):
        node = getattr(node, part)
    return node


@lru_cache(maxsize=8)
def _scenario_values(name: str, paths: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    from .config import load_scenario

    scenario = load_scenario(name)
    return tuple((p, scenario.get(p)) for p in paths)


def _on_values(lever: Lever) -> dict[str, Any]:
    if lever.on_from:
        return {
            p: (list(v) if isinstance(v, (list, tuple)) else v) for p, v in _scenario_values(lever.on_from, lever.sets)
        }
    return {p: True for p in lever.sets}


# ---------------------------------------------------------------------------- reading the file


def _fail(file: Path, key: str, field: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{file}: lever '{key}', key '{field}' = {value!r}; allowed: {allowed}")


def _check_value(file: Path, key: str, field: str, path: str, value: Any, spec: ParamSpec) -> None:
    """A fixed, on or off value the registry's type allows ("all" for a set of sectors)."""
    ok = {
        "bool": isinstance(value, bool),
        "sectors": value == "all" or (isinstance(value, list) and builtins.all(isinstance(s, str) for s in value)),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
    }.get(spec.type, True)
    if ok and spec.type in ("int", "float") and spec.range is not None:
        ok = spec.range[0] <= value <= spec.range[1]
    if not ok:
        raise _fail(file, key, f"{field}.{path}", value, spec.allowed())


def _param(file: Path, key: str, field: str, path: Any, registry: Mapping[str, ParamSpec]) -> ParamSpec:
    if not isinstance(path, str) or path not in registry:
        hint = suggest(path, list(registry)) if isinstance(path, str) else ""
        raise _fail(file, key, field, path, f"a parameter of seeds/parameters.toml{hint}")
    return registry[path]


def _paths(file: Path, key: str, field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not builtins.all(isinstance(p, str) for p in value):
        raise _fail(file, key, field, value, "a list of parameter paths")
    return value


def _table(file: Path, key: str, field: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(file, key, field, value, "a table of parameter paths and values")
    return value


def _number(file: Path, key: str, field: str, value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(file, key, field, value, "a number")
    return float(value)


def _lever(file: Path, key: str, row: Any, registry: Mapping[str, ParamSpec], code: str, name: str) -> Lever:
    """One lever of ``row`` (``{code}`` filled with ``code``), checked against the registry."""
    if not isinstance(row, dict):
        raise _fail(file, key, "(row)", row, "a table of " + ", ".join(KEYS))
    unknown = [k for k in row if k not in KEYS]
    if unknown:
        raise _fail(file, key, unknown[0], row[unknown[0]], ", ".join(KEYS) + suggest(unknown[0], list(KEYS)))
    for field in ("label", "help"):
        if not isinstance(row.get(field), str) or not row[field].strip():
            raise _fail(file, key, field, row.get(field), "a text")
    kind = row.get("kind")
    if kind not in KINDS:
        raise _fail(file, key, "kind", kind, ", ".join(KINDS))

    def fill(text: str) -> str:
        return text.replace(CODE, code).replace("{label}", name)

    def param(field: str, path: Any) -> ParamSpec:
        return _param(file, key, field, fill(path) if isinstance(path, str) else path, registry)

    ruled_by = row.get("ruled_by", "")
    if ruled_by and (param("ruled_by", ruled_by).type != "bool" or not ruled_by.startswith("adaptive.")):
        raise _fail(file, key, "ruled_by", ruled_by, "a switch of [adaptive] in seeds/parameters.toml")
    common: dict[str, Any] = {"id": fill(key), "kind": kind, "label": fill(row["label"]), "help": row["help"]}
    common.update(ruled_by=ruled_by, country=code, row=key)
    if kind == "bool":
        for field in ("path", "step", "min", "max", "also", "fixed"):
            if field in row:
                raise _fail(file, key, field, row[field], "no such key for a switch (it has sets, on, off, on_from)")
        sets = [fill(p) for p in _paths(file, key, "sets", row.get("sets"))]
        if not sets:
            raise _fail(file, key, "sets", sets, "at least one parameter")
        on = {fill(p): v for p, v in _table(file, key, "on", row.get("on", {})).items()}
        off = {fill(p): v for p, v in _table(file, key, "off", row.get("off", {})).items()}
        on_from = row.get("on_from", "")
        if on_from and on:
            raise _fail(file, key, "on_from", on_from, "either on_from or on, not both")
        for field, table in (("on", on), ("off", off)):
            for switched, value in table.items():
                _check_value(file, key, field, switched, value, param(field, switched))
        for switched in sets:
            spec = param("sets", switched)
            if spec.type != "bool" and not ((on or on_from) and off):
                raise _fail(
                    file,
                    key,
                    "sets",
                    switched,
                    f"switches (type bool), or give on (or on_from) and off for its {spec.type}",
                )
        return Lever(path=sets[0], sets=tuple(sets), on=tuple(on.items()), off=tuple(off.items()), on_from=on_from,
                     **common)  # fmt: skip
    for field in ("sets", "on", "off", "on_from"):
        if field in row:
            raise _fail(file, key, field, row[field], f"no such key for a lever of kind {kind} (only for a switch)")
    path: Any = fill(row["path"]) if isinstance(row.get("path"), str) else row.get("path")
    spec = _param(file, key, "path", path, registry)
    if spec.type != kind:
        raise _fail(file, key, "kind", kind, f"{spec.type}, the type of {path} in seeds/parameters.toml")
    also = [fill(p) for p in _paths(file, key, "also", row.get("also", []))]
    for other in also:
        if param("also", other).type != kind:
            raise _fail(file, key, "also", other, f"parameters of type {kind}, as {path} is")
    fixed = {fill(p): v for p, v in _table(file, key, "fixed", row.get("fixed", {})).items()}
    for other, value in fixed.items():
        _check_value(file, key, "fixed", other, value, param("fixed", other))
    low, high = spec.range if spec.range is not None else (0.0, 1.0)
    lo = _number(file, key, "min", row.get("min"), float(low))
    hi = _number(file, key, "max", row.get("max"), float(high))
    if kind in ("float", "int"):
        if not low <= lo < hi <= high:
            raise _fail(file, key, "min, max", [lo, hi], f"a range inside [{low:g}, {high:g}], the range of {path}")
        if "step" not in row:
            raise _fail(file, key, "step", None, "a step for the control (a number above 0)")
    step = _number(file, key, "step", row.get("step"), 1.0)
    if not 0 < step <= hi - lo or (kind == "int" and step != int(step)):
        raise _fail(
            file, key, "step", step, f"a {'whole ' if kind == 'int' else ''}number above 0, at most {hi - lo:g}"
        )
    return Lever(path=path, min=lo, max=hi, step=step, also=tuple(also), fixed=tuple(fixed.items()), **common)


@lru_cache(maxsize=4)
def _read(file: Path) -> tuple[Lever, ...]:
    """Every lever of ``file``, in its order, each ``{code}`` row once per country that has the
    parameter (in the registry's order)."""
    registry = load_registry()
    out: list[Lever] = []
    for key, row in read_toml(file).items():
        if CODE in key:
            template = row.get("path") or (row.get("sets") or [""])[0] if isinstance(row, dict) else ""
            if not isinstance(template, str) or CODE not in template:
                raise _fail(file, key, "path", template, f"a parameter path with {CODE}, as the lever's id has")
            head, _, tail = template.partition(CODE)
            codes = [p[len(head) : len(p) - len(tail)] for p in registry if p.startswith(head) and p.endswith(tail)]
            codes = [c for c in codes if c and "." not in c]
            if not codes:
                raise _fail(file, key, "path", template, "a parameter that exists for at least one country")
            out += [_lever(file, key, row, registry, code, code) for code in codes]
        else:
            out.append(_lever(file, key, row, registry, "", ""))
    ids = [lever.id for lever in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConfigError(f"{file}: lever id(s) {twice} declared twice; allowed: each lever once")
    return tuple(out)


def _file(file: Path | None) -> Path:
    return Path(file) if file is not None else evidence_dir() / LEVERS_FILE


def all(world: World | None = None, file: Path | None = None) -> list[Lever]:  # noqa: A001 (the module's word)
    """Every lever of ``seeds/levers.toml`` in its order; per-country rows expanded to the
    countries that have the parameter, in ``world``'s order and with its country names."""
    levers = list(_read(_file(file)))
    if world is None:
        return levers
    order = {code: i for i, code in enumerate(world.countries)}
    out: list[Lever] = []
    for lever in levers:
        if lever.country and lever.country not in order:
            continue
        if lever.country and out and out[-1].country and _row(out[-1]) == _row(lever):
            continue  # the row's countries are added at once, below
        if lever.country:
            row = [lv for lv in levers if _row(lv) == _row(lever) and lv.country in order]
            row.sort(key=lambda lv: order[lv.country])
            out += [_named(lv, world) for lv in row]
        else:
            out.append(lever)
    return out


def _row(lever: Lever) -> str:
    return lever.row


def _named(lever: Lever, world: World) -> Lever:
    """A per-country lever with the country's name in its label (read without a world, the
    label names the country by its code)."""
    name = world.country_labels.get(lever.country, lever.country)
    head, code, tail = lever.label.rpartition(lever.country)
    return replace(lever, label=f"{head}{name}{tail}" if code else lever.label)


def get(id_or_path: str, world: World | None = None, file: Path | None = None) -> Lever:
    """The lever with id (or parameter path) ``id_or_path``; a clear error otherwise."""
    levers = all(world, file)
    found = next((lv for lv in levers if lv.id == id_or_path), None)
    found = found or next((lv for lv in levers if lv.path == id_or_path), None)
    if found is None:
        ids = [lv.id for lv in levers]
        raise ConfigError(
            f"{_file(file)}: no lever '{id_or_path}'{suggest(id_or_path, ids)}; allowed: {', '.join(ids)}"
        )
    return found


def changes(values: Mapping[str, Any], world: World | None = None) -> dict[str, Any]:
    """The parameter changes of several levers' values (``{lever id or path: value}``)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        out.update(get(key, world).changes(value))
    return out


def of_parameter(path: str, world: World | None = None) -> list[Lever]:
    """The levers that set parameter ``path`` (itself, with it, or as a switch)."""
    return [lever for lever in all(world) if path in lever.paths]
