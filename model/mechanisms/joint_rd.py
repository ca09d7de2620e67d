"""M15 Allies' joint R&D and technology sharing inside the technology alliance.

Sources: S4 三 (the US and Japan agreed in 2021 to cooperate in research on AI, quantum,
biotech, civil space and secure ICT; the US works with allies on chips and 5G); S4 四 (五) (the
alliance's second layer: develop technology and set rules together, so that high technology flows
only among its members); S4 五 (4) (allied firms resist the loss of China revenue).

Rule (switch ``adaptive.allies_joint_rd``)
- An ally's firms innovate faster by ``joint_rd × compliance`` in each sector (their government's
  compliance with the US there); US firms by ``joint_rd × the allies' mean compliance``: shared
  technology flows both ways, and only among those who comply.
- The alliance pays allies back for part of their lost China business: in an ally's compliance
  decision (M5) the weight of its China exposure is cut by ``joint_rd_offset``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def innovation_boost(model: DecouplingModel) -> np.ndarray | float:
    """(n,) multiplier of each firm's own innovation from joint R&D (1 where none; a plain 1.0
    while the switch is off)."""
    if not model.params.adaptive.allies_joint_rd:
        return 1.0
    layout, w = model.layout, model.world
    compliance = model.relations.compliance
    gain = model.params.allies.joint_rd
    allied_mean = compliance[w.allies].mean(0) if len(w.allies) else np.zeros(w.n_sectors)
    own = compliance.take(layout.firm_in_cs)  # each ally firm's government's compliance (0 elsewhere)
    us = allied_mean[model.firms.sector]
    return 1.0 + gain * np.where(layout.is_us, us, np.where(layout.firm_is["ally"], own, 0.0))


def exposure_factor(model: DecouplingModel) -> float:
    """How much of an ally's China exposure weighs in its compliance decision: 1, less the
    alliance's offset while the allies do joint R&D."""
    if model.params.adaptive.allies_joint_rd:
        return 1.0 - model.params.allies.joint_rd_offset
    return 1.0
