"""The model's state in named parts.

A :class:`~decouple.model.DecouplingModel` holds its state in a few objects, so that a reader
(and each mechanism's docstring) can say which part a rule reads and which it writes:

- ``model.layout`` (:class:`Layout`): fixed for the whole run — where each firm sits in the
  arrays, role masks, buyer segments, and the 2018 weights and levels that rules compare with.
- ``model.policy`` (:class:`~decouple.mechanisms.export_controls.PolicyState`): the US levers in
  force this quarter, written by the controller.
- ``model.relations`` (:class:`Relations`): what lies between states — trust, allies'
  compliance, China's counter-measures and substitution, research collaboration, the ecosystem
  split and the investment flows.
- ``model.market`` (:class:`Market`): demand, tariffs, who buys from whom, revenue, shares and
  consumers' welfare.
- ``model.accounts`` (:class:`Accounts`): each country's welfare in money and its GDP.
- ``model.firms`` (:class:`~decouple.firms.Firms`): every firm's numbers, one row per firm.

Array shapes: ``S`` sectors, ``C`` countries, ``n`` firms, ``B = C + 1`` buyer segments (one per
country, plus the Chinese buyers that US controls cover), ``K`` chokepoint inputs.

The changing parts (:class:`Relations`, :class:`Market`, :class:`Accounts`, and the firms) declare
each field with :func:`part`: its shape, its value at step 0 and the bounds it must keep. So a
part builds itself (:meth:`StatePart.initial`, called by ``DecouplingModel._build``), and the
invariant checks (:func:`decouple.metrics.check_invariants`) read the bounds from the declarations
(:func:`bound_violations`): a new field is started and checked where it is declared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from .groups import Groups
from .world import World

#: the model's attributes that hold its state, as this docstring lists them; the invariant checks
#: go over those that declare bounds
STATE_PARTS = ("layout", "policy", "relations", "market", "accounts", "firms")

#: the upper bound of a field may depend on the parameters in force (collaboration may rise above
#: 1 by the joint programmes' lift)
Limit = float | Callable[[Any], float]


@dataclass(frozen=True)
class Bounds:
    """The range a field's values must stay in, ``slack`` beyond either end allowed for rounding."""

    low: Limit
    high: Limit
    slack: float = 0.0

    def at(self, params: Any) -> tuple[float, float]:
        """(low, high) under ``params``."""

        def value(limit: Limit) -> float:
            return limit(params) if callable(limit) else float(limit)

        return value(self.low), value(self.high)


#: shares and indices in [0, 1]; sums of shares may miss 1 by rounding
UNIT = Bounds(0.0, 1.0, slack=1e-12)
#: money, capability and other amounts that cannot be negative (checked exactly)
NONNEGATIVE = Bounds(0.0, np.inf)

#: a field's start value that its part cannot know alone: ``initial`` must be given it
GIVEN: Any = object()


def part(shape: str = "", start: Any = GIVEN, bounds: Bounds | None = None, dtype: type = float) -> Any:
    """Declare a field of a state part: its ``shape`` over the dimensions of this module's
    docstring (``"(C, S)"``; ``""`` for a number), its ``start`` value at step 0 (every element;
    ``GIVEN`` when the model computes it, ``None`` for a field that starts empty) and the
    ``bounds`` the invariant checks hold it to."""
    return dataclasses.field(metadata={"shape": shape, "start": start, "bounds": bounds, "dtype": dtype})


def shape_of(shape: str, dims: Mapping[str, int]) -> tuple[int, ...]:
    """``"(C, S)"`` as a tuple of sizes, from ``dims`` (``{"S": 7, "C": 9, ...}``)."""
    return tuple(dims[name.strip()] for name in shape.strip("()").split(",") if name.strip())


P = TypeVar("P", bound="StatePart")


