"""Welfare in money and GDP: each country's gains and losses in US$ bn a year.

Sources: S2 三(三) (two technology systems would markedly lower welfare); S0 长期趋势 (decoupling
raises the running cost of the US innovation system; losing the China market cuts profits);
S1 一(三) (tariffs), 一(二) (CHIPS Act subsidies), 二(一) (China's state support); mechanisms.md
(the open baseline is the counterfactual every cost is measured against).

Rules, per country and quarter (US$ bn a year)
- Consumer surplus: the country's spending on each sector times its buyers' quality-adjusted
  log-price change since 2018 (the consumers' index of :func:`decouple.mechanisms.market.
  consumer_surplus`, to first order): what the change is worth at today's spending.
- Producer surplus: the profits of the country's firms, wherever they sell — their revenue times
  the sector's profit margin.
- Government: tariffs it collects (the tariff's part of what its buyers pay), less what it pays out
  — China's state support, US reshoring subsidies.
- ``welfare_usd`` is their sum. Compare scenarios in the same year (the baseline with the same
  seed is the counterfactual): its change against the baseline, in US$ bn and in % of GDP, is the
  cost or gain of a policy.
- GDP: the 2018 economy outside the modelled sectors grows at the country's trend rate; the
  modelled sectors' value added is ``value_added_ratio`` of the output made in the country in the
  run, so GDP responds to where production goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import capital, economy
from .reshoring import production_by_location

if TYPE_CHECKING:
    from ..model import DecouplingModel


def tariff_revenue(model: DecouplingModel) -> np.ndarray:
    """(C,) tariffs each country collects: the tariff's part of what its buyers pay, US$ bn/yr."""
    layout, market = model.layout, model.market
    if not market.tariffs.any():
        return np.zeros(len(model.world.countries))
    collected = (market.sales * market.tariffs / (1.0 + market.tariffs)).sum(0)  # (B,)
    return np.bincount(layout.segment_country, weights=collected, minlength=len(model.world.countries))


def payments(model: DecouplingModel) -> np.ndarray:
    """(C,) what each government pays its firms: China's state support, US reshoring subsidies."""
    out = np.zeros(len(model.world.countries))
    out[model.layout.cn] = model.firms.subsidy.sum()
    out[model.layout.us] = model.policy.reshoring.sum()
    return out


def gdp(model: DecouplingModel, production: np.ndarray) -> np.ndarray:
    """(C,) GDP, US$ bn/yr: the rest of the 2018 economy along its projected path, moved by the
    technology it gets (:func:`decouple.mechanisms.economy.productivity`), plus the modelled sectors'
    value added where their output is made (``production``, (S, C))."""
    rest = model.layout.gdp_rest0 * economy.trend_gdp(model) * economy.productivity(model)
    return rest + (model.world.value_added_ratio[:, None] * production).sum(0)


def gains_from_trade(model: DecouplingModel) -> np.ndarray:
    """(C,) what each country gains from trade in the modelled sectors over autarky in them, by the
    formula of Arkolakis, Costinot and Rodríguez-Clare (2012), sector by sector (Costinot and
    Rodríguez-Clare 2014), US$ bn a year: ``Σ_s −E_cs × log(λ_cs) / θ_s``, with ``E_cs`` its
    spending, ``λ_cs`` the share of it that goes to its own firms and ``θ_s`` the sector's trade
    elasticity (``seeds/sectors.toml``). Sectors where the country has no firms of its own are left
    out (autarky there is not defined).

    The change of this number against the baseline run with the same seed is the cross-check of the
    change of ``welfare_usd``: what a static gravity model would infer from the same runs' domestic
    expenditure shares. The README explains where the two differ.
    """
    market, layout = model.market, model.layout
    own = layout.self_sufficiency0 > 0  # (the step-0 market: a country with firms keeps them)
    share = np.where(own, np.maximum(market.self_sufficiency, 1e-12), 1.0)
    return -(market.spending * np.log(share) / model.world.trade_elasticity[:, None]).sum(0)


def update(model: DecouplingModel) -> None:
    """Consumer and producer surplus, government and GDP of every country this quarter.

    Reads: market.surplus, market.spending, market.spending_open, market.self_sufficiency, market.revenue,
    market.sales, market.tariffs, firms.subsidy, firms.revenue and locations, policy.reshoring.
    Writes: accounts.consumer_surplus, accounts.producer_surplus, accounts.government,
    accounts.welfare, accounts.gdp, accounts.production, accounts.gains_from_trade.
    """
    acc, w = model.accounts, model.world
    acc.consumer_surplus = economy.consumer_surplus_usd(model).sum(0)
    acc.producer_surplus = (w.profit_margin[:, None] * model.market.revenue).sum(0) + capital.excess_returns(model)
    acc.government = tariff_revenue(model) - payments(model)
    acc.welfare = acc.consumer_surplus + acc.producer_surplus + acc.government
    acc.production = production_by_location(model)
    acc.gdp = gdp(model, acc.production)
    acc.gains_from_trade = gains_from_trade(model)
