"""The states: Mesa agents whose decisions are their methods.

- :class:`Controller` (the US) sets its levers each quarter and extends the entity list;
- :class:`Ally` (Japan, the Netherlands, South Korea, Taiwan, the EU) decides how far to comply
  with US controls, sector by sector; the allies form an ``AgentSet`` (``model.allies``) and
  decide together from last quarter's situation;
- :class:`Target` (China) reviews its counter-measures and funds substitution;
- :class:`ThirdCountry` (India, Vietnam/ASEAN, the rest of the world) hedges between the blocs
  when the scenario lets it (M16); its buyers and firms act in the market.

A scenario's ``[adaptive]`` switches hand levers from its script to the states' decision rules:
the US reviews its yard, fence, entity list, ally pressure and licences once a year (M13); China
grades its counter-measures with patience, steers its support, seeks partners and brings talent
home (M14); allies do joint R&D with the US (M15); third countries lean to a bloc (M16). Every
decision a rule takes is logged in ``model.decisions`` (and a US lever it moves also in
``model.changes``, like an event's).

The rules each decision applies (with their sources) are in :mod:`decouple.mechanisms`; a method
here gathers what its state sees, applies the rule and writes its decision. The firms are one
vectorised agent set (:class:`decouple.firms.Firms`), not Mesa agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import mesa
import numpy as np

from .mechanisms import (
    ally_compliance,
    china_strategy,
    countermeasures,
    export_controls,
    hedging,
    import_replacement,
    joint_rd,
    us_resolve,
)

if TYPE_CHECKING:
    from .model import DecouplingModel


class Decision(NamedTuple):
    """A lever a state's decision rule moved: when, who, which and to what."""

    step: int
    year: float
    state: str  # country code, or THIRD for the third countries together
    lever: str  # a parameter path (policy.yard) or a relation (partner_ties)
    value: Any


#: a continuous decision is logged when it moves by more than this since it was last logged
LOG_STEP = 0.05


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

    def log(self, lever: str, value: Any, last: Any = None, state: str | None = None) -> None:
        """Record a decision in ``model.decisions`` (a number only once it has moved by more than
        ``LOG_STEP`` since ``last``, the value last logged)."""
        if isinstance(value, float) and last is not None and abs(value - last) <= LOG_STEP:
            return
        m = self.model
        who = state or self.code
        # decided at the start of the quarter being simulated (m.year is its end)
        m.decisions.append(Decision(m.steps, m.year - 0.25, who, lever, value))
        m.last_decided[(who, lever)] = value

    def last_logged(self, lever: str, default: Any = 0.0, state: str | None = None) -> Any:
        """The value of ``lever`` this state last logged (``default`` if none)."""
        return self.model.last_decided.get((state or self.code, lever), default)


def _standing_levers(model: DecouplingModel, active: bool) -> export_controls.PolicyState:
    return export_controls.standing_levers(model.params, model.world.sectors, active, model.layout.reshoring_weights)


