"""Welfare in money and GDP: each country's gains and losses in US$ bn a year.

Sources: S2 三(三) (two technology systems would markedly lower welfare); S0 长期趋势 (decoupling
raises the running cost of the US innovation system; losing the China market cuts profits);
S1 一(三) (tariffs), 一(二) (CHIPS Act subsidies), 二(一) (China's state support); mechanisms.md
(the open baseline is the counterfactual every cost is measured against).

Rules, per country and quarter (US$ bn a year, 2018 prices)
- Consumer surplus, valued at buyers' true preferences. In each sector a country's buyers hold
  shares ``s_j`` of the suppliers ``j``, chosen by a logit on attractiveness ``A_j``; policies add
  wedges ``w_j`` (log units) that move the choice but not what the product is worth to the buyer:
  China's buy-domestic and home-absorption pushes (M7), third countries' bloc preference and
  China's partner ties (M14, M16), the licence burden buyers abroad put on US-bound products and
  Chinese buyers' supply-risk aversion (M6) (:func:`decouple.mechanisms.market.policy_wedges`).
  Per unit of spending, in log-price units,

      CS = Σ_j s_j (log A_j − w_j − log s_j) / price_sensitivity,

  the expected true utility of the choices made plus the choice-entropy term (Leggett 2002, Land
  Economics 78(1); Train 2009, Discrete Choice Methods, sec. 3.5). Summed it equals the logit
  inclusive value at true preferences, ``log Σ_j A_j e^(−w_j)``, less the Kullback-Leibler
  divergence of the shares held from those undistorted buyers would choose: a mandate that moves
  buyers off their preferred supplier is a deadweight loss, and so are caps and the inertia of
  buyers still switching. It is 0 at step 0 (``A`` is calibrated to the step-0 shares). Tariffs
  are part of the price the buyer pays (their revenue is the government's); ecosystem
  incompatibility (M8) lowers a product's worth; bans and controls narrow the choice. In money:
  the country's spending on the sector times this change (exact for spending that is a fixed share
  of income; :func:`decouple.mechanisms.economy.consumer_surplus_usd` for other price
  elasticities). ``tests/test_economics.py`` checks it on a two-firm market solved by hand.
- Producer surplus: the profits of the country's firms, wherever they sell — their revenue times
  the sector's profit margin — and its investors' excess returns on their stakes in Chinese
  technology firms (M2, :func:`decouple.mechanisms.capital.excess_returns`).
- Government: tariffs it collects (the tariff's part of what its buyers pay), less what it pays out
  — China's state support, US reshoring subsidies.
- ``welfare_usd`` is their sum. Compare scenarios in the same year (the baseline with the same
  seed is the counterfactual): its change against the baseline, in US$ bn and in % of GDP, is the
  cost or gain of a policy. A tariff or a ban reaches the target through its exporters' lost sales
  and through the dearer or worse products its own buyers are pushed to.
- GDP (:mod:`decouple.mechanisms.economy`): the economy outside the modelled sectors along its
  projected path, moved by the technology it gets against the open world's path, plus the
  modelled sectors' value added where their output is made (``value_added_ratio`` of production).
- The cross-check: :func:`gains_from_trade`, the formula of Arkolakis, Costinot and Rodríguez-Clare
  (2012) sector by sector, from the run's own domestic expenditure shares.
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
    expenditure shares. docs/results.md explains where the two differ.
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
