"""The levers a class argues about, and how each one changes a running model.

A lever reads its current value from the model's parameters and turns a new value into
``{dotted path: value}`` changes for :meth:`DecouplingModel.set_params`, which validates them
against ``seeds/parameters.toml`` and applies them from the next step on. Ranges come from that
registry, so a lever can never set what a scenario file could not.

Most levers are one parameter. Two stand for several:
- *controlled sectors* takes the first N sectors in order of political risk, the small-yard
  sectors first (S3 2.2.2 places technologies by political risk; S4 一 names the small yard),
  and controls them country-wide with the foreign direct product rule, as the October 2022
  rules did for chips (S2 一(一)); with N = 0 nothing is controlled;
- *foreign direct product rule* switches FDPR on (every controlled sector) or off (S1 一(一));
- *joint programmes* switches the co-opetition preset's programmes (sectors and intensity, read
  from ``scenarios/coopetition.toml``) on or off (S2 四(三); S3 2.2.2);
- the four *decides by its rule* switches hand a state's levers to its decision rule or back to
  the class (``[adaptive]``: the US's yard, fence, entity list, licences and pressure on allies,
  M13; China's counter-measures, support, partners and talent, M14; the allies' joint R&D, M15;
  the third countries' hedging, M16). A lever the class moves while its state decides holds
  until the state's next yearly review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, reduce
from typing import Any

import numpy as np

from ..config import load_registry, load_scenario
from ..world import World


@dataclass(frozen=True)
class Lever:
    """One control on the classroom panel."""

    name: str
    label: str
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


def _yard_changes(n: int, world: World) -> dict[str, Any]:
    yard = yard_order(world)[: int(n)]
    return {"policy.yard": yard, "policy.country_wide": yard, "policy.fdpr": yard}


@lru_cache(maxsize=1)
def _programmes() -> tuple[tuple[str, ...], float]:
    scenario = load_scenario("coopetition")
    return tuple(scenario.get("coopetition.programme_sectors")), float(scenario.get("coopetition.programme_intensity"))


def _programme_changes(on: bool, world: World) -> dict[str, Any]:
    sectors, intensity = _programmes()
    if on:
        return {"coopetition.programme_sectors": list(sectors), "coopetition.programme_intensity": intensity}
    return {"coopetition.programme_intensity": 0.0}


def _registry_lever(path: str, label: str, help: str, step: float) -> Lever:
    spec = load_registry()[path]
    lo, hi = spec.range
    return Lever(
        name=path,
        label=label,
        help=help,
        kind=spec.type,
        min=lo,
        max=hi,
        step=step,
        read=lambda params, world: reduce(getattr, path.split("."), params),
        changes=lambda value, world: {path: float(value) if spec.type == "float" else value},
    )


def levers(world: World) -> list[Lever]:
    """The classroom levers, in the order the panel shows them."""
    out = [
        Lever(
            name="yard",
            label="Controlled sectors (the yard)",
            kind="int",
            min=0,
            max=world.n_sectors,
            step=1,
            help="first N sectors by political risk, chips first; controlled country-wide with the FDPR",
            read=lambda params, w: len(params.policy.yard),
            changes=_yard_changes,
        ),
        _registry_lever("policy.fence", "Fence height", "share of the frontier refused to China (0 = nothing)", 0.05),
        _registry_lever("policy.licence_approval", "Licences granted", "share of refused sales licensed anyway", 0.05),
        Lever(
            name="fdpr",
            label="Foreign direct product rule",
            kind="bool",
            help="US rules follow US content, tools and software into foreign products in the yard",
            read=lambda params, w: bool(params.policy.fdpr),
            changes=lambda on, w: {"policy.fdpr": "all" if on else []},
        ),
        _registry_lever("policy.ally_pressure", "US pressure on allies", "0 = the US acts alone", 0.05),
    ]
    for code in world.countries:
        if f"allies.willingness.{code}" in load_registry():
            out.append(
                _registry_lever(
                    f"allies.willingness.{code}",
                    f"Willingness: {world.country_labels[code]}",
                    "extra log-odds of following the US; negative = refuses",
                    1.0,
                )
            )
    out.append(
        _registry_lever(
            "china.state_support",
            "China's state support",
            "extra support where controls bind, multiple of world R&D",
            0.25,
        )
    )
    out.append(
        Lever(
            name="programmes",
            label="Joint programmes (co-opetition)",
            kind="bool",
            help="basic research, biotech, solar, batteries shielded from the chill",
            read=lambda params, w: (
                bool(params.coopetition.programme_sectors) and params.coopetition.programme_intensity > 0
            ),
            changes=_programme_changes,
        )
    )
    out += [_switch_lever(*spec) for spec in STATE_SWITCHES]
    return out


#: (lever name, label, help, the [adaptive] switches it sets)
STATE_SWITCHES = (
    (
        "adaptive_us",
        "US decides by its interests",
        "each year: yard, fence, entity list, licences, ally pressure from security, politics, lobbying, costs",
        ("us_yard", "us_fence", "us_entity_list", "us_ally_pressure", "us_licences"),
    ),
    (
        "adaptive_cn",
        "China decides by its interests",
        "patient counter-measures, support where it lags, partner ties, bringing talent home",
        ("china_countermeasures", "china_support", "china_partners", "china_talent"),
    ),
    (
        "adaptive_allies",
        "Allies do joint R&D with the US",
        "complying allies and the US share technology; it eases the cost of complying",
        ("allies_joint_rd",),
    ),
    (
        "adaptive_third",
        "Third countries hedge",
        "India, ASEAN and the rest lean to a bloc by price, quality and pressure",
        ("third_hedging",),
    ),
)


def _switch_lever(name: str, label: str, help: str, switches: tuple[str, ...]) -> Lever:
    return Lever(
        name=name,
        label=label,
        kind="bool",
        help=help,
        read=lambda params, w: all(getattr(params.adaptive, s) for s in switches),
        changes=lambda on, w: {f"adaptive.{s}": bool(on) for s in switches},
    )


def same_value(new: Any, current: Any, tolerance: float = 0.0) -> bool:
    """True when a control reports the value the model already holds (within ``tolerance``): a
    slider echoes a value the model set itself, snapped to its step."""
    if isinstance(current, bool) or isinstance(new, bool):
        return bool(new) == bool(current)
    try:
        return abs(float(new) - float(current)) <= tolerance + 1e-9
    except (TypeError, ValueError):
        return new == current


def describe(name: str, value: Any) -> str:
    """Short text of a lever move for a plot marker: ``fence 0.8``, ``NL -6``, ``programmes: off``."""
    short = name.split(".")[-1]
    if isinstance(value, list):
        return f"{short}: {len(value)} sectors"
    if isinstance(value, bool):
        return f"{short}: {'on' if value else 'off'}"
    if isinstance(value, (int, float, np.floating)):
        return f"{short} {float(value):g}"
    return f"{short}: {value}"
