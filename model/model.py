"""The decoupling model: a ``mesa.Model`` of states and firms, one step per quarter.

The state is held in named parts (see :mod:`decouple.state`): ``layout`` (fixed for the run),
``policy`` (the US levers in force), ``relations`` (between states), ``market`` and ``firms``.
:meth:`DecouplingModel.step` tells the quarter in order; each phase's docstring says what it
reads and writes, and where a phase reads what a later phase rewrites, it reads last quarter's
value on purpose (the step says so).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import mesa
import numpy as np

from . import outcomes
from .agents import ROLE_CLASSES, Ally, Controller, Decision, Target, ThirdCountry
from .config import Event, Parameters, Scenario, apply_changes, load_scenario, shown
from .errors import ConfigError
from .firms import Firms, build_firms
from .i18n import gettext as _
from .mechanisms import (
    accounts,
    capital,
    coopetition,
    costs,
    economy,
    export_controls,
    hedging,
    innovation,
    knowledge,
    market,
    standards,
)
from .mechanisms.reshoring import production_by_location
from .metrics import MetricTable, check_invariants
from .state import Accounts, Layout, Market, Relations, layout_of, starting_market_weights
from .world import World, load_world

#: The phases of :meth:`DecouplingModel.step`, in the order it calls them: (owner, name), where
#: the owner is a mechanism module or the class whose method it is. The step calls them by name
#: (its story stays readable); tests/test_structure.py checks that it calls exactly these, in this
#: order, and that each writes only what its docstring declares. ``Target.respond`` is a phase's
#: wrapper, not a phase: it calls review_countermeasures, then support_substitution.
PHASES: tuple[tuple[Any, str], ...] = (
    (economy, "update_spending"),
    (Controller, "review"),  # once a year, from here ...
    (Target, "review_ties"),
    (ThirdCountry, "hedge"),  # ... to here
    (Controller, "set_policy"),
    (Ally, "decide"),
    (Target, "review_countermeasures"),
    (Target, "support_substitution"),
    (export_controls, "update_binding"),
    (export_controls, "update_denial"),
    (coopetition, "update"),
    (knowledge, "update"),
    (standards, "update"),
    (Firms, "design_out"),
    (Firms, "relocate"),
    (costs, "update"),
    (market, "clear"),
    (capital, "update"),
    (Firms, "innovate"),
    (market, "update_welfare"),
    (accounts, "update"),
)
#: the phases of :data:`PHASES` that the step calls only in the first quarter of a calendar year
#: (the yearly reviews of the states whose levers may follow a rule); every other phase runs every
#: quarter. tests/test_structure.py checks both.
YEARLY: tuple[tuple[Any, str], ...] = (
    (Controller, "review"),
    (Target, "review_ties"),
    (ThirdCountry, "hedge"),
)

#: how long a cached value stands: "params" until the parameters are replaced, "step" for the quarter
Scope = Literal["params", "step"]
T = TypeVar("T")


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


#: seeds a run accepts: what numpy's generators take and an int64 column can hold
MAX_SEED = 2**63 - 1


def check_seed(seed: object, origin: str = "seed") -> int:
    """``seed`` if it is a whole number from 0 to 2**63 - 1, else a clear :class:`ConfigError`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(
            _("{origin} = {value}; allowed: a whole number from 0 to {most}").format(
                origin=origin, value=shown(seed), most=MAX_SEED
            )
        )
    if not 0 <= int(seed) <= MAX_SEED:
        raise ConfigError(
            _("{origin} = {value} is out of range; allowed: a whole number from 0 to {most}").format(
                origin=origin, value=shown(seed), most=MAX_SEED
            )
        )
    return int(seed)


class Cache:
    """Values computed from the model's state, each kept while what it was computed from stands.

    A value lives in a scope: ``"params"`` (it depends only on the parameters and the world:
    sector masks, lever arrays; dropped when the parameters are replaced, and made read-only so
    that nobody changes it by accident) or ``"step"`` (it depends on the state: dropped when the
    quarter changes). A value may also name its ``source``, the array it is computed from; it is
    recomputed when the model holds another array there. The source is held here, not its id():
    the firms replace their arrays twice a quarter, and a freed array's id is often reused by the
    next one of the same size, which returned a stale value depending on the process's memory
    history (runs differed between processes by up to 2e-4 in the capability gap).
    """

    def __init__(self) -> None:
        self._values: dict[Scope, dict[Hashable, tuple[object, Any]]] = {"params": {}, "step": {}}
        self._step = -1

    def get(self, key: Hashable, compute: Callable[[], T], scope: Scope, step: int, source: object = None) -> T:
        """The value under ``key``, computed by ``compute()`` if it is not held for this scope
        (quarter ``step``) and ``source``."""
        if scope == "step" and step != self._step:
            self._values["step"], self._step = {}, step
        values = self._values[scope]
        held = values.get(key)
        if held is not None and held[0] is source:
            return held[1]
        value = compute()
        if scope == "params":
            _read_only(value)
        values[key] = (source, value)
        return value

    def forget(self, scope: Scope) -> None:
        """Drop every value of ``scope`` (the parameters were replaced)."""
        self._values[scope] = {}


