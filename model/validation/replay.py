"""The historical replay (``scenarios/historical.toml``) and the series it is compared on.

:func:`run_replay` records, after every quarter, the outcomes the documented figures describe
(US–China high-tech trade, investment flows, co-authorship, sector shares, the leading listed
firm's share, ...; see :mod:`decouple.outcomes`). ``annual(series, year)`` averages the four
quarters of a calendar year (rows 2022.25-2023.0 make up 2022).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import outcomes
from ..config import Scenario, load_scenario
from ..evaluate import Point, build
from ..world import World, load_world

HISTORICAL = "historical"


@dataclass
class ReplaySeries:
    seed: int
    years: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, year: float, measures: dict[str, float]) -> None:
        self.years.append(year)
        for key, value in measures.items():
            self.values.setdefault(key, []).append(float(value))

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.years), np.asarray(self.values[key])

    def annual(self, key: str, year: int) -> float:
        """Mean of the quarterly values of calendar ``year`` (record years year+0.25 .. year+1)."""
        years, values = self.series(key)
        mask = (years > year + 1e-9) & (years <= year + 1 + 1e-9)
        if not mask.any():
            raise ValueError(f"no {key} values in {year}; the replay covers {years.min():g}-{years.max():g}")
        return float(values[mask].mean())


def historical_scenario(world: World, overrides: tuple[str, ...] = ()) -> Scenario:
    return load_scenario(HISTORICAL, overrides, sectors=world.sectors)


def run_replay(seed: int, scenario: Scenario | None = None, world: World | None = None) -> ReplaySeries:
    """Run the historical replay with ``seed`` and record its series."""
    world = world or load_world()
    scenario = scenario or historical_scenario(world)
    model = build(Point(scenario, seed), world)
    names = replay_series(world)
    out = ReplaySeries(seed)
    out.add(model.year, outcomes.values(model, names))
    while model.running:
        model.step()
        out.add(model.year, outcomes.values(model, names))
    return out


#: quarterly outcomes that validation also reads off the replay (the literature checks)
ALSO_RECORDED = ("chips_share_US",)


def replay_series(world: World) -> list[str]:
    """The outcomes the replay records each quarter: those only validation asks for
    (``collected=False`` in :mod:`decouple.outcomes`) and :data:`ALSO_RECORDED`."""
    registry = outcomes.registry(world)
    return [o.name for o in registry.values() if not o.collected] + [n for n in ALSO_RECORDED if n in registry]