class StatePart:
    """A part of the state whose fields are declared with :func:`part`."""

    #: how the part's fields are named in messages ("negative firm revenue")
    label: ClassVar[str] = ""
    #: (set by ``@dataclass`` on each part; declared so that the type checker knows a part is one)
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @classmethod
    def initial(cls: type[P], dims: Mapping[str, int], **given: Any) -> P:
        """The part at step 0: each field filled with its declared start over its declared shape,
        except the fields in ``given``, which the model computes (those declared ``GIVEN`` must be)."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(given) - set(fields))
        if unknown:
            raise TypeError(f"{cls.__name__}.initial: no fields {unknown}; allowed: {sorted(fields)}")
        values: dict[str, Any] = {}
        for name, declared in fields.items():
            if name in given:
                values[name] = given[name]
                continue
            start = declared.metadata.get("start", GIVEN)
            if start is GIVEN:
                raise TypeError(f"{cls.__name__}.initial: give {name}, which has no declared start value")
            shape, dtype = declared.metadata["shape"], declared.metadata["dtype"]
            if start is None:
                values[name] = None
            elif shape:
                values[name] = np.full(shape_of(shape, dims), start, dtype=dtype)
            else:
                values[name] = dtype(start)
        return cls(**values)

    @classmethod
    def bounded(cls) -> tuple[tuple[str, Bounds], ...]:
        """(field, bounds) of every field that declares bounds, in declaration order."""
        return _bounded_fields(cls)


_BOUNDED: dict[type, tuple[tuple[str, Bounds], ...]] = {}


def _bounded_fields(cls: type) -> tuple[tuple[str, Bounds], ...]:
    # read once per class: the invariant checks ask every quarter
    found = _BOUNDED.get(cls)
    if found is None:
        found = _BOUNDED[cls] = tuple(
            (f.name, f.metadata["bounds"]) for f in dataclasses.fields(cls) if f.metadata.get("bounds") is not None
        )
    return found


def bound_violations(state: StatePart, params: Any) -> list[str]:
    """What in ``state`` lies outside its declared bounds under ``params``, one message per field
    (empty when all is in bounds). NaN counts as outside."""
    problems = []
    for name, bounds in _bounded_fields(type(state)):
        value = getattr(state, name)
        if value is None:
            continue
        if isinstance(value, np.ndarray):
            if value.size == 0:
                continue
            lowest, highest = value.min(), value.max()
        else:
            lowest = highest = value
        low, high = bounds.at(params)
        if low - bounds.slack <= lowest and highest <= high + bounds.slack:
            continue
        if high == np.inf and not lowest < low - bounds.slack:
            problems.append(f"NaN in {state.label} {name}")
        elif high == np.inf:
            problems.append(f"negative {state.label} {name}")
        else:
            problems.append(f"{state.label} {name} outside [{low:g}, {high:g}]")
    return problems


@dataclass
class Chokepoints:
    """The chokepoint inputs of ``seeds/sectors.toml`` as arrays over inputs (K)."""

    holders: np.ndarray  # (K, C) share of world supply held by each country
    governed_by: np.ndarray  # (K,) sector whose control regime applies to the input
    sector: np.ndarray  # (K,) sector whose products need the input
    difficulty: np.ndarray  # (K,) how hard domestic substitution is, in [0, 1]
    ease: np.ndarray  # (K,) 1 - difficulty
    weight: np.ndarray  # (K,) share of the product's capability that depends on the input
    weight_of_firm: np.ndarray  # (n, K) the input's weight for each firm (0 outside its sector)

    @property
    def count(self) -> int:
        return len(self.weight)


@dataclass
class Layout:
    """Indices, masks and 2018 weights: computed at step 0 and fixed for the run."""

    us: int  # country index of the controller
    cn: int  # country index of the target
    n_segments: int  # B = C + 1 buyer segments
    listed_segment: int  # column of the Chinese buyers covered by US controls
    segment_country: np.ndarray  # (B,) country of each segment's buyers
    abroad_segments: np.ndarray  # (B,) buyers outside the US and China
    diagonal: np.ndarray  # arange(C), to read home sales off (S, C, C) arrays
    is_cn: np.ndarray  # (n,) firm is Chinese
    is_us: np.ndarray  # (n,) firm is American
    is_foreign: np.ndarray  # (n,) neither
    firm_is: dict[str, np.ndarray]  # role -> (n,) mask of that role's firms
    country_is: dict[str, np.ndarray]  # role -> (C,) mask of that role's countries
    china_rows: np.ndarray  # row numbers of the Chinese firms
    china_blocks: list[tuple[int, int]]  # per sector, the (start, stop) rows of its Chinese firms
    firm_in_sc: np.ndarray  # (n,) flat index of each firm's cell in (S, C) arrays
    firm_in_cs: np.ndarray  # (n,) flat index of each firm's cell in (C, S) arrays
    firm_count: np.ndarray  # (S, C) number of firms
    quality_sensitivity: np.ndarray  # (n,) buyers' quality sensitivity in each firm's sector
    price_sensitivity: np.ndarray  # (n,) buyers' price sensitivity in each firm's sector
    yard_sectors: np.ndarray  # sector indices of the small yard (seeds/sectors.toml)
    other_sectors: np.ndarray  # the other sectors
    ally_yard: tuple[np.ndarray, np.ndarray]  # index of (allies, small-yard sectors) in (C, S) arrays
    demand0: np.ndarray  # (S, C) 2018 demand, US$ bn/yr
    cn_demand0: np.ndarray  # (S,) China's 2018 demand
    cn_demand0_total: float  # China's 2018 demand over all sectors
    china_demand_weights: np.ndarray  # (S,) China's 2018 demand shares
    world_rd0: np.ndarray  # (S,) 2018 world R&D, US$ bn/yr
    reshoring_weights: np.ndarray  # (S,) US firms' 2018 revenue, to split reshoring subsidies
    welfare_weights: np.ndarray  # (S, C) each country's 2018 spending shares over sectors
    welfare_group_weights: list[tuple[str, np.ndarray, np.ndarray, float]]  # (name, countries, demand, total)
    world_cumulative0: np.ndarray  # (S,) world cumulative output at step 0 (learning curves)
    cumulative_share0: np.ndarray  # (S, C) each country's share of it
    chokepoints: Chokepoints  # the chokepoint inputs as arrays over inputs (K)
    self_sufficiency0: np.ndarray  # (S, C) at step 0
    china_priority: np.ndarray  # (S,) competitiveness x China's 2018 import dependence (M7)
    china_export_share0: np.ndarray  # (S,) share of Chinese firms' 2018 sales made abroad
    gdp_rest0: np.ndarray  # (C,) 2018 GDP outside the modelled sectors' value added, US$ bn
    market_share0: np.ndarray  # (S, C) share of world sales at step 0 (M13: costs borne)
    bloc_balance0: np.ndarray  # (C,) US-bloc less Chinese share of purchases at step 0 (M16)
    trend_gdp: np.ndarray  # (T+1, C) trend GDP relative to 2018 at the end of each quarter (economy)
    demand_trend: np.ndarray  # (T+1, S) each sector's trend world spending relative to 2018 (economy)
    open_world_price_fall: np.ndarray  # (T+1, S) the open world's quality-adjusted price fall (economy)
    value_added0: np.ndarray  # (S, C) the modelled sectors' value added by where it is made, 2018


def _collaboration_ceiling(params: Any) -> float:
    """Joint programmes may lift collaboration above its 2018 level (1) by at most their lift (M10)."""
    return 1.0 + params.coopetition.programme_lift


@dataclass
class Relations(StatePart):
    """What lies between the states; changed each quarter by their decisions and the mechanisms."""

    label = "relations"

    trust: float = part(bounds=UNIT)  # US-China trust in [0, 1] (M10); starts at coopetition.trust_initial
    shocks: int = part(start=0, dtype=int)  # political shocks so far (M10)
    sanction_intensity: float = part(start=0.0)  # US sanctions as China reads them, in [0, 1] (M12)
    countermeasures: float = part(start=0.0, bounds=UNIT)  # China's retaliation in [0, 1] (M12)
    hostility: float = part(start=0.0)  # mean of the two: the political temperature (M4, M10)
    compliance: np.ndarray = part("(C, S)", 0.0, UNIT)  # how far each ally applies US controls (M5); 0 for non-allies
    pressed_age: np.ndarray = part("(S,)", 0, dtype=int)  # quarters the US has pressed allies in each sector (M5)
    collaboration: np.ndarray = part(
        "(S,)", 1.0, Bounds(0.0, _collaboration_ceiling, slack=1e-12)
    )  # US-China research collaboration, 2018 = 1 (M9)
    split: np.ndarray = part("(S,)", 0.0, UNIT)  # ecosystem split in [0, 1] (M8)
    china_bind: np.ndarray = part("(S,)", 0.0)  # how hard US measures bind China (M7)
    barrier_bind: np.ndarray = part("(S,)", 0.0)  # how hard tariffs and bans bind Chinese exports (M3, M7)
    substitution: np.ndarray = part("(K,)", 0.0, UNIT)  # share of each chokepoint input China has replaced (M7)
    investment_in_us: float = part()  # Chinese direct investment into the US, US$ bn/yr (M2; capital.starting_flows)
    investment_in_cn: np.ndarray = part("(S,)")  # US investment into Chinese tech firms, US$ bn/yr (M2)
    investment_in_cn0: np.ndarray = part("(S,)")  # its 2018 level
    us_stake_cn: np.ndarray = part(
        "(S,)", 0.0
    )  # US investors' stake in Chinese tech firms from investment since 2018, US$ bn (M2)
    capital_access: np.ndarray = part("(S,)", 1.0)  # investment links relative to 2018 (M2, M9)
    us_resolve: np.ndarray = part("(S,)", 0.0, UNIT)  # the US's resolve to control each sector, in [0, 1] (M13)
    us_politics: float = part(start=0.0)  # US domestic political mood, log-odds, before China's retaliation (M13)
    shocks_seen: int = part(start=0, dtype=int)  # political shocks the US has already reacted to (M13)
    partner_ties: float = part(start=0.0, bounds=UNIT)  # China's trade and standards ties with third countries (M14)
    talent_return: float = part(
        start=0.0, bounds=UNIT
    )  # share of lost collaboration China recovers by bringing talent home (M14)
    lean: np.ndarray = part(
        "(C,)", 0.0, Bounds(-1.0, 1.0, slack=1e-12)
    )  # third countries' lean, -1 China's bloc to +1 the US's; 0 elsewhere (M16)


@dataclass
class Market(StatePart):
    """The technology market this quarter. The step-0 values of the fields computed from sales
    (bilateral to china_exposure) are set by :meth:`tally` as soon as the first sales are known."""

    label = "market"

    demand_index: np.ndarray = part("(S,)", 1.0)  # each sector's trend spending relative to 2018 (the open world's)
    spending: np.ndarray = part("(S, C)")  # what each country's buyers spend on each sector, US$ bn/yr (economy)
    spending_open: np.ndarray = part("(S, C)")  # the same at the open world's prices (income response only)
    capacity: np.ndarray = part("(S, C)", np.inf)  # the most each country's firms can sell this quarter, US$ bn/yr
    tariffs: np.ndarray = part("(n, B)", 0.0)  # ad valorem tariff on each firm's sales to each segment (M3, M12)
    sales: np.ndarray = part("(n, B)", 0.0, NONNEGATIVE)  # each firm's sales to each segment, US$ bn/yr
    attractiveness: np.ndarray = part("(n, B)")  # buyers' logit attractiveness of each firm, as they choose (M6)
    wedge: np.ndarray | None = part(
        "(n, B)", None
    )  # the policy wedges in it (log units; None when none): they move choices, not value
    bilateral: np.ndarray = part("(S, C, C)", 0.0)  # sales by sector, seller country and buyer country
    revenue: np.ndarray = part("(S, C)", 0.0)  # sales of each country's firms
    market_share: np.ndarray = part("(S, C)", 0.0)  # share of world sales; sums to 1 over countries
    self_sufficiency: np.ndarray = part("(S, C)", 0.0)  # share of each country's demand met by its own firms
    china_exposure: np.ndarray = part("(C, S)", 0.0)  # share of each country's firms' sales that go to China
    welfare: np.ndarray = part("(C,)", 100.0)  # consumers' welfare index, 2018 = 100
    welfare_groups: dict[str, float] = part()  # THIRD and WORLD welfare index
    surplus: np.ndarray = part("(S, C)", 0.0)  # buyers' quality-adjusted log-price change since 2018 (M6)

    def segment_demand(self, layout: Layout, coverage: np.ndarray) -> np.ndarray:
        """(S, B) demand of each buyer segment, US$ bn per year; ``coverage`` (S,) is the share of
        Chinese demand covered by US controls."""
        demand = self.spending
        S, C = demand.shape
        cn = layout.cn
        out = np.empty((S, layout.n_segments))  # every column is set below
        out[:, :C] = demand
        out[:, cn] = demand[:, cn] * (1.0 - coverage)
        out[:, layout.listed_segment] = demand[:, cn] * coverage
        return out

    def tally(self, layout: Layout, groups: Groups) -> None:
        """Bilateral sales, revenue, shares, self-sufficiency and exposure from ``sales``."""
        cn = layout.cn
        C = layout.n_segments - 1
        seg_sales = groups.country_sum(self.sales)  # sector, seller country, buyer segment
        by_buyer = seg_sales[:, :, :C].copy()  # sector, seller country, buyer country
        by_buyer[:, :, cn] += seg_sales[:, :, layout.listed_segment]
        self.bilateral = by_buyer
        revenue = by_buyer.sum(2)
        self.revenue = revenue
        total = revenue.sum(1, keepdims=True)
        self.market_share = np.divide(revenue, total, out=np.zeros_like(revenue), where=total > 0)
        demand = by_buyer.sum(1)
        home = by_buyer[:, layout.diagonal, layout.diagonal]  # sales to buyers at home
        self.self_sufficiency = np.divide(home, demand, out=np.zeros_like(home), where=demand > 0)
        to_cn = by_buyer[:, :, cn]
        self.china_exposure = np.divide(to_cn, revenue, out=np.zeros_like(to_cn), where=revenue > 0).T


@dataclass
class Accounts(StatePart):
    """Each country's welfare in money and its GDP this quarter, US$ bn a year (see
    :mod:`decouple.mechanisms.accounts`, which sets them at the end of step 0)."""

    label = "accounts"

    consumer_surplus: np.ndarray = part(
        "(C,)", 0.0
    )  # spending x fall of the quality-adjusted price since 2018, at true preferences
    producer_surplus: np.ndarray = part(
        "(C,)", 0.0
    )  # profits of the country's firms and its investors' excess returns in China
    government: np.ndarray = part("(C,)", 0.0)  # tariffs collected less subsidies and state support paid
    welfare: np.ndarray = part("(C,)", 0.0)  # the sum of the three: welfare_usd
    gdp: np.ndarray = part("(C,)", 0.0)  # gross domestic product
    production: np.ndarray = part("(S, C)")  # output value by where it is made, US$ bn a year
    gains_from_trade: np.ndarray = part(
        "(C,)", 0.0
    )  # the ACR formula's gains from trade in the modelled sectors, US$ bn a year


def layout_of(world: World, firms, groups: Groups) -> dict:
    """The fields of :class:`Layout` that do not depend on the step-0 market (see
    :func:`starting_market_weights` for the rest)."""
    w, f = world, firms
    S, C = w.n_sectors, w.n_countries
    cn, us = w.country_index("CN"), w.country_index("US")
    abroad = np.ones(C + 1, dtype=bool)  # buyers outside the US and China
    abroad[[us, cn, C]] = False
    is_cn, is_us = f.country == cn, f.country == us
    firm_role = w.role[f.country]
    firm_in_sc = f.sector * C + f.country
    cn_cells = np.arange(S) * C + cn  # firms are stored by sector, then country (see Groups)
    china_blocks = list(
        zip(
            np.searchsorted(firm_in_sc, cn_cells).tolist(), np.searchsorted(firm_in_sc, cn_cells, side="right").tolist()
        )
    )
    yard = np.flatnonzero(w.small_yard)
    demand0 = w.market_size[:, None] * w.demand_share  # (S, C) US$ bn/yr
    totals = demand0.sum(0, keepdims=True)
    cn_demand0 = demand0[:, cn].copy()
    world_cumulative0 = np.bincount(f.sector, weights=f.cumulative_output0, minlength=S)
    national0 = groups.country_sum(f.cumulative_output0)
    cps = w.chokepoints
    difficulty = np.array([cp.difficulty for cp in cps])
    weight = np.array([cp.weight for cp in cps])
    cp_sector = np.array([cp.sector for cp in cps], dtype=int)
    of_firm = (f.sector[:, None] == cp_sector[None, :]).astype(float)
    return dict(
        us=us,
        cn=cn,
        n_segments=C + 1,
        listed_segment=C,
        segment_country=np.append(np.arange(C), cn),
        abroad_segments=abroad,
        diagonal=np.arange(C),
        is_cn=is_cn,
        is_us=is_us,
        is_foreign=~is_cn & ~is_us,
        firm_is={role: firm_role == role for role in ("controller", "ally", "third", "target")},
        country_is={role: w.role == role for role in ("controller", "ally", "third", "target")},
        china_rows=np.flatnonzero(is_cn),
        china_blocks=china_blocks,
        firm_in_sc=firm_in_sc,
        firm_in_cs=f.country * S + f.sector,
        firm_count=groups.country_sum(np.ones(f.n)),
        quality_sensitivity=w.quality_sensitivity[f.sector],
        price_sensitivity=w.price_sensitivity[f.sector],
        yard_sectors=yard,
        other_sectors=np.flatnonzero(~w.small_yard),
        ally_yard=np.ix_(w.allies, yard),
        demand0=demand0,
        cn_demand0=cn_demand0,
        cn_demand0_total=cn_demand0.sum(),
        china_demand_weights=demand0[:, cn] / demand0[:, cn].sum(),
        world_rd0=w.rd_intensity * w.market_size,
        reshoring_weights=groups.country_sum(f.revenue)[:, us],
        welfare_weights=np.divide(demand0, totals, out=np.zeros_like(demand0), where=totals > 0),
        welfare_group_weights=[
            (name, idx, demand0[:, idx], max(demand0[:, idx].sum(), 1e-12))
            for name, idx in (("THIRD", w.third), ("WORLD", np.arange(C)))
        ],
        world_cumulative0=world_cumulative0,
        cumulative_share0=np.where(national0 > 0, national0 / world_cumulative0[:, None], 1.0),
        chokepoints=Chokepoints(
            holders=np.array([cp.holders for cp in cps]).reshape(len(cps), C),
            governed_by=np.array([cp.governed_by for cp in cps], dtype=int),
            sector=cp_sector,
            difficulty=difficulty,
            ease=1.0 - difficulty,
            weight=weight,
            weight_of_firm=of_firm * weight[None, :],
        ),
    )


def starting_market_weights(world: World, market: Market, cn: int, production0: np.ndarray) -> dict:
    """The fields of :class:`Layout` read off the step-0 market (``production0``: (S, C) output
    by where it is made)."""
    self_sufficiency0 = market.self_sufficiency.copy()
    cn_sales = market.revenue[:, cn]
    return dict(
        market_share0=market.market_share.copy(),
        gdp_rest0=world.gdp_2018 - (world.value_added_ratio[:, None] * production0).sum(0),
        value_added0=world.value_added_ratio[:, None] * production0,
        self_sufficiency0=self_sufficiency0,
        china_priority=world.competitiveness * (1.0 - self_sufficiency0[:, cn]),
        china_export_share0=np.divide(
            cn_sales - market.bilateral[:, cn, cn], cn_sales, out=np.zeros(world.n_sectors), where=cn_sales > 0
        ),
    )
