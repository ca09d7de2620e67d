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
  world R&D, where priority = competitiveness × China's 2018 import dependence. It goes to Chinese
  firms by sales (national champions) and raises their R&D.
- Support builds substitutes for chokepoint inputs at ``substitution_rate × support ×
  (1 − difficulty)`` of the remaining gap per year: EUV comes slowest.
- Chinese buyers prefer domestic suppliers in proportion to the bind (procurement preference),
  and Chinese firms learn on the captive home demand they gain (see innovation).
- Where barriers hit Chinese exports, the state pushes the home market to absorb the capacity:
  Chinese demand in the sector grows faster by ``home_absorption`` × the barrier bind a year
  (S0 中美科技关系嬗变: after the PV duties China encouraged its home market to absorb PV output).
"""

from __future__ import annotations

import numpy as np

from .reshoring import allocate_subsidy


def barrier_bind(model) -> np.ndarray:
    """(S,) how hard tariffs and bans bind Chinese exports: barrier level × export share."""
    pol = model.policy
    return np.clip(pol.tariff + pol.ban, 0.0, 1.0) * model.china_export_share0


def bind(model, barrier: np.ndarray | None = None) -> np.ndarray:
    """(S,) how hard US measures bind China in each sector, in [0, 1]; ``barrier`` is
    :func:`barrier_bind` (computed when not given)."""
    f, w, pol = model.firms, model.world, model.policy
    if f.denial.any():
        is_cn = model.is_cn
        weights = f.revenue * is_cn + 1e-12 * is_cn
        denial = np.bincount(f.sector, weights=weights * f.denial, minlength=w.n_sectors)
        denial /= np.maximum(np.bincount(f.sector, weights=weights, minlength=w.n_sectors), 1e-12)
    else:
        denial = np.zeros(w.n_sectors)
    controls = pol.coverage * pol.fence * (1.0 - pol.licence)
    return np.clip(controls + denial + (barrier_bind(model) if barrier is None else barrier), 0.0, 1.0)


def support_level(base: float, extra: float, bind_level: np.ndarray) -> np.ndarray:
    return base + extra * bind_level


def update(model) -> None:
    f, c = model.firms, model.params.china
    barrier = barrier_bind(model)
    model.china_bind = bind(model, barrier)
    level = support_level(c.base_support, c.state_support, model.china_bind)
    model.china_support_level = level
    funds = level * model.china_priority * model.world_rd0 * model.demand_index
    f.subsidy = allocate_subsidy(funds, f.sector, f.revenue, model.is_cn)
    if barrier.any():  # (otherwise the growth factor is exactly 1)
        growth = 1.0 + c.home_absorption * barrier
        model.demand_multiplier[:, model.cn] *= growth ** 0.25
    cps = model.chokepoint_arrays
    if len(cps["weight"]):
        drive = np.maximum(level[cps["sector"]], level[cps["governed_by"]])
        step = c.substitution_rate / 4.0 * drive * cps["ease"]
        model.substitution = np.minimum(1.0, model.substitution + step * (1.0 - model.substitution))
