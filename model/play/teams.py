"""The teams of the role-play: which states each plays, the levers it may move, what it is scored on.

Everything here is read from ``seeds/roleplay.toml``: per kind of state (the controller, the
target, an ally, a third country) the decision rules a team takes over, its levers (parameters of
``seeds/parameters.toml``, so their ranges and validation are the registry's) and its objectives;
per default team its countries and its private briefing, with the passages it draws on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..config import load_registry, read_toml
from ..errors import ConfigError
from ..paths import evidence_dir
from ..world import World

ROLEPLAY_FILE = "roleplay.toml"
#: a team given on the command line: country codes joined by '+', e.g. NL+JP
TEAM_SPEC = re.compile(r"[A-Z]{2,4}(\+[A-Z]{2,4})*")


@dataclass(frozen=True)
class LeverSpec:
    """One control on a team's page: a parameter, or the yard (a set of sectors)."""

    path: str
    kind: str  # "float" or "sectors"
    label: str
    help: str
    min: float = 0.0
    max: float = 1.0
    step: float = 0.05
    also: tuple[str, ...] = ()  # parameters that take the same value (the yard's FDPR, ...)
    also_fixed: tuple[tuple[str, Any], ...] = ()  # parameters set with it, to fixed values

    def changes(self, value: Any) -> dict[str, Any]:
        """The parameter changes a value of this lever makes."""
        out = {self.path: value}
        out.update({p: value for p in self.also})
        out.update(dict(self.also_fixed))
        return out

    def check(self, value: Any, sectors: tuple[str, ...]) -> Any:
        """The value, checked against this lever's range; a clear error otherwise."""
        if self.kind == "sectors":
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise ConfigError(f"lever {self.path}: {value!r}; allowed: a list of sector ids")
            unknown = [s for s in value if s not in sectors]
            if unknown:
                raise ConfigError(f"lever {self.path}: unknown sector(s) {unknown}; allowed: {', '.join(sectors)}")
            return [s for s in sectors if s in value]  # the world's order, no repeats
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ConfigError(f"lever {self.path}: {value!r}; allowed: a number from {self.min:g} to {self.max:g}")
        if not self.min - 1e-9 <= value <= self.max + 1e-9:
            raise ConfigError(f"lever {self.path}: {value:g} is out of range; allowed: {self.min:g} to {self.max:g}")
        return float(value)

    def public(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "label": self.label,
            "help": self.help,
            "min": self.min,
            "max": self.max,
            "step": self.step,
        }


@dataclass(frozen=True)
class Objective:
    """What a team is scored on: an observation at the round's end against the open world."""

    key: str  # an observation of :func:`decouple.play.game.observe`
    label: str
    unit: str
    weight: float
    source: str
    scale: float = 1.0  # points: scale × (value − open world's)
    percent: bool = False  # percent: 100 × (value / open world's − 1)
    of_gdp: bool = False  # welfare: 100 × (value − open world's) / open world's GDP of the same countries

    def score(self, value: float, open_value: float, open_gdp: float = 0.0) -> float:
        """The objective's value against the open world, in its unit."""
        if self.percent:
            return 100.0 * (value / open_value - 1.0) if open_value else 0.0
        if self.of_gdp:
            return 100.0 * (value - open_value) / open_gdp if open_gdp else 0.0
        return self.scale * (value - open_value)


@dataclass(frozen=True)
class Team:
    id: str  # url-safe: us, cn, nl-jp
    label: str
    countries: tuple[str, ...]
    role: str
    levers: tuple[LeverSpec, ...]
    objectives: tuple[Objective, ...]
    rules_off: tuple[str, ...]
    briefing: str
    role_title: str = ""
    extra: dict = field(default_factory=dict)

    def lever(self, path: str) -> LeverSpec | None:
        return next((lever for lever in self.levers if lever.path == path), None)


@lru_cache(maxsize=1)
def _read() -> dict:
    path = evidence_dir() / ROLEPLAY_FILE
    return read_toml(path)


def default_team_specs() -> list[str]:
    return ["+".join(t["countries"]) for t in _read()["teams"]]


