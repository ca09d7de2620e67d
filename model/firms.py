"""The firms: one vectorised agent set whose rows are the firms, and how it is built at step 0.

The model follows about 340 firms. Each is a row of the columns of :class:`Firms`; the set owns
the firms' own behaviours — designing out US content (M6), moving production (M4) and innovating
(R&D, own innovation and catch-up) — and applies each to every firm at once with numpy, the way a
mesa-frames agent set does. The states are Mesa agents (:mod:`decouple.agents`); the firms are not
``mesa.Agent`` objects, because a Python object per firm would only be a view of one row that no
rule reads (see docs/model.md, "Agents").

Buyers are grouped in *segments*: one per country, plus one for Chinese buyers covered by US
controls (entity-listed buyers, or all Chinese buyers under country-wide rules). ``shares[f, b]``
is firm ``f``'s share of segment ``b``'s demand for the firm's sector; over the firms of a sector
each column sums to 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .groups import Blocks, Groups
from .mechanisms import innovation, joint_rd, knowledge, reshoring
from .state import NONNEGATIVE, UNIT, StatePart, part
from .world import World

if TYPE_CHECKING:
    from .model import DecouplingModel


@dataclass
class Firms(StatePart):
    """The firm set: one row per firm, stored sector by sector, then country by country.
    :func:`build_firms` makes it; the bounds declared here are checked every step
    (:func:`decouple.state.bound_violations`)."""

    label = "firm"

    groups: Groups = field(repr=False)  # sums and maxima over each sector's and country's firms
    frontier: np.ndarray = field(repr=False)  # (S,) best capability in each sector
    country: np.ndarray = part("(n,)", dtype=int)  # country index of each firm
    sector: np.ndarray = part("(n,)", dtype=int)  # sector index of each firm
    capability: np.ndarray = part("(n,)", bounds=NONNEGATIVE)  # technology level; the sector's frontier at step 0 is 1
    capability0: np.ndarray = part("(n,)")
    effective_capability: np.ndarray = part("(n,)", bounds=NONNEGATIVE)  # after losing chokepoint inputs
    efficiency: np.ndarray = part(
        "(n,)"
    )  # own-innovation efficiency, fixed at step 0 (innovation.open_world_efficiency)
    us_content: np.ndarray = part("(n,)", bounds=UNIT)  # share of US-origin technology in the product
    us_content0: np.ndarray = part("(n,)")
    us_tools: np.ndarray = part("(n,)", bounds=UNIT)  # share of the making that relies on US-held chokepoint tools
    us_tools0: np.ndarray = part("(n,)")
    tools_ease: np.ndarray = part("(n,)")  # how replaceable those tools are (1 - their substitution difficulty, M7)
    fdpr_reach: np.ndarray = part("(n,)")  # how far US rules reach the product through its US content or tools (M1)
    loc_cn: np.ndarray = part("(n,)", bounds=UNIT)  # share of output made in China (non-Chinese firms)
    loc_friend: np.ndarray = part("(n,)", bounds=UNIT)  # share made in India / Vietnam-ASEAN
    loc_foundry: np.ndarray = part("(n,)", bounds=UNIT)  # share made by contract foundries abroad (world.foundry_hosts)
    loc_foundry0: np.ndarray = part("(n,)")
    loc_home0: np.ndarray = part("(n,)")
    loc_friend0: np.ndarray = part("(n,)")
    cumulative_output: np.ndarray = part("(n,)", bounds=NONNEGATIVE)  # US$ bn, base of the learning curve
    cumulative_output0: np.ndarray = part("(n,)")
    cost: np.ndarray = part("(n,)", bounds=NONNEGATIVE)  # unit cost relative to step 0
    revenue: np.ndarray = part("(n,)", bounds=NONNEGATIVE)  # US$ bn per year
    rd: np.ndarray = part("(n,)", bounds=NONNEGATIVE)  # US$ bn per year, subsidies included
    rd0: np.ndarray = part("(n,)")
    subsidy: np.ndarray = part("(n,)", bounds=NONNEGATIVE)  # Chinese state support received, US$ bn per year
    reshoring_subsidy: np.ndarray = part("(n,)")  # US reshoring subsidy received, US$ bn per year
    investment_rd: np.ndarray = part("(n,)")  # R&D funded by US investment (Chinese firms), US$ bn per year
    listed: np.ndarray = part("(n,)", dtype=bool)  # on the US entity list
    denial: np.ndarray = part("(n,)", bounds=UNIT)  # share of capability lost to denied chokepoint inputs
    binding: np.ndarray = part("(n,)")  # how far US controls bind the firm's sales to covered Chinese buyers
    shares: np.ndarray = part("(n, B)", bounds=UNIT)  # share of each segment's demand in the firm's sector
    base_attractiveness: np.ndarray = part("(n, B)")  # step-0 shares: the calibrated buyer preferences
    model: DecouplingModel | None = field(default=None, repr=False, compare=False)  # the model they belong to

    @property
    def n(self) -> int:
        return len(self.country)

    @property
    def owner(self) -> DecouplingModel:
        """The model these firms belong to; ``DecouplingModel._build`` sets it before any behaviour runs."""
        if self.model is None:
            raise RuntimeError("these firms belong to no model: set firms.model before calling their behaviours")
        return self.model

    @property
    def loc_home(self) -> np.ndarray:
        return 1.0 - self.loc_cn - self.loc_friend - self.loc_foundry

    # ------------------------------------------------------------------ sums over groups
    def by_sector(self, values: np.ndarray) -> np.ndarray:
        """(S, ...) sums of a per-firm array over each sector's firms."""
        return self.groups.sector_sum(values)

    def by_country(self, values: np.ndarray) -> np.ndarray:
        """(S, C, ...) sums of a per-firm array over each country's firms in each sector."""
        return self.groups.country_sum(values)

    def best_by_country(self, values: np.ndarray) -> np.ndarray:
        """(S, C) maxima of a per-firm array (the country's best firm; 0 where it has none)."""
        return self.groups.country_max(values)

    # ------------------------------------------------------------------ behaviours
    def design_out(self) -> None:
        """M6: a non-US firm that US rules reach (FDPR, or all-destination rules) replaces
        ``design_out_rate`` of its original US content per quarter, times the share of its sales
        made outside the US, unless its government complies in full anyway (S2 三(一):
        de-Americanisation of chains; S4 五(4)). It replaces the US tools and software it makes
        its products with at that rate times their ease of substitution (1 - difficulty, M7): a
        foundry cannot swap US deposition tools or EDA faster than the rest of the world can
        build them, so the rule's long arm holds for years (S1 一(一): FDPR reaches products
        made with US technology).

        Reads: firms.fdpr_reach (this quarter), relations.compliance, firms.revenue and
        market.sales (last quarter). Writes: firms.us_content, firms.us_tools.
        """
        m = self.owner
        reach = self.fdpr_reach
        if not reach.any():  # nobody is bound: nothing to design out
            return
        # Firms whose government complies in full gain nothing from designing out.
        gain = reach * (1.0 - m.relations.compliance.take(m.layout.firm_in_cs))
        outside_us = self.revenue - m.market.sales[:, m.layout.us]
        exposure = np.divide(outside_us, self.revenue, out=np.zeros(self.n), where=self.revenue > 0)
        # a redesign programme replaces a fixed share of the original US content each quarter
        pace = m.params.market.design_out_rate * gain * exposure * m.layout.is_foreign
        self.us_content = np.maximum(0.0, self.us_content - pace * self.us_content0)
        self.us_tools = np.maximum(0.0, self.us_tools - pace * self.tools_ease * self.us_tools0)

    def relocate(self) -> None:
        """M4: subsidised US firms bring Chinese assembly and foundry-made output home (CHIPS Act
        fabs); tariffs and hostility move output out of China to India and Vietnam/ASEAN (S1 一(二);
        S4 二(四); S0 长期趋势).

        Reads: policy.reshoring, firms.revenue, market.tariffs and market.sales (last quarter),
        relations.hostility. Writes: firms.reshoring_subsidy, firms.loc_cn, firms.loc_foundry,
        firms.loc_friend.
        """
        m = self.owner
        r = m.params.reshoring
        is_cn = m.layout.is_cn
        self.reshoring_subsidy = reshoring.allocate_subsidy(
            m.policy.reshoring, self.sector, self.revenue, m.layout.is_us
        )
        if self.reshoring_subsidy.any():  # (without subsidies nothing moves)
            # the subsidy brings home what is made in China and what foundries make abroad (CHIPS Act fabs)
            stay = 1.0 - reshoring.reshoring_speed(self.reshoring_subsidy, self.revenue, r)
            self.loc_cn = self.loc_cn * stay
            self.loc_foundry = self.loc_foundry * stay

        tariffs, hostility = m.market.tariffs, m.relations.hostility
        tariffed = tariffs.any()
        if not tariffed and hostility == 0:  # nothing pushes production out of China
            return
        exposure = np.zeros(self.n)
        if tariffed:
            np.divide((tariffs * m.market.sales).sum(1), self.revenue, out=exposure, where=self.revenue > 0)
        anti = m.params.policy.anti_circumvention
        move = reshoring.relocation_share(exposure, hostility, is_cn, r)
        from_cn_assembly = np.where(is_cn, 0.0, move * self.loc_cn)
        from_cn_home = np.where(is_cn, move * (1.0 - anti) * (1.0 - self.loc_friend), 0.0)
        self.loc_cn = self.loc_cn - from_cn_assembly
        self.loc_friend = np.clip(self.loc_friend + from_cn_assembly + from_cn_home, 0.0, 1.0)

    def innovate(self) -> None:
        """Revenue -> R&D -> capability: own innovation and catch-up (see
        :mod:`decouple.mechanisms.innovation` for the rules and their sources).

        Reads: firms.revenue, firms.subsidy, firms.investment_rd, firms.reshoring_subsidy,
        firms.denial (all this quarter's), relations.collaboration, relations.capital_access,
        market.self_sufficiency, market.demand_index; draws one normal per firm from model.rng.
        Writes: firms.rd, firms.capability, firms.effective_capability, firms.frontier.
        """
        m = self.owner
        w, p = m.world, m.params.innovation
        s = self.sector
        self.rd = innovation.rd_spending(self, w, m.years_elapsed, m.params.reshoring.rd_diversion)
        rd_norm = self.rd0 * m.market.demand_index[s]
        ratio = self.rd / np.maximum(rd_norm, 1e-12)
        inputs = 1.0 - p.input_growth_penalty * self.denial
        shock = np.exp(p.noise * m.rng.standard_normal(self.n) - p.noise**2 / 2.0)
        own = innovation.own_innovation(
            self.capability,
            w.innovation_rate[s],
            self.efficiency * joint_rd.innovation_boost(m),
            innovation.effort(self.rd, rd_norm, p.rd_elasticity, p.effort_max),
            knowledge.talent_access(m),
            inputs,
            shock,
        )

        frontier = self.frontier[s]
        relative = self.capability / frontier
        indigenous = p.indigenous_weight * np.clip(ratio - 1.0, 0.0, 3.0) * relative
        captive = m.params.china.captive_learning * np.maximum(
            0.0, (m.market.self_sufficiency - m.layout.self_sufficiency0).take(m.layout.firm_in_sc)
        )
        absorption = relative * knowledge.absorption_access(m) + np.where(m.layout.is_cn, indigenous + captive, 0.0)
        gain = innovation.catch_up(self.capability, frontier, w.catch_up_rate[s], w.catch_up_difficulty[s], absorption)
        self.capability = self.capability + own + gain
        self.effective_capability = self.capability * (1.0 - self.denial)
        self.frontier = self.groups.sector_max(self.capability)


