"""M16 Third countries hedge: which bloc's suppliers and standards they lean to.

Sources: S2 三(二) (unilateral US controls hand market share to others: buyers turn to whoever
still sells); S1 一(六) (the UK, Australia and New Zealand excluded Huawei under US pressure); S1
二(三) (China's South-South cooperation and partner ties); S2 三(三) (exclusive standards bodies
risk two technology systems); mechanisms.md, actors (third countries are swing markets and the
places where substitution happens).

Rule (switch ``adaptive.third_hedging``), once a year for each third country
- Its lean, in [-1 (China's bloc), +1 (the US bloc)], moves ``hedging_rate`` of the way to
  ``tanh(pressure_weight × (US pressure − China's partner ties) + market_weight × shift)``, where
  US pressure is the pressure on partners in force where the US presses, and shift is the change
  since 2018 of the share of its purchases made from US and allied firms less the share made from
  Chinese firms: price and quality, as its buyers see them.
- Its buyers value the firms of the bloc it leans to more, by ``bloc_preference × |lean|``, and
  its standards position on the M8 axis is its lean less China's partner ties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def bloc_balance(model: DecouplingModel) -> np.ndarray:
    """(C,) share of each country's purchases (all sectors) from US and allied firms less the share
    from Chinese firms."""
    bil = model.market.bilateral  # sector, seller, buyer
    bought = bil.sum((0, 1))
    is_us_bloc = model.layout.country_is["controller"] | model.layout.country_is["ally"]
    from_us_bloc = bil[:, is_us_bloc, :].sum((0, 1))
    from_cn = bil[:, model.layout.cn, :].sum(0)
    return np.divide(from_us_bloc - from_cn, bought, out=np.zeros_like(bought), where=bought > 0)


def target_lean(us_pressure: float, ties: float, shift: np.ndarray, pressure_weight: float, market_weight: float):
    """Target lean of each third country in [-1, 1]."""
    return np.tanh(pressure_weight * (us_pressure - ties) + market_weight * shift)


def us_pressure(model: DecouplingModel) -> float:
    """The US pressure on partners in force: its ally pressure where it presses anywhere."""
    return float(model.params.policy.ally_pressure) if model.policy.pressed.any() else 0.0


def preference(model: DecouplingModel) -> np.ndarray | None:
    """(n, B) log-attractiveness third-country buyers add to each firm for partner ties and
    lean (None when there is none)."""
    rel, layout = model.relations, model.layout
    ties_pref = model.params.china.partner_preference * rel.partner_ties
    lean = rel.lean
    if ties_pref == 0.0 and not lean.any():
        return None
    C = layout.n_segments - 1
    third = np.zeros(layout.n_segments, dtype=bool)
    third[:C] = layout.country_is["third"]
    bloc = model.params.third.bloc_preference
    lean_seg = np.zeros(layout.n_segments)
    lean_seg[:C] = lean
    to_cn = np.where(third, ties_pref + bloc * np.maximum(-lean_seg, 0.0), 0.0)
    to_us_bloc = np.where(third, bloc * np.maximum(lean_seg, 0.0), 0.0)
    us_bloc_firm = layout.firm_is["controller"] | layout.firm_is["ally"]
    return layout.is_cn[:, None] * to_cn[None, :] + us_bloc_firm[:, None] * to_us_bloc[None, :]
