"""The historical replay (``scenarios/historical.toml``) and the series it is compared on.

A :class:`ReplayProbe` records, after every quarter, the quantities the documented figures
describe (US–China high-tech trade, investment flows, co-authorship, sector shares, the leading
listed firm's share, ...). ``annual(series, year)`` averages the four quarters of a calendar
year (rows 2022.25-2023.0 make up 2022).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import Scenario, load_scenario
from ..mechanisms.market_barriers import made_in_china
from ..mechanisms.reshoring import production_by_location
from ..model import DecouplingModel
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

    def at(self, key: str, year: float) -> float:
        years, values = self.series(key)
        i = int(np.argmin(np.abs(years - year)))
        return float(values[i])


class ReplayProbe:
    """Measures a running model after each step."""

    def __init__(self, model: DecouplingModel):
        w, f = model.world, model.firms
        self.w = w
        us, cn = w.country_index("US"), w.country_index("CN")
        self.us, self.cn = us, cn
        self.tech = np.array([s != "basic_research" for s in w.sectors])
        phones = w.sector_index("smartphones") if "smartphones" in w.sectors else None
        self.phones = phones
        if phones is not None:
            idx = np.flatnonzero((f.sector == phones) & (f.country == cn))
            self.phone_leader = int(idx[np.argmax(f.revenue[idx])])
        ict = [w.sector_index(s) for s in ("telecom", "ai_compute") if s in w.sectors]
        self.ict = np.isin(f.sector, ict)
        self.tech_firm = tech[f.sector] if (tech := self.tech) is not None else None

    def measure(self, m: DecouplingModel) -> dict[str, float]:
        w, us, cn, tech = self.w, self.us, self.cn, self.tech
        b = m.market.bilateral
        s = w.sector_index
        # Trade statistics count goods by where they are made: US exports to China are US-made
        # sales to Chinese buyers, US imports from China are China-made sales to US buyers.
        f = m.firms
        to_cn = m.market.sales[:, [cn, m.layout.listed_segment]].sum(1)
        to_us = m.market.sales[:, us]
        made_in_us = np.where(f.country == us, f.loc_home, 0.0)
        made_in_cn = made_in_china(m)
        out = {
            "us_exports_cn": (to_cn * made_in_us)[self.tech_firm].sum(),
            "us_imports_cn": (to_us * made_in_cn)[self.tech_firm].sum(),
            "cn_imports_us_ict": (to_us * made_in_cn)[self.ict].sum(),
            "investment_cn_to_us": m.relations.investment_in_us,
            "investment_us_to_cn": m.relations.investment_in_cn.sum(),
            "collaboration_basic": m.relations.collaboration[s("basic_research")],
            "cn_share_telecom": m.market.market_share[s("telecom"), cn],
            "cn_share_solar": m.market.market_share[s("solar_pv"), cn],
            "cn_share_batteries": m.market.market_share[s("batteries"), cn],
            "us_selfsufficiency_solar": m.market.self_sufficiency[s("solar_pv"), us],
            "us_china_share": b[tech, us, cn].sum() / max(m.market.revenue[tech, us].sum(), 1e-12),
            "us_share_tech": m.market.revenue[tech, us].sum() / m.market.revenue[tech].sum(),
            "cn_share_tech": m.market.revenue[tech, cn].sum() / m.market.revenue[tech].sum(),
            "compliance_NL_tools": m.relations.compliance[w.country_index("NL"), s("chip_tools")],
            "compliance_JP_tools": m.relations.compliance[w.country_index("JP"), s("chip_tools")],
        }
        production = production_by_location(m)
        out["us_chip_production_share"] = production[s("logic_chips"), us] / production[s("logic_chips")].sum()
        if self.phones is not None:
            f = m.firms
            out["phone_leader_share"] = f.revenue[self.phone_leader] / f.revenue[f.sector == self.phones].sum()
            out["india_phone_production"] = production[self.phones, w.country_index("IN")]
        return out


def historical_scenario(world: World, overrides: tuple[str, ...] = ()) -> Scenario:
    return load_scenario(HISTORICAL, overrides, sectors=world.sectors)


def run_replay(seed: int, scenario: Scenario | None = None, world: World | None = None) -> ReplaySeries:
    """Run the historical replay with ``seed`` and record its series."""
    world = world or load_world()
    scenario = scenario or historical_scenario(world)
    model = DecouplingModel(scenario, seed=seed, world=world)
    probe = ReplayProbe(model)
    out = ReplaySeries(seed)
    out.add(model.year, probe.measure(model))
    while model.running:
        model.step()
        out.add(model.year, probe.measure(model))
    return out
