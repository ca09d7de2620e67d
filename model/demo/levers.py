"""The levers a class argues about on the classroom panel, and how each one changes a running model.

Each lever is declared once, in ``seeds/levers.toml`` (:mod:`decouple.levers`): its label, help,
kind, step, range (within the registry's: a lever can never set what a scenario file could not)
and what it also sets. The panel shows the levers of :data:`PANEL`, in that order. A lever reads
its current value from the model's parameters and turns a new value into ``{dotted path: value}``
changes for :meth:`DecouplingModel.set_params`, which validates them against
``seeds/parameters.toml`` and applies them from the next step on.

The panel shows a set of sectors as a number: *controlled sectors* takes the first N sectors in
order of political risk, the small-yard sectors first (S3 2.2.2 places technologies by political
risk; S4 一 names the small yard); what the yard also sets (country-wide rules and the foreign
direct product rule) is the declaration's. The four *decides by its rule* switches hand a state's
levers to its decision rule or back to the class; a lever the class moves while its state decides
holds until the state's next yearly review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import levers as declared
from ..i18n import N_
from ..i18n import gettext as _
from ..phrase import Phrase
from ..world import World

#: the declared levers the panel shows, in order (``{code}``: one per country that has it)
PANEL = (
    "yard",
    "policy.fence",
    "policy.licence_approval",
    "fdpr",
    "policy.ally_pressure",
    "allies.willingness.{code}",
    "china.state_support",
    "programmes",
    "adaptive_us",
    "adaptive_cn",
    "adaptive_allies",
    "adaptive_third",
)


@dataclass(frozen=True)
class Lever:
    """One control on the classroom panel."""

    name: str  # the declared lever's id
    label: str  # English (a Phrase for a country's lever): the panel shows ``tr(label)``
    help: str
    kind: str  # "int", "float" or "bool"
    read: Callable[[Any, World], Any]  # (params, world) -> current value
    changes: Callable[[Any, World], dict[str, Any]]  # (new value, world) -> {path: value}
    min: float = 0.0
    max: float = 1.0
    step: float = 1.0


def yard_order(world: World) -> list[str]:
    """Sectors in the order the *controlled sectors* lever adds them: small yard first, then by
    political risk (highest first); ties keep the order of ``seeds/sectors.toml``."""
    order = sorted(range(world.n_sectors), key=lambda j: (not world.small_yard[j], -world.political_risk[j], j))
    return [world.sectors[j] for j in order]


def _panel_lever(lever: declared.Lever, world: World) -> Lever:
    """The declared lever as the panel shows it: a set of sectors as a count in :func:`yard_order`.
    A country's lever keeps its row's label (``Lean: {label}``, in the catalogue) and the country's
    name apart, so that both can be translated."""
    name = world.country_labels.get(lever.country, lever.country) if lever.country else ""
    if name and "{" not in lever.label and name in lever.label:
        lever = replace(lever, label=Phrase(lever.label.replace(name, "{label}"), label=name))
    if lever.kind == "sectors":
        return Lever(
            name=lever.id,
            label=lever.label,
            help=lever.help,
            kind="int",
            min=0,
            max=world.n_sectors,
            step=1,
            read=lambda params, w: len(lever.read(params)),
            changes=lambda n, w: lever.changes(yard_order(w)[: int(n)]),
        )
    return Lever(
        name=lever.id,
        label=lever.label,
        help=lever.help,
        kind=lever.kind,
        min=lever.min,
        max=lever.max,
        step=lever.step,
        read=lambda params, w: lever.read(params),
        changes=lambda value, w: lever.changes(value),
    )


def levers(world: World) -> list[Lever]:
    """The classroom levers, in the order the panel shows them."""
    known = declared.all(world)
    out = []
    for key in PANEL:
        out += [_panel_lever(lever, world) for lever in known if lever.row == key]
    return out


def same_value(new: Any, current: Any, tolerance: float = 0.0) -> bool:
    """True when a control reports the value the model already holds (within ``tolerance``): a
    slider echoes a value the model set itself, snapped to its step."""
    if isinstance(current, bool) or isinstance(new, bool):
        return bool(new) == bool(current)
    try:
        return abs(float(new) - float(current)) <= tolerance + 1e-9
    except (TypeError, ValueError):
        return new == current


#: the short names of the panel's levers on a plot's marker (English: the last part of the id)
SHORT = {
    "yard": N_("yard"),
    "fence": N_("fence"),
    "licence_approval": N_("licence_approval"),
    "fdpr": N_("fdpr"),
    "ally_pressure": N_("ally_pressure"),
    "state_support": N_("state_support"),
    "programmes": N_("programmes"),
    "adaptive_us": N_("adaptive_us"),
    "adaptive_cn": N_("adaptive_cn"),
    "adaptive_allies": N_("adaptive_allies"),
    "adaptive_third": N_("adaptive_third"),
    "JP": N_("JP"),
    "NL": N_("NL"),
    "KR": N_("KR"),
    "TW": N_("TW"),
    "EU": N_("EU"),
}


def describe(name: str, value: Any) -> str:
    """Short text of a lever move for a plot marker: ``fence 0.8``, ``NL -6``, ``programmes: off``
    (in the current language)."""
    short = name.split(".")[-1]
    short = _(SHORT[short]) if short in SHORT else short
    if isinstance(value, list):
        return _("{lever}: {n} sectors").format(lever=short, n=len(value))
    if isinstance(value, bool):
        return (_("{lever}: on") if value else _("{lever}: off")).format(lever=short)
    if isinstance(value, (int, float, np.floating)):
        return f"{short} {float(value):g}"
    return f"{short}: {value}"
