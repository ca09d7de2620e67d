"""One class's game: rounds, the teams' choices, the path the class plays, what-ifs, scores, news.

The class's path is a scenario: the preset (its scripts and decision rules) plus one dated event
per round that sets every team's levers to its choice and turns off the decision rules of the
states the teams play (from the first round on; before it, history is the preset's). The class's
model goes on from round to round, each round's event scheduled on it as the scenario file would
declare it (:meth:`DecouplingModel.schedule`); a what-if goes on from a copy of it. Both give the
numbers ``decouple run`` gives for the exported scenario file from its start (tested to the bit).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .. import levers as levers_declared
from .. import outcomes, projection
from ..config import Event, Scenario, list_scenarios, load_scenario
from ..errors import ConfigError, suggest
from ..evaluate import Point, build
from ..i18n import N_, current, language
from ..i18n import gettext as _
from ..levers import short_repr
from ..measure import Measure, Reader
from ..model import DecouplingModel, check_seed
from ..sweeps.experiment import toml_value
from ..world import World, shared_world
from . import words
from .controls import lever_html
from .teams import Team, build_team, debrief_passages, default_briefing, parse_teams, role_measure
from .words import Joined, Say, say

#: the runs the debrief sets the class's path against (each when present)
REFERENCES = ("baseline", "selective_decoupling", "full_decoupling", "coopetition", "precise")
#: outcomes every observation keeps (besides the regional families of REGIONAL)
OBSERVED = (
    "gap_small_yard",
    "gap_controlled",
    "cn_self_sufficiency",
    "compliance_small_yard",
    "countermeasures",
    "partner_ties",
    "third_lean",
    "collaboration_mean",
    "yard_size",
    "political_shocks",
)
#: outcome families every observation keeps for every region, so that any team's objectives (a
#: country, or a sum of countries such as ``revenue[NL+JP]``) can be read from it
REGIONAL = ("revenue", "gdp", "welfare_usd")
#: the indicators every page charts (the class's path, the what-if and the references)
CHARTED = (
    "gap_small_yard",
    "cn_self_sufficiency",
    "compliance_small_yard",
    "revenue[US]",
    "welfare_usd[WORLD] against baseline per gdp[WORLD]",
)
#: a team's public statement, at most
STATEMENT_CHARS = 160


#: per world (its countries and sectors): the outcomes observed and the charted measures
_PER_WORLD: dict[tuple, tuple[tuple[outcomes.Outcome, ...], tuple[Measure, ...]]] = {}


def _per_world(world: World) -> tuple[tuple[outcomes.Outcome, ...], tuple[Measure, ...]]:
    key = (world.countries, world.sectors)
    if key not in _PER_WORLD:
        registry, families = outcomes.registry(world), outcomes.families(world)
        kept = tuple(registry[name] for name in OBSERVED)
        kept += tuple(families[f][region] for f in REGIONAL for region in families[f])
        measures = tuple(role_measure(text, "decouple.play.game.CHARTED", world) for text in CHARTED)
        _PER_WORLD[key] = (kept, measures)
    return _PER_WORLD[key]


def observed_names(world: World) -> tuple[str, ...]:
    """The outcomes :func:`observe` keeps: OBSERVED and each region of the REGIONAL families."""
    return tuple(o.name for o in _per_world(world)[0])


def charted_measures(world: World) -> tuple[Measure, ...]:
    """The measures of CHARTED, checked."""
    return _per_world(world)[1]


def observe(model: DecouplingModel) -> dict[str, float]:
    """What the role-play keeps of one quarter: the outcomes of :func:`observed_names`, and the year."""
    out = {o.name: float(o.compute(model)) for o in _per_world(model.world)[0]}
    out["year"] = model.year
    return out


def column(obs: dict[str, np.ndarray], name: str, world: World) -> np.ndarray:
    """An outcome's quarterly values from observations: kept as it is, or the sum of its regions
    (``revenue[NL+JP]``), added in the order the registry's sum adds them."""
    if name in obs:
        return obs[name]
    outcome = outcomes.resolve(name, world)
    if outcome.name in obs:
        return obs[outcome.name]
    if outcome.members:
        return sum((obs[member] for member in outcome.members), np.zeros(len(obs["year"])))
    raise ConfigError(
        f"outcome '{name}' is not kept by the role-play; allowed: {', '.join(OBSERVED)} and the regions of "
        f"{', '.join(REGIONAL)}"
    )


def simulate(scenario: Scenario, seed: int, world: World, until: float | None = None):
    """Run ``scenario`` from its start to ``until`` (a decimal year; default its end): the model
    and the observations of every quarter, as columns."""
    model = build(Point(scenario, seed), world)
    return model, proceed(model, {key: np.array([value]) for key, value in observe(model).items()}, until)


