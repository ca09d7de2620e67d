"""M14 China decides: patience in retaliation, support where it lags, partners, talent.

Sources: S1 二(二) (resilience and precise, reciprocal counter-measures, aimed at the fields
where the US depends on China over 40 %); S1 二(一) (the new whole-nation system: national
projects on the core technologies that hold China back); S1 二(三) (a circle of technology partners
to break the US encirclement; new South-South cooperation in 5G, digital agriculture and clean
energy that widens the market for Chinese products; a voice in rule and standards setting); S1
二(四) (bring overseas researchers home, using the pressure the US puts on scholars of Chinese
origin).

Rules (a switch per choice in ``[adaptive]``; with a switch off China keeps the rule of M12/M7)
- Counter-measures: the graded target of M12, ``responsiveness × sanctions``, is held back by
  ``patience × dependence``, where dependence is the share of China's purchases in the sectors
  the US presses that still come from foreign firms. China escalates as it substitutes, and
  restrains itself while it still needs the suppliers it would hit.
- State support: each sector's ask is scaled by ``1 + support_focus × max(gap, 0)``, the US lead
  in the sector, within the same budget (M7): support goes to where China lags most.
- Partner ties (one number for the third countries, yearly): move ``partner_rate`` of the way to
  ``min(1, partner_drive × sanctions)``. Third-country buyers value Chinese firms more by
  ``partner_preference × ties`` and their standards lean toward China's by ``ties`` (M8, M16).
- Talent return (yearly): moves ``talent_return_rate`` of the way to ``talent_return ×
  min(1, 4 × lost)``, with lost the benefit-weighted share of collaboration US restrictions have
  cut; China recovers that share of the lost collaboration in its catch-up (M9).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def dependence(model: DecouplingModel) -> float:
    """Share of China's purchases in the sectors the US presses that still come from foreign firms
    (weighted by China's 2018 demand; 0 where the US presses nowhere)."""
    pressed = model.policy.pressed
    if not pressed.any():
        return 0.0
    weights = model.layout.china_demand_weights * pressed
    foreign = 1.0 - model.market.self_sufficiency[:, model.layout.cn]
    return float((weights * foreign).sum() / weights.sum())


def patient_target(responsiveness: float, sanctions: float, patience: float, dependence_level: float) -> float:
    """Counter-measure target: graded to sanctions, held back while China depends on the suppliers."""
    return min(1.0, responsiveness * sanctions * (1.0 - patience * dependence_level))


def support_focus(gap: np.ndarray, focus: float) -> np.ndarray:
    """(S,) multiplier of each sector's support ask: more where the US leads more."""
    return 1.0 + focus * np.maximum(gap, 0.0)


def partner_ties(current: float, sanctions: float, drive: float, rate: float) -> float:
    """Partner ties after a year of seeking them."""
    return float(current + rate * (min(1.0, drive * sanctions) - current))


def lost_collaboration(benefit: np.ndarray, collaboration: np.ndarray) -> float:
    """Benefit-weighted share of 2018 collaboration that is gone (0 where none is)."""
    return float((benefit * np.clip(1.0 - collaboration, 0.0, 1.0)).sum() / benefit.sum())


def talent_return(current: float, lost: float, ceiling: float, rate: float) -> float:
    """Share of lost collaboration China recovers after a year of bringing researchers home."""
    return float(current + rate * (ceiling * min(1.0, 4.0 * lost) - current))
