"""M6 Market substitution and de-Americanisation: buyers reallocate demand among allowed
suppliers by price and quality, and foreign firms design US content out.

Sources: S2 三(一) (unilateral US controls hand the ceded market to firms of countries that do
not control, and chains gradually de-Americanise; after the 1998 ITAR tightening the US share of
the related satellite market fell from 75 % to 25 % as Europeans filled the gap); S4 五(4)
(cutting off Huawei cost Qualcomm and Micron revenue; uneven allied rules divert trade to firms
in the laxer ally); S2 四(一) (Nvidia's sub-threshold A800 for China).

Rules
- Each buyer segment (a country; covered Chinese buyers apart) values a supplier by a logit
  attractiveness calibrated to the step-0 trade matrix and moved by changes since step 0:
  ``quality_sensitivity × Δlog effective capability − price_sensitivity × Δlog price`` minus
  penalties (ecosystem mismatch M8, US-control burden abroad, supply risk in China) plus
  China's buy-domestic preference (M7).
- Products bound by US controls are refused to covered Chinese buyers; a bound firm offers them
  a variant capped at the threshold, unless the fence is at 1. Bans (M3) close shares of markets.
- Buyers outside the US avoid products bound by US controls (re-export limits): the 'ITAR-free'
  premium that made unilateral controls hand markets to others. Where the controls require a
  licence for every foreign buyer (ITAR-style), the burden is the heavier ``licence_burden``. Chinese buyers
  avoid bound suppliers even for allowed products (supply risk).
- Each quarter buyers re-optimise ``switching_rate`` of their purchases toward the logit target;
  purchases a ban or control forbids stop at once and are spread over remaining suppliers.
- No country's firms sell more in a sector than their capacity, which grows at most by the
  sector's ``capacity_growth`` a year (SEMI: even with heavy state support China's chip capacity
  grew 12-13 % a year in 2023-24, about twice the world's); buyers who would have bought more from
  an industry at its limit buy from the sector's other suppliers.
- A non-US firm that FDPR binds replaces ``design_out_rate`` of its original US content per
  quarter, times the share of its sales made outside the US (where US-bound products are refused
  or shunned), at a lasting cost; once below de minimis it is free of US content rules
  ('ITAR-free'). The US tools and software it makes its products with go more slowly, at that
  rate times their ease of substitution (M7), and keep it bound until they are gone.
  The firm set applies this rule (:meth:`decouple.firms.Firms.design_out`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..groups import Groups
from . import countermeasures, hedging, market_barriers, standards

if TYPE_CHECKING:
    from ..model import DecouplingModel

TINY = 1e-12


def normalise_by_sector(values: np.ndarray, groups: Groups, sector: np.ndarray) -> np.ndarray:
    totals = np.take(groups.sector_sum(values), sector, axis=0)  # (each firm's row of its sector's totals)
    if (totals > TINY).all():  # (the usual case: no column to leave at 0)
        return values / totals
    return np.divide(values, totals, out=np.zeros_like(values), where=totals > TINY)


def reallocate(
    shares: np.ndarray,
    attractiveness: np.ndarray,
    availability: np.ndarray | None,
    switching: np.ndarray,
    sector: np.ndarray,
    groups: Groups,
) -> np.ndarray:
    """New shares: forbidden purchases stop, then ``switching`` of demand moves to the logit target.

    ``switching`` is per firm (its sector's rate); ``availability`` None means nothing is
    forbidden. Columns of each sector sum to 1, or to 0 where no supplier is allowed.
    """
    target = normalise_by_sector(attractiveness, groups, sector)
    carried = normalise_by_sector(shares if availability is None else shares * availability, groups, sector)
    has_carried = groups.sector_sum(carried) > 0.5
    if has_carried.all():
        mu = switching[:, None]
    else:
        mu = np.where(has_carried[sector], switching[:, None], 1.0)
    return (1.0 - mu) * carried + mu * target


def cap_group_share(
    shares: np.ndarray, in_group: np.ndarray, cap: float, columns: list[int], sector: np.ndarray, groups: Groups
) -> np.ndarray:
    """Scale a group's share down to ``cap`` in the given columns (China's cap on US firms, M12)."""
    if cap >= 1.0:
        return shares
    capped = shares[:, columns]
    group = groups.sector_sum(capped * in_group[:, None])  # (S, columns)
    over = group > cap
    if not over.any():  # (every scale would be 1)
        return shares
    scale_in = np.where(over, cap / np.maximum(group, TINY), 1.0)
    scale_out = np.where(over, (1.0 - cap) / np.maximum(1.0 - group, TINY), 1.0)
    out = shares.copy()
    out[:, columns] = capped * np.where(in_group[:, None], scale_in[sector], scale_out[sector])
    return out


def attractiveness(model: DecouplingModel) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(n, B) logit attractiveness buyers choose by, (n, B) availability of each firm to each
    segment (None when every firm is available to every segment), and (n, B) the policy wedges in
    it, in log-attractiveness (None when there are none): the attractiveness at buyers' true
    preferences is ``attractiveness × exp(−wedge)``.

    True utility is what a product is worth to its buyer: quality, price (tariffs included: the
    buyer pays them), ecosystem fit (M8), and what bans and controls leave available. The wedges
    move choices without changing that worth: China's buy-domestic and home-absorption pushes
    (M7), third countries' bloc preference and China's partner ties (M14, M16), the burden
    buyers abroad put on US-bound products and Chinese buyers' supply-risk aversion (M6). See
    :mod:`decouple.mechanisms.accounts` for how welfare values them.
    """
    f, pol, layout = model.firms, model.policy, model.layout
    s = f.sector
    listed_col = layout.listed_segment
    aq, ap = layout.quality_sensitivity, layout.price_sensitivity
    log_q = np.log(np.maximum(f.effective_capability, TINY) / f.capability0)
    # While no term below depends on the buyer segment, utility is kept as one column.
    utility = (aq * log_q - ap * np.log(f.cost))[:, None]
    # (terms that are zero in an open world are skipped, which only saves time)
    tariffs = model.market.tariffs
    if tariffs.any():
        utility = utility - ap[:, None] * np.log1p(tariffs)
    if model.relations.split.any():
        utility = utility - standards.incompatibility_penalty(model)
    wedge = policy_wedges(model)
    if wedge is not None:
        utility = utility + wedge

    avail = market_barriers.ban_availability(model)
    attract = f.base_attractiveness * np.exp(np.clip(utility, -50, 50))
    if avail is not None:
        attract *= avail
    # Covered Chinese buyers: a bound firm's offer is refused with probability beta; it may
    # offer a sub-threshold variant instead unless the fence is at 1.
    beta = f.binding * (1.0 - pol.licence[s])
    if not beta.any():
        return attract, avail, wedge
    if avail is None:
        avail = np.ones((f.n, layout.n_segments))
    threshold = (1.0 - pol.fence[s]) * f.frontier[s]
    has_variant = (pol.fence[s] < 1.0).astype(float)
    capped_q = np.minimum(f.effective_capability, threshold)
    capped_gain = np.exp(aq * (np.log(np.maximum(capped_q, TINY)) - np.log(np.maximum(f.effective_capability, TINY))))
    mixture = (1.0 - beta) + beta * has_variant * capped_gain
    attract[:, listed_col] *= mixture
    avail[:, listed_col] *= (1.0 - beta) + beta * has_variant
    return attract, avail, wedge


