"""M2 Capital and investment restrictions.

Sources: S0 三是资金 (FIRRMA widened CFIUS review; Chinese direct investment in the US fell from
US$46.5 bn in 2016 to US$5.4 bn in 2018, −88 %, Rhodium Group); S2 一(二) and 三(一) (Chinese
investment in the US US$23.4 bn 2017 → 9.9 bn 2018 → 3.2 bn 2022; US venture deals in Chinese tech
426 / US$87 bn in 2021 → 283 / US$46.3 bn in 2022 → under 50 / US$8.1 bn in Jan–Apr 2023; CHIPS Act
recipients barred from expanding in China); S1 一(三) (2023 order barring US investment in Chinese
semiconductors, quantum and AI; delisting pressure).

Rules
- Two flows (US$ bn/yr): Chinese direct investment into the US, and US investment into Chinese
  technology firms split over sectors by Chinese firms' 2018 sales. Each moves toward a target,
  closing ``adjustment_rate`` of the gap per quarter: its 2018 level, less what screening
  (inbound) or the outbound ban (in its sectors) blocks, scaled by ``(trust / trust in 2018) **
  trust_elasticity`` (at most 1) when trust (M10) has fallen: uncertainty and the expectation of
  further restrictions deter investors both ways (S2 三(一)).
- ``vc_rd_share`` of the US investment funds Chinese firms' R&D (by sales). Both flows carry
  technology: their level relative to 2018 is the capital part of China's catch-up absorption.
- US investors hold what they invest from 2018 on as a stake that they exit at ``exit_rate`` a
  year (a venture fund's life), and earn on it ``excess_return`` a year more than they would on
  the alternatives they turn to when they invest less: US capital that shuns China loses returns
  (S2 三(一); Rhodium Group and US Chamber of Commerce 2021: selling half the US direct-investment
  stake in China would cost US investors about US$25 bn a year). The excess return is part of US
  welfare (:mod:`decouple.mechanisms.accounts`); China's side of it is the output its firms make
  with the money, which the R&D it funds carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .reshoring import allocate_subsidy

if TYPE_CHECKING:
    from ..model import DecouplingModel


def starting_flows(model: DecouplingModel) -> tuple[float, np.ndarray]:
    """(Chinese investment into the US, (S,) US investment into Chinese firms) in 2018, US$ bn/yr;
    the latter split over sectors by Chinese firms' 2018 sales."""
    f, w, cap = model.firms, model.world, model.params.capital
    cn_sales = np.bincount(f.sector, weights=f.revenue * model.layout.is_cn, minlength=w.n_sectors)
    return float(cap.cn_to_us_initial), cap.us_to_cn_initial * cn_sales / cn_sales.sum()


def fund_rd(model: DecouplingModel) -> None:
    """``vc_rd_share`` of US investment funds Chinese firms' R&D, split by sales.

    Reads: relations.investment_in_cn, firms.revenue. Writes: firms.investment_rd.
    """
    f = model.firms
    f.investment_rd = allocate_subsidy(
        model.relations.investment_in_cn * model.params.capital.vc_rd_share, f.sector, f.revenue, model.layout.is_cn
    )


def excess_returns(model: DecouplingModel) -> np.ndarray:
    """(C,) what each country's investors earn on their stakes in Chinese technology firms above
    their alternatives, US$ bn a year (only US investors are followed)."""
    out = np.zeros(model.world.n_countries)
    out[model.layout.us] = model.params.capital.excess_return * model.relations.us_stake_cn.sum()
    return out


def update(model: DecouplingModel) -> None:
    """Investment flows close part of the gap to their targets; access and funded R&D follow.

    Reads: policy (inbound screening, outbound ban), relations.trust (this quarter's),
    firms.revenue (this quarter's). Writes: relations.investment_in_us,
    relations.investment_in_cn, relations.capital_access, relations.us_stake_cn, firms.investment_rd.
    """
    pol, cap, rel = model.policy, model.params.capital, model.relations
    confidence = min(1.0, rel.trust / max(model.params.coopetition.trust_initial, 1e-9)) ** cap.trust_elasticity
    inbound_target = cap.cn_to_us_initial * (1.0 - model.params.policy.inbound_screening * pol.active) * confidence
    rel.investment_in_us += cap.adjustment_rate * (inbound_target - rel.investment_in_us)
    outbound_target = rel.investment_in_cn0 * (1.0 - pol.outbound) * confidence
    rel.investment_in_cn = rel.investment_in_cn + cap.adjustment_rate * (outbound_target - rel.investment_in_cn)
    inbound_access = rel.investment_in_us / cap.cn_to_us_initial if cap.cn_to_us_initial > 0 else 1.0
    outbound_access = np.divide(
        rel.investment_in_cn,
        rel.investment_in_cn0,
        out=np.ones_like(rel.investment_in_cn0),
        where=rel.investment_in_cn0 > 0,
    )
    rel.capital_access = 0.5 * inbound_access + 0.5 * outbound_access
    rel.us_stake_cn = rel.us_stake_cn + (rel.investment_in_cn - cap.exit_rate * rel.us_stake_cn) / 4.0
    fund_rd(model)
