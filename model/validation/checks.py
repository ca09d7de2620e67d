"""The evidence checks of `decouple validate`, read from ``seeds/checks.toml``.

Each check compares one model quantity with documented figures (``seeds/facts.toml``) and passes
when the seed mean falls within a stated tolerance. Five kinds:

- ``calibration`` — in-sample: the figures the calibration fits (``seeds/calibration.toml``);
- ``replay`` — out-of-sample: the historical replay against figures the fit never sees;
- ``consistency`` — the replay against figures that also set the model's starting data (2018
  shares placed at 2016): they check that the replay keeps what it was given, not that it
  predicts;
- ``pattern`` — model experiments for the patterns the documents describe;
- ``literature`` — other models' published estimates of what decoupling costs, and published
  price and spending series, each compared with the model run in the closest experiment it
  allows. They are never fitted to; each tolerance is the published range, or at most a factor of
  2 around a point estimate, written down before the comparison was first run, and each label
  names the estimate's scope (technology or all trade, long run or a year).

A check is a row of ``seeds/checks.toml`` (its header describes the keys): what is compared, in
the measurement language of :mod:`decouple.measure` where an outcome holds it, the facts, the
target and the rule its tolerance follows. What no outcome holds (a delay until a threshold is
crossed, a share of international sales, an experiment on a changed world) is a small function of
:data:`COMPUTATIONS` that the row names. Every check takes the context's ``overrides`` so that
tests can perturb the model (e.g. switch import replacement off) and see a check fail.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..config import load_scenario
from ..errors import ConfigError, EvidenceError, suggest
from ..evaluate import Point, build
from ..measure import Measure, Reader
from ..model import DecouplingModel
from ..paths import evidence_dir, scenarios_dir
from ..world import World, load_world
from .facts import Fact, fact, load_facts
from .replay import HISTORICAL, ReplaySeries, historical_scenario, run_replay

KINDS = ("calibration", "replay", "consistency", "pattern", "literature")
#: how a tolerance follows from the row, and the numbers each rule needs
RULES: dict[str, tuple[str, ...]] = {
    "range": ("low", "high"),
    "factor": ("factor",),
    "at least": ("low",),
    "at most": ("high",),
}
#: ``against`` this name in the replay: the same years without the replay's events
NO_EVENTS = "no_events"
CHANGES = ("relative", "difference")
REQUIRED = ("id", "kind", "facts", "compared", "documented", "target", "rule", "why")
OPTIONAL = (
    "low",
    "high",
    "factor",
    "restates_start",
    "measure",
    "scenario",
    "since",
    "change",
    "experiment",
    "steps",
    "scale",
    "computation",
    "args",
)
#: keys that only a measured row (not a computation) takes
MEASURE_KEYS = ("measure", "scenario", "since", "change", "experiment", "steps", "scale")


#: a computation: (context, seed, **the row's args) -> the model quantity
Computation = Callable[..., float]
_F = TypeVar("_F", bound=Computation)


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    facts: tuple[str, ...]
    compared: str  # what the model quantity is
    documented: str  # the documented figure, in words
    target: float  # the figure as a number on the model quantity's scale
    low: float  # pass when low <= seed mean <= high
    high: float
    why: str  # why this tolerance
    compute: Callable[[Context, int], float]  # (context, seed) -> the model quantity
    restates_start: bool = False  # the figure also set the model's starting data
    rule: str = "range"  # how low and high follow (RULES)
    measure: Measure | None = None  # what is compared, where an outcome holds it
    scenario: str = ""  # ... in which scenario
    computation: str = ""  # else: the name of its function in COMPUTATIONS

    def passes(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)

    @property
    def tolerance(self) -> str:
        if np.isinf(self.high):
            return f">= {self.low:g}"
        if np.isinf(self.low):
            return f"<= {self.high:g}"
        return f"{self.low:g} to {self.high:g}"


# ----------------------------------------------------------------------------- context


class Context:
    """Runs shared by the checks for one set of seeds and overrides (cached)."""

    def __init__(
        self, world: World, overrides: tuple[str, ...] = (), event_values: tuple[tuple[str, str, float], ...] = ()
    ):
        self.world = world
        self.overrides = tuple(overrides)
        self.event_values = tuple(event_values)  # (event id, path, value) for the replay
        self._replays: dict[tuple[int, bool], ReplaySeries] = {}
        self._runs: dict[tuple, DecouplingModel] = {}

    def replay(self, seed: int, counterfactual: bool = False) -> ReplaySeries:
        """The historical replay with ``seed``; with ``counterfactual``, the same years without
        its events (the policies of 2016 kept, nothing added)."""
        key = (seed, counterfactual)
        if key not in self._replays:
            scenario = historical_scenario(self.world, self.overrides)
            for event_id, path, value in self.event_values:
                scenario = scenario.with_event_value(event_id, path, value)
            if counterfactual:
                scenario = dataclasses.replace(scenario, events=[])
            self._replays[key] = run_replay(seed, scenario, self.world)
        return self._replays[key]

    def run(
        self, scenario: str, seed: int, extra: tuple[str, ...] = (), world: World | None = None, key: str = ""
    ) -> DecouplingModel:
        """A finished run of ``scenario`` with ``extra`` overrides (then the context's); ``key``
        tells apart runs in another ``world``."""
        cache_key = (scenario, seed, extra, key)
        if cache_key not in self._runs:
            w = world or self.world
            spec = load_scenario(scenario, extra + self.overrides, sectors=w.sectors)
            self._runs[cache_key] = build(Point(spec, seed), w).run()
        return self._runs[cache_key]


def replay_reader(series: ReplaySeries) -> Reader:
    """Reads the replay as the documented yearly figures are given: a year is the mean of its
    four quarters (:meth:`ReplaySeries.annual`)."""

    def read(name: str, year: float | None) -> float:
        if year is None:
            raise ValueError(f"the replay's '{name}' needs a year (OUTCOME@YEAR)")
        return series.annual(name, int(year))

    return read


def run_reader(model: DecouplingModel) -> Reader:
    """Reads a finished run at its end (a measure without a year, or with the run's last year)."""

    def read(name: str, year: float | None) -> float:
        if year is not None and year != model.year:
            raise ValueError(f"'{name}@{year:g}': a finished run reads its end, {model.year:g}")
        return model.outcome(name)

    return read


def measured(
    measure: Measure,
    scenario: str,
    since: float | None = None,
    change: str = "relative",
    extra: tuple[str, ...] = (),
    steps: int | None = None,
    scale: float | None = None,
) -> Callable[[Context, int], float]:
    """The check's quantity from ``measure`` read in ``scenario`` (see ``seeds/checks.toml``):
    with ``since``, its change since that year; times ``scale``."""
    length = (f"time.steps={steps}",) if steps is not None else ()

    def readers(ctx: Context, seed: int) -> tuple[Reader, Reader | None]:
        if scenario == HISTORICAL:
            reference = replay_reader(ctx.replay(seed, counterfactual=True)) if measure.against else None
            return replay_reader(ctx.replay(seed)), reference
        run = run_reader(ctx.run(scenario, seed, extra + length))
        if measure.against:
            return run, run_reader(ctx.run(measure.against, seed, length))
        return run, None

    def compute(ctx: Context, seed: int) -> float:
        read, reference = readers(ctx, seed)
        value = measure.value(read, reference)
        if since is not None:
            then = measure.at(since).value(read, reference)
            value = value / then - 1.0 if change == "relative" else value - then
        return value if scale is None else scale * value

    return compute


# ----------------------------------------------------------------------------- computations

#: what no outcome holds, by the name a row of ``seeds/checks.toml`` gives as ``computation``
COMPUTATIONS: dict[str, Computation] = {}


def computation(function: _F) -> _F:
    """Register ``function`` under its name in :data:`COMPUTATIONS`."""
    COMPUTATIONS[function.__name__] = function
    return function


@computation
def alliance_delay(ctx: Context, seed: int) -> float:
    """Years from the US acting alone (October 2022) until the Netherlands and Japan both apply
    a quarter of its chip-tool controls."""
    r = ctx.replay(seed)
    years, nl = r.series("compliance_NL_chip_tools")
    _, jp = r.series("compliance_JP_chip_tools")
    joined = np.flatnonzero((np.minimum(nl, jp) >= 0.25) & (years > 2022.75))
    return float(years[joined[0]] - 2022.75) if joined.size else float("inf")


@computation
def china_share_of_us_chip_sales(ctx: Context, seed: int) -> float:
    """China's share of US logic-chip firms' sales after the first quarter (the 2018 data)."""
    m = ctx.run("baseline", seed, ("time.steps=1",), key="start")
    j, us, cn = ctx.world.sector_index("logic_chips"), ctx.world.country_index("US"), ctx.world.country_index("CN")
    return float(m.market.bilateral[j, us, cn] / m.market.revenue[j, us])


def satellite_world(world: World) -> World:
    """The world with the aerospace market split as the satellite market was before 1998."""
    us_share, _ = fact("itar_satellites").value
    w = copy.deepcopy(world)
    j, us = w.sector_index("aerospace"), w.country_index("US")
    others = w.market_share[j].copy()
    others[us] = 0.0
    w.market_share[j] = others / others.sum() * (1.0 - us_share)
    w.market_share[j, us] = us_share
    return w


SATELLITE_POLICY = (
    "policy.yard=aerospace",
    "policy.all_destinations=aerospace",
    "policy.country_wide=aerospace",
    "policy.fence=0.8",
    "policy.licence_approval=0.2",
    "policy.ally_pressure=0.0",
    "policy.start_year=2018.0",
)


def _international_share(model: DecouplingModel, sector: int, country: int) -> float:
    """The country's firms' share of sales to buyers outside the country."""
    sales = model.market.bilateral[sector]
    abroad = np.ones(sales.shape[1], dtype=bool)
    abroad[country] = False
    return float(sales[country, abroad].sum() / sales[:, abroad].sum())


@computation
def satellite_loss(ctx: Context, seed: int) -> float:
    """Relative fall of the US share of the international aerospace market ten years after
    unilateral, all-destination controls, with capable allied (European) firms that do not comply."""
    w = satellite_world(ctx.world)
    j, us = w.sector_index("aerospace"), w.country_index("US")
    start = _international_share(ctx.run("baseline", seed, ("time.steps=1",), world=w, key="satellite-start"), j, us)
    m = ctx.run("baseline", seed, SATELLITE_POLICY + ("time.steps=40",), world=w, key="satellite")
    return _international_share(m, j, us) / start - 1.0


PV_POLICY = (
    "policy.trade_remedy=0.5",
    "policy.trade_remedy_sectors=solar_pv",
    "policy.tariff=0.25",
    "policy.tariff_sectors=solar_pv",
    "policy.start_year=2018.0",
)


@computation
def pv_share_change(ctx: Context, seed: int) -> float:
    """Change of China's world PV share in the decade after US duties and tariffs (against the
    world's starting data, which no run's outcome holds)."""
    m = ctx.run("baseline", seed, PV_POLICY + ("time.steps=40",), key="pv")
    j, cn = ctx.world.sector_index("solar_pv"), ctx.world.country_index("CN")
    return float(m.outcome("cn_share_solar_pv") - ctx.world.market_share[j, cn])


@computation
def ally_lag(ctx: Context, seed: int) -> float:
    """Years after US pressure starts until allies reach half of their compliance three years on
    (selective decoupling, small-yard sectors)."""
    spec = load_scenario("selective_decoupling", ctx.overrides, sectors=ctx.world.sectors)
    m = build(Point(spec, seed), ctx.world)
    start = spec.params.policy.start_year
    path = []
    while m.running and m.year < start + 3.0 + 1e-9:
        m.step()
        path.append((m.year, m.outcome("compliance_small_yard")))
    years, level = np.array(path).T
    half = 0.5 * level[-1]
    reached = np.flatnonzero(level >= half)
    return float(years[reached[0]] - start) if reached.size and half > 0 else float("inf")


@computation
def exposure_effect(ctx: Context, seed: int) -> float:
    """Change in Korea's small-yard compliance (2030) when its firms' China exposure is raised."""
    w = ctx.world
    kr = w.country_index("KR")
    exposed = copy.deepcopy(w)
    exposed.china_trade_affinity = w.china_trade_affinity + 1.5 * (np.arange(w.n_countries) == kr)
    steps = ("time.steps=48",)
    base = ctx.run("selective_decoupling", seed, steps, key="exposure-base").outcome("compliance_KR")
    high = ctx.run("selective_decoupling", seed, steps, world=exposed, key="exposure-high").outcome("compliance_KR")
    return float(high - base)


def _yard(ctx: Context) -> np.ndarray:
    spec = load_scenario("selective_decoupling", ctx.overrides, sectors=ctx.world.sectors)
    return np.array([s in spec.params.policy.yard for s in ctx.world.sectors])


@computation
def rd_change(ctx: Context, seed: int) -> float:
    """US firms' R&D in the controlled sectors in 2030, selective decoupling vs the baseline."""
    us = ctx.world.country_index("US")
    yard = _yard(ctx)
    steps = ("time.steps=48",)
    selective = ctx.run("selective_decoupling", seed, steps)
    sel = selective.firms.by_country(selective.firms.rd)[yard, us].sum()
    base_model = ctx.run("baseline", seed, steps)
    base = base_model.firms.by_country(base_model.firms.rd)[yard, us].sum()
    return float(sel / base - 1.0)


def self_sufficiency_gains(ctx: Context, seed: int, extra: tuple[str, ...] = ()) -> np.ndarray:
    """Rise of China's self-sufficiency in each controlled sector, selective decoupling (with
    ``extra`` overrides) against the baseline, 2030."""
    cn = ctx.world.country_index("CN")
    steps = ("time.steps=48",)
    yard = _yard(ctx)
    gain = (
        ctx.run("selective_decoupling", seed, steps + extra).market.self_sufficiency[:, cn]
        - ctx.run("baseline", seed, steps).market.self_sufficiency[:, cn]
    )
    return np.asarray(gain[yard])


@computation
def smallest_gain(ctx: Context, seed: int) -> float:
    """The smallest of :func:`self_sufficiency_gains`."""
    return float(self_sufficiency_gains(ctx, seed).min())


@computation
def hardest_gain_gap(ctx: Context, seed: int) -> float:
    """Gain in the yard sector hardest to catch up in, minus the smallest gain among the others
    (<= 0 when the hardest sector gains least), with the same rules in every controlled sector.

    The selective scenario binds chips and chip tools country-wide and the other yard sectors
    through the entity list only, so across its sectors a rise would compare how much of China's
    demand the rules cover, not how hard substitution is. The experiment therefore applies the
    scenario's country-wide rules to its whole yard."""
    yard = _yard(ctx)
    difficulty = ctx.world.catch_up_difficulty[yard]
    names = ",".join(np.array(ctx.world.sectors)[yard])
    gains = self_sufficiency_gains(ctx, seed, (f"policy.country_wide={names}",))
    hardest = int(np.argmax(difficulty))
    return float(gains[hardest] - np.delete(gains, hardest).min())


@computation
def welfare_order(ctx: Context, seed: int) -> float:
    """Smallest step in the ordering baseline >= co-opetition >= selective >= full (world welfare
    in money, US$ bn a year, 2035)."""
    w = [
        ctx.run(s, seed).outcome("welfare_usd_WORLD")
        for s in ("baseline", "coopetition", "selective_decoupling", "full_decoupling")
    ]
    return float(min(w[0] - w[1], w[1] - w[2], w[2] - w[3]))


WELFARE_COST = {
    region: Measure.parse(f"welfare_usd[{region}] against baseline per gdp[{region}]") for region in ("CN", "US")
}


@computation
def china_over_us_loss(ctx: Context, seed: int) -> float:
    """China's welfare loss over the US's, both in % of GDP, full decoupling against the baseline
    (above 1: China loses the larger share of its GDP; infinite when the US does not lose)."""
    china = measured(WELFARE_COST["CN"].check(ctx.world), "full_decoupling")(ctx, seed)
    us = measured(WELFARE_COST["US"].check(ctx.world), "full_decoupling")(ctx, seed)
    return china / us if us < 0 else float("inf")


@computation
def bystander_chip_price(ctx: Context, seed: int) -> float:
    """Rise of the quality-adjusted price of logic chips for EU buyers under full decoupling
    against the baseline with the same seed, 2035 (share)."""
    j, eu = ctx.world.sector_index("logic_chips"), ctx.world.country_index("EU")
    run, base = ctx.run("full_decoupling", seed), ctx.run("baseline", seed)
    return float(np.exp(base.market.surplus[j, eu] - run.market.surplus[j, eu]) - 1.0)


@computation
def open_world_price_decline(ctx: Context, seed: int, sector: str) -> float:
    """The yearly fall of ``sector``'s quality-adjusted price for the world's buyers in the
    baseline, 2018-2035 (share per year)."""
    m = ctx.run("baseline", seed)
    j = ctx.world.sector_index(sector)
    weights = m.layout.demand0[j] / m.layout.demand0[j].sum()
    fall = float((m.market.surplus[j] * weights).sum())
    return float(1.0 - np.exp(-fall / m.years_elapsed))


@computation
def spending_share_rise(ctx: Context, seed: int) -> float:
    """The modelled sectors' share of world GDP in the baseline, 2024 over 2018, less 1."""
    m = ctx.run("baseline", seed, ("time.steps=24",), key="spending-2024")
    # float() on each sum: the same divisions, typed alike under numpy 2.4's stubs and 2.5's
    start = float(m.layout.demand0.sum()) / float(m.world.gdp_2018.sum())
    return float(m.market.spending.sum()) / float(m.accounts.gdp.sum()) / start - 1.0


# ----------------------------------------------------------------------------- figures of the facts

#: what a target, low or high expression may call: over a table's values or a list's items
FUNCTIONS: dict[str, Callable[[Any], float]] = {
    "mean": lambda x: float(np.mean(list(_items(x)))),
    "min": lambda x: min(_items(x)),
    "max": lambda x: max(_items(x)),
}
_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
EXPRESSION = (
    "a number, or arithmetic (+ - * / and brackets) over the row's facts: 'fact_id', 'fact_id.key', "
    f"'fact_id[0]', {', '.join(f'{f}(fact_id)' for f in FUNCTIONS)}"
)


def _items(x: Any) -> list[Any]:
    return list(x.values()) if isinstance(x, Mapping) else list(x)


def figure_of(text: float | str, facts: Mapping[str, Fact], origin: str) -> float:
    """The number a row's ``target``, ``low`` or ``high`` gives: a number, or an expression over
    the values of ``facts`` (:data:`EXPRESSION`); a clear error otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        raise EvidenceError(f"{origin}: {text!r}; allowed: {EXPRESSION}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise EvidenceError(f"{origin}: '{text}' cannot be read; allowed: {EXPRESSION}") from None

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in facts:
                raise EvidenceError(
                    f"{origin}: '{text}' names '{node.id}', not a fact of the row{suggest(node.id, list(facts))}; "
                    f"allowed: {', '.join(facts)}"
                )
            return facts[node.id].value
        if isinstance(node, ast.Attribute):
            table = value(node.value)
            if not isinstance(table, Mapping) or node.attr not in table:
                keys = ", ".join(table) if isinstance(table, Mapping) else "none (not a table)"
                raise EvidenceError(f"{origin}: '{text}': no key '{node.attr}'; allowed: {keys}")
            return table[node.attr]
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            items, index = value(node.value), node.slice.value
            if not isinstance(items, list) or not isinstance(index, int) or not -len(items) <= index < len(items):
                raise EvidenceError(f"{origin}: '{text}': no item [{index!r}]; allowed: an index of a list")
            return items[index]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
            if node.func.id in FUNCTIONS and not node.keywords:
                return FUNCTIONS[node.func.id](value(node.args[0]))
        raise EvidenceError(f"{origin}: '{text}': '{ast.unparse(node)}' cannot be read; allowed: {EXPRESSION}")

    result = value(tree.body)
    if not isinstance(result, (int, float)) or isinstance(result, bool):
        raise EvidenceError(f"{origin}: '{text}' is {result!r}, not a number; allowed: {EXPRESSION}")
    return float(result)


def bounds(
    rule: str, target: float, row: Mapping[str, Any], facts: Mapping[str, Fact], origin: str
) -> tuple[float, float]:
    """(low, high) of a check by its rule (:data:`RULES`)."""
    if rule == "factor":
        factor = figure_of(row["factor"], facts, f"{origin}: factor")
        if not factor > 1.0:
            raise EvidenceError(f"{origin}: factor {row['factor']!r}; allowed: a number above 1")
        low, high = sorted((target / factor, target * factor))
        return low, high
    low = figure_of(row["low"], facts, f"{origin}: low") if "low" in row else -math.inf
    high = figure_of(row["high"], facts, f"{origin}: high") if "high" in row else math.inf
    if not low <= high:
        raise EvidenceError(f"{origin}: low {low:g} above high {high:g}; allowed: low <= high")
    return low, high


# ----------------------------------------------------------------------------- the rows


def _scenarios() -> set[str]:
    return {path.stem for path in scenarios_dir().glob("*.toml")}


def _row_check(row: Mapping[str, Any], experiments: Mapping[str, Any], world: World, origin: str) -> Check:
    """One row as a :class:`Check`; a clear error naming the row, key and value otherwise."""
    missing = [k for k in REQUIRED if k not in row]
    unknown = sorted(set(row) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise EvidenceError(
            f"{origin}: missing {missing or 'nothing'}; unknown keys {unknown or 'none'}; "
            f"allowed: {', '.join(REQUIRED + OPTIONAL)}"
        )
    if row["kind"] not in KINDS:
        raise EvidenceError(f"{origin}: kind '{row['kind']}'; allowed: {', '.join(KINDS)}")
    if row["rule"] not in RULES:
        raise EvidenceError(f"{origin}: rule '{row['rule']}'; allowed: {', '.join(RULES)}")
    needs = RULES[row["rule"]]
    extra = [k for k in ("low", "high", "factor") if k in row and k not in needs]
    if any(k not in row for k in needs) or extra:
        raise EvidenceError(
            f"{origin}: rule '{row['rule']}' with {[k for k in ('low', 'high', 'factor') if k in row]}; "
            f"allowed: exactly {', '.join(needs)}"
        )
    known = load_facts()
    if not isinstance(row["facts"], list) or not row["facts"]:
        raise EvidenceError(f"{origin}: facts {row['facts']!r}; allowed: a list of fact ids of facts.toml")
    for fact_id in row["facts"]:
        if fact_id not in known:
            raise EvidenceError(
                f"{origin}: fact '{fact_id}'{suggest(fact_id, list(known))}; allowed: an id of "
                f"{evidence_dir() / 'facts.toml'}"
            )
    facts = {f: known[f] for f in row["facts"]}
    target = figure_of(row["target"], facts, f"{origin}: target")
    low, high = bounds(row["rule"], target, row, facts, origin)
    if math.isinf(low) and math.isinf(high):
        raise EvidenceError(f"{origin}: a tolerance without bounds can never fail; allowed: low or high")
    measure, scenario, name = None, "", ""
    if ("computation" in row) == ("measure" in row):
        raise EvidenceError(f"{origin}: give either 'measure' (with 'scenario') or 'computation', not both or none")
    if "computation" in row:
        compute, name = _computed(row, origin)
    else:
        measure, scenario, compute = _measured(row, experiments, world, origin)
    return Check(
        row["id"],
        row["kind"],
        tuple(row["facts"]),
        row["compared"],
        row["documented"],
        target,
        low,
        high,
        row["why"],
        compute,
        bool(row.get("restates_start", False)),
        row["rule"],
        measure,
        scenario,
        name,
    )


def _computed(row: Mapping[str, Any], origin: str) -> tuple[Callable[[Context, int], float], str]:
    name = row["computation"]
    stray = [k for k in MEASURE_KEYS if k in row]
    if stray:
        raise EvidenceError(f"{origin}: {stray} with a computation; allowed: 'args' only")
    if name not in COMPUTATIONS:
        raise EvidenceError(
            f"{origin}: computation '{name}'{suggest(name, list(COMPUTATIONS))}; allowed: {', '.join(COMPUTATIONS)}"
        )
    function, args = COMPUTATIONS[name], row.get("args", {})
    try:
        if not isinstance(args, dict):
            raise TypeError("not a table")
        inspect.signature(function).bind(None, 0, **args)
    except TypeError as exc:
        wanted = list(inspect.signature(function).parameters)[2:]
        raise EvidenceError(f"{origin}: args {args!r} of '{name}' ({exc}); allowed: {wanted or 'none'}") from None
    return (lambda ctx, seed: float(function(ctx, seed, **args))), name


def _measured(
    row: Mapping[str, Any], experiments: Mapping[str, Any], world: World, origin: str
) -> tuple[Measure, str, Callable[[Context, int], float]]:
    if "args" in row:
        raise EvidenceError(f"{origin}: 'args' with a measure; allowed: with a computation only")
    try:
        measure = Measure.parse(row["measure"], origin).check(world, origin)
    except ConfigError as exc:
        raise EvidenceError(str(exc)) from None
    scenario = row.get("scenario")
    if scenario not in _scenarios():
        raise EvidenceError(
            f"{origin}: scenario {scenario!r}{suggest(scenario, sorted(_scenarios()))}; "
            f"allowed: {', '.join(sorted(_scenarios()))}"
        )
    if scenario == HISTORICAL:
        if measure.year is None:
            raise EvidenceError(f"{origin}: measure '{measure}' in the replay; allowed: OUTCOME@YEAR")
        if measure.against not in (None, NO_EVENTS):
            raise EvidenceError(f"{origin}: 'against {measure.against}' in the replay; allowed: against {NO_EVENTS}")
        stray = [k for k in ("experiment", "steps") if k in row]
        if stray:
            raise EvidenceError(f"{origin}: {stray} in the replay; allowed: the replay's own years")
        replayed = set(_replayed(world))
        for name in measure.reads:
            if name not in replayed:
                raise EvidenceError(
                    f"{origin}: '{name}' is not recorded by the replay; allowed: {', '.join(sorted(replayed))}"
                )
    else:
        if measure.against is not None and measure.against not in _scenarios():
            raise EvidenceError(
                f"{origin}: 'against {measure.against}'; allowed: {', '.join(sorted(_scenarios()))} "
                f"({NO_EVENTS} in the replay only)"
            )
        if measure.year is not None:
            raise EvidenceError(f"{origin}: measure '{measure}' in a run; allowed: no @YEAR (the run's end)")
    if "since" in row and measure.year is None:
        raise EvidenceError(f"{origin}: since {row['since']!r} without a year; allowed: OUTCOME@YEAR with since")
    change = row.get("change", "relative")
    if change not in CHANGES or ("change" in row and "since" not in row):
        raise EvidenceError(f"{origin}: change {change!r}; allowed: {', '.join(CHANGES)}, with since")
    extra: tuple[str, ...] = ()
    if "experiment" in row:
        if row["experiment"] not in experiments:
            raise EvidenceError(
                f"{origin}: experiment {row['experiment']!r}; allowed: {', '.join(experiments) or 'none'}"
            )
        extra = tuple(experiments[row["experiment"]]["set"])
    for key in ("since", "steps", "scale"):
        if key in row and (not isinstance(row[key], (int, float)) or isinstance(row[key], bool)):
            raise EvidenceError(f"{origin}: {key} {row[key]!r}; allowed: a number")
    if "steps" in row and not (isinstance(row["steps"], int) and row["steps"] > 0):
        raise EvidenceError(f"{origin}: steps {row['steps']!r}; allowed: a whole number of quarters above 0")
    since = float(row["since"]) if "since" in row else None
    scale = float(row["scale"]) if "scale" in row else None
    return measure, scenario, measured(measure, scenario, since, change, extra, row.get("steps"), scale)


def _replayed(world: World) -> list[str]:
    from .replay import replay_series

    return replay_series(world)


def _experiments(table: Mapping[str, Any], file: Path) -> dict[str, Any]:
    experiments = table.get("experiment", {})
    for name, spec in experiments.items():
        if not isinstance(spec, dict) or set(spec) != {"set"} or not isinstance(spec["set"], list):
            raise EvidenceError(f'{file}: [experiment.{name}]: {spec!r}; allowed: set = ["path=value", ...]')
        try:
            load_scenario("baseline", tuple(spec["set"]))
        except ConfigError as exc:
            raise EvidenceError(f"{file}: [experiment.{name}]: {exc}") from None
    return dict(experiments)


def load_checks(file: Path | None = None, world: World | None = None) -> list[Check]:
    """The checks of ``file`` (default ``seeds/checks.toml``), in the order of :data:`KINDS`."""
    file = Path(file) if file is not None else evidence_dir() / "checks.toml"
    world = world if world is not None else load_world()
    from ..config import read_toml

    table = read_toml(file, EvidenceError)
    unknown = sorted(set(table) - {"check", "experiment"})
    if unknown:
        raise EvidenceError(f"{file}: unknown tables {unknown}; allowed: [[check]], [experiment.NAME]")
    experiments = _experiments(table, file)
    checks: list[Check] = []
    for i, row in enumerate(table.get("check", [])):
        origin = f"{file}: check #{i + 1} ({row.get('id', '?')})"
        check = _row_check(row, experiments, world, origin)
        if check.id in {c.id for c in checks}:
            raise EvidenceError(f"{origin}: duplicate id '{check.id}'; allowed: an id no other check has")
        checks.append(check)
    return sorted(checks, key=lambda c: KINDS.index(c.kind))


@lru_cache(maxsize=1)
def _default_checks() -> tuple[Check, ...]:
    return tuple(load_checks())


def all_checks() -> list[Check]:
    """The checks of ``seeds/checks.toml`` (read once)."""
    return list(_default_checks())
