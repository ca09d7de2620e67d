"""M12 China's counter-measures.

Sources: S1 二(二) (export controls on materials China dominates — lithium carbonate for
batteries, rare earths, high-purity quartz; caps on US firms' share of the Chinese market (a 30 %
cap proposed); the unreliable-entity list; quarterly review of US firms' China revenue and
retaliation graded to the intensity of US sanctions); S0 中美科技关系嬗变 (China answered US PV
duties with its own).

Rules
- Sanction intensity is the China-demand-weighted mean over sectors of
  ``fence × refusal rate × covered share of Chinese demand + listed share of Chinese firms ×
  entity-list refusal rate + ban + tariff`` (capped at 1).
- Counter-measure intensity moves each quarter by ``review_rate`` toward ``responsiveness ×
  sanction intensity`` (capped at 1).
- At intensity r: US firms pay ``retaliatory_tariff × r`` in China; their share of Chinese
  demand is capped at ``1 − (1 − us_share_cap) × r``; US firms, and allied firms as far as their
  government complies, pay ``material_controls × material_dependence × r`` more per unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def listed_share(model: DecouplingModel) -> np.ndarray:
    """(S,) share of Chinese firms' sales made by entity-listed firms."""
    f, w = model.firms, model.world
    if not f.listed.any():
        return np.zeros(w.n_sectors)
    is_cn = model.layout.is_cn
    total = np.bincount(f.sector, weights=f.revenue * is_cn, minlength=w.n_sectors)
    listed = np.bincount(f.sector, weights=f.revenue * (is_cn & f.listed), minlength=w.n_sectors)
    return np.divide(listed, total, out=np.zeros_like(total), where=total > 0)


def sanction_intensity(model: DecouplingModel) -> float:
    """US sanctions as China reads them: controls on covered demand, listed firms, bans and
    tariffs, weighted by China's 2018 demand (capped at 1 per sector)."""
    pol = model.policy
    controls = pol.fence * (1.0 - pol.licence) * pol.coverage
    listing = listed_share(model) * (1.0 - model.params.policy.entity_licence_approval)
    per_sector = np.clip(controls + listing + pol.ban + pol.tariff, 0.0, 1.0)
    return float((model.layout.china_demand_weights * per_sector).sum())


def reviewed(current: float, sanctions: float, responsiveness: float, review_rate: float) -> float:
    """Counter-measure intensity after a quarterly review: it closes ``review_rate`` of the gap to
    ``responsiveness x sanctions`` (capped at 1)."""
    target = min(1.0, responsiveness * sanctions)
    return current + review_rate * (target - current)


def hostility(sanctions: float, countermeasures: float) -> float:
    """The political temperature both sides read: mean of US sanctions and China's retaliation."""
    return min(max((sanctions + countermeasures) / 2.0, 0.0), 1.0)


def retaliatory_tariffs(model: DecouplingModel) -> np.ndarray:
    """(n, B) Chinese tariff on US firms' sales to Chinese buyers."""
    f, layout = model.firms, model.layout
    out = np.zeros((f.n, layout.n_segments))
    rate = model.params.china.retaliatory_tariff * model.relations.countermeasures * layout.is_us
    out[:, layout.cn] = rate
    out[:, layout.listed_segment] = rate
    return out


def us_share_cap(model: DecouplingModel) -> float:
    """Largest share of Chinese demand US firms may hold under the counter-measures."""
    return 1.0 - (1.0 - model.params.china.us_share_cap) * model.relations.countermeasures


def material_cost_factor(model: DecouplingModel) -> np.ndarray:
    """(n,) unit-cost multiplier from China's controls on materials it dominates."""
    f, w = model.firms, model.world
    role = model.layout.firm_is
    exposed = np.where(
        role["controller"], 1.0, np.where(role["ally"], model.relations.compliance.take(model.layout.firm_in_cs), 0.0)
    )
    return 1.0 + (
        model.params.china.material_controls
        * w.material_dependence[f.sector]
        * model.relations.countermeasures
        * exposed
    )