class Controller(State):
    """The United States: the yard, fence, entity list, barriers and subsidies (M1-M4, M9, M11),
    scripted or, lever by lever, decided by its rule (M13)."""

    def review(self, quarter_start: float) -> None:
        """Once a year: resolve per sector from the drivers, and the levers that follow for those
        the scenario hands to the rule (M13; S0 深层动因; S2 四(一)).

        Reads: params.adaptive, params.us, the capability gap, market.market_share and
        market.china_exposure (last quarter's), relations.countermeasures, relations.shocks,
        policy.entity_coverage (last quarter's); draws one normal from model.decision_rng.
        Writes: relations.us_politics, relations.us_resolve, relations.shocks_seen, the US levers
        of params.policy (through set_params), model.decisions.
        """
        m = self.model
        switches = [s for s in us_resolve.US_SWITCHES if getattr(m.params.adaptive, s)]
        if not switches or quarter_start < m.params.policy.start_year - 1e-9:
            return
        us, rel, w = m.params.us, m.relations, m.world
        seen = us_resolve.what_the_us_sees(m)
        new_shocks = rel.shocks - rel.shocks_seen
        rel.shocks_seen = rel.shocks
        rel.us_politics = us_resolve.next_mood(rel.us_politics, new_shocks, float(m.decision_rng.standard_normal()), us)
        politics = us_resolve.politics(rel.us_politics, rel.countermeasures, us)
        z = us_resolve.drive(
            seen["security"], seen["rivalry"], w.public_good, seen["at_stake"], seen["cost"], politics, us
        )
        target = us_resolve.logistic(z)
        first = ("US", "resolve") not in m.last_decided
        rel.us_resolve = target if first else rel.us_resolve + us.resolve_rate * (target - rel.us_resolve)
        in_yard = rel.us_resolve >= 0.5
        mean = float(rel.us_resolve[in_yard].mean()) if in_yard.any() else 0.0
        coverage = min(
            max(us.entity_list_ceiling, m.policy.entity_coverage), m.policy.entity_coverage + us.entity_list_pace * mean
        )
        chosen = us_resolve.levers(rel.us_resolve, coverage, w.sectors, us)
        current = m.params.policy
        changes = {
            f"policy.{lever}": chosen[lever]
            for switch in switches
            for lever in us_resolve.LEVERS_OF[switch]
            if chosen[lever] != getattr(current, lever)
        }
        if "policy.yard" in changes and current.start_year > quarter_start:
            changes["policy.start_year"] = quarter_start
        if first:
            self.log("resolve", round(mean, 3))
        for path, value in changes.items():  # the entity list's bookkeeping levers are not news
            if path not in ("policy.entity_list_growth", "policy.entity_list_max", "policy.entity_list_sectors"):
                self.log(path, value, self.last_logged(path, None))
        if changes:
            m.set_params(changes, origin="US decides")

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
                m.market.china_exposure[self.index] * joint_rd.exposure_factor(m),
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
        """Quarterly review: retaliation moves toward a level graded to US sanctions (S1 二(二));
        with ``adaptive.china_countermeasures`` held back while China still depends on the
        suppliers it would hit (M14).

        Reads: policy, firms.listed (this quarter's), firms.revenue (last quarter's),
        market.self_sufficiency (last quarter's, M14), params.china. Writes: model.decisions (M14),
        relations.sanction_intensity, relations.countermeasures,
        relations.hostility.
        """
        m = self.model
        rel, c = m.relations, m.params.china
        rel.sanction_intensity = countermeasures.sanction_intensity(m)
        responsiveness = c.countermeasure_responsiveness
        if m.params.adaptive.china_countermeasures:  # M14: held back while China still depends
            responsiveness *= 1.0 - c.patience * china_strategy.dependence(m)
        rel.countermeasures = countermeasures.reviewed(
            rel.countermeasures, rel.sanction_intensity, responsiveness, c.countermeasure_review_rate
        )
        if m.params.adaptive.china_countermeasures:  # escalation or restraint, as it moves
            self.log("countermeasures", round(rel.countermeasures, 3), self.last_logged("countermeasures"))
        rel.hostility = countermeasures.hostility(rel.sanction_intensity, rel.countermeasures)

    def support_substitution(self) -> None:
        """Where US measures bind, fund Chinese firms by sector priority within the state's
        budget and build substitutes for chokepoint inputs (S0 长期趋势; S1 二(一); S2 二(一)); with
        ``adaptive.china_support`` the asks lean toward the sectors where China lags most (M14).

        Reads: policy, firms.denial (last quarter's: controls bind this quarter's afterwards),
        firms.revenue (last quarter's), the capability gap (last quarter's, M14).
        Writes: relations.barrier_bind, relations.china_bind,
        firms.subsidy, relations.substitution.
        """
        m = self.model
        rel, c, layout = m.relations, m.params.china, m.layout
        rel.barrier_bind = import_replacement.barrier_bind(m.policy, layout.china_export_share0)
        rel.china_bind = import_replacement.bind(m, rel.barrier_bind)
        level = import_replacement.support_level(c.base_support, c.state_support, rel.china_bind)
        economy = layout.trend_gdp[m.steps, layout.cn]  # China's trend GDP, 2018 = 1
        ask = level * layout.china_priority * layout.world_rd0 * economy
        if m.params.adaptive.china_support:  # M14: toward the sectors where China lags most
            ask = ask * china_strategy.support_focus(m.capability_gap(), c.support_focus)
        funds = import_replacement.within_budget(
            ask,
            c.support_budget * m.world.gdp_2018[layout.cn] * economy,
        )
        m.firms.subsidy = import_replacement.allocate(funds, m.firms, layout.is_cn)
        if layout.chokepoints.count:
            rel.substitution = import_replacement.substituted(
                rel.substitution, level, layout.chokepoints, c.substitution_rate
            )

    def review_ties(self) -> None:
        """Once a year: partner and South-South ties, and talent return, where the scenario hands
        them to China's rule (M14; S1 二(三), 二(四)).

        Reads: params.adaptive, params.china, relations.sanction_intensity and
        relations.collaboration (last quarter's). Writes: relations.partner_ties,
        relations.talent_return, model.decisions.
        """
        m = self.model
        a, c, rel = m.params.adaptive, m.params.china, m.relations
        if a.china_partners:
            rel.partner_ties = china_strategy.partner_ties(
                rel.partner_ties, rel.sanction_intensity, c.partner_drive, c.partner_rate
            )
            self.log("partner_ties", round(rel.partner_ties, 3), self.last_logged("partner_ties"))
        if a.china_talent:
            lost = china_strategy.lost_collaboration(m.world.benefit, rel.collaboration)
            rel.talent_return = china_strategy.talent_return(
                rel.talent_return, lost, c.talent_return, c.talent_return_rate
            )
            self.log("talent_return", round(rel.talent_return, 3), self.last_logged("talent_return"))

    def respond(self) -> None:
        """China's quarter: review counter-measures, then fund substitution."""
        self.review_countermeasures()
        self.support_substitution()