def proceed(model: DecouplingModel, history: dict[str, np.ndarray], until: float | None = None):
    """Step ``model`` on to ``until`` (a decimal year; default the run's end): ``history`` (its
    observations so far, as columns) with those of the quarters stepped appended (the engine
    the classroom app's projection shares, :func:`decouple.projection.proceed`)."""
    return projection.proceed(model, history, observe, until)


@lru_cache(maxsize=8)
def _reference(name: str, seed: int, steps: int) -> dict[str, np.ndarray]:
    world = shared_world()
    scenario = load_scenario(name, sectors=world.sectors, changes={"time.steps": steps})
    return simulate(scenario, seed, world)[1]


def with_events(scenario: Scenario, events: list[Event]) -> Scenario:
    """The scenario with the class's events after its own (the order ``load_scenario`` gives a
    file that extends it)."""
    return dataclasses.replace(scenario, events=sorted(list(scenario.events) + list(events), key=lambda e: e.year))


class RoundAlreadyAdvanced(ConfigError):
    """An advance that names a round other than the open one (a repeated request): a conflict
    with the game's state, which is left as it was."""


class GameOver(ConfigError):
    """A request the game cannot take because it is over (a conflict with its state: 409)."""


def _finite_setting(flag: str, value: Any, allowed: str) -> float:
    """A numeric setting as a float, checked to be a finite number before any arithmetic on it."""
    try:
        number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ConfigError(f"{flag} {short_repr(value)}: not a finite number; allowed: {allowed}")
    return number


def check_statement(statement: Any) -> str:
    """A team's public statement as the news shows it: text on one line (runs of spaces, line
    breaks and control characters each made one space), at most STATEMENT_CHARS characters; a
    clear error for anything else (a number, a list, a longer text)."""
    if not isinstance(statement, str):
        raise ConfigError(
            _("statement: {value}; allowed: a text of at most {most} characters").format(
                value=short_repr(statement), most=STATEMENT_CHARS
            )
        )
    if len(statement) > 8 * STATEMENT_CHARS:  # refused before any work on it
        raise ConfigError(_(TOO_LONG).format(length=f"{len(statement):,}", most=STATEMENT_CHARS))
    text = " ".join("".join(c if c.isprintable() else " " for c in statement).split())
    if len(text) > STATEMENT_CHARS:
        raise ConfigError(_(TOO_LONG).format(length=f"{len(text):,}", most=STATEMENT_CHARS))
    return text


TOO_LONG = N_("statement: {length} characters; allowed: a text of at most {most} characters")


@dataclass
class NewsItem:
    round: int
    year: float
    kind: str  # round, move, statement, rule, shock
    text: str  # in English (the export's news.json)
    team: str = ""
    said: Say | None = None  # the sentence, rendered in the reader's language when shown

    def public(self) -> dict:
        """The item as the pages show it, in the current language."""
        text = words.render(self.said) if self.said is not None and not words.english() else self.text
        return {"round": self.round, "year": self.year, "kind": self.kind, "text": text, "team": self.team}


