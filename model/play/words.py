"""The role-play's words in the reader's language: names, labels and sentences made at display.

The game keeps its data in English (the export, the scores round by round, the news as the
facilitator's terminal and the tests know them); every page asks in its own language, and the
server renders the names of countries, sectors, teams, levers, measures and the news sentences
in the language of the request (:func:`decouple.i18n.current`), from the gettext catalogues.

In English every function here gives exactly the text the game made before it spoke Chinese
(the registry's labels, the levers' labels), so nothing changes for an English room. In another
language it composes the text from translated parts: a regional outcome is its family's words
and its region's name (``Welfare, world`` → ``福利，世界``), a measure adds what it is compared
with, a per-country lever fills its row's template with the translated country name.

A sentence whose words must follow the reader's language (a news line) is kept as a
:class:`Say`: an English template and its values, rendered when shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .. import outcomes
from ..config import read_toml
from ..i18n import N_, current, pgettext
from ..i18n import gettext as _
from ..paths import evidence_dir

if TYPE_CHECKING:
    from ..levers import Lever
    from ..measure import Measure
    from ..world import World
    from .teams import Objective, Team

#: the words of the outcomes the role-play shows (its charts, objectives and debrief), as the
#: registry (model/outcomes.py) spells them: a regional outcome's family words come before the
#: region's name ("Welfare, world")
OUTCOME_WORDS = (
    N_("US–China capability gap, small-yard sectors"),
    N_("US–China capability gap, controlled sectors"),
    N_("China's self-sufficiency, all sectors"),
    N_("Allies' compliance, small-yard sectors"),
    N_("China's counter-measures"),
    N_("China's partner ties with third countries"),
    N_("Third countries' lean (−1 China, +1 US)"),
    N_("US–China research collaboration"),
    N_("Sectors the US controls"),
    N_("Political shocks so far"),
    N_("Firms' revenue, all sectors"),
    N_("Firms' revenue"),
    N_("Welfare"),
    N_("GDP"),
)
#: the outcomes' units, as the registry spells them
UNIT_WORDS = (
    N_("share of frontier"),
    N_("share of demand"),
    N_("share"),
    N_("US$ bn per year"),
    N_("index 0–1"),
    N_("index (2018 = 1)"),
    N_("index −1 to 1"),
    N_("count"),
    N_("sectors"),
)
#: the scenarios' short names in figures (model/plots.py: SCENARIO_LABELS) that are not their titles
SCENARIO_WORDS = (N_("Selective (small yard)"), N_("Historical replay"))
#: the regions that are not countries
REGIONS = {"THIRD": N_("third countries"), "WORLD": N_("world")}
#: what the news calls the levers a state's decision rule moves (model/agents.py logs them)
DECIDED = {
    "resolve": N_("resolve"),
    "lean": N_("lean"),
    "countermeasures": N_("counter-measures"),
    "partner_ties": N_("partner ties"),
    "talent_return": N_("talent return"),
}
#: the reference runs, as the role-play calls them
REFERENCES = {"baseline": N_("the open world")}


def english() -> bool:
    return current() == "en"


#: the separators of lists, each translated in the context "list separator" ("、" and "；" in Chinese)
SEPARATORS = (", ", "; ")


def listed(items: list[str], separator: str = ", ") -> str:
    """Items one after another: "a, b, c" in English, "a、b、c" in Chinese (``separator``: one of
    SEPARATORS)."""
    if separator == ", ":
        separator = pgettext("list separator", ", ")
    elif separator == "; ":
        separator = pgettext("list separator", "; ")
    return separator.join(items)


# ---------------------------------------------------------------------- names


def country(code: str, world: World) -> str:
    """A country's (or region's) name."""
    if code in REGIONS:
        return _(REGIONS[code])
    return _(world.country_labels.get(code, code))


def short_country(code: str, world: World) -> str:
    """A country's name without its parenthesis: "EU (other than the Netherlands)" → "EU"."""
    return re.split(r" \(|（", country(code, world))[0]


def team_label(team: Team, world: World) -> str:
    if english():
        return team.label
    return " + ".join(short_country(code, world) for code in team.countries)


def sector(code: str, world: World) -> str:
    return _(world.sector_labels.get(code, code))


def state(code: str, world: World) -> str:
    """A state in a decision rule's news: a country, or the third countries together."""
    if code == "THIRD":
        return _("Third countries")
    return _(world.country_labels.get(code, code))


def scenario_title(title: str) -> str:
    return _(title)