class ThirdCountry(State):
    """India, Vietnam/ASEAN, the rest of the world: swing markets and friend-shoring hosts."""

    def hedge(self) -> None:
        """Once a year, where the scenario lets third countries hedge: lean toward a bloc by price,
        quality and both sides' pressure (M16); otherwise hold the lean the country declares
        (``third.declared_lean``, a lever: the role-play's third-country team sets it).

        Reads: params.adaptive, params.third, params.policy.ally_pressure, policy.pressed,
        relations.partner_ties, market.bilateral (last quarter's). Writes: its entry of
        relations.lean, model.decisions.
        """
        m = self.model
        if not m.params.adaptive.third_hedging:
            # without the rule the country holds the lean it declares (a lever; 0 by default)
            declared = float(getattr(m.params.third.declared_lean, self.code))
            if declared != m.relations.lean[self.index]:
                m.relations.lean[self.index] = declared
                self.log("lean", round(declared, 3), self.last_logged("lean"))
            return
        t, rel = m.params.third, m.relations
        balance = m.per_step("bloc_balance", lambda: hedging.bloc_balance(m))
        shift = balance[self.index] - m.layout.bloc_balance0[self.index]
        target = float(
            hedging.target_lean(hedging.us_pressure(m), rel.partner_ties, shift, t.pressure_weight, t.market_weight)
        )
        rel.lean[self.index] += t.hedging_rate * (target - rel.lean[self.index])
        lean = round(float(rel.lean[self.index]), 3)
        self.log("lean", lean, self.last_logged("lean"))


ROLE_CLASSES: dict[str, type[State]] = {"controller": Controller, "ally": Ally, "target": Target, "third": ThirdCountry}