def firms_per_country_sector(
    world: World, firms_min: int, firms_per_share: float, firms_max: int, firms_scale: int
) -> np.ndarray:
    """(S, C) number of firms: more for countries with larger world shares."""
    share = world.market_share
    n = np.clip(firms_min + np.rint(share * firms_per_share), firms_min, firms_max).astype(int)
    return np.where(share > 0, n * firms_scale, 0)


def us_tool_reliance(world: World) -> tuple[np.ndarray, np.ndarray]:
    """(S,) how far making a sector's products relies on US-held chokepoint inputs (the sum of
    their weights times the US share of their supply), and (S,) how replaceable those US inputs
    are (their ease of substitution, 1 - difficulty, weighted alike; 1 where there are none).

    The chokepoints of ``seeds/sectors.toml`` are the tools, software and parts China must import;
    a foreign maker uses the same ones, and FDPR follows the US-held ones into its products."""
    us = world.country_index("US")
    reliance = np.zeros(world.n_sectors)
    weighted_ease = np.zeros(world.n_sectors)
    for cp in world.chokepoints:
        reliance[cp.sector] += cp.weight * cp.holders[us]
        weighted_ease[cp.sector] += cp.weight * cp.holders[us] * (1.0 - cp.difficulty)
    ease = np.divide(weighted_ease, reliance, out=np.ones_like(reliance), where=reliance > 0)
    return reliance, ease