@lru_cache(maxsize=1)
def _lever_rows() -> dict:
    return read_toml(evidence_dir() / "levers.toml")


def lever_label(lever: Lever, world: World) -> str:
    """A lever's label; a per-country lever's with the country's name in it."""
    if english():
        return lever.label
    if lever.country:
        row = _lever_rows().get(lever.row, {})
        template = row.get("label") if isinstance(row, dict) else None
        if isinstance(template, str):
            return _(template).replace("{code}", lever.country).replace("{label}", country(lever.country, world))
    return _(lever.label)


def lever_help(lever: Lever) -> str:
    return _(lever.help)


def role_title(team: Team) -> str:
    return _(team.role_title)


#: the briefing of a team no default team plays (a --teams choice of its own)
BRIEFING_OF_ROLE = N_(
    "You play {countries}, {title}. Your interests are those of the default team of your kind: "
    "ask the facilitator for its briefing."
)


def briefing(team: Team, world: World, default: str) -> str:
    """The team's private briefing: its default team's (``default``), else its role's general one."""
    if default:
        return _(default).strip()
    return _(BRIEFING_OF_ROLE).format(
        countries=listed([country(c, world) for c in team.countries]), title=role_title(team)
    )


# ---------------------------------------------------------------------- measures


def outcome_text(outcome: outcomes.Outcome, world: World) -> str:
    """An outcome's label: a regional one as its family's words and its region's name."""
    if english():
        return outcome.label
    if outcome.family and outcome.region and "," in outcome.label:
        words = outcome.label.rsplit(",", 1)[0]
        region = " + ".join(short_country(code, world) for code in outcome.region.split("+"))
        return _("{outcome}, {region}").format(outcome=_(words), region=region)
    return _(outcome.label)


def reference_text(name: str) -> str:
    """A reference run a measure is read against: the open world, or a scenario's title."""
    if name in REFERENCES:
        return _(REFERENCES[name])
    from ..config import list_scenarios

    titles = {n: title for n, title, *_ in list_scenarios()}
    return _(titles.get(name, name))


def measure_text(measure: Measure, world: World) -> str:
    """A measure's label (:func:`decouple.play.teams.measure_label` in English)."""
    from .teams import measure_label

    if english():
        return measure_label(measure, world)
    text = outcome_text(measure.resolved(world), world)
    if measure.against:
        text = _("{outcome}, change against {reference}").format(
            outcome=text, reference=reference_text(measure.against)
        )
    return text


def measure_unit(measure: Measure, world: World) -> str:
    """A measure's unit (the registry's, :meth:`Measure.unit`, in English)."""
    if english():
        return measure.unit(world)
    if measure.per:
        if measure.per == measure.outcome:
            return "%"
        head = outcomes.resolve(measure.per, world).label.split(",")[0]
        return _("% of {outcome}").format(outcome=_(head))
    return _(measure.resolved(world).unit)


def objective_text(objective: Objective, world: World) -> tuple[str, str]:
    """An objective's label and unit (the unit times its scale where that is not 1)."""
    if english():
        return objective.label, objective.unit
    unit = measure_unit(objective.measure, world)
    if objective.scale != 1.0:
        unit = _("{unit} × {scale}").format(unit=unit, scale=f"{objective.scale:g}")
    return measure_text(objective.measure, world), unit


# ---------------------------------------------------------------------- sentences


@dataclass(frozen=True)
class Say:
    """A sentence in the reader's language: an English template of the catalogue and its values.

    A value is shown as it is (numbers are formatted by the caller, so that every language shows
    the same digits), or rendered when it is a :class:`Say`, a :class:`Joined`, a callable (called
    in the reader's language: a name) or a list (each item rendered, then :func:`listed`)."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class Joined:
    """Items rendered one after another with a separator of SEPARATORS."""

    items: list[Any]
    separator: str = ", "


def say(template: str, **values: Any) -> Say:
    return Say(template, values)


def render(value: Any) -> str:
    """``value`` in the current language."""
    if isinstance(value, Say):
        return _(value.template).format(**{key: render(v) for key, v in value.values.items()})
    if isinstance(value, Joined):
        return listed([render(v) for v in value.items], value.separator)
    if isinstance(value, list):
        return listed([render(v) for v in value])
    if callable(value):
        return str(value())
    return str(value)


def word(text: str) -> Callable[[], str]:
    """A word of the catalogue, translated when shown (``text`` marked with N_ where it is written)."""
    return lambda: _(text)
