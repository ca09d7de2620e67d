"""The parameters: their registry, their pydantic models, and checked changes to them.

Every parameter is declared once, in ``seeds/parameters.toml``, with its type, role (policy
lever, uncertainty or constant), default, range, unit, meaning and source. From that registry
this module builds pydantic models (one per section, unknown keys forbidden, strict types, ranges
enforced, read-only once built), applies changes — typed values from Python
(``{"policy.fence": 0.8}``) or ``path=value`` strings from the command line — and turns any
validation failure into one message that names the file, the key, the value and what is allowed.
Scenario files, which hold parameter values, are read in :mod:`.scenarios`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from .errors import ConfigError, suggest
from .i18n import gettext as _
from .paths import evidence_dir
from .tomlfiles import read_toml

TYPES = ("float", "int", "bool", "sectors")
ROLES = ("lever", "uncertainty", "constant")
#: problems listed in one error message, at most
MAX_ERRORS = 20
#: the last quarter the evidence base backs: GDP growth and the sectors' positions are sourced or
#: projected to 2035 (seeds/countries.toml, seeds/sectors.toml; see ``time.steps`` in
#: seeds/parameters.toml). A run beyond it extrapolates, and the command line says so.
EVIDENCE_HORIZON = 2035.75


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
        """The values allowed, in words of the current language."""
        if self.type == "bool":
            return _("true or false")
        if self.type == "sectors":
            listed = ", ".join(sectors) if sectors else _("sector ids")
            return _('a list of sector ids ({listed}) or "all"').format(listed=listed)
        lo, hi = self.range or (float("-inf"), float("inf"))
        if self.type == "int":
            return _("an integer from {low:g} to {high:g} ({unit})").format(low=lo, high=hi, unit=self.unit)
        return _("a number from {low:g} to {high:g} ({unit})").format(low=lo, high=hi, unit=self.unit)


def _walk_registry(table: dict, prefix: str, file: Path, out: dict[str, ParamSpec]) -> None:
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if not isinstance(value, dict):
            raise ConfigError(_("{file}: entry '{path}' is not a table").format(file=file, path=path))
        if "type" in value:
            missing = [k for k in ("role", "default", "unit", "meaning", "source") if k not in value]
            if missing or value["type"] not in TYPES or value["role"] not in ROLES:
                raise ConfigError(
                    _(
                        "{file}: parameter '{path}' needs type ({types}), role ({roles}), default, unit, meaning and "
                        "source; missing {missing}"
                    ).format(file=file, path=path, types=", ".join(TYPES), roles=", ".join(ROLES), missing=missing)
                )
            rng = value.get("range")
            if value["type"] in ("float", "int") and (not isinstance(rng, list) or len(rng) != 2):
                raise ConfigError(
                    _("{file}: parameter '{path}' of type {type} needs range = [low, high]").format(
                        file=file, path=path, type=value["type"]
                    )
                )
            structural = bool(value.get("structural", False))
            if structural != (value["role"] == "constant"):
                raise ConfigError(
                    _(
                        "{file}: parameter '{path}': the structural parameters, and only they, have role 'constant'"
                    ).format(file=file, path=path)
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
                        _(
                            "{file}: parameter '{path}': plausible = {value}; allowed: [low, high] with low < high "
                            "inside its range {range}, and a plausible_source that says why"
                        ).format(file=file, path=path, value=shown(plausible), range=rng)
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
        raise ConfigError(
            _("role '{role}'{hint}; allowed: {allowed}").format(
                role=role, hint=suggest(role, ROLES), allowed=", ".join(ROLES)
            )
        )
    return {path: spec for path, spec in load_registry().items() if spec.role == role}


# ----------------------------------------------------------------------------- the parameter models


class Parameters(BaseModel):
    """Base of the parameter models: validated when built, read-only afterwards."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def __setattr__(self, name: str, value: Any) -> None:
        section = type(self).__name__.removeprefix("Params").strip("_").replace("_", ".")
        path = f"{section}.{name}" if section else name
        raise ConfigError(
            _(
                "parameters are read-only: '{path}' cannot be set to {value} in place; change it with "
                "model.set_params({{'{path}': {value}}}), which checks the value and applies it from the next step"
            ).format(path=path, value=shown(value))
        )

    def __delattr__(self, name: str) -> None:
        raise ConfigError(
            _(
                "parameters are read-only: '{name}' cannot be deleted; every parameter has a value (its default in "
                "seeds/parameters.toml)"
            ).format(name=name)
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
        where = f"[{group}]" if group else _("the top level")
        return _("{origin}: unknown key '{path}'{hint}; allowed keys in {where}: {allowed}").format(
            origin=origin, path=path, hint=suggest(names[-1], siblings), where=where, allowed=", ".join(siblings)
        )
    spec = registry.get(path)
    if spec is None:
        if isinstance(value, dict) or names and any(p.startswith(path + ".") for p in registry):
            return _("{origin}: key '{path}' = {value} must be a table of parameters").format(
                origin=origin, path=path, value=shown(value)
            )
        return f"{origin}: key '{path}' = {shown(value)}: {err['msg']}"
    problem = err["msg"].lower()  # pydantic's own words (English)
    if err["type"].endswith("_type") or err["type"] in ("model_type", "list_type"):
        problem = _("wrong type ({type})").format(type=type(value).__name__)
    elif err["type"] in ("greater_than_equal", "less_than_equal", "finite_number"):
        problem = _("out of range")
    elif err["type"] == "literal_error":
        problem = _("unknown sector {value}").format(value=shown(value))
        value = _lookup(raw, loc[:-1]) if isinstance(loc[-1], int) else value
    return _("{origin}: key '{path}' = {value} is {problem}; allowed: {allowed}. ({meaning})").format(
        origin=origin,
        path=path,
        value=shown(value),
        problem=problem,
        allowed=spec.allowed(sectors),
        meaning=spec.meaning,
    )


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
            lines.append(
                _("{origin}: ... and {n:,} more problems like these").format(origin=origin, n=len(errors) - MAX_ERRORS)
            )
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
            raise ConfigError(_("key '{path}': '{part}' is a parameter, not a section").format(path=path, part=g))
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
            _('--set value {value}: allowed: text such as 0.8, true, "all" or logic_chips,chip_tools').format(
                value=shown(text)
            )
        )
    if "\n" in text or "\r" in text:
        raise ConfigError(
            _("--set value {value}: one value on one line; give each parameter its own --set").format(value=shown(text))
        )
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
                raise ConfigError(
                    _("--set value {value}: no sector ids between the commas").format(value=shown(text))
                ) from None
            return parts
        return text
    except RecursionError:
        raise ConfigError(_("--set value {value}: arrays nested too deeply").format(value=shown(text))) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4,300 digits)
        raise ConfigError(
            _("--set value {value}: cannot be read as a number ({error})").format(value=shown(text), error=exc)
        ) from None
    return table["v"]


