"""The decoupling model: a ``mesa.Model`` of states and firms, one step per quarter.

One step, in order:
 1. dated scenario events take effect (a policy switching on at a date);
 2. the controller (US) sets its levers for the quarter and extends the entity list (M1–M4, M9, M11);
 3. allies choose compliance per sector from last quarter's situation, together (M5);
 4. China reviews counter-measures (M12) and sets state support and substitution (M7);
 5. controls bind firms and deny chokepoint inputs (M1);
 6. trust and political shocks (M10), research collaboration (M9), ecosystem split (M8);
 7. firms design out US content (M6) and move production (M4);
 8. unit costs follow learning, standards, relocation, design-out and material controls;
 9. buyers reallocate demand among allowed suppliers (M3 barriers, M6 substitution);
10. investment flows adjust (M2);
11. R&D and capability: own innovation and catch-up (revenue → R&D → capability, M7, M9);
12. indicators are recorded and invariants checked.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from .agents import ROLE_CLASSES, Ally, Controller, Firm, Target
from .config import Scenario, apply_changes, load_scenario
from .firms import Groups, build_firms
from .mechanisms import (capital, coopetition, countermeasures, export_controls, import_replacement,
                         innovation, knowledge, market, reshoring, standards)
from .metrics import MetricTable, check_invariants
from .world import World, load_world


def _mean(values: np.ndarray) -> float:
    """Mean that is 0 for an empty selection (e.g. a world without small-yard sectors); the sum
    over the count, as ``numpy.mean`` computes it, without its overhead."""
    return float(values.sum() / values.size) if values.size else 0.0


def _read_only(value):
    """``value`` with its arrays (also inside a tuple or a dataclass) made read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):
        for item in value:
            _read_only(item)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            _read_only(getattr(value, name))
    return value