def _new_year(quarter_start: float) -> bool:
    """True for the first quarter of a calendar year."""
    return abs(quarter_start - round(quarter_start)) < 1e-9


class DecouplingModel(mesa.Model):
    """Agent-based model of technology-decoupling policies.

    Args:
        scenario: a :class:`Scenario`, a scenario name (``"full_decoupling"``) or a TOML path.
        seed: random seed (``mesa.Model(seed=...)``), a whole number from 0 to 2**63 - 1; the
            same scenario, seed and parameters give bit-identical results.
        params: parameter values by dotted path, applied on top of the scenario
            (``{"policy.fence": 0.8, "policy.yard": ["logic_chips"]}``); checked against
            ``seeds/parameters.toml``.
        world: a :class:`World` (default: read from ``seeds/``).
        check: check invariants after every step.
        **values: more parameter values by dotted path, as keywords, so that tools that pass
            plain keyword parameters can drive the model: ``mesa.batch_run(DecouplingModel,
            {"scenario": "selective_decoupling", "policy.fence": [0.3, 0.8], "seed": [1, 2]})``.

    The parameters in force are ``model.params`` (read-only); change them during a run with
    :meth:`set_params`.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path = "baseline",
        seed: int = 0,
        params: Mapping[str, Any] | None = None,
        *,
        world: World | None = None,
        check: bool = True,
        **values: Any,
    ):
        seed = check_seed(seed)
        if world is not None and not isinstance(world, World):
            raise ConfigError(
                f"world = {shown(world)}; allowed: a decouple.World (load_world()) or None for the world of seeds/"
            )
        super().__init__(seed=seed)
        self.world = world if world is not None else load_world()
        changes = {**(params or {}), **values} if isinstance(params, Mapping) or params is None else params
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, sectors=self.world.sectors, changes=changes)
        elif changes:
            scenario = dataclasses.replace(
                scenario,
                params=apply_changes(scenario.params, changes, "params", self.world.sectors),
                overrides=scenario.overrides + [f"{k}={v!r}" for k, v in changes.items()],
            )
        self.scenario = scenario
        self.params = scenario.params
        self.seed = seed
        self.check = check
        #: each quarter's outcomes go to the DataCollector and the tidy table (and the invariants
        #: are checked); off only for a run whose caller records what it needs itself (the
        #: role-play's what-ifs): nothing in the model reads what was recorded
        self.recording = True
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
        if not isinstance(value, Parameters):
            raise ConfigError(
                f"model.params = {shown(value)}: parameters change through model.set_params({{'policy.fence': "
                "0.8}), which checks them"
            )
        self._params = value
        if not hasattr(self, "_cache"):
            self._cache = Cache()
        self._cache.forget("params")

    def cached(self, key: Hashable, compute: Callable[[], T], scope: Scope = "step", source: object = None) -> T:
        """``compute()``, computed once per ``scope`` and then reused (see :class:`Cache`):
        ``"params"`` for values that depend only on the parameters and the world (made
        read-only), ``"step"`` for values of this quarter's state; ``source``, the array the value
        is computed from, when that array may be replaced during the quarter."""
        return self._cache.get(key, compute, scope, self.steps, source)

    def derived(self, build: Callable[..., T], *args: Any) -> T:
        """``build(model, *args)``, computed once for the current parameters and then reused:
        values that depend only on the parameters and the world (sector masks, lever arrays)."""
        return self.cached((build, args), lambda: build(self, *args), scope="params")

    # ------------------------------------------------------------------ set-up
    def _build(self) -> None:
        w, p = self.world, self.params
        S, C = w.n_sectors, w.n_countries
        self.firms = f = build_firms(w, p, self.rng)
        f.model = self
        fixed = layout_of(w, f, f.groups)
        fixed["quality_sensitivity"] = fixed["quality_sensitivity"] * p.market.quality_scale
        cn = fixed["cn"]
        # Before any policy: no controls, so no covered Chinese buyers.
        self.policy = export_controls.controller_policy(p, w.sectors, -np.inf, fixed["reshoring_weights"])
        #: the sizes of the state parts' declared shapes (see decouple.state)
        self.dims = {"S": S, "C": C, "n": f.n, "B": C + 1, "K": len(w.chokepoints)}
        self.market = Market.initial(
            self.dims,
            spending=fixed["demand0"].copy(),
            spending_open=fixed["demand0"].copy(),
            attractiveness=f.base_attractiveness.copy(),
            welfare_groups={"THIRD": 100.0, "WORLD": 100.0},
        )
        # The step-0 market, then the weights read off it (their fields are set last).
        layout = Layout(
            **fixed,
            self_sufficiency0=np.empty(0),
            china_priority=np.empty(0),
            china_export_share0=np.empty(0),
            gdp_rest0=np.empty(0),
            market_share0=np.empty(0),
            bloc_balance0=np.empty(0),
            value_added0=np.empty(0),
            trend_gdp=w.trend_gdp(p.time.start_year, p.time.steps),
            demand_trend=w.demand_trend(p.time.start_year, p.time.steps, p.economy.demand_growth_scale),
            open_world_price_fall=economy.open_world_price_fall(
                w,
                p.world.prior_output_years,
                p.time.start_year,
                p.time.steps,
                p.market.quality_scale,
                p.economy.demand_growth_scale,
            ),
        )
        self.market.sales = self.market.segment_demand(layout, self.policy.coverage)[f.sector] * f.shares
        self.market.tally(layout, f.groups)
        self.market.capacity = self.market.revenue * (1.0 + w.capacity_growth[:, None]) ** 0.25
        self.layout = layout  # (complete but for the weights read off this market, set just below)
        production0 = production_by_location(self)
        self.layout = dataclasses.replace(layout, **starting_market_weights(w, self.market, cn, production0))
        self.layout = dataclasses.replace(self.layout, bloc_balance0=hedging.bloc_balance(self))

        investment_in_us, investment_in_cn0 = capital.starting_flows(self)
        self.relations = Relations.initial(
            self.dims,
            trust=float(p.coopetition.trust_initial),
            investment_in_us=investment_in_us,
            investment_in_cn=investment_in_cn0.copy(),
            investment_in_cn0=investment_in_cn0,
        )
        capital.fund_rd(self)

        for i, role in enumerate(w.role):
            ROLE_CLASSES[role](self, i)
        self.controller = self.agents_by_type[Controller][0]
        self.target = self.agents_by_type[Target][0]
        self.allies = self.agents_by_type[Ally]
        self.third_countries = self.agents_by_type[ThirdCountry]
        # The adaptive states' chance (US politics) draws from its own stream, spawned from the
        # model's without drawing from it: switching a state to its rule leaves every other
        # random number of the run as it was (common random numbers).
        self.decision_rng = self.rng.spawn(1)[0]
        self.decisions: list[Decision] = []
        self.last_decided: dict[tuple[str, str], object] = {}  # (state, lever) -> value last logged
        # China's standing support (its base level) flows from the start.
        self.target.support_substitution()
        f.rd = innovation.rd_spending(f, w, self.years_elapsed, p.reshoring.rd_diversion)
        f.rd0 = f.rd.copy()
        self.accounts = Accounts.initial(self.dims, production=production0)
        accounts.update(self)

        # One reporter per outcome of the registry, under its name (decouple.outcomes).
        self.datacollector = mesa.DataCollector(model_reporters=outcomes.reporters(w))
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

    # ------------------------------------------------------------------ indicators
    def capability_gap(self) -> np.ndarray:
        """(S,) US minus China effective capability, as a share of the sector frontier."""
        best = self.best_effective_capability()
        return self.cached(
            "capability_gap",
            lambda: (best[:, self.layout.us] - best[:, self.layout.cn]) / self.firms.frontier,
            source=best,
        )

    def best_effective_capability(self) -> np.ndarray:
        """(S, C) effective capability of each country's best firm (computed once per state)."""
        capability = self.firms.effective_capability
        return self.cached(
            "best_effective_capability", lambda: self.firms.best_by_country(capability), source=capability
        )

    def per_step(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per quarter (for values several outcomes share)."""
        return self._cache.get(key, compute, "step", self.steps)  # cached(key, compute), one call less

    def outcome(self, name: str) -> float:
        """The current value of a quarterly outcome of :mod:`decouple.outcomes`."""
        return float(outcomes.resolve(name, self.world).compute(self))

    # ------------------------------------------------------------------ live changes
    def set_params(self, changes: dict, origin: str = "live") -> None:
        """Change live parameters from the next step on (classroom levers, scenario events)."""
        self.params = apply_changes(self.params, changes, origin, self.world.sectors)
        for path, value in changes.items():
            self.changes.append((self.steps, self.year, path, value, origin))

    def schedule(self, event: Event) -> None:
        """Add a dated event to a running model, as if its scenario had declared it: it applies at
        the start of the quarter it names (the role-play's rounds). An event dated before the
        next quarter would never apply, and is refused."""
        next_quarter = self.year
        if event.year < next_quarter - 1e-9:
            raise ConfigError(
                f"event at {event.year:g}: the model is at {next_quarter:g}; allowed: {next_quarter:g} or later"
            )
        self.scenario.with_changes(event.changes, f"event {event.year:g}")  # checks paths and values
        later = [e for e in self._events[self._next_event :] if e.year > event.year + 1e-9]
        self._events = self._events[: len(self._events) - len(later)] + [event] + later

    def _apply_due_events(self, quarter_start: float) -> None:
        while self._next_event < len(self._events) and self._events[self._next_event].year <= quarter_start + 1e-9:
            event = self._events[self._next_event]
            self.set_params(event.changes, origin=f"event {event.year:g}" + (f" ({event.note})" if event.note else ""))
            self._next_event += 1

    # ------------------------------------------------------------------ step
    def _wrapped_step(self, *args: Any, **kwargs: Any) -> None:
        """Mesa's step wrapper (it counts the step), except after the last step, where a call
        does nothing: the run is over (``running`` is False) and its results stay as they are."""
        if self.steps >= self.params.time.steps:
            self.running = False
            return
        super()._wrapped_step(*args, **kwargs)

    def step(self) -> None:
        """One quarter. Mesa has already counted it: ``steps`` is this quarter's number."""
        quarter_start = self.params.time.start_year + (self.steps - 1) / 4.0
        self._apply_due_events(quarter_start)
        self.market.demand_index = self.layout.demand_trend[self.steps]
        economy.update_spending(self)  # (on last quarter's income and prices)

        # States decide. The US sets its levers and lists firms on last quarter's revenue (M1-M4,
        # M11). The allies decide together from one snapshot of last quarter's compliance, China's
        # exposure and retaliation (M5). China then reviews its counter-measures against this
        # quarter's sanctions (M12) and funds substitution where last quarter's denial of inputs
        # and this quarter's controls bind (M7).
        # Once a year adaptive states first review their levers (M13, M14, M16; a scenario's
        # [adaptive] switches say which levers follow a rule rather than the script).
        if _new_year(quarter_start):
            self.controller.review(quarter_start)
            self.target.review_ties()
            self.third_countries.do("hedge")
        self.controller.set_policy(quarter_start)
        self.allies.do("decide", self.relations.compliance.copy())
        self.target.respond()

        # Controls bind firms (with this quarter's compliance) and deny chokepoint inputs (with
        # this quarter's substitution).
        export_controls.update_binding(self)
        export_controls.update_denial(self)

        # Relations: trust and shocks (this quarter's hostility), collaboration (this quarter's
        # trust), the ecosystem split.
        coopetition.update(self)
        knowledge.update(self)
        standards.update(self)

        # Firms design out US content and move production on last quarter's sales; costs follow.
        self.firms.design_out()
        self.firms.relocate()
        costs.update(self)

        # Buyers reallocate demand (M3, M6); investment flows adjust to this quarter's trust (M2);
        # firms spend this quarter's revenue on R&D and innovate; consumers' welfare, then every
        # country's welfare in money and its GDP.
        market.clear(self)
        capital.update(self)
        self.firms.innovate()
        market.update_welfare(self)
        accounts.update(self)
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
        if not self.recording:
            return
        self.datacollector.collect(self)
        self.table.record(self)
        if self.check:
            check_invariants(self)

    def run(self) -> DecouplingModel:
        """Run to the scenario's last step."""
        while self.running and self.steps < self.params.time.steps:
            self.step()
        return self
