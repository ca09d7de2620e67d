"""M10 Co-opetition — joint programmes and the trust they build or lose.

Sources: S2 四(三) (co-opetition needs some shared goals, comparative advantage shared under
common rules, and trust built through cooperation; three domains: pure basic research, military
use of frontier technology, economic and social applications); S3 2.2.2 (cooperate first where
benefit is high and risk low; high-benefit/high-risk work needs 'political engineering', e.g.
CCUS run as separate-but-coordinated work; political shocks can wreck cooperation at any time);
S3 4(4) (precise decoupling and precise coupling); S0 长期趋势 (areas that resist decoupling:
consumer markets, big science, non-sensitive exchange).

Rules
- Trust (US–China, in [0, 1]) grows each quarter by ``trust_build × activity × (1 − trust)``,
  where activity is the collaboration across sectors (M9) weighted by what it is worth, benefit ×
  (1 + public good) (S3 2.2, 3.1; joint programmes lift it above 1), and erodes by
  ``trust_erosion × hostility × trust``, where hostility is the mean of US sanction intensity and
  China's counter-measures (M12).
- A political shock strikes with probability ``shock_probability`` times the benefit-weighted
  political risk of the collaboration under way, and destroys ``shock_size`` of trust. Keeping
  collaboration where risk is low makes shocks rarer.
- Joint programmes shield their sectors' collaboration from the chill of lost trust (see M9).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def activity(benefit: np.ndarray, collaboration: np.ndarray) -> float:
    """Benefit-weighted collaboration across sectors."""
    return float((benefit * collaboration).sum() / benefit.sum())


def shock_exposure(benefit: np.ndarray, risk: np.ndarray, collaboration: np.ndarray) -> float:
    """Benefit-weighted political risk of the collaboration under way."""
    return float((benefit * risk * collaboration).sum() / benefit.sum())


def trust_step(trust: float, activity_level: float, hostility: float, build: float, erosion: float) -> float:
    """Trust after a quarter: built by collaboration, eroded by hostility (before shocks)."""
    trust = trust + build * activity_level * (1.0 - trust) - erosion * hostility * trust
    return min(max(float(trust), 0.0), 1.0)


def update(model: DecouplingModel) -> None:
    """Trust builds and erodes; a political shock may strike.

    Reads: relations.trust, relations.collaboration (last quarter's), relations.hostility (this
    quarter's); draws one uniform number from model.rng every quarter, so the random stream does
    not depend on policy. Writes: relations.trust, relations.shocks.
    """
    w, co, rel = model.world, model.params.coopetition, model.relations
    value = w.benefit * (1.0 + w.public_good)  # S3 3.1: public good raises the value of cooperating
    trust = trust_step(rel.trust, activity(value, rel.collaboration), rel.hostility, co.trust_build, co.trust_erosion)
    draw = model.rng.random()
    if draw < co.shock_probability * shock_exposure(w.benefit, w.political_risk, rel.collaboration):
        trust *= 1.0 - co.shock_size
        rel.shocks += 1
    rel.trust = trust
