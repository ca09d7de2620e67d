"""M9 Academic isolation, talent and knowledge flows.

Sources: S1 一(五) (China Initiative 2018–22 with 90 % of those investigated ethnic Chinese;
DOE memos barring collaboration in AI and quantum; visa revocations; NIH data ban 2025); S2 一(四)
(US–China co-authored papers down over 20 % in three years, Nature 2022; a chilling effect that
outlasts the China Initiative); S2 三(一) (US AI research relies about 30 % on Chinese talent;
nearly a third of Microsoft's most-cited AI papers came from its Beijing lab); S3 4(2)
(co-authored papers +11 % in 2019 over 2018 on Web of Science — an earlier period); S0 长期趋势
(a shortage of researchers if Chinese students are excluded).

S3's map (S3 2.2.1-2.2.2: collaboration benefit x political risk; S3 3.1-3.2: competitiveness x
public good; S3 4(4): precise coupling) sets how much each sector's collaboration is worth and how
easily it chills:

- value of collaborating in sector k, relative to the mean sector:
  ``value_k = benefit_k (1 + public_good_k) / mean(benefit (1 + public_good))``;
- exposure to the chill: ``exposure_k = (1 − risk_focus) + risk_focus × political_risk_k /
  mean(political_risk)``: lost trust chills risky fields most, but every field some (the
  co-authorship fall of S2 一(四) was across fields).

Rules
- Each sector has a US–China collaboration intensity, 1 in 2018, that moves each quarter by
  ``adjustment_rate`` toward ``(1 − academic restriction) × chill_k``, where
  ``chill_k = 1 − chill × exposure_k × (trust lost since 2018)``. Joint programmes (M10) shield
  their sectors from the chill and lift collaboration above its 2018 level by ``programme_lift ×
  programme_intensity``.
- Changes of collaboration from its 2018 level are worth ``value_k`` times as much as in the mean
  sector, on both sides. US firms gain or lose ``talent_dependence × talent_at_risk × value_k ×
  (collaboration − 1)`` of their own innovation — the China-linked part of a field's research
  (about 30 % in AI, S2 三(一)) times the share of it that restrictions can reach (cross-border work
  and new students; the researchers already in the US mostly stay, CSET 2019). Chinese firms' own
  innovation loses ``china_side`` times as much, on the collaboration their talent return (M14)
  leaves them: China-based researchers with US co-authors lost 13 % of their citations after the
  China Initiative (Aghion et al. 2023), US scientists with Chinese collaborators 7-10 % after
  the NIH investigations (Jia et al. 2022), so 1.3. Besides, the collaboration part of Chinese
  firms' catch-up absorption (weight ``weight_collaboration``) is ``1 + value_k ×
  (collaboration − 1)``: learning from the frontier, not researchers' own output. Allied and third
  countries' firms keep their own ties with Chinese researchers, which US restrictions do not cut.
  In 2018 (collaboration 1) all are as before. The sizes are uncertainties of the sensitivity
  experiment (experiments/sensitivity.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .export_controls import sector_mask

if TYPE_CHECKING:
    from ..model import DecouplingModel


def collaboration_target(
    restriction: np.ndarray,
    trust: float,
    trust_initial: float,
    chill: float,
    shield: np.ndarray,
    exposure: np.ndarray | float = 1.0,
    lift: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Target collaboration per sector given restrictions, trust, each sector's exposure to the
    chill, programme shielding and the programmes' lift above the 2018 level."""
    chilled = np.clip(1.0 - chill * exposure * max(0.0, trust_initial - trust), 0.0, 1.0)
    return (1.0 - restriction) * (chilled + (1.0 - chilled) * shield + lift)


def value_of_collaboration(benefit: np.ndarray, public_good: np.ndarray) -> np.ndarray:
    """(S,) what collaborating is worth in each sector relative to the mean sector (S3 2.2, 3.1)."""
    raw = benefit * (1.0 + public_good)
    return raw / raw.mean()


