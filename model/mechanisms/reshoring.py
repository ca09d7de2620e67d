"""M4 Supply-chain isolation: reshoring subsidies and friend-shoring.

Sources: S1 一(二) (CHIPS and Science Act, over US$50 bn for fabs in the US and allied
countries; firms moved to India and Vietnam — Apple assembled US$22 bn of iPhones in India in
Apr 2024–Mar 2025, about 60 % more than a year before); S4 二(四) (US share of world chip
manufacturing down from 37 % in 1990 to 12 %); S0 长期趋势, second limit (reshoring needs large
investment for lack of an industrial base and diverts money from frontier R&D).

Rules
- A reshoring subsidy (US$ bn/yr, split over the chosen sectors by US sales) goes to US firms by
  sales. It moves their Chinese-made output home at a speed proportional to the subsidy relative
  to the cost premium on their sales; home output costs ``home_cost_premium`` more, of which the
  subsidy covers ``subsidy_offset``; firms divert ``rd_diversion`` of each subsidy dollar from
  R&D to co-invest.
- Tariffs push production out of China: a foreign firm moves its Chinese assembly, and a Chinese
  firm part of its home output (tariff-jumping, less what anti-circumvention rules catch), to
  India and Vietnam/ASEAN at ``relocation_rate`` per unit of tariff on its sales.
- Rising hostility (sanctions and retaliation) makes foreign firms de-risk: they move Chinese
  assembly to India and Vietnam/ASEAN at ``derisking_rate`` per unit of hostility a year, the
  friend-shoring the US encourages (S1 一(二)).
"""

from __future__ import annotations

import numpy as np


def allocate_subsidy(sector_subsidy: np.ndarray, sector: np.ndarray, revenue: np.ndarray,
                     eligible: np.ndarray) -> np.ndarray:
    """Split each sector's subsidy over eligible firms in proportion to their revenue."""
    if not sector_subsidy.any():  # nothing to split (the split of zero is exactly zero)
        return np.zeros(len(sector))
    weights = revenue * eligible
    totals = np.bincount(sector, weights=weights, minlength=len(sector_subsidy))
    per_unit = np.divide(sector_subsidy, totals, out=np.zeros_like(sector_subsidy), where=totals > 0)
    return per_unit[sector] * weights


def update(model) -> None:
    f, r = model.firms, model.params.reshoring
    is_cn = model.is_cn
    f.reshoring_subsidy = allocate_subsidy(model.policy.reshoring, f.sector, f.revenue, model.is_us)

    # Reshoring: subsidised firms bring Chinese assembly home.
    if f.reshoring_subsidy.any():  # (without subsidies nothing moves)
        premium_bill = np.maximum(r.home_cost_premium * f.revenue, 1e-12)
        speed = np.minimum(1.0, r.speed * f.reshoring_subsidy / premium_bill / 4.0)
        f.loc_cn = f.loc_cn * (1.0 - speed)

    # Friend-shoring: tariff exposure moves output to India and Vietnam/ASEAN.
    tariffed = model.tariffs.any()
    if not tariffed and model.hostility == 0:  # nothing pushes production out of China
        return
    exposure = np.zeros(f.n)
    if tariffed:
        np.divide((model.tariffs * model.sales).sum(1), f.revenue, out=exposure, where=f.revenue > 0)
    anti = model.params.policy.anti_circumvention
    move = np.minimum(1.0, (r.relocation_rate * exposure + r.derisking_rate * model.hostility * ~is_cn) / 4.0)
    from_cn_assembly = np.where(is_cn, 0.0, move * f.loc_cn)
    from_cn_home = np.where(is_cn, move * (1.0 - anti) * (1.0 - f.loc_friend), 0.0)
    f.loc_cn = f.loc_cn - from_cn_assembly
    f.loc_friend = np.clip(f.loc_friend + from_cn_assembly + from_cn_home, 0.0, 1.0)


def cost_factor(model) -> np.ndarray:
    """(n,) unit-cost multiplier from producing at home or in friend-shoring locations."""
    f, r = model.firms, model.params.reshoring
    is_cn = model.is_cn
    reshored = np.where(is_cn, 0.0, np.maximum(0.0, f.loc_home - f.loc_home0))
    friend = np.maximum(0.0, f.loc_friend - f.loc_friend0)
    return 1.0 + r.home_cost_premium * (1.0 - r.subsidy_offset) * reshored + r.friendshore_premium * friend


def rd_diverted(model) -> np.ndarray:
    """(n,) R&D (US$ bn/yr) firms divert to co-invest in reshoring."""
    return model.params.reshoring.rd_diversion * model.firms.reshoring_subsidy


def production_by_location(model) -> np.ndarray:
    """(S, C) output value (US$ bn/yr) by where it is made."""
    f, w = model.firms, model.world
    S, C = w.n_sectors, w.n_countries
    out = model.groups.country_sum(f.revenue * f.loc_home)
    out[:, w.c("CN")] += model.groups.sector_sum(f.revenue * f.loc_cn)
    if f.loc_friend.any():  # (nothing is made in friend-shoring locations yet otherwise)
        friend = model.groups.sector_sum(f.revenue * f.loc_friend)
        out += friend[:, None] * w.friendshore_weight[None, :]
    return out