def reexport_share(model: DecouplingModel) -> np.ndarray:
    """(B,) the share of each buyer segment's country's output (all sectors) that its firms sell
    to China, last quarter: how much of what its buyers make goes on to China, where US rules
    follow US-controlled inputs."""
    bil = model.market.bilateral  # sector, seller, buyer
    layout = model.layout
    made = bil.sum((0, 2))
    to_china = bil[:, :, layout.cn].sum(0)
    share = np.divide(to_china, made, out=np.zeros_like(made), where=made > 0)
    return share[layout.segment_country]


def policy_wedges(model: DecouplingModel) -> np.ndarray | None:
    """(n, B) log-attractiveness that moves buyers' choices but not what the products are worth
    to them (None when there is none): a mandate or a bias, not a change of quality or price.

    - US controls: buyers abroad shun the products they bind for the licences they would need
      (S2 三(一): chains de-Americanise): for everything they buy where the rules cover all
      destinations (ITAR-style), and where they cover sales to China, for the part of their
      country's output that goes on to China (re-exports; :func:`reexport_share`). The burden of
      a licence is ``market.licence_burden``, fitted to the satellite case. And Chinese buyers
      avoid bound suppliers even for allowed products (supply risk, S2 三(一); S4 五(4)).
    - China's buy-domestic preference where controls bind, and home absorption where barriers hit
      its exports (M7: S0 中美科技关系嬗变; S1 二(一)).
    - Third countries' buyers: China's partner ties and their own lean to a bloc (M14, M16).
    """
    f, pol, p, layout = model.firms, model.policy, model.params, model.layout
    s = f.sector
    cn, listed_col = layout.cn, layout.listed_segment
    wedge: np.ndarray | None = None
    bound = f.binding * pol.fence[s]
    if bound.any():
        need = np.where(pol.all_destinations[s][:, None], 1.0, reexport_share(model)[None, :])  # (n, B)
        wedge = -(p.market.licence_burden * bound)[:, None] * need * layout.abroad_segments[None, :]
        risk = p.market.china_supply_risk * bound
        wedge[:, cn] -= risk
        wedge[:, listed_col] -= risk
    china_bind = model.relations.china_bind
    if china_bind.any():
        if wedge is None:
            wedge = np.zeros((f.n, layout.n_segments))
        pull = p.china.buy_domestic * china_bind + p.china.home_absorption * model.relations.barrier_bind
        preference = pull[s] * layout.is_cn
        wedge[:, cn] += preference
        wedge[:, listed_col] += preference
    bloc = hedging.preference(model)
    if bloc is not None:
        wedge = bloc if wedge is None else wedge + bloc
    return wedge


