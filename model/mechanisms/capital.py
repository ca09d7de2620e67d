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
"""

from __future__ import annotations

import numpy as np

from .reshoring import allocate_subsidy


def initialise(model) -> None:
    f, w, cap = model.firms, model.world, model.params.capital
    is_cn = f.country == w.c("CN")
    cn_sales = np.bincount(f.sector, weights=f.revenue * is_cn, minlength=w.n_sectors)
    model.investment_in_cn0 = cap.us_to_cn_initial * cn_sales / cn_sales.sum()
    model.investment_in_cn = model.investment_in_cn0.copy()
    model.investment_in_us = float(cap.cn_to_us_initial)
    model.capital_access = np.ones(w.n_sectors)
    fund_rd(model)


def fund_rd(model) -> None:
    f = model.firms
    f.investment_rd = allocate_subsidy(model.investment_in_cn * model.params.capital.vc_rd_share,
                                       f.sector, f.revenue, model.is_cn)


def update(model) -> None:
    pol, cap = model.policy, model.params.capital
    confidence = min(1.0, model.trust / max(model.params.coopetition.trust_initial, 1e-9)) ** cap.trust_elasticity
    inbound_target = cap.cn_to_us_initial * (1.0 - model.params.policy.inbound_screening * pol.active) * confidence
    model.investment_in_us += cap.adjustment_rate * (inbound_target - model.investment_in_us)
    outbound_target = model.investment_in_cn0 * (1.0 - pol.outbound) * confidence
    model.investment_in_cn = model.investment_in_cn + cap.adjustment_rate * (outbound_target - model.investment_in_cn)
    inbound_access = model.investment_in_us / cap.cn_to_us_initial if cap.cn_to_us_initial > 0 else 1.0
    outbound_access = np.divide(model.investment_in_cn, model.investment_in_cn0,
                                out=np.ones_like(model.investment_in_cn0), where=model.investment_in_cn0 > 0)
    model.capital_access = 0.5 * inbound_access + 0.5 * outbound_access
    fund_rd(model)
