"""The teams of the role-play: which states each plays, the levers it may move, what it is scored on.

Everything here is read from ``seeds/roleplay.toml``: per kind of state (the controller, the
target, an ally, a third country) the decision rules a team takes over, its levers (ids of
``seeds/levers.toml``, where each lever is declared once: :mod:`decouple.levers`) and its
objectives (measures of the outcome registry: :mod:`decouple.measure`); per default team its
countries and its private briefing, with the passages it draws on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .. import levers as declared
from ..config import list_scenarios, read_toml
from ..errors import ConfigError
from ..levers import Lever, short_repr
from ..measure import Measure, Reader
from ..paths import evidence_dir
from ..world import World

ROLEPLAY_FILE = "roleplay.toml"
#: a team given on the command line: country codes joined by '+', e.g. NL+JP
TEAM_SPEC = re.compile(r"[A-Z]{2,4}(\+[A-Z]{2,4})*")
#: what the role-play calls the reference runs a measure is read against
REFERENCE_WORDS = {"baseline": "the open world"}
#: a team's control: a declared lever (the name the role-play used before levers were declared once)
LeverSpec = Lever


def measure_label(measure: Measure, world: World | None = None) -> str:
    """The registry's label of the measure, with the reference run in the role-play's words."""
    text = measure.label(world)
    if measure.against:
        text = text.replace(
            f"against {measure.against}", f"against {REFERENCE_WORDS.get(measure.against, measure.against)}"
        )
    return text


def role_measure(text: str, origin: str, world: World | None = None) -> Measure:
    """A measure of the role-play: checked against the registry, read every quarter (no year), and
    against a scenario that exists; a clear error otherwise."""
    measure = Measure.parse(text, origin).check(world, origin)
    if measure.year is not None:
        raise ConfigError(f"{origin}: measure '{text}'; allowed: no @YEAR (the role-play reads it every quarter)")
    if measure.against and measure.against not in {name for name, *_ in list_scenarios()}:
        raise ConfigError(
            f"{origin}: measure '{text}': no scenario '{measure.against}'; allowed: a scenario of scenarios/ "
            "(the open world is 'baseline')"
        )
    return measure


@dataclass(frozen=True)
class Objective:
    """What a team is scored on: a measure at the year the class has reached, times its scale."""

    measure: Measure  # e.g. revenue[NL+JP] against baseline per revenue[NL+JP]
    label: str  # the measure's label (the registry's)
    unit: str  # the measure's unit (the registry's), times the scale where it is not 1
    weight: float
    source: str
    scale: float = 1.0  # points: scale x the measure (100: a share in points)

    @property
    def key(self) -> str:
        return str(self.measure)

    def score(self, read: Reader, reference: Reader | None) -> float:
        """The objective's value from the class's run and the reference run (same seed), in its
        unit; 0 where the reference's divisor is 0 (nothing to compare with)."""
        try:
            return self.scale * self.measure.value(read, reference)
        except ZeroDivisionError:
            return 0.0


@dataclass(frozen=True)
class Team:
    id: str  # url-safe: us, cn, nl-jp
    label: str
    countries: tuple[str, ...]
    role: str
    levers: tuple[Lever, ...]
    objectives: tuple[Objective, ...]
    rules_off: tuple[str, ...]
    briefing: str
    role_title: str = ""
    extra: dict = field(default_factory=dict)

    def lever(self, path: str) -> Lever | None:
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
                f"--teams: team {short_repr(spec)}; allowed: country codes joined by '+', e.g. NL+JP "
                f"(countries: {', '.join(world.countries)})"
            )
        codes = tuple(spec.split("+"))
        for code in codes:
            if code not in world.countries:
                raise ConfigError(
                    f"--teams: team {short_repr(spec)}: unknown country {short_repr(code)}; "
                    f"allowed: {', '.join(world.countries)}"
                )
            if code in seen:
                raise ConfigError(f"--teams: country {code} is in two teams; each state has one team")
            seen.add(code)
        roles = {str(world.role[world.countries.index(c)]) for c in codes}
        if len(roles) > 1:
            raise ConfigError(
                f"--teams: team {short_repr(spec)} mixes kinds of state ({', '.join(sorted(roles))}); a team plays "
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
    file = evidence_dir() / ROLEPLAY_FILE
    role = str(world.role[world.countries.index(codes[0])])
    spec = data["roles"][role]
    rules_off = tuple(spec.get("rules_off", ()))
    levers: list[Lever] = []
    for key in spec["levers"]:
        if not isinstance(key, str):
            raise ConfigError(f"{file}: roles.{role}.levers: {key!r}; allowed: a lever id of seeds/levers.toml")
        for code in codes if "{code}" in key else (None,):
            try:
                lever = declared.get(_expand(key, world, codes, code), world)
            except ConfigError as exc:
                raise ConfigError(f"{file}: roles.{role}.levers: {exc}") from None
            rule = lever.ruled_by.removeprefix("adaptive.")
            if lever.ruled_by and rule not in rules_off:
                raise ConfigError(
                    f"{file}: roles.{role}: lever '{lever.id}' is decided by the rule {lever.ruled_by} while it is "
                    f"on; allowed: rules_off lists '{rule}' (the team takes the rule over)"
                )
            levers.append(lever)
    objectives = []
    for i, raw in enumerate(spec["objectives"]):
        origin = f"{file}: roles.{role}.objectives[{i}]"
        measure = role_measure(_expand(str(raw.get("measure", "")), world, codes), origin, world)
        scale = float(raw.get("scale", 1.0))
        unit = measure.unit(world)
        objectives.append(
            Objective(
                measure=measure,
                label=measure_label(measure, world),
                unit=unit if scale == 1.0 else f"{unit} × {scale:g}",
                weight=float(raw["weight"]),
                source=raw.get("source", ""),
                scale=scale,
            )
        )
    briefing = default_briefing(codes)
    if not briefing:  # in English here: the pages show it in theirs (decouple.play.words.briefing)
        from .words import BRIEFING_OF_ROLE

        briefing = BRIEFING_OF_ROLE.format(countries=", ".join(world.country_labels[c] for c in codes),
                                           title=spec["title"])  # fmt: skip
    label = " + ".join(world.country_labels[c].split(" (")[0] for c in codes)
    return Team(
        id="-".join(codes).lower(),
        label=label,
        countries=codes,
        role=role,
        levers=tuple(levers),
        objectives=tuple(objectives),
        rules_off=rules_off,
        briefing=briefing.strip(),
        role_title=spec["title"],
    )


def default_briefing(codes: tuple[str, ...]) -> str:
    """The briefing of the default team that plays ``codes`` (as seeds/roleplay.toml writes it,
    the catalogue's text), or '' when no default team plays them."""
    return next((t["briefing"] for t in _read()["teams"] if tuple(t["countries"]) == tuple(codes)), "")


def debrief_passages(world: World | None = None) -> list[dict]:
    """The indicators the debrief explains: each ``[[debrief]]`` row with its measure (checked),
    the measure's label and unit (the registry's), its key (the measure's text), mechanism and
    passage."""
    out = []
    for i, raw in enumerate(_read().get("debrief", [])):
        measure = role_measure(str(raw.get("measure", "")), f"{evidence_dir() / ROLEPLAY_FILE}: debrief[{i}]", world)
        out.append(
            {
                "key": str(measure),
                "measure": measure,
                "label": measure_label(measure, world),
                "unit": measure.unit(world),
                "mechanism": raw.get("mechanism", ""),
                "passage": raw.get("passage", ""),
            }
        )
    return out
