"""The rest of the economy: GDP that technology reaches, and spending that follows income and prices.

The modelled sectors are a few per cent of world output, but what they sell is used everywhere:
dearer or worse chips, networks and software lower the productivity of the sectors that use
them. This module closes the model with the rest of the economy, as simply as the evidence
allows (a general-equilibrium closure of one aggregate good per country).

Sources: S0 长期趋势 (decoupling raises the running cost of the US innovation system); S2 三(二)
(keeping competitive Chinese products out of the main markets forces other countries onto dearer,
second-best products and lowers the efficiency of the world's innovation system); S2 三(三) (two
technology systems would markedly lower welfare); the growth-accounting literature on ICT capital
and the IMF's diffusion channel (seeds/facts.toml: ict_elasticity_polak_2017,
ict_elasticity_stiroh_2005, ict_elasticity_above_share_niebel_2018, imf_tech_decoupling_2021);
the projections of growth (imf_weo_oct2024_growth, oecd_2060_growth) and of technology spending
(semiconductor_sales_sia, ai_spending_idc).

Rules, per country ``c`` and quarter ``t``
- **Trend GDP** ``Ȳ_c(t)``: 2018 GDP grown along the country's projected real growth path
  (``countries.toml``'s ``gdp_growth``: a published projection that slows where it slows).
- **Technology reaches the rest of the economy.** Let ``τ_c`` be the fall of the quality-adjusted
  price of technology that the country's buyers face since 2018 (the consumers' surplus per unit
  of spending, :func:`decouple.mechanisms.market.consumer_surplus`, weighted by the country's 2018
  spending over sectors) and ``τ̄_c`` the fall the open world's own innovation and learning imply
  (:func:`open_world_price_fall`). The economy outside the modelled sectors produces
  ``rest_c(2018) × Ȳ_c(t)/Ȳ_c(2018) × exp(ε × (τ_c − τ̄_c))``: the projection already holds the
  technology an open world would bring, and a run that brings less (or more) moves GDP by the
  output elasticity ``ε`` of technology inputs (``economy.technology_elasticity``).
- **GDP** is that plus the modelled sectors' value added where their output is made
  (:mod:`decouple.mechanisms.accounts`).
- **Spending responds to income and prices.** Country ``c`` spends on sector ``s``
  ``demand0_cs × D_s(t) × (Y_c / Ȳ_c)^η × exp((σ − 1)(τ_cs − τ̄_s))``, with ``D_s(t)`` the
  sector's trend (``sectors.toml``'s ``demand_growth`` path), ``Ȳ_c`` GDP along the open world's
  path (:func:`trend_income`), last
  quarter's GDP ``Y_c`` (income losses feed back into spending; ``η`` is
  ``economy.income_elasticity``) and last quarter's price fall (``σ`` is the price elasticity of
  demand for the sector's products, ``economy.price_elasticity``; at 1, the default, what buyers
  spend is a fixed share of their income whatever the price, as in Caliendo & Parro 2015's
  upper tier, and the quantity they buy moves one for one against the price).
- **Consumer surplus in money** (exact for that demand): ``E_cs × [τ̄_s + (exp((σ − 1) d) − 1) /
  (σ − 1)]`` with ``d = τ_cs − τ̄_s`` and ``E_cs`` the spending at the open world's prices; at
  ``σ = 1`` it is ``E_cs × τ_cs``, spending times the log-price fall.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel
    from ..world import World


def open_world_price_fall(
    world: World,
    prior_output_years: float,
    start_year: float,
    steps: int,
    quality_scale: float = 1.0,
    demand_scale: float = 1.0,
) -> np.ndarray:
    """(steps + 1, S) the fall of each sector's quality-adjusted price since 2018 (log units) that
    the open world's own rules imply, quarter by quarter.

    Firms keep their distance to a frontier that grows by ``innovation_rate / 4`` a quarter (their
    efficiency is set so: :func:`decouple.mechanisms.innovation.open_world_efficiency`), which
    buyers value at ``quality_sensitivity / price_sensitivity`` (times ``market.quality_scale``)
    log-price units per log unit of quality; unit costs fall along the world learning curve as the
    market grows at its trend (``demand_growth`` times ``economy.demand_growth_scale``) from
    ``prior_output_years`` of 2018 sales already made. What this leaves out — China's firms
    converging on their open-world 2035 position, the choice among firms that move apart — the
    baseline's own path shows: it stays within 0.1 log units of this one (tests/test_economics.py).
    """
    quarters = np.arange(steps + 1)[:, None]
    quality = quarters * np.log1p(world.innovation_rate / 4.0)[None, :]
    demand = world.demand_trend(start_year, steps, demand_scale)  # (T+1, S)
    made = np.vstack([np.zeros((1, world.n_sectors)), np.cumsum(demand[1:], axis=0) / 4.0])
    learning = world.learning_rate * np.log1p(made / prior_output_years)
    return quality_scale * world.quality_sensitivity / world.price_sensitivity * quality + learning


def price_fall(model: DecouplingModel) -> np.ndarray:
    """(C,) the fall of the quality-adjusted price of technology each country's buyers face since
    2018, log units, weighted by its 2018 spending over sectors."""
    return (model.layout.welfare_weights * model.market.surplus).sum(0)


def expected_price_fall(model: DecouplingModel) -> tuple[np.ndarray, np.ndarray]:
    """((S,) by sector, (C,) by country) the fall :func:`open_world_price_fall` implies now."""
    by_sector = model.layout.open_world_price_fall[model.steps]
    return by_sector, (model.layout.welfare_weights * by_sector[:, None]).sum(0)


def trend_gdp(model: DecouplingModel) -> np.ndarray:
    """(C,) trend GDP relative to 2018 this quarter, along each country's projected growth path."""
    return model.layout.trend_gdp[model.steps]


