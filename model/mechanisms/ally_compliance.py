"""M5 Ally compliance — whether allies apply the controller's controls and bans.

Sources: S2 三(二) (about a year of US talks with the Netherlands and Japan before October
2022, refusal, unilateral US rules, then a three-way understanding in early 2023; the Dutch
minister stresses interdependence with China); S1 一(六) (Chip 4; UK, Australia and New
Zealand exclude Huawei under US pressure); S4 五 (allies follow only partly: (1) US–EU
industrial conflicts and strategic autonomy, (2) doubts about US continuity, (3) ideology vs
interests, (4) firms resist lost China revenue and uneven rules divert trade to the laxer ally,
(5) common interests with China).

Rule
Each ally, in each sector where the US presses (controls or bans), moves a share
``adjustment_rate`` per quarter toward a target compliance

    target = logistic( w_p·pressure + w_s·security + w_t·trust_in_US_continuity + w_peer·peers
                       − w_e·China_exposure − w_a·autonomy − w_r·retaliation + willingness + bias )

where pressure counts only once the US has pressed for ``negotiation_lag`` quarters (the year of talks),
China exposure is the share of the ally's firms' sector sales that go to Chinese buyers (from
the market, so it changes as trade does), peers is the other allies' mean compliance in the
sector and retaliation is China's counter-measure intensity (M12). Where the US does not press,
the target is 0. Allies decide together from last quarter's compliance
(:meth:`decouple.agents.Ally.decide`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def target_compliance(
    pressure, security, trust, peers, exposure, autonomy, retaliation, willingness, weights
) -> np.ndarray:
    """Logistic target compliance in [0, 1]; arguments broadcast (allies × sectors)."""
    z = (
        weights.weight_pressure * pressure
        + weights.weight_security * security
        + weights.weight_trust * trust
        + weights.weight_peer * peers
        - weights.weight_exposure * exposure
        - weights.weight_autonomy * autonomy
        - weights.weight_retaliation * retaliation
        + willingness
        + weights.bias
    )
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def adjust(current: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Partial adjustment with inertia, kept in [0, 1]."""
    return np.clip(current + rate * (target - current), 0.0, 1.0)


def ally_traits(model: DecouplingModel) -> dict[int, tuple[float, float, float, float]]:
    """Each ally's willingness, trust in US continuity, security dependence and autonomy, by
    country index: fixed while the parameters are (cached by ``model.derived``)."""
    w, a = model.world, model.params.allies
    return {
        int(i): (
            float(getattr(a.willingness, w.countries[i])),
            float(np.clip(w.trust_in_us_continuity[i] + a.trust_shift, 0.0, 1.0)),
            float(w.security_dependence[i]),
            float(w.autonomy[i]),
        )
        for i in w.allies
    }