class DecouplingModel(mesa.Model):
    """Agent-based model of technology-decoupling policies.

    Args:
        scenario: a :class:`Scenario`, a scenario name (``"full_decoupling"``) or a TOML path.
        seed: random seed (``mesa.Model(seed=...)``); the same scenario and seed give
            bit-identical results.
        overrides: ``"path=value"`` strings applied on top of the scenario (like ``--set``).
        world: a :class:`World` (default: read from ``seeds/``).
        check: check invariants after every step.
    """

    def __init__(self, scenario: Scenario | str | Path = "baseline", seed: int = 0,
                 overrides: tuple[str, ...] | list[str] = (), world: World | None = None,
                 check: bool = True):
        super().__init__(seed=seed)
        self.world = world if world is not None else load_world()
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, overrides, sectors=self.world.sectors)
        elif overrides:
            raise ValueError("pass overrides to load_scenario() when giving a Scenario object")
        self.scenario = scenario
        self.params = scenario.params
        self.seed = seed
        self.check = check
        self.changes: list[tuple[int, float, str, object, str]] = []  # (step, year, path, value, origin)
        self._events = list(scenario.events)
        self._next_event = 0
        self._build()
        self.running = True

    # ------------------------------------------------------------------ parameters
    @property
    def params(self):
        """The live parameters. Assigning new ones (as :meth:`set_params` does) drops every
        value :meth:`derived` cached from the old ones; change them that way, not by setting a
        field of the current object in place."""
        return self._params

    @params.setter
    def params(self, value) -> None:
        self._params = value
        self._derived = {}

    def derived(self, build, *args):
        """``build(model, *args)``, computed once for the current parameters and then reused:
        values that depend only on the parameters and the world (sector masks, lever arrays).
        Cached arrays are read-only so that nobody changes them by accident."""
        key = (build, args)
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = _read_only(build(self, *args))
            return value

    # ------------------------------------------------------------------ set-up
    def _build(self) -> None:
        w, p = self.world, self.params
        S, C = w.n_sectors, w.n_countries
        cn, us = w.c("CN"), w.c("US")
        self.cn, self.us = cn, us
        self.n_segments = C + 1
        self.listed_segment = C
        self.segment_country = np.append(np.arange(C), cn)
        self.abroad_segments = np.ones(C + 1, dtype=bool)  # buyers outside the US and China
        self.abroad_segments[[us, cn, self.listed_segment]] = False

        self.firms = f = build_firms(w, p, self.rng)
        self.groups = Groups(f.sector, f.country, S, C)
        # Fixed for the whole run (firms never change country or sector), so computed once.
        self.is_cn = f.country == cn
        self.is_us = f.country == us
        self.is_foreign = ~self.is_cn & ~self.is_us
        self.firm_role = w.role[f.country]
        self.firm_is = {role: self.firm_role == role for role in ("controller", "ally", "third", "target")}
        self.country_is = {role: w.role == role for role in ("controller", "ally", "third", "target")}
        self.china_rows = np.flatnonzero(self.is_cn)
        self.firm_sc = f.sector * C + f.country  # flat index of each firm's cell in (S, C) arrays
        self.firm_cs = f.country * S + f.sector  # ... and in (C, S) arrays
        self.firm_count = self.country_sector(np.ones(f.n))  # (S, C) number of firms
        cn_cells = np.arange(S) * C + cn  # firms are stored by sector, then country (see Groups)
        self.china_firms = list(zip(np.searchsorted(self.firm_sc, cn_cells).tolist(),
                                    np.searchsorted(self.firm_sc, cn_cells, side="right").tolist()))
        self.firm_quality_sensitivity = w.quality_sensitivity[f.sector]
        self.firm_price_sensitivity = w.price_sensitivity[f.sector]
        self.yard_sectors = np.flatnonzero(w.small_yard)
        self.other_sectors = np.flatnonzero(~w.small_yard)
        self.ally_yard = np.ix_(w.allies, self.yard_sectors)
        self._diagonal = np.arange(C)
        self._best_key = self._gap_of = None
        self.frontier = self.sector_max(f.capability)
        self.efficiency = innovation.steady_state_efficiency(
            f.capability / self.frontier[f.sector], w.innovation_rate[f.sector], w.catch_up_rate[f.sector],
            w.catch_up_difficulty[f.sector], p.innovation.efficiency_floor)

        self.demand0 = w.market_size[:, None] * w.demand_share  # (S, C) US$ bn/yr
        self.demand_index = np.ones(S)
        self.demand_multiplier = np.ones((S, C))  # country-specific demand shifts (China's home absorption)
        self.world_rd0 = w.rd_intensity * w.market_size
        self.china_demand_weights = self.demand0[:, cn] / self.demand0[:, cn].sum()
        self.reshoring_weights = self.country_sector(f.revenue)[:, us]
        totals = self.demand0.sum(0, keepdims=True)
        self.welfare_weights = np.divide(self.demand0, totals, out=np.zeros_like(self.demand0), where=totals > 0)
        self.welfare_group_weights = [(name, idx, self.demand0[:, idx], max(self.demand0[:, idx].sum(), 1e-12))
                                      for name, idx in (("THIRD", w.third), ("WORLD", np.arange(C)))]
        self.cn_demand0 = self.demand0[:, cn].copy()
        self.cn_demand0_total = self.cn_demand0.sum()

        self.policy = export_controls.controller_policy(p, w.sectors, -np.inf, self.reshoring_weights)
        self.fdpr_reach = np.zeros(f.n)
        self.pressed_age = np.zeros(S, dtype=int)
        self.compliance = np.zeros((C, S))
        self.trust = float(p.coopetition.trust_initial)
        self.collaboration = np.ones(S)
        self.split = np.zeros(S)
        self.countermeasures = 0.0
        self.sanction_intensity = 0.0
        self.hostility = 0.0
        self.shocks = 0
        self.substitution = np.zeros(len(w.chokepoints))
        self.chokepoint_arrays = {
            "holders": np.array([cp.holders for cp in w.chokepoints]).reshape(len(w.chokepoints), C),
            "governed_by": np.array([cp.governed_by for cp in w.chokepoints], dtype=int),
            "sector": np.array([cp.sector for cp in w.chokepoints], dtype=int),
            "difficulty": np.array([cp.difficulty for cp in w.chokepoints]),
            "weight": np.array([cp.weight for cp in w.chokepoints]),
            "of_firm": (f.sector[:, None] == np.array([cp.sector for cp in w.chokepoints], dtype=int)[None, :]).astype(float),
        }
        self.chokepoint_arrays["ease"] = 1.0 - self.chokepoint_arrays["difficulty"]
        self.chokepoint_arrays["weight_of_firm"] = self.chokepoint_arrays["of_firm"] * self.chokepoint_arrays["weight"][None, :]
        self.china_bind = np.zeros(S)
        self.china_support_level = np.zeros(S)

        self.world_cumulative0 = np.bincount(f.sector, weights=f.cumulative_output0, minlength=S)
        national0 = self.country_sector(f.cumulative_output0)
        self.cumulative_share0 = np.where(national0 > 0, national0 / self.world_cumulative0[:, None], 1.0)
        self.tariffs = np.zeros((f.n, self.n_segments))
        self.sales = self.segment_demand()[f.sector] * f.shares
        self.attractiveness = f.base_attractiveness.copy()
        self._update_market_indicators()
        self.self_sufficiency0 = self.self_sufficiency.copy()
        self.china_priority = w.competitiveness * (1.0 - self.self_sufficiency0[:, cn])
        cn_sales = self.revenue_cs[:, cn]
        self.china_export_share0 = np.divide(cn_sales - self.bilateral[:, cn, cn], cn_sales,
                                             out=np.zeros(S), where=cn_sales > 0)

        capital.initialise(self)
        import_replacement.update(self)
        f.rd = innovation.rd_spending(self)
        f.rd0 = f.rd.copy()
        self.welfare = np.full(C, 100.0)
        self.welfare_groups = {"THIRD": 100.0, "WORLD": 100.0}

        for i, role in enumerate(w.role):
            ROLE_CLASSES[role](self, i)
        self.controller = self.agents_by_type[Controller][0]
        self.target = self.agents_by_type[Target][0]
        for i in range(f.n):
            Firm(self, i)

        self.datacollector = mesa.DataCollector(model_reporters={
            "year": "year",
            "us_cn_gap_small_yard": lambda m: _mean(m.capability_gap()[m.yard_sectors]),
            "us_cn_gap_other": lambda m: _mean(m.capability_gap()[m.other_sectors]),
            "cn_self_sufficiency": lambda m: m.china_self_sufficiency(),
            "trust": "trust",
            "ally_compliance": lambda m: m.mean_ally_compliance(),
            "welfare_world": lambda m: m.welfare_groups["WORLD"],
        })
        self.table = MetricTable(self)
        self._record()

    # ------------------------------------------------------------------ time
    @property
    def year(self) -> float:
        """Decimal year of the current state (end of the last quarter simulated)."""
        return self.params.time.start_year + self.steps / 4.0

    @property
    def years_elapsed(self) -> float:
        return self.steps / 4.0

    # ------------------------------------------------------------------ helpers
    def sector_max(self, values: np.ndarray) -> np.ndarray:
        return self.groups.sector_max(values)

    def country_sector(self, values: np.ndarray) -> np.ndarray:
        """(S, C) sums of a per-firm array."""
        return self.groups.country_sum(values)

    def segment_demand(self) -> np.ndarray:
        """(S, B) demand of each buyer segment, US$ bn per year."""
        w = self.world
        demand = self.demand0 * self.demand_index[:, None] * self.demand_multiplier
        cn = self.cn
        out = np.empty((w.n_sectors, self.n_segments))  # every column is set below
        out[:, : w.n_countries] = demand
        out[:, cn] = demand[:, cn] * (1.0 - self.policy.coverage)
        out[:, self.listed_segment] = demand[:, cn] * self.policy.coverage
        return out

    def retaliatory_tariffs(self) -> np.ndarray:
        return countermeasures.retaliatory_tariffs(self)

    def us_share_cap(self) -> float:
        return countermeasures.us_share_cap(self)

    @property
    def country_us_content(self) -> np.ndarray:
        """(S, C) mean US content of each country's firms (seed value where it has none)."""
        total = self.country_sector(self.firms.us_content)
        count = self.firm_count
        return np.where(count > 0, total / np.maximum(count, 1), self.world.us_content)

    def unit_cost(self) -> np.ndarray:
        f, w = self.firms, self.world
        # World learning lowers every firm's cost; a national industry's scale relative to the
        # world's moves its firms' costs relative to rivals (market.scale_economies).
        world_cum = np.bincount(f.sector, weights=f.cumulative_output, minlength=w.n_sectors)
        national = self.country_sector(f.cumulative_output)
        national_share = national / world_cum[:, None]
        relative_scale = (national_share / self.cumulative_share0).take(self.firm_sc)
        # (the power is taken per sector, then spread over its firms: the same numbers)
        learning = (((world_cum / self.world_cumulative0) ** (-w.learning_rate))[f.sector]
                    * relative_scale ** (-self.params.market.scale_economies))
        cost = learning
        if self.split.any():  # the factor is exactly 1 while ecosystems are whole
            cost = cost * standards.cost_factor(self)
        cost = cost * reshoring.cost_factor(self) * market.design_out_cost(self)
        if self.countermeasures > 0:
            cost = cost * countermeasures.material_cost_factor(self)
        return cost

    # ------------------------------------------------------------------ indicators
    def _update_market_indicators(self) -> None:
        C, cn = self.world.n_countries, self.cn
        seg_sales = self.groups.country_sum(self.sales)  # sector, seller country, buyer segment
        by_buyer = seg_sales[:, :, :C].copy()  # sector, seller country, buyer country
        by_buyer[:, :, cn] += seg_sales[:, :, self.listed_segment]
        self.bilateral = by_buyer  # (S, seller, buyer) US$ bn/yr
        revenue = by_buyer.sum(2)
        self.revenue_cs = revenue
        total = revenue.sum(1, keepdims=True)
        self.market_share = np.divide(revenue, total, out=np.zeros_like(revenue), where=total > 0)
        demand = by_buyer.sum(1)
        home = by_buyer[:, self._diagonal, self._diagonal]  # sales to buyers at home
        self.self_sufficiency = np.divide(home, demand, out=np.zeros_like(home), where=demand > 0)
        to_cn = by_buyer[:, :, cn]
        self.china_exposure = np.divide(to_cn, revenue, out=np.zeros_like(to_cn), where=revenue > 0).T  # (C, S)

    def _update_welfare(self) -> None:
        cs = market.consumer_surplus(self)  # (S, C)
        self.welfare = 100.0 * np.exp((self.welfare_weights * cs).sum(0))
        self.welfare_groups = {name: float(100.0 * np.exp((demand * cs[:, idx]).sum() / total))
                               for name, idx, demand, total in self.welfare_group_weights}

    def capability_gap(self) -> np.ndarray:
        """(S,) US minus China effective capability, as a share of the sector frontier."""
        best = self.best_effective_capability()
        if self._gap_of is not best:  # computed once per state
            self._gap = (best[:, self.us] - best[:, self.cn]) / self.frontier
            self._gap_of = best
        return self._gap

    def best_effective_capability(self) -> np.ndarray:
        """(S, C) effective capability of each country's best firm (computed once per state)."""
        key = (self.steps, id(self.firms.effective_capability))
        if self._best_key != key:
            self._best = self.country_best(self.firms.effective_capability)
            self._best_key = key
        return self._best

    def country_best(self, values: np.ndarray) -> np.ndarray:
        return self.groups.country_max(values)

    def china_self_sufficiency(self, sectors: np.ndarray | None = None) -> float:
        """China's self-sufficiency, weighted by its 2018 demand over ``sectors`` (default: all)."""
        cn = self.cn
        if sectors is None:
            return float((self.self_sufficiency[:, cn] * self.cn_demand0).sum() / self.cn_demand0_total)
        weights = self.demand0[sectors, cn]
        return float((self.self_sufficiency[sectors, cn] * weights).sum() / weights.sum())

    def mean_ally_compliance(self) -> float:
        """Mean compliance of the allies over the small-yard sectors."""
        return _mean(self.compliance[self.ally_yard])

    # ------------------------------------------------------------------ live changes
    def set_params(self, changes: dict, origin: str = "live") -> None:
        """Change live parameters from the next step on (classroom levers, scenario events)."""
        self.params = apply_changes(self.params, changes, origin, self.world.sectors)
        for path, value in changes.items():
            self.changes.append((self.steps, self.year, path, value, origin))

    def _apply_due_events(self, quarter_start: float) -> None:
        while self._next_event < len(self._events) and self._events[self._next_event].year <= quarter_start + 1e-9:
            event = self._events[self._next_event]
            self.set_params(event.changes, origin=f"event {event.year:g}" + (f" ({event.note})" if event.note else ""))
            self._next_event += 1

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        quarter_start = self.params.time.start_year + (self.steps - 1) / 4.0
        self._apply_due_events(quarter_start)
        w = self.world
        self.demand_index = (1.0 + w.demand_growth) ** self.years_elapsed

        self.controller.set_policy(quarter_start)
        Ally.decide_all(self)
        self.target.respond()
        export_controls.update_binding(self)
        export_controls.update_denial(self)

        coopetition.update(self)
        knowledge.update(self)
        standards.update(self)

        market.design_out(self)
        reshoring.update(self)
        self.firms.cost = self.unit_cost()
        market.clear(self)
        self._update_market_indicators()
        capital.update(self)
        innovation.update(self)
        self._update_welfare()
        self._record()
        if self.steps >= self.params.time.steps:
            self.running = False
            self.release()

    def release(self) -> None:
        """Let the model be garbage-collected once finished.

        Mesa 3.3.1 keeps every model alive in the class attribute ``mesa.Agent._ids`` (Mesa issue
        #3179, fixed after 3.3.1 by PR #3180), so a process that runs many models — a sweep worker —
        would grow without bound. No agent is created after the run ends, so the entry can go.
        """
        mesa.Agent._ids.pop(self, None)

    def _record(self) -> None:
        self.datacollector.collect(self)
        self.table.record(self)
        if self.check:
            check_invariants(self)

    def run(self) -> "DecouplingModel":
        """Run to the scenario's last step."""
        while self.running and self.steps < self.params.time.steps:
            self.step()
        return self
