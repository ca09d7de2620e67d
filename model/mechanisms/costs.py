"""Unit costs: learning, scale, and the cost of what the other mechanisms make firms do.

Sources: mechanisms.md M6 (price matters to buyers beside quality); S0 长期趋势, second limit
(reshoring and duplicated supply chains cost money that would otherwise go to R&D); S1 一(四)
(Lens Technology's margins fell while adapting to Western standards); S1 二(二) (China's
controls on lithium, rare earths and quartz raise costs for US firms and those who follow US
rules); S2 三(一) (designing US content out of products has a lasting cost).

Rule
A firm's unit cost, relative to step 0, is the product of
- world learning: ``(world cumulative output / its 2018 level) ** -learning_rate`` in its sector;
- national scale: ``(its country's share of the sector's cumulative output / its 2018 share) **
  -scale_economies`` — an industry that grows faster than its rivals gets cheaper;
- serving two ecosystems (M8, :func:`decouple.mechanisms.standards.cost_factor`);
- producing at home or in friend-shoring locations (M4, :func:`decouple.mechanisms.reshoring.cost_factor`);
- US content designed out (M6, :func:`decouple.mechanisms.market.design_out_cost`);
- China's material controls (M12, :func:`decouple.mechanisms.countermeasures.material_cost_factor`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import countermeasures, market, reshoring, standards

if TYPE_CHECKING:
    from ..model import DecouplingModel


def learning_factor(model: DecouplingModel) -> np.ndarray:
    """(n,) world learning times national scale, relative to step 0."""
    f, w, layout = model.firms, model.world, model.layout
    world_cum = np.bincount(f.sector, weights=f.cumulative_output, minlength=w.n_sectors)
    national_share = f.by_country(f.cumulative_output) / world_cum[:, None]
    relative_scale = (national_share / layout.cumulative_share0).take(layout.firm_in_sc)
    # (the power is taken per sector, then spread over its firms: the same numbers)
    return ((world_cum / layout.world_cumulative0) ** (-w.learning_rate))[f.sector] * relative_scale ** (
        -model.params.market.scale_economies
    )


def update(model: DecouplingModel) -> None:
    """Set every firm's unit cost for the quarter.

    Reads: firms.cumulative_output (last quarter's), relations.split, firms' locations and US
    content (this quarter's), relations.countermeasures and compliance. Writes: firms.cost.
    """
    cost = learning_factor(model)
    if model.relations.split.any():  # the factor is exactly 1 while ecosystems are whole
        cost = cost * standards.cost_factor(model)
    cost = cost * reshoring.cost_factor(model) * market.design_out_cost(model)
    if model.relations.countermeasures > 0:
        cost = cost * countermeasures.material_cost_factor(model)
    model.firms.cost = cost