def clear(model: DecouplingModel) -> None:
    """Buyers reallocate demand; firms' revenue and the market's tallies follow.

    Reads: policy, firms (capability, cost, binding, shares), relations (split, china_bind,
    compliance, countermeasures, barrier_bind), market.demand_index (this quarter's),
    market.capacity.
    Writes: market.tariffs, market.attractiveness, market.wedge, market.sales and its tallies (bilateral,
    revenue, market_share, self_sufficiency, china_exposure), market.capacity, firms.shares,
    firms.revenue, firms.cumulative_output.
    """
    f, market = model.firms, model.market
    if model.policy.tariff.any() or model.relations.countermeasures > 0:
        market.tariffs = market_barriers.tariff_matrix(model) + countermeasures.retaliatory_tariffs(model)
    elif market.tariffs.any():
        market.tariffs = np.zeros_like(market.tariffs)
    attract, avail, wedge = attractiveness(model)
    switching = model.derived(switching_of_firms)
    shares = reallocate(f.shares, attract, avail, switching, f.sector, f.groups)
    cap = countermeasures.us_share_cap(model)
    shares = cap_group_share(
        shares, model.layout.is_us, cap, [model.layout.cn, model.layout.listed_segment], f.sector, f.groups
    )
    demand = np.take(market.segment_demand(model.layout, model.policy.coverage), f.sector, axis=0)  # (n, B)
    shares = within_capacity(model, shares, demand)
    f.shares = shares
    market.attractiveness = attract
    market.wedge = wedge
    market.sales = demand * shares
    f.revenue = market.sales.sum(1)
    f.cumulative_output = f.cumulative_output + f.revenue / 4.0
    market.tally(model.layout, f.groups)
    grow_capacity(model)


def within_capacity(model: DecouplingModel, shares: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Shares where no country's firms sell more in a sector than their capacity: the firms of an
    industry over it keep the part of each segment their capacity allows, and the rest goes to the
    sector's other suppliers in proportion to their shares (where there is none, the industry
    keeps it). ``demand`` (n, B) is the demand of each segment in each firm's sector."""
    f, layout, market = model.firms, model.layout, model.market
    revenue = f.by_country((demand * shares).sum(1))  # (S, C)
    over = revenue > market.capacity
    if not over.any():  # (the usual case: nobody grows faster than it can build)
        return shares
    factor = np.where(over, market.capacity / np.maximum(revenue, TINY), 1.0).take(layout.firm_in_sc)
    kept = shares * factor[:, None]
    free = (factor == 1.0)[:, None]
    others = f.by_sector(shares * free)  # (S, B) what the unconstrained firms hold
    room = others > TINY
    scale = np.divide(f.by_sector(shares - kept), others, out=np.zeros_like(others), where=room)
    out = kept + shares * free * np.take(scale, f.sector, axis=0)
    return np.where(np.take(room, f.sector, axis=0), out, shares)


