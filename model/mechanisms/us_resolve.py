"""M13 The US decides: resolve per sector from its drivers, and the levers that follow.

Sources: S0 深层动因 (four drivers of US decoupling: the military and intelligence view of China's
dual-use progress, rivalry in technology diplomacy, populist "America First" mobilisation,
industrial competition; the security driver is the core one; if the drivers strengthen the will to
decouple grows, if they weaken it falls); S2 二 (hawkishness grows as China closes the gap); S2
四(一) (US chip firms lobbied to keep China sales; Commerce approved nearly all China licence
applications in 2020-21); S0 三个局限 (decoupling costs US firms China revenue and hence R&D);
S3 3.1 (the higher a technology's competitiveness, the likelier decoupling; the higher its public
good, the likelier cooperation); S2 一(一) (the escalation ladder: entity list, then the FDPR,
then country-wide rules).

Rule, once a year (a switch per lever in ``[adaptive]`` hands it from the script to this rule)
- Closeness in sector k: ``clip((gap_threshold − gap_k) / gap_threshold, 0, 1)`` where gap_k is the
  US lead over China's best firm as a share of the frontier; it is 1 once China draws level.
- Security concern = political risk × closeness; rivalry = competitiveness × closeness. Controls on
  a chokepoint input protect the products that need it: a sector that governs another sector's
  chokepoints takes on that sector's concern where it is larger, along the whole chain (chip
  tools guard the chips that telecom equipment needs).
- Domestic politics = the mood + ``retaliation_weight`` × China's counter-measures (M12, M14).
  The mood carries ``politics_persistence`` of last year's, hardens with the year's political
  shocks (M10) and swings by a normal draw of ``politics_noise`` (elections, scandals): the rule's
  own source of chance.
- Lobbying: US firms' share of their sector's sales that go to Chinese buyers, the revenue at stake.
- Costs borne: the share of their 2018 world market share US firms have lost in the sector.
- Drive ``z_k = gap_sensitivity·security + rivalry_weight·rivalry − public_good_weight·public_good
  − lobbying·at_stake − cost_weight·cost + politics + bias``; resolve moves ``resolve_rate`` of the
  way to ``logistic(z_k)`` a year (the first year it starts there). Resolve fades as the drivers do.
- The yard is the sectors with resolve ≥ 0.5. With R̄ the mean resolve over the yard: fence =
  ``R̄ × fence_max``; licence approval = ``1 − R̄`` (lobbying lowers resolve, so raises approval);
  ally pressure = R̄; the entity list's coverage grows by ``entity_list_pace × R̄`` a year over the
  yard, up to ``entity_list_ceiling`` (listings are rarely lifted, so it does not shrink); the
  FDPR and country-wide rules reach the yard sectors where resolve ≥ ``escalation_resolve``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel

#: the switches of ``[adaptive]`` that hand a US lever to the rule
US_SWITCHES = ("us_yard", "us_fence", "us_entity_list", "us_ally_pressure", "us_licences")


def closeness(gap: np.ndarray, threshold: float) -> np.ndarray:
    """(S,) how close China is to the US: 0 while the gap is at or above ``threshold``, 1 once level."""
    return np.clip((threshold - gap) / threshold, 0.0, 1.0)


def guarded(concern: np.ndarray, governed_by: np.ndarray, needed_in: np.ndarray) -> np.ndarray:
    """(S,) concern where a sector that governs another sector's chokepoint inputs takes on that
    sector's concern if it is larger (controls on the input protect the product), along the whole
    chain: chip tools guard the chips that telecom equipment needs."""
    out = concern.copy()
    for _ in range(len(out)):  # a chain is at most as long as the number of sectors
        before = out.copy()
        for governing, product in zip(governed_by.tolist(), needed_in.tolist()):
            out[governing] = max(out[governing], out[product])
        if np.array_equal(out, before):
            break
    return out


def drive(
    security: np.ndarray,
    rivalry: np.ndarray,
    public_good: np.ndarray,
    at_stake: np.ndarray,
    cost: np.ndarray,
    politics: float,
    us: Any,
) -> np.ndarray:
    """(S,) log-odds of resolve from the drivers (``us`` holds the weights: ``params.us``)."""
    return (
        us.gap_sensitivity * security
        + us.rivalry_weight * rivalry
        - us.public_good_weight * public_good
        - us.lobbying * at_stake
        - us.cost_weight * cost
        + politics
        + us.bias
    )


def logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def next_mood(previous: float, shocks: int, draw: float, us: Any) -> float:
    """This year's domestic political mood (log-odds): last year's, fading, plus the year's
    political shocks and a random swing."""
    return us.politics_persistence * previous + us.shock_weight * shocks + us.politics_noise * draw


def politics(mood: float, countermeasures: float, us: Any) -> float:
    """Domestic politics in the drive: the mood plus the hardening China's counter-measures bring."""
    return mood + us.retaliation_weight * countermeasures


def what_the_us_sees(model: DecouplingModel) -> dict[str, np.ndarray]:
    """The drivers' inputs from last quarter's state: closeness, revenue at stake, costs borne."""
    w, layout, market = model.world, model.layout, model.market
    us = layout.us
    near = closeness(model.capability_gap(), model.params.us.gap_threshold)
    cps = layout.chokepoints
    security = guarded(w.political_risk * near, cps.governed_by, cps.sector)
    rivalry = guarded(w.competitiveness * near, cps.governed_by, cps.sector)
    share0 = layout.market_share0[:, us]
    cost = np.clip(
        1.0 - np.divide(market.market_share[:, us], share0, out=np.ones_like(share0), where=share0 > 0), 0, 1
    )
    return {"security": security, "rivalry": rivalry, "at_stake": market.china_exposure[us], "cost": cost}


def levers(resolve: np.ndarray, coverage: float, sectors: tuple[str, ...], us: Any) -> dict[str, Any]:
    """The US levers that follow from its resolve: yard, fence, licences, pressure, entity list,
    FDPR and country-wide rules (``coverage``: the entity list's coverage for the coming year)."""
    in_yard = resolve >= 0.5
    mean = float(resolve[in_yard].mean()) if in_yard.any() else 0.0
    names = [s for s, inside in zip(sectors, in_yard) if inside]
    escalated = [s for s, r, inside in zip(sectors, resolve, in_yard) if inside and r >= us.escalation_resolve]
    return {
        "yard": names,
        "fdpr": escalated,
        "country_wide": escalated,
        "fence": round(mean * us.fence_max, 6),
        "licence_approval": round(1.0 - mean, 6) if names else 1.0,
        "ally_pressure": round(mean, 6),
        "entity_list_sectors": names,
        "entity_list_initial": round(coverage, 6),
        "entity_list_growth": 0.0,
        "entity_list_max": 1.0,
    }


#: which levers each switch hands to the rule
LEVERS_OF = {
    "us_yard": ("yard", "fdpr", "country_wide"),
    "us_fence": ("fence",),
    "us_entity_list": ("entity_list_sectors", "entity_list_initial", "entity_list_growth", "entity_list_max"),
    "us_ally_pressure": ("ally_pressure",),
    "us_licences": ("licence_approval",),
}