def trade_matrix(
    supply: np.ndarray,
    demand: np.ndarray,
    affinity: np.ndarray,
    sector: np.ndarray | None = None,
    iterations: int = 200,
) -> np.ndarray:
    """Sales matrix (firms × buyers) whose rows sum to ``supply`` and columns to ``demand``.

    Iterative proportional fitting from a seed matrix ``affinity`` (home bias); both margins
    are the data of ``seeds/sectors.toml``. With ``sector`` (firms stored sector by sector)
    ``demand`` has one row per sector and each sector's firms are fitted to their own row; all
    sectors are fitted at once, each with exactly the arithmetic of fitting it alone (the zero
    rows that pad the sectors to one length add nothing).
    """
    if sector is None:
        sector = np.zeros(len(supply), dtype=int)
        demand = demand[None, :]
    blocks = Blocks(sector, len(demand))
    m = blocks.pad(affinity * supply[:, None] * demand[sector])
    supply = blocks.pad(supply)
    for _ in range(iterations):
        rows = m.sum(2)
        m *= np.divide(supply, rows, out=np.zeros_like(supply), where=rows > 0)[:, :, None]
        cols = m.sum(1)
        m *= np.divide(demand, cols, out=np.zeros_like(demand), where=cols > 0)[:, None, :]
    return blocks.unpad(m)


