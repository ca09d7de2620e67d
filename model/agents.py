"""The model's agents: states and firms, as ``mesa.Agent`` subclasses.

States decide: the controller (US) sets its policy for the quarter, each ally chooses how far
to comply, the target (China) sets state support and counter-measures. Third countries (India,
Vietnam/ASEAN, rest of the world) make no policy; their buyers and firms act in the market.

Firms are agents too. Their numbers live in the rows of the model's :class:`FirmArrays`, so one
model step moves every firm with vectorised numpy (see :mod:`decouple.mechanisms`); each
``Firm`` object reads and writes its own row, so Mesa's ``AgentSet`` tools work on them:
``model.agents_by_type[Firm].select(lambda f: f.country == "CN").agg("revenue", sum)``.
"""

from __future__ import annotations

import mesa
import numpy as np

from .mechanisms import ally_compliance, countermeasures, export_controls, import_replacement


class State(mesa.Agent):
    """A country or region."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index
        self.code = model.world.countries[index]
        self.role = model.world.role[index]

    @property
    def welfare(self) -> float:
        return float(self.model.welfare[self.index])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code})"


class Controller(State):
    """The United States: sets the yard, fence, entity list, barriers and subsidies (M1–M4, M9, M11)."""

    def set_policy(self, quarter_start: float) -> None:
        m = self.model
        active = export_controls.policy_active(m.params, quarter_start)
        m.policy = export_controls.controller_policy(m.params, m.world.sectors, quarter_start, m.reshoring_weights,
                                                     standing=m.derived(_standing_levers, active))
        # quarters the US has been pressing allies to follow it in each sector
        pressing = m.policy.pressed & (m.params.policy.ally_pressure > 0)
        m.pressed_age = np.where(pressing, m.pressed_age + 1, 0)
        export_controls.update_entity_list(m)


def _standing_levers(model, active: bool):
    return export_controls.standing_levers(model.params, model.world.sectors, active, model.reshoring_weights)


class Ally(State):
    """Japan, the Netherlands, South Korea, Taiwan, the EU: choose compliance per sector (M5).

    The allies decide together from last quarter's situation, vectorised over allies and sectors
    (:func:`decouple.mechanisms.ally_compliance.decide`); each ally's row of ``model.compliance``
    is its decision.
    """

    @classmethod
    def decide_all(cls, model) -> None:
        allies = model.world.allies
        model.compliance[allies] = ally_compliance.decide(model, model.compliance.copy())

    @property
    def compliance(self) -> np.ndarray:
        return self.model.compliance[self.index]


class Target(State):
    """China: state support for substitution (M7) and counter-measures (M12)."""

    def respond(self) -> None:
        countermeasures.update(self.model)
        import_replacement.update(self.model)


class ThirdCountry(State):
    """India, Vietnam/ASEAN, rest of the world: swing markets and friend-shoring hosts."""


ROLE_CLASSES = {"controller": Controller, "ally": Ally, "target": Target, "third": ThirdCountry}


def _firm_column(name: str, doc: str):
    def getter(self):
        return getattr(self.model.firms, name)[self.index]

    def setter(self, value):
        getattr(self.model.firms, name)[self.index] = value

    return property(getter, setter, doc=doc)


class Firm(mesa.Agent):
    """A firm of one country in one sector; its state is row ``index`` of ``model.firms``."""

    capability = _firm_column("capability", "technology level (frontier at step 0 = 1.0)")
    effective_capability = _firm_column("effective_capability", "capability after denied inputs")
    revenue = _firm_column("revenue", "sales, US$ bn per year")
    rd = _firm_column("rd", "R&D spending incl. subsidies, US$ bn per year")
    us_content = _firm_column("us_content", "share of US-origin technology in its products")
    listed = _firm_column("listed", "on the US entity list")

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index
        self.country = model.world.countries[model.firms.country[index]]
        self.sector = model.world.sectors[model.firms.sector[index]]

    def __repr__(self) -> str:
        return f"Firm({self.index}, {self.country}, {self.sector})"