def parse_override(text: str) -> tuple[str, Any]:
    if not isinstance(text, str):
        raise ConfigError(
            _("--set {value}: expected the text KEY=VALUE, e.g. policy.fence=0.8").format(value=shown(text))
        )
    if "=" not in text:
        raise ConfigError(_("--set {value}: expected KEY=VALUE, e.g. --set policy.fence=0.8").format(value=shown(text)))
    path, value = text.split("=", 1)
    path = path.strip()
    if not path:
        raise ConfigError(_("--set {value}: the key before '=' is empty").format(value=shown(text)))
    return path, parse_value(value.strip())


def registry_entry(path: Any, origin: str, registry: dict[str, ParamSpec], hint: str) -> ParamSpec:
    """The registry's entry for the dotted ``path``, or an error from ``origin`` that suggests a
    near name and ends with ``hint`` (where the allowed keys are listed)."""
    if not isinstance(path, str) or path not in registry:
        raise ConfigError(
            _("{origin}: unknown key {key}{suggestion}; {hint}").format(
                origin=origin, key=shown(path), suggestion=suggest(path, registry), hint=hint
            )
        )
    return registry[path]


def apply_changes(params: BaseModel, changes: Mapping[str, Any], origin: str, sectors: tuple[str, ...]) -> BaseModel:
    """Validate ``changes`` ({dotted path: value}) against the registry and apply them to a copy
    of ``params``. Structural parameters cannot change once a run has started."""
    if not isinstance(changes, Mapping):
        raise ConfigError(
            _(
                "{origin}: changes must be a mapping of dotted paths to values, e.g. {{'policy.fence': 0.8}}; "
                "got {type}"
            ).format(origin=origin, type=type(changes).__name__)
        )
    registry = load_registry()
    raw = params.model_dump()
    for path, value in changes.items():
        spec = registry_entry(path, origin, registry, _("`decouple params` lists every key"))
        if spec.structural:
            raise ConfigError(
                _("{origin}: key '{path}' shapes the world at step 0 and cannot change during a run").format(
                    origin=origin, path=path
                )
            )
        set_path(raw, path, value)
    return validate_params(raw, origin, sectors)


def horizon_warning(start_year: float, steps: int) -> str | None:
    """A one-line warning when a run of ``steps`` quarters from ``start_year`` goes past
    :data:`EVIDENCE_HORIZON` (None when it does not)."""
    last = start_year + steps / 4.0
    if last <= EVIDENCE_HORIZON + 1e-9:
        return None
    return _(
        "the run goes to {last:g}, beyond the evidence's horizon ({horizon:g}, the end of 2035: the seeds project "
        "growth no further); what it shows after 2035 extrapolates trends no source backs"
    ).format(last=last, horizon=EVIDENCE_HORIZON)
