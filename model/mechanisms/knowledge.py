"""M9 Academic isolation, talent and knowledge flows.

Sources: S1 一(五) (China Initiative 2018–22 with 90 % of those investigated ethnic Chinese;
DOE memos barring collaboration in AI and quantum; visa revocations; NIH data ban 2025); S2 一(四)
(US–China co-authored papers down over 20 % in three years, Nature 2022; a chilling effect that
outlasts the China Initiative); S2 三(一) (US AI research relies about 30 % on Chinese talent;
nearly a third of Microsoft's most-cited AI papers came from its Beijing lab); S3 4(2)
(co-authored papers +11 % in 2019 over 2018 on Web of Science — an earlier period); S0 长期趋势
(a shortage of researchers if Chinese students are excluded).

Rules
- Each sector has a US–China collaboration intensity, 1 in 2018, that moves each quarter by
  ``adjustment_rate`` toward ``(1 − academic restriction) × chill``, where the chill grows as
  trust falls below its 2018 level; joint programmes (M10) shield their sectors from the chill.
- Restrictions hurt both sides: US and allied firms lose ``talent_dependence × talent_at_risk ×
  (1 − collaboration)`` of their own innovation — the China-linked part of a field's research
  (about 30 % in AI, S2 三(一)) times the share of it that restrictions can reach (cross-border
  work and new students; the researchers already in the US mostly stay, CSET 2019); Chinese firms
  lose the collaboration part of their catch-up absorption (weight ``weight_collaboration``).
  Neither side's size is documented beyond AI's 30 %: both are uncertainties of the sensitivity
  experiment (experiments/sensitivity.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .export_controls import sector_mask

if TYPE_CHECKING:
    from ..model import DecouplingModel


def collaboration_target(
    restriction: np.ndarray, trust: float, trust_initial: float, chill: float, shield: np.ndarray
) -> np.ndarray:
    """Target collaboration per sector given restrictions, trust and programme shielding."""
    chilled = min(max(float(1.0 - chill * max(0.0, trust_initial - trust)), 0.0), 1.0)
    return (1.0 - restriction) * (chilled + (1.0 - chilled) * shield)


def programme_shield(model: DecouplingModel) -> np.ndarray:
    """(S,) how far joint programmes shield each sector (fixed while the parameters are)."""
    co = model.params.coopetition
    return co.programme_intensity * sector_mask(co.programme_sectors, model.world.sectors)


def update(model: DecouplingModel) -> None:
    """Research collaboration moves toward what restrictions and the chill leave.

    Reads: policy.academic, relations.trust (this quarter's). Writes: relations.collaboration.
    """
    k, co, rel = model.params.knowledge, model.params.coopetition, model.relations
    shield = model.derived(programme_shield)
    target = collaboration_target(model.policy.academic, rel.trust, co.trust_initial, k.chill, shield)
    rel.collaboration = np.clip(rel.collaboration + k.adjustment_rate * (target - rel.collaboration), 0.0, 1.0)


def talent_access(model: DecouplingModel) -> np.ndarray:
    """(n,) share of own innovation US/allied/third firms keep; Chinese firms 1 (see absorption)."""
    f, w = model.firms, model.world
    at_risk = model.params.knowledge.talent_at_risk
    lost = (w.talent_dependence * at_risk * (1.0 - model.relations.collaboration))[
        f.sector
    ]  # per sector, then per firm
    return np.where(model.layout.is_cn, 1.0, 1.0 - lost)


def absorption_access(model: DecouplingModel) -> np.ndarray:
    """(n,) share of foreign knowledge a firm can absorb: 1 when open; for Chinese firms a
    weighted mean of input imports, research collaboration and investment links."""
    f, k, rel = model.firms, model.params.knowledge, model.relations
    total = k.weight_trade + k.weight_collaboration + k.weight_capital
    if total <= 0:
        return np.ones(f.n)
    china = (
        k.weight_trade * (1.0 - f.denial)
        + k.weight_collaboration * rel.collaboration[f.sector]
        + k.weight_capital * rel.capital_access[f.sector]
    ) / total
    return np.where(model.layout.is_cn, china, 1.0)
