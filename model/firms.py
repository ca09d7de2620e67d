"""The firms' state as numpy arrays, and how the step-0 population is built.

Each firm is a ``mesa.Agent`` (see :mod:`decouple.agents`) whose numbers live in one row of
:class:`FirmArrays`, so that a model step updates every firm with a few array operations.

Buyers are grouped in *segments*: one per country, plus one for Chinese buyers covered by US
controls (entity-listed buyers, or all Chinese buyers under country-wide rules). ``shares[f, b]``
is firm ``f``'s share of segment ``b``'s demand for the firm's sector; over the firms of a sector
each column sums to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .world import World


@dataclass
class FirmArrays:
    country: np.ndarray  # (n,) int
    sector: np.ndarray  # (n,) int
    capability: np.ndarray  # technology level; the sector's frontier at step 0 is 1.0
    capability0: np.ndarray
    effective_capability: np.ndarray  # after losing chokepoint inputs
    us_content: np.ndarray  # share of US-origin technology in the product
    us_content0: np.ndarray
    loc_cn: np.ndarray  # share of output made in China (non-Chinese firms)
    loc_friend: np.ndarray  # share made in India / Vietnam-ASEAN
    loc_home0: np.ndarray
    loc_friend0: np.ndarray
    cumulative_output: np.ndarray  # US$ bn, base of the learning curve
    cumulative_output0: np.ndarray
    cost: np.ndarray  # unit cost relative to step 0
    revenue: np.ndarray  # US$ bn per year
    rd: np.ndarray  # US$ bn per year, subsidies included
    rd0: np.ndarray
    subsidy: np.ndarray  # Chinese state support received, US$ bn per year
    reshoring_subsidy: np.ndarray  # US reshoring subsidy received, US$ bn per year
    investment_rd: np.ndarray  # R&D funded by US investment (Chinese firms), US$ bn per year
    listed: np.ndarray  # on the US entity list
    denial: np.ndarray  # share of capability lost to denied chokepoint inputs
    binding: np.ndarray  # how far US controls bind the firm's sales to covered Chinese buyers
    shares: np.ndarray  # (n, B) share of each segment's demand in the firm's sector
    base_attractiveness: np.ndarray  # (n, B) step-0 shares: the calibrated buyer preferences

    @property
    def n(self) -> int:
        return len(self.country)

    @property
    def loc_home(self) -> np.ndarray:
        return 1.0 - self.loc_cn - self.loc_friend


class Groups:
    """Sums and maxima of per-firm arrays by sector and by (sector, country).

    Firms are stored sector by sector and, within a sector, country by country, so each group is
    a contiguous block and ``numpy.ufunc.reduceat`` adds them up in a fixed order (fast and
    bit-for-bit reproducible).
    """

    def __init__(self, sector: np.ndarray, country: np.ndarray, n_sectors: int, n_countries: int):
        key = sector * n_countries + country
        if np.any(np.diff(key) < 0):
            raise ValueError("firms must be stored grouped by sector, then country")
        self.n_sectors, self.n_countries = n_sectors, n_countries
        self.sector_starts = np.searchsorted(sector, np.arange(n_sectors))
        if np.any(np.bincount(sector, minlength=n_sectors) == 0):
            raise ValueError("every sector needs at least one firm")
        flat, starts = np.unique(key, return_index=True)
        self.group_starts = starts
        self.group_flat = flat

    @classmethod
    def of_sectors(cls, sector: np.ndarray, n_sectors: int) -> "Groups":
        return cls(np.asarray(sector), np.zeros(len(sector), dtype=int), n_sectors, 1)

    def sector_sum(self, values: np.ndarray) -> np.ndarray:
        """(S, ...) sums over each sector's firms."""
        return np.add.reduceat(values, self.sector_starts, axis=0)

    def sector_max(self, values: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(values, self.sector_starts, axis=0)

    def _scatter(self, grouped: np.ndarray) -> np.ndarray:
        out = np.zeros((self.n_sectors * self.n_countries,) + grouped.shape[1:])
        out[self.group_flat] = grouped
        return out.reshape((self.n_sectors, self.n_countries) + grouped.shape[1:])

    def country_sum(self, values: np.ndarray) -> np.ndarray:
        """(S, C, ...) sums over the firms of each country in each sector (0 where none)."""
        return self._scatter(np.add.reduceat(values, self.group_starts, axis=0))

    def country_max(self, values: np.ndarray) -> np.ndarray:
        """(S, C) maxima (0 where the country has no firms)."""
        return self._scatter(np.maximum.reduceat(values, self.group_starts, axis=0))


def firms_per_country_sector(world: World, firms_min: int, firms_per_share: float,
                             firms_max: int, firms_scale: int) -> np.ndarray:
    """(S, C) number of firms: more for countries with larger world shares."""
    share = world.market_share
    n = np.clip(firms_min + np.rint(share * firms_per_share), firms_min, firms_max).astype(int)
    return np.where(share > 0, n * firms_scale, 0)


class _Blocks:
    """Rows grouped in contiguous blocks (a sector's firms), laid out as a zero-padded
    (blocks, largest block, ...) array, so that a sum down each block's rows is one call and adds
    the rows one after another, in the same order as ``m.sum(0)`` of the block alone."""

    def __init__(self, block: np.ndarray, n_blocks: int):
        starts = np.searchsorted(block, np.arange(n_blocks))
        self.index = (block, np.arange(len(block)) - starts[block])
        self.shape = (n_blocks, int(self.index[1].max()) + 1)

    def pad(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape + rows.shape[1:])
        out[self.index] = rows
        return out

    def unpad(self, padded: np.ndarray) -> np.ndarray:
        return padded[self.index]

    def column_sums(self, rows: np.ndarray) -> np.ndarray:
        return self.pad(rows).sum(1)


def trade_matrix(supply: np.ndarray, demand: np.ndarray, affinity: np.ndarray,
                 sector: np.ndarray | None = None, iterations: int = 200) -> np.ndarray:
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
    blocks = _Blocks(sector, len(demand))
    m = blocks.pad(affinity * supply[:, None] * demand[sector])
    supply = blocks.pad(supply)
    for _ in range(iterations):
        rows = m.sum(2)
        m *= np.divide(supply, rows, out=np.zeros_like(supply), where=rows > 0)[:, :, None]
        cols = m.sum(1)
        m *= np.divide(demand, cols, out=np.zeros_like(demand), where=cols > 0)[:, None, :]
    return blocks.unpad(m)


def build_firms(world: World, params, rng: np.random.Generator) -> FirmArrays:
    """Create the step-0 firm population from the world's shares and capabilities."""
    wp = params.world
    counts = firms_per_country_sector(world, wp.firms_min, wp.firms_per_share, wp.firms_max, wp.firms_scale)
    S, C = counts.shape
    B = C + 1
    cn = world.c("CN")
    country, sector, cap, share = [], [], [], []
    for s in range(S):
        for c in range(C):
            k = counts[s, c]
            if k == 0:
                continue
            split = rng.dirichlet(np.full(k, wp.share_concentration))
            level = world.capability[s, c]
            if c == cn:
                level = float(np.clip(level + wp.china_capability_shift, 0.05, 1.0))
            below = rng.uniform(0.0, wp.capability_spread, size=k)
            below[np.argmax(split)] = 0.0  # the country's largest firm is its best
            country += [c] * k
            sector += [s] * k
            cap.append(level * (1.0 - below))
            share.append(world.market_share[s, c] * split)
    country = np.array(country)
    sector = np.array(sector)
    cap = np.concatenate(cap)
    world_share = np.concatenate(share)
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
    col = _Blocks(sector, S).column_sums(m)[sector]
    shares = np.zeros((n, B))
    shares[:, :C] = np.divide(m, col, out=np.zeros_like(m), where=col > 0)
    revenue = m.sum(1)
    # Covered Chinese buyers start with the same suppliers as other Chinese buyers.
    shares[:, C] = shares[:, cn]
    # Segments with no demand (e.g. quantum in Vietnam) still get preferences so that their
    # shares are defined: use the sector's world shares.
    for s in np.flatnonzero((_Blocks(sector, S).column_sums(shares) == 0).any(1)):
        idx = np.flatnonzero(sector == s)
        empty = shares[idx].sum(0) == 0
        shares[np.ix_(idx, np.flatnonzero(empty))] = (world_share[idx] / world_share[idx].sum())[:, None]

    us_content = world.us_content[sector, country].copy()
    us_content[country == world.c("US")] = 1.0
    us_content[country == cn] = 0.0
    loc_cn = np.where(country == cn, 0.0, world.offshore_in_cn[sector])
    loc_friend = np.zeros(n)
    cum0 = revenue * wp.prior_output_years
    return FirmArrays(
        country=country, sector=sector, capability=cap.copy(), capability0=cap.copy(),
        effective_capability=cap.copy(), us_content=us_content, us_content0=us_content.copy(),
        loc_cn=loc_cn, loc_friend=loc_friend, loc_home0=1.0 - loc_cn, loc_friend0=loc_friend.copy(),
        cumulative_output=cum0.copy(), cumulative_output0=cum0, cost=np.ones(n), revenue=revenue,
        rd=np.zeros(n), rd0=np.zeros(n), subsidy=np.zeros(n), reshoring_subsidy=np.zeros(n),
        investment_rd=np.zeros(n), listed=np.zeros(n, dtype=bool), denial=np.zeros(n),
        binding=np.zeros(n), shares=shares, base_attractiveness=shares.copy(),
    )
