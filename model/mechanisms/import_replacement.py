"""M7 Import replacement — China's indigenous substitution where controls and barriers bind.

Sources: S0 长期趋势, third limit (decoupling cannot remove China's institutional advantages:
the state carries firms through bad cycles and directs money to strategic areas; decoupling
speeds import substitution; in PV, long-term investment and the home market made Chinese products
dominant and barriers useless); S1 二(一) (the new whole-nation system; a first 'non-American'
28 nm line; a 28 → 14 → 7 nm ladder using mature-node demand from autos and aerospace);
S2 二(一) (sector balances).

Rules
- How hard US measures bind a sector: the covered share of Chinese demand times the fence and
  the refusal rate, plus the capability Chinese firms lose to denied inputs, plus the barriers
  (tariffs, bans) on Chinese exports times the share of Chinese firms' 2018 sales made abroad.
- State support (US$ bn/yr) = (base_support + state_support × bind) × priority × the sector's
  2018 world R&D × China's trend GDP (2018 = 1), where priority = competitiveness × China's 2018
  import dependence; all sectors' support together stays within ``support_budget`` × China's
  trend GDP (scaled down in proportion when it would exceed it: the documented fiscal scale of
  the Big Fund and of chip subsidies). It goes to Chinese firms by sales (national champions)
  and raises their R&D.
- Support builds substitutes for chokepoint inputs at ``substitution_rate × support ×
  (1 − difficulty)`` of the remaining gap per year: EUV comes slowest.
- Chinese buyers prefer domestic suppliers in proportion to the bind (procurement preference),
  and Chinese firms learn on the captive home demand they gain (see innovation).
- Where barriers hit Chinese exports, the state pushes the home market to absorb the capacity:
  Chinese buyers prefer home suppliers by a further ``home_absorption`` × the barrier bind (S0
  中美科技关系嬗变: after the PV duties China encouraged its home market to absorb PV output).
  Buyers turn to home firms; what China spends still follows its demand, so decoupling cannot
  inflate the market.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .reshoring import allocate_subsidy

if TYPE_CHECKING:
    from ..firms import Firms
    from ..model import DecouplingModel
    from ..state import Chokepoints
    from .export_controls import PolicyState


def barrier_bind(policy: PolicyState, export_share0: np.ndarray) -> np.ndarray:
    """(S,) how hard tariffs and bans bind Chinese exports: barrier level x 2018 export share."""
    return np.clip(policy.tariff + policy.ban, 0.0, 1.0) * export_share0


def bind(model: DecouplingModel, barrier: np.ndarray) -> np.ndarray:
    """(S,) how hard US measures bind China in each sector, in [0, 1]: controls on covered demand,
    the capability Chinese firms lose to denied inputs (their current ``denial``), and
    ``barrier`` (:func:`barrier_bind`)."""
    f, w, pol = model.firms, model.world, model.policy
    if f.denial.any():
        is_cn = model.layout.is_cn
        weights = f.revenue * is_cn + 1e-12 * is_cn
        lost = np.bincount(f.sector, weights=weights * f.denial, minlength=w.n_sectors)
        denial: np.ndarray = lost / np.maximum(np.bincount(f.sector, weights=weights, minlength=w.n_sectors), 1e-12)
    else:
        denial = np.zeros(w.n_sectors)
    controls = pol.coverage * pol.fence * (1.0 - pol.licence)
    return np.clip(controls + denial + barrier, 0.0, 1.0)


def support_level(base: float, extra: float, bind_level: np.ndarray) -> np.ndarray:
    """State support per sector, as a multiple of priority x world R&D."""
    return base + extra * bind_level


def within_budget(funds: np.ndarray, budget: float) -> np.ndarray:
    """(S,) the support asked for, scaled down in proportion where its total exceeds ``budget``."""
    total = funds.sum()
    return funds * (budget / total) if total > budget else funds


def allocate(funds: np.ndarray, firms: Firms, is_cn: np.ndarray) -> np.ndarray:
    """(n,) each sector's support split over its Chinese firms by sales (national champions)."""
    return allocate_subsidy(funds, firms.sector, firms.revenue, is_cn)


def substituted(substitution: np.ndarray, level: np.ndarray, chokepoints: Chokepoints, rate: float) -> np.ndarray:
    """(K,) substitution of chokepoint inputs after a quarter: support closes
    ``rate x support x (1 - difficulty)`` of the remaining gap a year."""
    drive = np.maximum(level[chokepoints.sector], level[chokepoints.governed_by])
    step = rate / 4.0 * drive * chokepoints.ease
    return np.minimum(1.0, substitution + step * (1.0 - substitution))
