"""M8 Standards competition — the split of technology ecosystems.

Sources: S1 一(四) (Huawei suspended from Bluetooth SIG, Wi-Fi Alliance, JEDEC and others in
2019; Clean Network 2020; Lens Technology's margins fell adapting to Western standards); S2 三(三)
(exclusive standards mechanisms in TTC and the Quad raise the risk of two technology systems,
which would markedly lower welfare); S0 长期趋势 (blockades decouple industries, ecosystems,
standards and talent).

Rules
- Each sector has an ecosystem split in [0, 1] that moves slowly toward
  ``standards_split + control_driven × control intensity``.
- Countries sit on an axis: the US at +1 and China at −1, the poles whose standards bodies the
  split is between (S2 三(三): the TTC's and the Quad's exclusive standards work against China's
  standards). Every other country sits where its own market ties put it: in each sector, the
  share of its purchases made from US and allied firms less the share made from Chinese firms
  (last quarter's), so a country that buys from both blocs sits between them. Third countries
  add their lean less China's partner ties (0 unless they hedge or China courts them: M14, M16):
  their standards choices. A buyer values a product from a distance ``d`` on that axis less by
  ``incompatibility × split × d / 2``, so countries between the blocs lose on both sides.
  Export-control compliance does not move a country's standards: an ally that applies US controls
  still uses the standards its firms and buyers use.
- Serving two ecosystems costs every firm ``duplication_cost × split`` in unit cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def update(model: DecouplingModel) -> None:
    """The ecosystem split moves toward what standards exclusion and controls push it to.

    Reads: policy (this quarter's), params.policy.standards_split. Writes: relations.split.
    """
    pol, p, rel = model.policy, model.params.standards, model.relations
    target = np.clip(model.params.policy.standards_split * pol.active + p.control_driven * pol.fence, 0.0, 1.0)
    rel.split = np.clip(rel.split + p.adjustment_rate * (target - rel.split), 0.0, 1.0)


def market_ties(model: DecouplingModel) -> np.ndarray:
    """(S, C) each country's purchases from US and allied firms less those from Chinese firms, as
    a share of its purchases in the sector (last quarter's; 0 where it buys nothing)."""
    bil = model.market.bilateral  # sector, seller, buyer
    bought = bil.sum(1)
    us_bloc = model.layout.country_is["controller"] | model.layout.country_is["ally"]
    balance = bil[:, us_bloc, :].sum(1) - bil[:, model.layout.cn, :]
    return np.divide(balance, bought, out=np.zeros_like(bought), where=bought > 0)


def country_positions(model: DecouplingModel) -> np.ndarray:
    """(S, C) position of each country's buyers and firms on the US (+1) - China (-1) axis."""
    w, layout, rel = model.world, model.layout, model.relations
    pos = market_ties(model)
    if rel.partner_ties or rel.lean.any():  # third countries' lean and China's ties (M14, M16)
        pos[:, w.third] += (rel.lean[w.third] - rel.partner_ties)[None, :]
    pos = np.clip(pos, -1.0, 1.0)
    pos[:, layout.us] = 1.0
    pos[:, layout.cn] = -1.0
    return pos


def incompatibility_penalty(model: DecouplingModel) -> np.ndarray:
    """(n, B) log-attractiveness lost by each firm in each buyer segment."""
    p, layout = model.params.standards, model.layout
    pos = country_positions(model)
    seg_pos = pos[:, layout.segment_country]  # (S, B)
    # the same for every firm of a (sector, country) cell: computed per cell, then spread over firms
    distance = np.abs(seg_pos[:, None, :] - pos[:, :, None])  # (S, C, B)
    penalty = p.incompatibility * model.relations.split[:, None, None] * distance / 2.0
    return np.take(penalty.reshape(-1, layout.n_segments), layout.firm_in_sc, axis=0)


def cost_factor(model: DecouplingModel) -> np.ndarray:
    """(n,) unit-cost multiplier of serving two ecosystems."""
    return 1.0 + model.params.standards.duplication_cost * model.relations.split[model.firms.sector]