def chill_exposure(political_risk: np.ndarray, risk_focus: float) -> np.ndarray:
    """(S,) how exposed each sector's collaboration is to the chill of lost trust, relative to the
    mean sector: a share ``risk_focus`` of the chill follows political risk, the rest falls on
    every field alike (S3 2.2.2; S2 一(四): co-authorship fell across fields)."""
    return (1.0 - risk_focus) + risk_focus * political_risk / max(political_risk.mean(), 1e-12)


def programme_shield(model: DecouplingModel) -> tuple[np.ndarray, np.ndarray]:
    """(S,) how far joint programmes shield each sector, and (S,) how far they lift its
    collaboration above 2018 (fixed while the parameters are)."""
    co = model.params.coopetition
    mask = co.programme_intensity * sector_mask(co.programme_sectors, model.world.sectors)
    return mask, co.programme_lift * mask


def _exposure(model: DecouplingModel) -> np.ndarray:
    return chill_exposure(model.world.political_risk, model.params.knowledge.risk_focus)


def _value(model: DecouplingModel) -> np.ndarray:
    return value_of_collaboration(model.world.benefit, model.world.public_good)


def update(model: DecouplingModel) -> None:
    """Research collaboration moves toward what restrictions and the chill leave, and what joint
    programmes add.

    Reads: policy.academic, relations.trust (this quarter's). Writes: relations.collaboration.
    """
    k, co, rel = model.params.knowledge, model.params.coopetition, model.relations
    shield, lift = model.derived(programme_shield)
    target = collaboration_target(
        model.policy.academic, rel.trust, co.trust_initial, k.chill, shield, model.derived(_exposure), lift
    )
    rel.collaboration = np.clip(
        rel.collaboration + k.adjustment_rate * (target - rel.collaboration), 0.0, 1.0 + co.programme_lift
    )


def talent_access(model: DecouplingModel) -> np.ndarray:
    """(n,) own innovation relative to 2018 collaboration: below 1 where restrictions and the chill
    cut US-China collaboration, above where joint programmes lift it; on both sides of it.

    US firms lose ``talent_dependence × talent_at_risk × value × (collaboration − 1)``; Chinese
    firms ``china_side`` times as much, with the collaboration their talent return restores
    (M14). Other countries' firms keep their own ties with Chinese researchers, which US
    restrictions do not cut: 1.
    """
    f, w, k = model.firms, model.world, model.params.knowledge
    rel = model.relations
    base = w.talent_dependence * k.talent_at_risk * model.derived(_value)
    us_change = base * (rel.collaboration - 1.0)
    cn_change = k.china_side * base * (china_collaboration(model) - 1.0)
    layout = model.layout
    return 1.0 + np.where(layout.is_us, us_change[f.sector], np.where(layout.is_cn, cn_change[f.sector], 0.0))


def china_collaboration(model: DecouplingModel) -> np.ndarray:
    """(S,) collaboration as China's researchers have it: what restrictions and the chill leave,
    and the part of the lost collaboration its talent return restores (M14)."""
    rel = model.relations
    return rel.collaboration + rel.talent_return * np.maximum(1.0 - rel.collaboration, 0.0)


def absorption_access(model: DecouplingModel) -> np.ndarray:
    """(n,) share of foreign knowledge a firm can absorb: 1 when open; for Chinese firms a
    weighted mean of input imports, research collaboration and investment links."""
    f, k, rel = model.firms, model.params.knowledge, model.relations
    total = k.weight_trade + k.weight_collaboration + k.weight_capital
    if total <= 0:
        return np.ones(f.n)
    worth = 1.0 + model.derived(_value) * (china_collaboration(model) - 1.0)
    china = (
        k.weight_trade * (1.0 - f.denial)
        + k.weight_collaboration * worth[f.sector]
        + k.weight_capital * rel.capital_access[f.sector]
    ) / total
    return np.where(model.layout.is_cn, china, 1.0)
