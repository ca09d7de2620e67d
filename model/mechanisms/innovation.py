"""Revenue → R&D → capability: firms' own innovation and catch-up.

Sources: S0 长期趋势 (second limit: losing the China market cuts US firms' profits and hence
their R&D; reshoring diverts money from frontier R&D; third limit: state support and the home
market speed China's substitution); S2 三(一) (controls slow China's technical progress; US
capital that shuns China loses returns and later R&D); S2 四(一) (China is about a third of the
US tech industry's market); mechanisms.md M7 (catch-up slows near the frontier and with
chokepoint difficulty).

Rules, per firm and quarter (applied by the firm set: :meth:`decouple.firms.Firms.innovate`)
- R&D = rd_intensity × revenue × (1 + rd_effort_trend)^years − reshoring diversion
  + Chinese state support + R&D funded by US investment.
- Own innovation: capability grows by ``innovation_rate/4 × efficiency × effort × talent × inputs
  × shock``,
  where effort = (R&D / the firm's 2018 R&D scaled by market growth)^rd_elasticity, capped at
  ``effort_max``; talent is what academic restrictions leave (M9); inputs is what denied
  chokepoint inputs leave (M1); shock is lognormal with mean 1. A firm's efficiency is set at
  step 0 so that, in the open world at its 2018 effort, it keeps its distance to the frontier's
  path — except China's firms, which move toward ``china_capability_2035`` (their documented or
  reasoned open-world position in 2035; above 1 China pulls ahead, as in PV). The open baseline
  is thus a world where China also advances; policy moves China off that path, faster in some
  sectors (substitution, state support) and slower in others (denied inputs, lost access).
- Catch-up: capability gains ``catch_up_rate/4 × (1 − difficulty) × absorption × (frontier −
  capability)``, so it vanishes at the frontier. Absorption = (capability / frontier) × access
  (M9: trade, collaboration, capital) + indigenous effort (``indigenous_weight`` × R&D above the
  norm, M7) + captive learning (``captive_learning`` × rise of China's self-sufficiency, M7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..firms import Firms
    from ..world import World


def rd_spending(firms: Firms, world: World, years_elapsed: float, rd_diversion: float) -> np.ndarray:
    """(n,) R&D, US$ bn/yr: intensity x revenue x the country's effort trend, less what reshoring
    diverts (at most a quarter of it), plus Chinese state support and R&D funded by US investment."""
    f, w = firms, world
    effort_trend = ((1.0 + w.rd_effort_trend) ** years_elapsed)[f.country]  # per country, then per firm
    own = w.rd_intensity[f.sector] * f.revenue * effort_trend
    if f.reshoring_subsidy.any():  # (nothing is diverted without reshoring subsidies)
        own = own - np.minimum(rd_diversion * f.reshoring_subsidy, 0.25 * own)
    return own + f.subsidy + f.investment_rd


def open_world_efficiency(
    relative: np.ndarray,
    innovation_rate: np.ndarray,
    catch_up_rate: np.ndarray,
    difficulty: np.ndarray,
    floor: float,
    trend: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Own-innovation efficiency that moves a firm at ``relative`` capability by ``trend`` a year (in
    logs) against the path of the 2018 frontier, in the open world at its 2018 effort.

    The frontier grows at ``innovation_rate``; with absorption = relative, catch-up adds
    ``catch_up x (1 - difficulty) x (1 - relative)`` to the firm's growth; efficiency makes up the
    rest, plus the trend. With ``trend`` 0 the firm keeps its 2018 distance to the frontier.
    """
    catch = catch_up_rate * (1.0 - difficulty) * (1.0 - relative)
    return np.clip(1.0 - catch / innovation_rate + trend / innovation_rate, floor, 2.0)


def effort(rd: np.ndarray, rd_norm: np.ndarray, elasticity: float, ceiling: float) -> np.ndarray:
    """Innovation effort: R&D relative to its norm, to the power ``elasticity``, capped."""
    return np.clip((rd / np.maximum(rd_norm, 1e-12)) ** elasticity, 0.0, ceiling)


def own_innovation(capability, rate, efficiency, effort_level, talent, inputs, shock):
    """Quarterly capability gained by a firm's own R&D (pushes the frontier for leaders)."""
    return rate / 4.0 * capability * efficiency * effort_level * talent * inputs * shock


def catch_up(capability, frontier, rate, difficulty, absorption):
    """Quarterly capability gained by closing the gap to the frontier; zero at the frontier."""
    return rate / 4.0 * (1.0 - difficulty) * absorption * np.maximum(frontier - capability, 0.0)
