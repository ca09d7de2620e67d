"""The states: Mesa agents whose decisions are their methods.

- :class:`Controller` (the US) sets its levers each quarter and extends the entity list;
- :class:`Ally` (Japan, the Netherlands, South Korea, Taiwan, the EU) decides how far to comply
  with US controls, sector by sector; the allies form an ``AgentSet`` (``model.allies``) and
  decide together from last quarter's situation;
- :class:`Target` (China) reviews its counter-measures and funds substitution;
- :class:`ThirdCountry` (India, Vietnam/ASEAN, the rest of the world) makes no policy; its buyers
  and firms act in the market.

The rules each decision applies (with their sources) are in :mod:`decouple.mechanisms`; a method
here gathers what its state sees, applies the rule and writes its decision. The firms are one
vectorised agent set (:class:`decouple.firms.Firms`), not Mesa agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .mechanisms import ally_compliance, countermeasures, export_controls, import_replacement

if TYPE_CHECKING:
    from .model import DecouplingModel


class State(mesa.Agent):
    """A country or region; ``index`` is its position in every country array."""

    model: DecouplingModel

    def __init__(self, model: DecouplingModel, index: int):
        super().__init__(model)
        self.index = index
        self.code = model.world.countries[index]
        self.role = model.world.role[index]

    @property
    def welfare(self) -> float:
        return float(self.model.market.welfare[self.index])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code})"


def _standing_levers(model: DecouplingModel, active: bool) -> export_controls.PolicyState:
    return export_controls.standing_levers(model.params, model.world.sectors, active, model.layout.reshoring_weights)


class Controller(State):
    """The United States: the yard, fence, entity list, barriers and subsidies (M1-M4, M9, M11)."""

    def set_policy(self, quarter_start: float) -> None:
        """Read the levers in force for the quarter from the scenario (S4 一; S0 长期趋势), count
        the quarters it has pressed allies in each sector, and list the largest Chinese firms of
        the entity-list sectors (S2 一(一)).

        Reads: params, firms.revenue (last quarter's). Writes: policy, relations.pressed_age,
        firms.listed.
        """
        m = self.model
        active = export_controls.policy_active(m.params, quarter_start)
        m.policy = export_controls.controller_policy(
            m.params,
            m.world.sectors,
            quarter_start,
            m.layout.reshoring_weights,
            standing=m.derived(_standing_levers, active),
        )
        pressing = m.policy.pressed & (m.params.policy.ally_pressure > 0)
        m.relations.pressed_age = np.where(pressing, m.relations.pressed_age + 1, 0)
        export_controls.extend_entity_list(m.firms.revenue, m.firms.listed, m.layout.china_blocks, m.policy)


class Ally(State):
    """An ally: how far it applies US controls and bans in each sector (M5)."""

    @property
    def compliance(self) -> np.ndarray:
        """(S,) this ally's compliance (its row of ``model.relations.compliance``)."""
        return self.model.relations.compliance[self.index]

    def decide(self, last_quarter: np.ndarray) -> None:
        """Move this ally's compliance toward the M5 target (S2 三(二); S1 一(六); S4 五). The
        allies decide from the same snapshot ``last_quarter`` of everyone's compliance, so the
        order in which they decide does not matter.

        Reads: policy.pressed, relations.pressed_age, relations.countermeasures (last quarter's),
        market.china_exposure (last quarter's), params.allies. Writes: its row of
        relations.compliance.
        """
        m = self.model
        a = m.params.allies
        row = last_quarter[self.index]
        shared = m.per_step("allies_see", lambda: _what_allies_see(m, last_quarter))
        if shared is None:  # the US presses nowhere: every target is 0
            target = np.zeros_like(row)
        else:
            pressed, pressure, total = shared
            k = len(m.world.allies)
            peers = (total - row) / (k - 1) if k > 1 else np.zeros_like(row)
            willingness, trust, security, autonomy = m.derived(ally_compliance.ally_traits)[self.index]
            target = ally_compliance.target_compliance(
                pressure,
                security,
                trust,
                peers,
                m.market.china_exposure[self.index],
                autonomy,
                m.relations.countermeasures,
                willingness,
                a,
            )
            target = np.where(pressed, target, 0.0)
        m.relations.compliance[self.index] = ally_compliance.adjust(row, target, a.adjustment_rate)


def _what_allies_see(model: DecouplingModel, last_quarter: np.ndarray):
    """What every ally reads alike this quarter: where the US presses, the pressure once talks
    have lasted ``negotiation_lag`` quarters, and the sum of the allies' compliance (for peers);
    None where the US presses nowhere."""
    pressed = model.policy.pressed
    if not pressed.any():
        return None
    pressure = (
        model.params.policy.ally_pressure
        * pressed
        * (model.relations.pressed_age > model.params.allies.negotiation_lag)
    )
    return pressed, pressure, last_quarter[model.world.allies].sum(0)


class Target(State):
    """China: counter-measures (M12), state support and substitution (M7)."""

    def review_countermeasures(self) -> None:
        """Quarterly review: retaliation moves toward a level graded to US sanctions (S1 二(二)).

        Reads: policy, firms.listed (this quarter's), firms.revenue (last quarter's),
        params.china. Writes: relations.sanction_intensity, relations.countermeasures,
        relations.hostility.
        """
        m = self.model
        rel, c = m.relations, m.params.china
        rel.sanction_intensity = countermeasures.sanction_intensity(m)
        rel.countermeasures = countermeasures.reviewed(
            rel.countermeasures, rel.sanction_intensity, c.countermeasure_responsiveness, c.countermeasure_review_rate
        )
        rel.hostility = countermeasures.hostility(rel.sanction_intensity, rel.countermeasures)

    def support_substitution(self) -> None:
        """Where US measures bind, fund Chinese firms by sector priority within the state's
        budget and build substitutes for chokepoint inputs (S0 长期趋势; S1 二(一); S2 二(一)).

        Reads: policy, firms.denial (last quarter's: controls bind this quarter's afterwards),
        firms.revenue (last quarter's). Writes: relations.barrier_bind, relations.china_bind,
        firms.subsidy, relations.substitution.
        """
        m = self.model
        rel, c, layout = m.relations, m.params.china, m.layout
        rel.barrier_bind = import_replacement.barrier_bind(m.policy, layout.china_export_share0)
        rel.china_bind = import_replacement.bind(m, rel.barrier_bind)
        level = import_replacement.support_level(c.base_support, c.state_support, rel.china_bind)
        economy = (1.0 + m.world.gdp_growth[layout.cn]) ** m.years_elapsed  # China's trend GDP, 2018 = 1
        funds = import_replacement.within_budget(
            level * layout.china_priority * layout.world_rd0 * economy,
            c.support_budget * m.world.gdp_2018[layout.cn] * economy,
        )
        m.firms.subsidy = import_replacement.allocate(funds, m.firms, layout.is_cn)
        if layout.chokepoints.count:
            rel.substitution = import_replacement.substituted(
                rel.substitution, level, layout.chokepoints, c.substitution_rate
            )

    def respond(self) -> None:
        """China's quarter: review counter-measures, then fund substitution."""
        self.review_countermeasures()
        self.support_substitution()


class ThirdCountry(State):
    """India, Vietnam/ASEAN, the rest of the world: swing markets and friend-shoring hosts."""


ROLE_CLASSES: dict[str, type[State]] = {"controller": Controller, "ally": Ally, "target": Target, "third": ThirdCountry}
