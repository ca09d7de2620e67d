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

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def allocate_subsidy(
    sector_subsidy: np.ndarray, sector: np.ndarray, revenue: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Split each sector's subsidy over eligible firms in proportion to their revenue."""
    if not sector_subsidy.any():  # nothing to split (the split of zero is exactly zero)
        return np.zeros(len(sector))
    weights = revenue * eligible
    totals = np.bincount(sector, weights=weights, minlength=len(sector_subsidy))
    per_unit = np.divide(sector_subsidy, totals, out=np.zeros_like(sector_subsidy), where=totals > 0)
    return per_unit[sector] * weights


def reshoring_speed(subsidy: np.ndarray, revenue: np.ndarray, r: Any) -> np.ndarray:
    """(n,) share of Chinese assembly brought home this quarter: the subsidy relative to the
    cost premium on the firm's sales, times ``speed`` (``r`` is ``params.reshoring``)."""
    premium_bill = np.maximum(r.home_cost_premium * revenue, 1e-12)
    return np.minimum(1.0, r.speed * subsidy / premium_bill / 4.0)


def relocation_share(tariff_exposure: np.ndarray, hostility: float, is_cn: np.ndarray, r: Any) -> np.ndarray:
    """(n,) share of China-made output moved to India and Vietnam/ASEAN this quarter: tariff
    exposure (all firms) and de-risking under hostility (foreign firms)."""
    return np.minimum(1.0, (r.relocation_rate * tariff_exposure + r.derisking_rate * hostility * ~is_cn) / 4.0)


def cost_factor(model: DecouplingModel) -> np.ndarray:
    """(n,) unit-cost multiplier from producing at home or in friend-shoring locations."""
    f, r = model.firms, model.params.reshoring
    reshored = np.where(model.layout.is_cn, 0.0, np.maximum(0.0, f.loc_home - f.loc_home0))
    friend = np.maximum(0.0, f.loc_friend - f.loc_friend0)
    return 1.0 + r.home_cost_premium * (1.0 - r.subsidy_offset) * reshored + r.friendshore_premium * friend


def production_by_location(model: DecouplingModel) -> np.ndarray:
    """(S, C) output value (US$ bn/yr) by where it is made."""
    f, w, layout = model.firms, model.world, model.layout
    out = f.by_country(f.revenue * f.loc_home)
    out[:, layout.cn] += f.by_sector(f.revenue * f.loc_cn)
    if f.loc_foundry.any():  # fabless firms' chips, made where the foundries are
        out += f.by_sector(f.revenue * f.loc_foundry)[:, None] * w.foundry_hosts
    if f.loc_friend.any():  # (nothing is made in friend-shoring locations yet otherwise)
        friend = f.by_sector(f.revenue * f.loc_friend)
        out += friend[:, None] * w.friendshore_weight[None, :]
    return out