def grow_capacity(model: DecouplingModel) -> None:
    """Each industry's capacity for next quarter: what it has, or sells, if more, grown by the
    sector's ``capacity_growth`` a year.

    Reads: market.revenue, market.capacity. Writes: market.capacity.
    """
    market = model.market
    growth = (1.0 + model.world.capacity_growth) ** 0.25
    market.capacity = np.maximum(market.capacity, market.revenue) * growth[:, None]


def switching_of_firms(model: DecouplingModel) -> np.ndarray:
    """(n,) share of its purchases a firm's buyers re-optimise each quarter (its sector's rate)."""
    w = model.world
    return np.clip(w.switching_rate * model.params.market.switching_scale, 0.0, 1.0)[model.firms.sector]


def expected_true_utility(
    shares: np.ndarray, attractiveness: np.ndarray, wedge: np.ndarray | None = None
) -> np.ndarray:
    """Per firm, ``s · (log A − wedge − log s)``: summed over a market's suppliers, the expected
    utility of logit buyers who hold shares ``s`` of suppliers whose attractiveness at their true
    preferences is ``A × exp(−wedge)`` (``A`` as they choose, less the policy wedges in logs; 0 where
    ``s`` or ``A`` is 0).

    Summed, it is ``log Σ A_true − KL(s ‖ A_true / Σ A_true)``: the logit inclusive value when
    buyers choose by their true preferences (Small & Rosen 1981), less a deadweight loss whenever
    wedges, caps or inertia hold their shares elsewhere (Leggett 2002; Train 2009, sec. 3.5). See
    :mod:`decouple.mechanisms.accounts`.
    """
    positive = (shares > TINY) & (attractiveness > TINY)
    if positive.all():  # (nothing to leave out)
        log_value = np.log(attractiveness) if wedge is None else np.log(attractiveness) - wedge
        return shares * (log_value - np.log(shares))
    log_a = np.log(np.where(positive, attractiveness, 1.0))
    if wedge is not None:
        log_a = log_a - wedge
    return np.where(positive, shares * (log_a - np.log(np.where(positive, shares, 1.0))), 0.0)


def consumer_surplus(model: DecouplingModel) -> np.ndarray:
    """(S, C) realised quality-adjusted consumer surplus per unit of spending, relative to step 0,
    in log-price units, valued at buyers' true preferences.

    ``Σ s·(log A_true − log s) / price_sensitivity`` over a sector's suppliers (see
    :func:`expected_true_utility`): 0 at step 0 (where A equals the step-0 shares), lower when
    choice is restricted, when products are worse or dearer, while buyers are still switching,
    and when wedges move them off the suppliers they prefer.
    """
    f, w, market = model.firms, model.world, model.market
    terms = expected_true_utility(f.shares, market.attractiveness, market.wedge)
    by_segment = f.by_sector(terms) / w.price_sensitivity[:, None]  # (S, B)
    cs = by_segment[:, : w.n_countries].copy()
    cn, listed = model.layout.cn, model.layout.listed_segment
    cover = model.policy.coverage
    cs[:, cn] = (1.0 - cover) * by_segment[:, cn] + cover * by_segment[:, listed]
    return cs


def update_welfare(model: DecouplingModel) -> None:
    """Consumers' welfare index from the consumer surplus, weighted by 2018 spending.

    Reads: firms.shares, market.attractiveness, market.wedge, policy.coverage. Writes: market.surplus,
    market.welfare, market.welfare_groups.
    """
    cs = consumer_surplus(model)  # (S, C)
    market = model.market
    market.surplus = cs
    market.welfare = 100.0 * np.exp((model.layout.welfare_weights * cs).sum(0))
    market.welfare_groups = {
        name: float(100.0 * np.exp((demand * cs[:, idx]).sum() / total))
        for name, idx, demand, total in model.layout.welfare_group_weights
    }


def design_out_cost(model: DecouplingModel) -> np.ndarray:
    """(n,) lasting unit-cost multiplier of the US content and tools a firm has designed out."""
    f = model.firms
    designed_out = np.maximum(0.0, f.us_content0 - f.us_content) + np.maximum(0.0, f.us_tools0 - f.us_tools)
    return 1.0 + model.params.market.design_out_cost * designed_out
