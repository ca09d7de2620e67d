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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .groups import Groups
from .world import World


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
    cn_demand0_total: float
    china_demand_weights: np.ndarray  # (S,) China's 2018 demand shares
    world_rd0: np.ndarray  # (S,) 2018 world R&D, US$ bn/yr
    reshoring_weights: np.ndarray  # (S,) US firms' 2018 revenue, to split reshoring subsidies
    welfare_weights: np.ndarray  # (S, C) each country's 2018 spending shares over sectors
    welfare_group_weights: list[tuple[str, np.ndarray, np.ndarray, float]]  # (name, countries, demand, total)
    world_cumulative0: np.ndarray  # (S,) world cumulative output at step 0 (learning curves)
    cumulative_share0: np.ndarray  # (S, C) each country's share of it
    chokepoints: Chokepoints
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


@dataclass
class Relations:
    """What lies between the states; changed each quarter by their decisions and the mechanisms."""

    trust: float  # US-China trust in [0, 1] (M10)
    shocks: int  # political shocks so far (M10)
    sanction_intensity: float  # US sanctions as China reads them, in [0, 1] (M12)
    countermeasures: float  # China's retaliation in [0, 1] (M12)
    hostility: float  # mean of the two: the political temperature (M4, M10)
    compliance: np.ndarray  # (C, S) how far each ally applies US controls (M5); 0 for non-allies
    pressed_age: np.ndarray  # (S,) quarters the US has pressed allies in each sector (M5)
    collaboration: np.ndarray  # (S,) US-China research collaboration, 2018 = 1 (M9)
    split: np.ndarray  # (S,) ecosystem split in [0, 1] (M8)
    china_bind: np.ndarray  # (S,) how hard US measures bind China (M7)
    barrier_bind: np.ndarray  # (S,) how hard tariffs and bans bind Chinese exports (M3, M7)
    substitution: np.ndarray  # (K,) share of each chokepoint input China has replaced (M7)
    investment_in_us: float  # Chinese direct investment into the US, US$ bn/yr (M2)
    investment_in_cn: np.ndarray  # (S,) US investment into Chinese tech firms, US$ bn/yr (M2)
    investment_in_cn0: np.ndarray  # (S,) its 2018 level
    us_stake_cn: np.ndarray  # (S,) US investors' stake in Chinese tech firms from investment since 2018, US$ bn (M2)
    capital_access: np.ndarray  # (S,) investment links relative to 2018 (M2, M9)
    us_resolve: np.ndarray  # (S,) the US's resolve to control each sector, in [0, 1] (M13)
    us_politics: float  # US domestic political mood, log-odds, before China's retaliation (M13)
    shocks_seen: int  # political shocks the US has already reacted to (M13)
    partner_ties: float  # China's trade and standards ties with third countries, in [0, 1] (M14)
    talent_return: float  # share of lost collaboration China recovers by bringing talent home (M14)
    lean: np.ndarray  # (C,) third countries' lean, -1 China's bloc to +1 the US's; 0 elsewhere (M16)


@dataclass
class Market:
    """The technology market this quarter."""

    demand_index: np.ndarray  # (S,) each sector's trend spending relative to 2018 (the open world's market)
    spending: np.ndarray  # (S, C) what each country's buyers spend on each sector, US$ bn/yr (M: economy)
    spending_open: np.ndarray  # (S, C) the same at the open world's prices (income response only)
    capacity: np.ndarray  # (S, C) the most each country's firms can sell in each sector this quarter, US$ bn/yr
    tariffs: np.ndarray  # (n, B) ad valorem tariff on each firm's sales to each segment (M3, M12)
    sales: np.ndarray  # (n, B) each firm's sales to each segment, US$ bn/yr
    attractiveness: np.ndarray  # (n, B) buyers' logit attractiveness of each firm, as they choose (M6)
    wedge: np.ndarray | None  # (n, B) the policy wedges in it (log units; None when none): they move choices, not value
    bilateral: np.ndarray  # (S, C, C) sales by sector, seller country and buyer country
    revenue: np.ndarray  # (S, C) sales of each country's firms
    market_share: np.ndarray  # (S, C) share of world sales; sums to 1 over countries
    self_sufficiency: np.ndarray  # (S, C) share of each country's demand met by its own firms
    china_exposure: np.ndarray  # (C, S) share of each country's firms' sales that go to China
    welfare: np.ndarray  # (C,) consumers' welfare index, 2018 = 100
    welfare_groups: dict[str, float]  # THIRD and WORLD welfare index
    surplus: np.ndarray  # (S, C) buyers' quality-adjusted log-price change since 2018 (M6)

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
class Accounts:
    """Each country's welfare in money and its GDP this quarter, US$ bn a year (see
    :mod:`decouple.mechanisms.accounts`)."""

    consumer_surplus: np.ndarray  # (C,) spending x fall of the quality-adjusted price since 2018, at true preferences
    producer_surplus: np.ndarray  # (C,) profits of the country's firms and its investors' excess returns in China
    government: np.ndarray  # (C,) tariffs collected less subsidies and state support paid
    welfare: np.ndarray  # (C,) the sum of the three: welfare_usd
    gdp: np.ndarray  # (C,) gross domestic product
    production: np.ndarray  # (S, C) output value by where it is made, US$ bn a year
    gains_from_trade: np.ndarray  # (C,) the ACR formula's gains from trade in the modelled sectors, US$ bn a year


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