def trend_income(model: DecouplingModel, quarter: int) -> np.ndarray:
    """(C,) GDP at the end of ``quarter`` along the open world's path: the rest of the economy on
    its projection, and the modelled sectors' 2018 value added, where it was made, grown with their
    markets' trend."""
    layout = model.layout
    markets = layout.demand_trend[quarter]
    return layout.gdp_rest0 * layout.trend_gdp[quarter] + (layout.value_added0 * markets[:, None]).sum(0)


def productivity(model: DecouplingModel) -> np.ndarray:
    """(C,) output of the economy outside the modelled sectors relative to its trend: what the
    technology its buyers get, against what the open world would bring, does to it."""
    _, expected = expected_price_fall(model)
    return np.exp(model.params.economy.technology_elasticity * (price_fall(model) - expected))


def update_spending(model: DecouplingModel) -> None:
    """What each country spends on each sector this quarter: the sector's trend, times income
    against trend (last quarter's GDP) to the income elasticity, times the price response.

    Reads: market.demand_index (this quarter's), accounts.gdp and market.surplus (last quarter's).
    Writes: market.spending_open, market.spending.
    """
    e, layout, market = model.params.economy, model.layout, model.market
    trend = layout.demand0 * market.demand_index[:, None]
    previous = max(model.steps - 1, 0)
    income = model.accounts.gdp / trend_income(model, previous)
    open_prices = trend * np.power(income, e.income_elasticity)[None, :]
    market.spending_open = open_prices
    if e.price_elasticity == 1.0:
        market.spending = open_prices
        return
    gap = market.surplus - layout.open_world_price_fall[previous][:, None]
    market.spending = open_prices * np.exp((e.price_elasticity - 1.0) * gap)


def consumer_surplus_usd(model: DecouplingModel) -> np.ndarray:
    """(S, C) each country's consumer surplus in each sector since 2018, US$ bn a year: exact for
    demand of constant price elasticity (see the module's docstring)."""
    market, sigma = model.market, model.params.economy.price_elasticity
    if sigma == 1.0:
        return market.spending_open * market.surplus
    expected, _ = expected_price_fall(model)
    gap = market.surplus - expected[:, None]
    return market.spending_open * (expected[:, None] + np.expm1((sigma - 1.0) * gap) / (sigma - 1.0))