def parse_teams(text: str | None, world: World) -> list[tuple[str, ...]]:
    """Teams from ``US,CN,NL+JP``: each a tuple of country codes of one kind; the default teams
    when ``text`` is None. Clear errors name the team, the code and what is allowed."""
    specs = default_team_specs() if text is None else [s.strip() for s in str(text).split(",") if s.strip()]
    if not specs:
        raise ConfigError("--teams: no team given; e.g. --teams US,CN,NL+JP,KR+TW,EU,IN+VN")
    seen: set[str] = set()
    teams = []
    for spec in specs:
        if not TEAM_SPEC.fullmatch(spec):
            raise ConfigError(
                f"--teams: team {spec!r}; allowed: country codes joined by '+', e.g. NL+JP "
                f"(countries: {', '.join(world.countries)})"
            )
        codes = tuple(spec.split("+"))
        for code in codes:
            if code not in world.countries:
                raise ConfigError(
                    f"--teams: team {spec!r}: unknown country {code!r}; allowed: {', '.join(world.countries)}"
                )
            if code in seen:
                raise ConfigError(f"--teams: country {code} is in two teams; each state has one team")
            seen.add(code)
        roles = {str(world.role[world.countries.index(c)]) for c in codes}
        if len(roles) > 1:
            raise ConfigError(
                f"--teams: team {spec!r} mixes kinds of state ({', '.join(sorted(roles))}); a team plays "
                "states of one kind (allies together, third countries together)"
            )
        teams.append(codes)
    return teams


def _expand(text: str, world: World, codes: tuple[str, ...], code: str | None = None) -> str:
    out = text.replace("{codes}", "+".join(codes))
    if code is not None:
        out = out.replace("{code}", code).replace("{label}", world.country_labels.get(code, code))
    return out


def build_team(codes: tuple[str, ...], world: World) -> Team:
    """A team for ``codes``: its role's levers (one per country where the lever names a country)
    and objectives, and the briefing of the default team with the same countries (else the
    role's general briefing)."""
    data = _read()
    registry = load_registry()
    role = str(world.role[world.countries.index(codes[0])])
    spec = data["roles"][role]
    levers: list[LeverSpec] = []
    for raw in spec["levers"]:
        for code in codes if "{code}" in raw["path"] else (None,):
            path = _expand(raw["path"], world, codes, code)
            if path not in registry:
                raise ConfigError(
                    f"{evidence_dir() / ROLEPLAY_FILE}: lever {path!r} is not a parameter of seeds/parameters.toml"
                )
            reg = registry[path]
            kind = "sectors" if reg.type == "sectors" else "float"
            lo, hi = reg.range if reg.range else (0.0, 1.0)
            levers.append(
                LeverSpec(
                    path=path,
                    kind=kind,
                    label=_expand(raw["label"], world, codes, code),
                    help=raw.get("help", ""),
                    min=float(raw.get("min", lo)),
                    max=float(raw.get("max", hi)),
                    step=float(raw.get("step", 0.05)),
                    also=tuple(raw.get("also", ())),
                    also_fixed=tuple(raw.get("also_fixed", {}).items()),
                )
            )
    objectives = []
    for raw in spec["objectives"]:
        key = _expand(raw["outcome"], world, codes)
        objectives.append(
            Objective(
                key=key,
                label=raw["label"],
                unit=raw["unit"],
                weight=float(raw["weight"]),
                source=raw.get("source", ""),
                scale=float(raw.get("scale", 1.0)),
                percent=bool(raw.get("percent", False)),
                of_gdp=key.startswith("welfare_gdp_"),
            )
        )
    briefing = next((t["briefing"] for t in data["teams"] if tuple(t["countries"]) == codes), "")
    if not briefing:
        briefing = (
            f"You play {', '.join(world.country_labels[c] for c in codes)}, {spec['title']}. "
            "Your interests are those of the default team of your kind: ask the facilitator for its briefing."
        )
    label = " + ".join(world.country_labels[c].split(" (")[0] for c in codes)
    return Team(
        id="-".join(codes).lower(),
        label=label,
        countries=codes,
        role=role,
        levers=tuple(levers),
        objectives=tuple(objectives),
        rules_off=tuple(spec.get("rules_off", ())),
        briefing=briefing.strip(),
        role_title=spec["title"],
    )


def debrief_passages() -> list[dict]:
    """(observation, label, mechanism, passage) of the indicators the debrief explains."""
    return list(_read().get("debrief", []))
