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

import numpy as np


def listed_share(model) -> np.ndarray:
    """(S,) share of Chinese firms' sales made by entity-listed firms."""
    f, w = model.firms, model.world
    if not f.listed.any():
        return np.zeros(w.n_sectors)
    is_cn = model.is_cn
    total = np.bincount(f.sector, weights=f.revenue * is_cn, minlength=w.n_sectors)
    listed = np.bincount(f.sector, weights=f.revenue * (is_cn & f.listed), minlength=w.n_sectors)
    return np.divide(listed, total, out=np.zeros_like(total), where=total > 0)


def sanction_intensity(model) -> float:
    pol = model.policy
    controls = pol.fence * (1.0 - pol.licence) * pol.coverage
    listing = listed_share(model) * (1.0 - model.params.policy.entity_licence_approval)
    per_sector = np.clip(controls + listing + pol.ban + pol.tariff, 0.0, 1.0)
    return float((model.china_demand_weights * per_sector).sum())


def update(model) -> None:
    c = model.params.china
    model.sanction_intensity = sanction_intensity(model)
    target = min(1.0, c.countermeasure_responsiveness * model.sanction_intensity)
    model.countermeasures += c.countermeasure_review_rate * (target - model.countermeasures)
    model.hostility = hostility(model.sanction_intensity, model.countermeasures)


def hostility(sanctions: float, countermeasures: float) -> float:
    """The political temperature both sides read: mean of US sanctions and China's retaliation."""
    return min(max((sanctions + countermeasures) / 2.0, 0.0), 1.0)


def retaliatory_tariffs(model) -> np.ndarray:
    """(n, B) Chinese tariff on US firms' sales to Chinese buyers."""
    f = model.firms
    out = np.zeros((f.n, model.n_segments))
    rate = model.params.china.retaliatory_tariff * model.countermeasures * model.is_us
    out[:, model.cn] = rate
    out[:, model.listed_segment] = rate
    return out


def us_share_cap(model) -> float:
    return 1.0 - (1.0 - model.params.china.us_share_cap) * model.countermeasures


def material_cost_factor(model) -> np.ndarray:
    """(n,) unit-cost multiplier from China's controls on materials it dominates."""
    f, w = model.firms, model.world
    role = model.firm_is
    target = np.where(role["controller"], 1.0, np.where(role["ally"], model.compliance.take(model.firm_cs), 0.0))
    return 1.0 + (model.params.china.material_controls * w.material_dependence[f.sector]
                  * model.countermeasures * target)