@dataclass
class Game:
    """A class's game. Not thread-safe by itself: the server holds its lock around every call."""

    preset: str = "adaptive_rivalry"
    seed: int = 0
    team_spec: str | None = None
    round_years: float = 2.0
    start_year: float = 2024.0
    world: World = field(default_factory=shared_world)

    def __post_init__(self) -> None:
        known = [name for name, *_ in list_scenarios()]
        if self.preset not in known:
            raise ConfigError(
                f"--preset {short_repr(self.preset)}{suggest(self.preset, known)}: unknown; allowed: {', '.join(known)}"
            )
        self.seed = check_seed(self.seed, "--seed")
        self.teams: list[Team] = [build_team(codes, self.world) for codes in parse_teams(self.team_spec, self.world)]
        self.by_id = {t.id: t for t in self.teams}
        self.scenario = load_scenario(self.preset, sectors=self.world.sectors)
        t = self.scenario.params.time
        self.first_year = float(t.start_year)
        self.end_year = self.first_year + t.steps / 4.0  # the end of the last quarter
        self.round_years = _finite_setting("--round-years", self.round_years, "whole quarters from 0.25 to 10")
        self.start_year = _finite_setting("--start-year", self.start_year, "the start of a quarter (e.g. 2024)")
        # the range first: a quarter count of a huge year overflows
        if not 0.25 <= self.round_years <= 10 or not self.round_years * 4 == int(self.round_years * 4):
            raise ConfigError(
                f"--round-years {self.round_years:g}; allowed: whole quarters from 0.25 to 10 (e.g. 1, 1.5, 2)"
            )
        quarters = (self.start_year - self.first_year) * 4
        if not self.first_year <= self.start_year < self.end_year - 0.25 or not quarters == int(quarters):
            raise ConfigError(
                f"--start-year {self.start_year:g}; allowed: the start of a quarter from {self.first_year:g} "
                f"to {self.end_year - 0.5:g} (the preset runs {self.first_year:g}-{self.end_year:g})"
            )
        late = [e.year for e in self.scenario.events if e.year >= self.start_year]
        if late:
            raise ConfigError(
                f"--start-year {self.start_year:g}: preset {self.preset} has scripted events up to {max(late):g}; "
                f"the class takes over after them (allowed: --start-year above {max(late):g})"
            )
        self.round_starts: list[float] = []
        year = self.start_year
        while year < self.end_year - 1e-9:
            self.round_starts.append(year)
            year += self.round_years
        self.round = 0  # the open round (== len(round_starts) when the game is over)
        self.events: list[Event] = []
        self.moves: list[dict] = []
        self.news: list[NewsItem] = []
        self.score_history: list[dict] = []
        self.submitted: dict[str, dict[str, Any]] = {}
        self.statements: dict[str, str] = {}
        self.version = 0
        self._debrief: tuple[int, dict] | None = None
        self._charted_names: tuple[str, ...] | None = None
        self._open: dict | None = None
        self._objective_texts: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.model, self.obs = simulate(self.scenario, self.seed, self.world, until=self.start_year)
        self.choices: dict[str, dict[str, Any]] = {t.id: self._current_values(t) for t in self.teams}
        self.played = {c for t in self.teams for c in t.countries}
        # third countries no team plays hold the lean they have reached when the third-country
        # team's play turns the hedging rule off (for all of them: it is one switch)
        self.held: dict[str, Any] = {}
        if any("third_hedging" in t.rules_off for t in self.teams):
            for i in self.world.third:
                code = self.world.countries[int(i)]
                if code not in self.played:
                    self.held[f"third.declared_lean.{code}"] = round(float(self.model.relations.lean[int(i)]), 6)
        self._news(
            "round",
            say(
                N_(
                    "{start}-{end} went as the preset ({title}) played it; from now on the teams decide. "
                    "Round 1 ({span}) is open."
                ),
                start=f"{self.first_year:g}",
                end=f"{self.start_year:g}",
                title=words.word(self.scenario.title),
                span=self._span(0),
            ),
        )

    # ------------------------------------------------------------------ state
    def _span(self, r: int) -> str:
        start = self.round_starts[r]
        return f"{start:g}-{min(start + self.round_years, self.end_year):g}"

    @property
    def over(self) -> bool:
        return self.round >= len(self.round_starts)

    @property
    def year(self) -> float:
        """The year the class's path has reached."""
        return float(self.obs["year"][-1])

    def _current_values(self, team: Team) -> dict[str, Any]:
        """Each lever's value where the preset has left it at the start year (a third country's
        lean: the lean it holds then, on the lever's steps)."""
        params = self.model.params
        out: dict[str, Any] = {}
        for lever in team.levers:
            value = lever.read(params)
            if lever.path.startswith("third.declared_lean."):
                code = lever.path.rsplit(".", 1)[1]
                lean = float(self.model.relations.lean[self.world.countries.index(code)])
                value = round(round(lean / lever.step) * lever.step, 6)
            out[lever.path] = value
        return out

    def _news(self, kind: str, said: Say, team: str = "") -> None:
        year = self.round_starts[self.round] if not self.over else self.end_year
        with language("en"):
            text = words.render(said)
        self.news.append(NewsItem(self.round + 1, year, kind, text, team, said))
        self.version += 1

    def _team_name(self, team: Team):
        """A team's name, rendered in the reader's language."""
        return lambda: words.team_label(team, self.world)

    def _state_name(self, code: str):
        """A state a decision rule moved, rendered in the reader's language."""
        return lambda: words.state(code, self.world)

    def _decided(self, lever: str):
        """What a decision rule moved, in the news: its path or word in English; in another
        language the label of the lever of that path, or the word's translation."""
        try:
            declared: Any = levers_declared.get(lever, self.world)
        except ConfigError:
            declared = None

        def name() -> str:
            if words.english():
                return lever
            if declared is not None:
                return words.lever_label(declared, self.world)
            return _(words.DECIDED[lever]) if lever in words.DECIDED else lever

        return name

    def _describe(self, lever: Any, old: Any, new: Any) -> Say:
        world = self.world

        def sector(code: str):
            """A sector in the news: its id in English (as the news has always said), its name otherwise."""
            return lambda: code if words.english() else words.sector(code, world)

        return _describe(lambda: words.lever_label(lever, world), old, new, sector)

    # ------------------------------------------------------------------ choices
    def check_choice(self, team_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """The team's full choice with ``values`` applied, each value checked against its lever
        and the whole validated by the registry; a clear error otherwise."""
        team = self.by_id[team_id]
        if not isinstance(values, dict):
            raise ConfigError(
                _("choice: {value}; allowed: an object of lever paths and values").format(value=short_repr(values))
            )
        choice = dict(self.choices[team_id])
        for path, value in values.items():
            lever = team.lever(path) if isinstance(path, str) else None
            if lever is None:
                owner = next((t for t in self.teams if isinstance(path, str) and t.lever(path)), None)
                yours = ", ".join(lv.path for lv in team.levers)
                lever_name, name = short_repr(path), words.team_label(team, self.world)
                raise PermissionError(
                    _("lever {lever} is not one of {team}'s (it belongs to {owner}); yours: {yours}").format(
                        lever=lever_name, team=name, owner=words.team_label(owner, self.world), yours=yours
                    )
                    if owner
                    else _("lever {lever} is not one of {team}'s; yours: {yours}").format(
                        lever=lever_name, team=name, yours=yours
                    )
                )
            choice[path] = lever.check(value, self.world.sectors)
        self.scenario.with_changes(self._changes({**self.choices, team_id: choice}), f"team {team.label}")
        return choice

    def submit(self, team_id: str, values: dict[str, Any], statement: str = "") -> dict[str, Any]:
        """Record the team's choice for the open round (revealed when the round is advanced) and
        its public statement; nothing is recorded if either is refused."""
        if self.over:
            raise GameOver(_("the game is over: no more choices"))
        text = check_statement(statement)
        choice = self.check_choice(team_id, values)
        self.submitted[team_id] = choice
        if text:
            self.statements[team_id] = text
        self.version += 1
        return choice

    def _changes(self, choices: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The parameters one round's event sets: every team's levers, and the decision rules of
        the states the teams play turned off."""
        out: dict[str, Any] = dict(self.held)
        for team in self.teams:
            out.update({f"adaptive.{rule}": False for rule in team.rules_off})
            for lever in team.levers:
                out.update(lever.changes(choices[team.id][lever.path]))
        return out

    def _event(self, r: int, choices: dict[str, dict[str, Any]]) -> Event:
        return Event(
            self.round_starts[r],
            self._changes(choices),
            note=f"role-play round {r + 1}: the class's choices",
            id=f"round_{r + 1}",
        )

    # ------------------------------------------------------------------ what-if
    def projection_job(self, team_id: str, draft: dict[str, Any]) -> tuple:
        """What a what-if needs, as plain data for a worker process: this team's draft, the
        others' revealed choices (those of the rounds played) held, to the end of the run. What
        another team has submitted for the open round is secret until the round is advanced: a
        what-if never uses it, so the answer is the same whether it has submitted or not."""
        if self.over:
            raise GameOver(_("the game is over: nothing left to project"))
        choices = {**self.choices, team_id: self.check_choice(team_id, draft)}
        events = [*self.events, self._event(self.round, choices)]
        return (self.preset, self.seed, [(e.year, e.changes, e.note, e.id) for e in events])

    def charted(self, columns: dict[str, np.ndarray]) -> dict:
        """The charted indicators of a path (the class's or a projection) from a year before the
        class took over, and of the open world from then to the end."""
        n = len(columns["year"])
        first = max(int(round((self.start_year - self.first_year) * 4)) - 4, 0)
        measures = charted_measures(self.world)
        if self._open is None:  # the open world's: the same for every path of the game
            base = _reference("baseline", self.seed, self.scenario.params.time.steps)
            self._open = {
                "open_years": _rounded(base["year"][first:], 2),
                "open": {str(m): _rounded(self.shown(base, m)[first:]) for m in measures},
            }
        return {
            "years": _rounded(columns["year"][first:n], 2),
            "series": {str(m): _rounded(self.shown(columns, m)[first:n]) for m in measures},
            "open_years": list(self._open["open_years"]),
            "open": {key: list(values) for key, values in self._open["open"].items()},
        }

    def _reader(self, columns: dict[str, np.ndarray], at: int | None = None) -> Reader:
        """Reads an outcome's values (quarter ``at``, or every quarter) from a run's observations;
        the role-play's measures are read every quarter, so the year is always None. Every quarter
        is a copy: arithmetic on what the reader gives must never write to the observations."""
        if at is None:
            n = len(columns["year"])
            return lambda name, year: column(columns, name, self.world)[:n].copy()  # type: ignore[return-value]
        return lambda name, year: float(column(columns, name, self.world)[at])

    def _against(self, measure: Measure) -> dict[str, np.ndarray] | None:
        """The reference run a measure is read against (same seed), if any."""
        if not measure.against:
            return None
        return _reference(measure.against, self.seed, self.scenario.params.time.steps)

    def shown(self, columns: dict[str, np.ndarray], measure: Measure) -> np.ndarray:
        """A measure as the screens show it, quarter by quarter: an outcome as it is, or (welfare
        against the open world per GDP) its change against the reference run with the same seed,
        in % of that run's value of the ``per`` outcome."""
        reference = self._against(measure)
        n = len(columns["year"])
        if reference is None:
            return np.asarray(measure.value(self._reader(columns)), dtype=float)
        ref = {key: values[:n] for key, values in reference.items()}
        return np.asarray(measure.value(self._reader(columns), self._reader(ref)), dtype=float)

    def team_view(self, team_id: str, columns: dict[str, np.ndarray]) -> dict:
        """A team's objectives at the path's end, and the charted indicators, against the open world."""
        return self._view(team_id, columns, columns, len(columns["year"]) - 1)

    def whatif_view(self, team_id: str, result: dict[str, dict[str, np.ndarray]]) -> dict:
        """:meth:`team_view` of a what-if from :func:`run_whatif`'s result (the same view: tested)."""
        columns = result["columns"]
        return self._view(team_id, columns, result["last"], 0, len(columns["year"]) - 1)

    def _view(self, team_id: str, columns: dict, last: dict, at: int, reference_at: int | None = None) -> dict:
        view = self.charted(columns)
        view["objectives"] = self._objectives(self.by_id[team_id], last, at, reference_at)
        view["total"] = round(sum(o["points"] for o in view["objectives"]), 3)
        return view

    def localised(self, team_id: str, view: dict) -> dict:
        """A team view (:meth:`team_view`, in English: a what-if's is kept for every language)
        with its objectives' labels and units in the current language."""
        if words.english():
            return view
        return {**view, "objectives": self._localised_objectives(self.by_id[team_id], view["objectives"])}

    def _localised_objectives(self, team: Team, objectives: list[dict]) -> list[dict]:
        if words.english():
            return objectives
        key = (team.id, current())
        texts = self._objective_texts.get(key)
        if texts is None:  # made once per team and language: a what-if's answer only looks them up
            texts = self._objective_texts[key] = [words.objective_text(o, self.world) for o in team.objectives]
        return [{**o, "label": label, "unit": unit} for o, (label, unit) in zip(objectives, texts, strict=True)]

    def localised_scores(self, scores: dict[str, dict]) -> dict[str, dict]:
        """Scores (:meth:`scores`, in English) with the teams' and objectives' words in the current language."""
        if words.english():
            return scores
        return {
            team_id: {
                **s,
                "label": words.team_label(self.by_id[team_id], self.world),
                "objectives": self._localised_objectives(self.by_id[team_id], s["objectives"]),
            }
            for team_id, s in scores.items()
        }

    def charted_names(self) -> tuple[str, ...]:
        """The observed outcomes :meth:`charted` reads from a path's columns (and ``year``):
        what a what-if observes every quarter (:func:`run_whatif`). Traced once, on the class's
        observations."""
        if self._charted_names is None:
            traced = _Traced(self.obs)
            self.charted(traced)
            self._charted_names = tuple(sorted(traced.read))
        return self._charted_names

    def _objectives(self, team: Team, obs: dict, at: int, reference_at: int | None = None) -> list[dict]:
        """The team's objectives read at quarter ``at`` of ``obs``, against the reference runs at
        quarter ``reference_at`` (the same quarter when None)."""
        reference_at = at if reference_at is None else reference_at
        out = []
        for objective in team.objectives:
            reference = self._against(objective.measure)
            score = objective.score(self._reader(obs, at), self._reader(reference, reference_at) if reference else None)
            out.append(
                {
                    "label": objective.label,
                    "unit": objective.unit,
                    "value": round(score, 3),
                    "weight": objective.weight,
                    "points": round(objective.weight * score, 3),
                    "source": objective.source,
                }
            )
        return out

    # ------------------------------------------------------------------ rounds
    def advance(self, expected_round: int | None = None) -> dict:
        """Close the open round: take every team's submitted choice (or its last), run the class's
        path to the round's end, score, and open the next round.

        ``expected_round`` names the round to close, numbered as the pages show it (``public()``'s
        ``round``, from 1): if another round is open, :class:`RoundAlreadyAdvanced` is raised and
        nothing happens, so a request sent twice (a retry, a double click) advances one round."""
        if expected_round is not None:
            if isinstance(expected_round, bool) or not isinstance(expected_round, int):
                raise ConfigError(
                    _("advance: round {value}; allowed: the number of the open round, {open}").format(
                        value=short_repr(expected_round), open=self.round + 1
                    )
                )
            if expected_round != self.round + 1:
                now = _("the game is over") if self.over else _("round {n} is open").format(n=self.round + 1)
                raise RoundAlreadyAdvanced(
                    _(
                        "advance: round {value} asked, but {now}; nothing was advanced "
                        "(allowed: round {open}, the open one)"
                    ).format(value=short_repr(expected_round), now=now, open=self.round + 1)
                )
        if self.over:
            raise GameOver(_("the game is over: nothing to advance"))
        started = time.perf_counter()
        r = self.round
        start = self.round_starts[r]
        end = min(start + self.round_years, self.end_year)
        holding: list[str] = []
        for team in self.teams:
            new = self.submitted.get(team.id, self.choices[team.id])
            moved = [p for p in new if new[p] != self.choices[team.id][p]]
            for path in moved:
                self.moves.append(
                    {"round": r + 1, "year": start, "team": team.label, "lever": path,
                     "from": self.choices[team.id][path], "to": new[path]}
                )  # fmt: skip
            if moved:
                described = [self._describe(team.lever(p), self.choices[team.id][p], new[p]) for p in moved]
                said = say(N_("{team}: {moves}"), team=self._team_name(team), moves=Joined(described, "; "))
                self._news("move", said, team.id)
            else:
                holding.append(self._team_name(team))
            if team.id in self.statements:
                statement = self.statements[team.id]
                said = say(N_("{team} announces: {statement}"), team=self._team_name(team), statement=statement)
                self._news("statement", said, team.id)
            self.choices[team.id] = new
        if holding:
            self._news("move", say(N_("No change: {teams}"), teams=holding))
        self.events.append(self._event(r, self.choices))
        shocks_before = float(self.obs["political_shocks"][-1])
        self.model.schedule(self.events[-1])
        self.obs = proceed(self.model, self.obs, until=end)
        for decision in self.model.decisions:
            if start - 1e-9 <= decision.year < end - 1e-9 and decision.state not in self.played:
                self._news(
                    "rule",
                    say(
                        N_("{state} (by its rule): {lever} → {value}"),
                        state=self._state_name(decision.state),
                        lever=self._decided(decision.lever),
                        value=str(decision.value),
                    ),
                )
        shocks = float(self.obs["political_shocks"][-1]) - shocks_before
        if shocks > 0:
            self._news(
                "shock",
                say(
                    N_("{shocks} political shock(s) in {start}-{end} chilled trust and collaboration"),
                    shocks=f"{shocks:g}",
                    start=f"{start:g}",
                    end=f"{end:g}",
                ),
            )
        self.score_history.append({"round": r + 1, "year": end, "scores": self.scores()})
        self.submitted.clear()
        self.statements.clear()
        self.round += 1
        if self.over:
            self._news("round", say(N_("The game is over at {year}. Time for the debrief."), year=f"{end:g}"))
        else:
            self._news("round", say(N_("Round {n} ({span}) is open."), n=self.round + 1, span=self._span(self.round)))
        return {"round": r + 1, "year": end, "seconds": time.perf_counter() - started}

    def scores(self) -> dict[str, dict]:
        """Each team's objectives at the year the class has reached, against the open world (in
        English: :meth:`localised_scores` gives them in the reader's language)."""
        at = len(self.obs["year"]) - 1
        out = {}
        for team in self.teams:
            objectives = self._objectives(team, self.obs, at)
            out[team.id] = {
                "label": team.label,
                "objectives": objectives,
                "total": round(sum(o["points"] for o in objectives), 3),
            }
        return out

    # ------------------------------------------------------------------ views
    def public(self) -> dict:
        """What every screen shows: round, timer-free state, news, scores, who has submitted (in
        the current language)."""
        world = self.world
        return {
            "version": self.version,
            "preset": self.preset,
            "title": words.scenario_title(self.scenario.title),
            "seed": self.seed,
            "round": self.round + 1,
            "rounds": len(self.round_starts),
            "over": self.over,
            "span": self._span(self.round) if not self.over else "",
            "year": self.year,
            "teams": [
                {"id": t.id, "label": words.team_label(t, world), "submitted": t.id in self.submitted}
                for t in self.teams
            ],
            "news": [n.public() for n in self.news[-40:]],
            "scores": self.localised_scores(self.scores()) if self.round > 0 else {},
            "path": self.charted(self.obs),
            "charted": [
                {"key": str(m), "label": words.measure_text(m, world), "unit": words.measure_unit(m, world)}
                for m in charted_measures(world)
            ],
        }

    def team_page(self, team_id: str) -> dict:
        """A team's own page: its briefing, levers and objectives, in the current language."""
        team, world = self.by_id[team_id], self.world
        sectors = [{"id": s, "label": words.sector(s, world)} for s in world.sectors]
        shown_choice = self.submitted.get(team_id) or self.choices[team_id]
        levers = []
        for lv in team.levers:
            label, help_ = words.lever_label(lv, world), words.lever_help(lv)
            html = lever_html(lv, shown_choice[lv.path], sectors, label=label, help=help_)
            levers.append({**lv.public(), "label": label, "help": help_, "html": html})
        objectives = []
        for o in team.objectives:
            label, unit = words.objective_text(o, world)
            objectives.append({"label": label, "unit": unit, "weight": o.weight, "source": o.source})
        return {
            "id": team.id,
            "label": words.team_label(team, world),
            "role": words.role_title(team),
            "briefing": words.briefing(team, world, default_briefing(team.countries)),
            "levers": levers,
            "sectors": sectors,
            "choice": self.choices[team_id],
            "submitted": self.submitted.get(team_id),
            "objectives": objectives,
        }

    def path_until_end(self) -> dict[str, np.ndarray]:
        """The class's path to the end of the run: its moves so far, each team's last choice held."""
        if self.over:
            return self.obs
        model = copy.deepcopy(self.model)
        model.recording = False  # proceed() keeps what the debrief shows
        return proceed(model, self.obs)

    def debrief(self) -> dict:
        """The class's path against the references, and the mechanisms that moved things most,
        in the current language (the numbers are made once per game version, in English: the
        page and the figure ask for them in turn, in any language)."""
        if self._debrief is None or self._debrief[0] != self.version:
            self._debrief = (self.version, self._make_debrief())
        data = self._debrief[1]
        if words.english():
            return data
        world = self.world
        by_key = {p["key"]: p["measure"] for p in debrief_passages(world)}
        moved = [
            {
                **m,
                "label": words.measure_text(by_key[m["key"]], world),
                "unit": words.measure_unit(by_key[m["key"]], world),
                "mechanism": _(m["mechanism"]),
                "passage": _(m["passage"]),
            }
            for m in data["moved"]
        ]
        titles = {name: _("the class") if name == "class" else _(title) for name, title in data["titles"].items()}
        return {**data, "titles": titles, "moved": moved, "scores": self.localised_scores(data["scores"])}

    def _make_debrief(self) -> dict:
        steps = self.scenario.params.time.steps
        path = self.path_until_end()
        refs = {name: _reference(name, self.seed, steps) for name in REFERENCES if _known(name)}
        titles = {name: title for name, title, *_ in list_scenarios()}
        passages = debrief_passages(self.world)
        series = {
            p["key"]: {"class": _rounded(self.shown(path, p["measure"]))}
            | {name: _rounded(self.shown(r, p["measure"])) for name, r in refs.items()}
            for p in passages
        }
        at = len(self.obs["year"]) - 1  # the year reached, not the projection
        moved = []
        for p in passages:
            measure = p["measure"]
            value = float(self.shown(self.obs, measure)[at])
            change = value - float(self.shown(refs["baseline"], measure)[at])
            spread = float(np.ptp([self.shown(r, measure)[at] for r in refs.values()]))
            # in units of how far the references spread; where they all agree, of the value itself
            scale = spread if spread > 0 else max(abs(float(value)), 1e-9)
            shown = {k: v for k, v in p.items() if k != "measure"}
            shown["cite"] = p["passage"]  # as written (the passage's text is translated): for its passages
            moved.append({**shown, "change": round(float(change), 4), "relative": float(abs(change) / scale)})
        moved.sort(key=lambda m: -m["relative"])
        return {
            "years": _rounded(path["year"], 2),
            "reached": self.year,
            "series": series,
            "titles": {"class": "the class"} | {name: titles.get(name, name) for name in refs},
            "moved": moved,
            "scores": self.scores(),
        }

    # ------------------------------------------------------------------ export
    def scenario_text(self, name: str) -> str:
        """The class's path as a scenario file: the preset, extended by one event per round played."""
        lines = [
            f"# The path a class played in `decouple play` (preset {self.preset}, seed {self.seed}).",
            f"# Replay: decouple run THIS_FILE --seed {self.seed}",
            "",
            "[scenario]",
            f"extends = {json.dumps(self.preset)}",
            f"name = {json.dumps(name)}",
            f"title = {json.dumps('Role-play: ' + self.scenario.title)}",
            'description = "The preset until the class took over; from then on the teams\' choices, round by round."',
        ]
        for event in self.events:
            pairs = ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in event.changes.items())
            lines += ["", "[[events]]", f"id = {json.dumps(event.id)}", f"year = {event.year!r}"]
            lines += [f"set = {{ {pairs} }}", f"note = {json.dumps(event.note)}"]
        return "\n".join(lines) + "\n"


#: the class's path at the open round's start, per worker process: (key, model, observations)
_SNAPSHOT: list[tuple[str, DecouplingModel, dict[str, np.ndarray]]] = []


def _snapshot(preset: str, seed: int, past: list[Event], start: float):
    """The class's path up to ``start`` (the open round's start), run once per round and per
    process: every what-if of the round starts from a copy of it. It records nothing (nothing in
    the model reads what was recorded: the numbers are the same), so that its copies stay small."""
    key = json.dumps([preset, seed, start, [(e.year, e.changes) for e in past]], sort_keys=True, default=str)
    if not _SNAPSHOT or _SNAPSHOT[0][0] != key:
        _SNAPSHOT.clear()  # the last round's model goes before this one is built
        model = build(Point(with_events(_preset(preset), past), seed), shared_world())
        model.recording = False
        obs = proceed(model, {name: np.array([value]) for name, value in observe(model).items()}, until=start)
        _SNAPSHOT[:] = [(key, model, obs)]
    return _SNAPSHOT[0][1], _SNAPSHOT[0][2]


def _start(job: tuple) -> tuple[DecouplingModel, dict[str, np.ndarray]]:
    """A what-if's model at the open round's start, the draft's event scheduled on it, and the
    observations of the path so far: a copy of the round's snapshot, without its records (it
    records nothing: ``recording`` is off) and sharing the world (no step writes to it)."""
    preset, seed, events = job
    class_events = [Event(year, changes, note, id) for year, changes, note, id in events]
    *past, draft = class_events
    model, history = _snapshot(preset, seed, past, draft.year)
    model = projection.detached(model, {id(model.table): None, id(model.datacollector): None})  # no records
    model.schedule(draft)
    return model, history


def warm_round(job: tuple) -> None:
    """Run the round's snapshot of ``job`` in this worker now (a new round's first what-if then
    costs no more than the others)."""
    preset, seed, events = job
    *past, draft = [Event(year, changes, note, id) for year, changes, note, id in events]
    _snapshot(preset, seed, past, draft.year)


def run_projection(job: tuple) -> dict[str, np.ndarray]:
    """A what-if (in a worker process): the preset with the events of ``job``, to the end.

    The path before the open round is the same for every what-if of a round: it is run once, and
    each what-if continues a copy of the model from the round's start with the draft's event added
    (the same numbers as a run from the start: tested), which costs a fraction of a whole run."""
    model, history = _start(job)
    return proceed(model, history)


def run_whatif(job: tuple, names: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:
    """A what-if as the pages need it (in a worker process): ``columns``, the quarterly values of
    the outcomes ``names`` (those the pages chart, :meth:`Game.charted_names`) along the whole
    path, and ``last``, every observed outcome at its last quarter (what the objectives read).
    The same numbers as :func:`run_projection` (tested to the bit), without observing every
    outcome every quarter. Numbers only: the words around them are the page's, in its language."""
    model, history = _start(job)
    kept = {o.name: o for o in _per_world(model.world)[0]}
    chosen = [kept[name] for name in names if name != "year"]

    def lean(model: DecouplingModel) -> dict[str, float]:
        out = {o.name: float(o.compute(model)) for o in chosen}
        out["year"] = model.year
        return out

    columns = projection.proceed(model, {name: history[name] for name in (*names, "year")}, lean)
    return {"columns": columns, "last": {key: np.array([value]) for key, value in observe(model).items()}}


class _Traced(dict):
    """Observations that remember which columns were read (:meth:`Game.charted_names`)."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> np.ndarray:
        self.read.add(key)
        return super().__getitem__(key)


@lru_cache(maxsize=8)
def _preset(name: str) -> Scenario:
    return load_scenario(name, sectors=shared_world().sectors)


def _known(name: str) -> bool:
    return name in {n for n, *_ in list_scenarios()}


def _rounded(values, digits: int = 5) -> list[float]:
    return [round(float(v), digits) for v in np.asarray(values, dtype=float)]


def _describe(lever: Any, old: Any, new: Any, sector: Any = str) -> Say:
    """A lever's move in the news: the sectors added and dropped (each shown by ``sector(id)``), a
    switch turned on or off, a number's old and new values."""
    if isinstance(new, list):
        added = [sector(s) for s in new if s not in old]
        dropped = [sector(s) for s in old if s not in new]
        parts = [say(N_("+ {sectors}"), sectors=added)] if added else []
        parts += [say(N_("- {sectors}"), sectors=dropped)] if dropped else []
        return say(N_("{lever}: {changes} ({n} sectors)"), lever=lever, changes=Joined(parts, " "), n=len(new))
    if isinstance(new, bool):
        return say(N_("{lever}: on"), lever=lever) if new else say(N_("{lever}: off"), lever=lever)
    return say(N_("{lever} {old} → {new}"), lever=lever, old=f"{float(old):g}", new=f"{float(new):g}")
