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
- A non-US firm that FDPR binds replaces ``design_out_rate`` of its original US content per
  quarter, times the share of its sales made outside the US (where US-bound products are refused
  or shunned), at a lasting cost; once below de minimis it is free of US rules ('ITAR-free').
"""

from __future__ import annotations

import numpy as np

from ..firms import Groups
from . import market_barriers, standards

TINY = 1e-12


def normalise_by_sector(values: np.ndarray, groups: Groups, sector: np.ndarray) -> np.ndarray:
    totals = np.take(groups.sector_sum(values), sector, axis=0)  # (each firm's row of its sector's totals)
    if (totals > TINY).all():  # (the usual case: no column to leave at 0)
        return values / totals
    return np.divide(values, totals, out=np.zeros_like(values), where=totals > TINY)


def reallocate(shares: np.ndarray, attractiveness: np.ndarray, availability: np.ndarray | None,
               switching: np.ndarray, sector: np.ndarray, groups: Groups) -> np.ndarray:
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


def cap_group_share(shares: np.ndarray, in_group: np.ndarray, cap: float, columns: list[int],
                    sector: np.ndarray, groups: Groups) -> np.ndarray:
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


def attractiveness(model) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, B) logit attractiveness and (n, B) availability of each firm to each segment
    (None when every firm is available to every segment)."""
    f, pol, p = model.firms, model.policy, model.params
    s = f.sector
    cn, listed_col = model.cn, model.listed_segment
    aq, ap = model.firm_quality_sensitivity, model.firm_price_sensitivity
    log_q = np.log(np.maximum(f.effective_capability, TINY) / f.capability0)
    # While no term below depends on the buyer segment, utility is kept as one column.
    utility = (aq * log_q - ap * np.log(f.cost))[:, None]
    # (terms that are zero in an open world are skipped, which only saves time)
    if model.tariffs.any():
        utility = utility - ap[:, None] * np.log1p(model.tariffs)
    if model.split.any():
        utility = utility - standards.incompatibility_penalty(model)
    # US controls: burden abroad (ITAR-free premium) and supply risk in China.
    bound = f.binding * pol.intensity[s]
    if bound.any():
        burden = np.where(pol.all_destinations[s], p.market.licence_burden, p.market.control_burden)
        utility = utility - (burden * bound)[:, None] * model.abroad_segments[None, :]
        risk = p.market.china_supply_risk * bound
        utility[:, cn] -= risk
        utility[:, listed_col] -= risk
    # China's buy-domestic preference where controls bind (M7).
    if model.china_bind.any():
        utility = np.repeat(utility, model.n_segments, axis=1) if utility.shape[1] == 1 else utility
        preference = p.china.buy_domestic * model.china_bind[s] * model.is_cn
        utility[:, cn] += preference
        utility[:, listed_col] += preference

    avail = market_barriers.ban_availability(model)
    attract = f.base_attractiveness * np.exp(np.clip(utility, -50, 50))
    if avail is not None:
        attract *= avail
    # Covered Chinese buyers: a bound firm's offer is refused with probability beta; it may
    # offer a sub-threshold variant instead unless the fence is at 1.
    beta = f.binding * (1.0 - pol.licence[s])
    if not beta.any():
        return attract, avail
    if avail is None:
        avail = np.ones((f.n, model.n_segments))
    threshold = (1.0 - pol.fence[s]) * model.frontier[s]
    has_variant = (pol.fence[s] < 1.0).astype(float)
    capped_q = np.minimum(f.effective_capability, threshold)
    capped_gain = np.exp(aq * (np.log(np.maximum(capped_q, TINY)) - np.log(np.maximum(f.effective_capability, TINY))))
    mixture = (1.0 - beta) + beta * has_variant * capped_gain
    attract[:, listed_col] *= mixture
    avail[:, listed_col] *= (1.0 - beta) + beta * has_variant
    return attract, avail


def clear(model) -> None:
    """Buyers reallocate demand; firms' revenue and the bilateral sales matrix follow."""
    f = model.firms
    if model.policy.tariff.any() or model.countermeasures > 0:
        model.tariffs = market_barriers.tariff_matrix(model) + model.retaliatory_tariffs()
    elif model.tariffs.any():
        model.tariffs = np.zeros_like(model.tariffs)
    attract, avail = attractiveness(model)
    switching = model.derived(switching_of_firms)
    shares = reallocate(f.shares, attract, avail, switching, f.sector, model.groups)
    cap = model.us_share_cap()
    shares = cap_group_share(shares, model.is_us, cap, [model.cn, model.listed_segment], f.sector, model.groups)
    f.shares = shares
    model.attractiveness = attract
    model.sales = np.take(model.segment_demand(), f.sector, axis=0) * shares  # (n, B) US$ bn/yr
    f.revenue = model.sales.sum(1)
    f.cumulative_output = f.cumulative_output + f.revenue / 4.0


def switching_of_firms(model) -> np.ndarray:
    """(n,) share of its purchases a firm's buyers re-optimise each quarter (its sector's rate)."""
    w = model.world
    return np.clip(w.switching_rate * model.params.market.switching_scale, 0.0, 1.0)[model.firms.sector]


def consumer_surplus(model) -> np.ndarray:
    """(S, C) realised quality-adjusted consumer surplus per unit of spending, relative to step 0.

    For logit buyers holding shares ``s`` of suppliers with attractiveness ``A``,
    ``Σ s·(log A − log s) / price_sensitivity`` is their expected utility in log-price units; it
    is 0 at step 0 (where A equals the step-0 shares) and falls when choice is restricted,
    when products are worse or dearer, or while buyers are still switching.
    """
    f, w = model.firms, model.world
    s, A = f.shares, model.attractiveness
    positive = (s > TINY) & (A > TINY)
    if positive.all():  # (nothing to leave out)
        terms = s * (np.log(A) - np.log(s))
    else:
        terms = np.where(positive, s * (np.log(np.where(positive, A, 1.0)) - np.log(np.where(positive, s, 1.0))), 0.0)
    by_segment = model.groups.sector_sum(terms) / w.price_sensitivity[:, None]  # (S, B)
    cs = by_segment[:, : w.n_countries].copy()
    cn, listed = w.c("CN"), model.listed_segment
    cover = model.policy.coverage
    cs[:, cn] = (1.0 - cover) * by_segment[:, cn] + cover * by_segment[:, listed]
    return cs


def design_out(model) -> None:
    """Non-US firms bound by FDPR replace US content in proportion to their sales outside the US."""
    f, m = model.firms, model.params.market
    foreign = model.is_foreign
    reach = model.fdpr_reach  # computed with the binding this quarter
    if not reach.any():  # nobody is bound: nothing to design out
        return
    # Firms whose government complies in full gain nothing from designing out.
    gain = reach * (1.0 - model.compliance.take(model.firm_cs))
    outside_us = f.revenue - model.sales[:, model.us]
    exposure = np.divide(outside_us, f.revenue, out=np.zeros(f.n), where=f.revenue > 0)
    # a redesign programme replaces a fixed share of the original US content each quarter
    f.us_content = np.maximum(0.0, f.us_content - m.design_out_rate * f.us_content0 * gain * exposure * foreign)


def design_out_cost(model) -> np.ndarray:
    f = model.firms
    return 1.0 + model.params.market.design_out_cost * np.maximum(0.0, f.us_content0 - f.us_content)