def build_firms(world: World, params, rng: np.random.Generator) -> Firms:
    """Create the step-0 firm population from the world's shares and capabilities (draws from
    ``rng``: each firm's share of its country's sales and its distance to the national best)."""
    wp = params.world
    counts = firms_per_country_sector(world, wp.firms_min, wp.firms_per_share, wp.firms_max, wp.firms_scale)
    S, C = counts.shape
    B = C + 1
    cn = world.country_index("CN")
    country_rows: list[int] = []
    sector_rows: list[int] = []
    cap_parts: list[np.ndarray] = []
    share_parts: list[np.ndarray] = []
    for s in range(S):
        for c in range(C):
            k = int(counts[s, c])
            if k == 0:
                continue
            split = rng.dirichlet(np.full(k, wp.share_concentration))
            level = world.capability[s, c]
            if c == cn:
                level = float(np.clip(level + wp.china_capability_shift, 0.05, 1.0))
            below = rng.uniform(0.0, wp.capability_spread, size=k)
            below[np.argmax(split)] = 0.0  # the country's largest firm is its best
            country_rows += [c] * k
            sector_rows += [s] * k
            cap_parts.append(level * (1.0 - below))
            share_parts.append(world.market_share[s, c] * split)
    country = np.array(country_rows)
    sector = np.array(sector_rows)
    cap = np.concatenate(cap_parts)
    world_share = np.concatenate(share_parts)
    n = len(country)

    # Step-0 sales: IPF of firm supply (world shares) and buyer demand with home bias, every
    # sector at once (firms are stored sector by sector).
    annual_demand = world.market_size[:, None] * world.demand_share  # (S, C), US$ bn/yr
    supply = world_share * world.market_size[sector]
    home = country[:, None] == np.arange(C)[None, :]
    to_china = np.zeros(C)
    to_china[cn] = 1.0
    tilt = world.china_trade_affinity + wp.ally_china_affinity_shift * (world.role == "ally")
    affinity = np.exp(wp.home_bias * home + tilt[country][:, None] * to_china[None, :])
    m = trade_matrix(supply, annual_demand, affinity, sector)
    col = Blocks(sector, S).column_sums(m)[sector]
    shares = np.zeros((n, B))
    shares[:, :C] = np.divide(m, col, out=np.zeros_like(m), where=col > 0)
    revenue = m.sum(1)
    # Covered Chinese buyers start with the same suppliers as other Chinese buyers.
    shares[:, C] = shares[:, cn]
    # Segments with no demand (e.g. quantum in Vietnam) still get preferences so that their
    # shares are defined: use the sector's world shares.
    for unfilled in np.flatnonzero((Blocks(sector, S).column_sums(shares) == 0).any(1)):
        idx = np.flatnonzero(sector == unfilled)
        empty = shares[idx].sum(0) == 0
        shares[np.ix_(idx, np.flatnonzero(empty))] = (world_share[idx] / world_share[idx].sum())[:, None]

    us_content = world.us_content[sector, country].copy()
    us_content[country == world.country_index("US")] = 1.0
    us_content[country == cn] = 0.0
    loc_cn = np.where(country == cn, 0.0, world.offshore_in_cn[sector])
    loc_foundry = world.foundry_share[sector, country]
    loc_friend = np.zeros(n)
    us_tools, tools_ease = us_tool_reliance(world)
    foreign = (country != cn) & (country != world.country_index("US"))
    us_tools = np.where(foreign, us_tools[sector], 0.0)
    cum0 = revenue * wp.prior_output_years
    groups = Groups(sector, country, S, C)
    frontier = groups.sector_max(cap)
    # In the open world at its 2018 effort a firm keeps its 2018 distance to the frontier's path;
    # China's firms move toward their open-world position of 2035 (a log-trend a year).
    relative = cap / frontier[sector]
    china_best = groups.country_max(relative)[:, cn]  # (S,)
    years = max(2035.0 - params.time.start_year, 1.0)
    trend = np.where(
        country == cn, np.log(world.china_capability_2035 / np.maximum(china_best, 1e-9))[sector] / years, 0.0
    )
    efficiency = innovation.open_world_efficiency(
        relative,
        world.innovation_rate[sector],
        world.catch_up_rate[sector],
        world.catch_up_difficulty[sector],
        params.innovation.efficiency_floor,
        trend,
    )
    return Firms(
        country=country,
        sector=sector,
        capability=cap.copy(),
        capability0=cap.copy(),
        effective_capability=cap.copy(),
        efficiency=efficiency,
        us_content=us_content,
        us_content0=us_content.copy(),
        us_tools=us_tools,
        us_tools0=us_tools.copy(),
        tools_ease=tools_ease[sector],
        fdpr_reach=np.zeros(n),
        loc_cn=loc_cn,
        loc_friend=loc_friend,
        loc_foundry=loc_foundry.copy(),
        loc_foundry0=loc_foundry,
        loc_home0=1.0 - loc_cn - loc_foundry,
        loc_friend0=loc_friend.copy(),
        cumulative_output=cum0.copy(),
        cumulative_output0=cum0,
        cost=np.ones(n),
        revenue=revenue,
        rd=np.zeros(n),
        rd0=np.zeros(n),
        subsidy=np.zeros(n),
        reshoring_subsidy=np.zeros(n),
        investment_rd=np.zeros(n),
        listed=np.zeros(n, dtype=bool),
        denial=np.zeros(n),
        binding=np.zeros(n),
        shares=shares,
        base_attractiveness=shares.copy(),
        groups=groups,
        frontier=frontier,
    )
