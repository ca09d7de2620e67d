"""What one run of a sweep reports.

A sweep keeps, for every run, chosen metrics at chosen years (``metric@year`` columns) and a few
whole-run measures. Metrics are computed from the running model at the step whose year is
requested, so a sweep never builds the full tidy time series (which costs about as much as the
run itself). With ``keep_timeseries`` a run also keeps the headline indicators of every quarter,
with the names of :mod:`decouple.indicators`, so the comparison figures can draw them.
"""

from __future__ import annotations

import numpy as np

from ..metrics import headline

HEADLINE = ("us_cn_gap_small_yard", "us_cn_gap_other", "cn_self_sufficiency", "cn_self_sufficiency_small_yard",
            "us_revenue", "us_revenue_small_yard", "us_rd", "us_rd_small_yard", "us_exports_to_cn",
            "us_imports_from_cn", "us_cn_sales", "welfare_US", "welfare_CN", "welfare_THIRD", "welfare_WORLD",
            "trust", "ally_compliance_small_yard", "us_share_logic_chips", "cn_share_logic_chips",
            "allies_share_logic_chips", "collaboration_mean", "countermeasures")
CONTROLLED = ("gap_controlled", "us_revenue_controlled", "us_rd_controlled", "compliance_controlled",
              "cn_self_sufficiency_controlled")
#: metrics a sweep can keep at chosen years
AT_YEAR = HEADLINE + CONTROLLED
#: labels for figures
LABELS = {
    "us_cn_gap_small_yard": "US-China capability gap, small yard (share of frontier)",
    "us_cn_gap_other": "US-China capability gap, other sectors",
    "cn_self_sufficiency": "China's self-sufficiency (share)",
    "cn_self_sufficiency_small_yard": "China's self-sufficiency, small yard",
    "us_revenue": "US firms' revenue (US$ bn/yr)", "us_revenue_small_yard": "US revenue, small yard (US$ bn/yr)",
    "us_rd": "US firms' R&D (US$ bn/yr)", "us_rd_small_yard": "US R&D, small yard (US$ bn/yr)",
    "us_cn_sales": "US-China sales (US$ bn/yr)", "welfare_WORLD": "World welfare (2018 = 100)",
    "welfare_US": "US welfare", "welfare_CN": "China's welfare", "welfare_THIRD": "Third countries' welfare",
    "trust": "US-China trust (0-1)", "ally_compliance_small_yard": "Allies' compliance, small yard",
    "us_share_logic_chips": "US share of logic chips", "cn_share_logic_chips": "China's share of logic chips",
    "allies_share_logic_chips": "Allies' share of logic chips",
    "gap_controlled": "US-China gap, controlled sectors (share of frontier)",
    "us_revenue_controlled": "US revenue, controlled sectors", "us_rd_controlled": "US R&D, controlled sectors",
    "compliance_controlled": "Allies' compliance, controlled sectors",
    "cn_self_sufficiency_controlled": "China's self-sufficiency, controlled sectors",
}


def label_of(column: str) -> str:
    """A figure label for a ``metric@year`` column."""
    name, _, year = column.partition("@")
    text = LABELS.get(name, name.replace("_", " "))
    return f"{text}, {float(year):g}" if year else text


#: whole-run measures: the lag of allies' compliance, and the year China's self-sufficiency
#: first passes 50 % in each sector (``ss50_<sector>``; NaN when it never does)
WHOLE_RUN = ("compliance_lag",)


def controlled_metrics(model) -> dict[str, float]:
    """Metrics over the sectors controlled at this step (0 where none is)."""
    w, yard = model.world, model.policy.controlled
    us, cn = w.country_index("US"), w.country_index("CN")
    if not yard.any():
        return dict.fromkeys(CONTROLLED, 0.0)
    rd = model.firms.by_country(model.firms.rd)
    weights = model.layout.demand0[yard, cn]
    return {
        "gap_controlled": float(model.capability_gap()[yard].mean()),
        "us_revenue_controlled": float(model.market.revenue[yard, us].sum()),
        "us_rd_controlled": float(rd[yard, us].sum()),
        "compliance_controlled": float(model.relations.compliance[np.ix_(w.allies, np.flatnonzero(yard))].mean()),
        "cn_self_sufficiency_controlled": float((model.market.self_sufficiency[yard, cn] * weights).sum() / weights.sum()),
    }


def at_year_metrics(model, names: tuple[str, ...]) -> dict[str, float]:
    values = headline(model)
    values.update(controlled_metrics(model))
    return {name: float(values[name]) for name in names}


def indicator_row(model) -> dict[str, float]:
    """The headline indicators of one quarter, named as in :data:`decouple.indicators.INDICATORS`."""
    w = model.world
    h = headline(model)
    yard = np.flatnonzero(w.small_yard)
    row = {
        "gap_small_yard": h["us_cn_gap_small_yard"], "gap_other": h["us_cn_gap_other"],
        "chips_share_US": h["us_share_logic_chips"], "chips_share_CN": h["cn_share_logic_chips"],
        "chips_share_allies": h["allies_share_logic_chips"], "us_revenue_small_yard": h["us_revenue_small_yard"],
        "us_rd_small_yard": h["us_rd_small_yard"], "us_revenue": h["us_revenue"], "us_rd": h["us_rd"],
        "cn_self_sufficiency": h["cn_self_sufficiency"],
        "cn_self_sufficiency_small_yard": h["cn_self_sufficiency_small_yard"],
        "compliance_mean": h["ally_compliance_small_yard"], "welfare_US": h["welfare_US"],
        "welfare_CN": h["welfare_CN"], "welfare_THIRD": h["welfare_THIRD"], "welfare_WORLD": h["welfare_WORLD"],
        "trust": h["trust"], "us_cn_sales": h["us_cn_sales"],
    }
    for a in w.allies:
        row[f"compliance_{w.countries[a]}"] = float(model.relations.compliance[a, yard].mean()) if yard.size else 0.0
    return row


class RunRecorder:
    """Steps a model to its end and collects what the sweep asked for."""

    def __init__(self, model, metrics: tuple[str, ...], years: tuple[float, ...], keep_timeseries: bool):
        self.model = model
        self.metrics = metrics
        self.years = tuple(sorted(years))
        self.keep_timeseries = keep_timeseries
        self.values: dict[str, float] = {}
        self.series: list[dict] = []
        self._compliance: list[tuple[float, float, float]] = []  # (year, mean controlled compliance, controlled?)
        w = model.world
        self._ss50 = {s: np.nan for s in w.sectors}

    def _observe(self) -> None:
        m = self.model
        for year in self.years:
            if abs(m.year - year) < 1e-6:
                for name, value in at_year_metrics(m, self.metrics).items():
                    self.values[f"{name}@{year:g}"] = value
        if m.steps > 0:
            for j in np.flatnonzero(m.market.self_sufficiency[:, m.layout.cn] >= 0.5):
                s = m.world.sectors[j]
                if np.isnan(self._ss50[s]):
                    self._ss50[s] = m.year
        yard = m.policy.controlled
        comp = float(m.relations.compliance[np.ix_(m.world.allies, np.flatnonzero(yard))].mean()) if yard.any() else 0.0
        self._compliance.append((m.year, comp, float(m.policy.active and m.params.policy.ally_pressure > 0)))
        if self.keep_timeseries:
            self.series.append({"year": m.year, **indicator_row(m)})

    def run(self) -> "RunRecorder":
        self._observe()
        while self.model.running:
            self.model.step()
            self._observe()
        missing = [y for y in self.years if f"{self.metrics[0]}@{y:g}" not in self.values] if self.metrics else []
        if missing:
            raise ValueError(f"years {missing} are not reached by the run (it ends at {self.model.year:g})")
        self.values["compliance_lag"] = self._compliance_lag()
        for s, year in self._ss50.items():
            self.values[f"ss50_{s}"] = float(year)
        return self

    def _compliance_lag(self) -> float:
        """Years from the first quarter of US pressure until allies' compliance in the controlled
        sectors reaches half of its final level (NaN without pressure or compliance)."""
        years = np.array([y for y, _, _ in self._compliance])
        comp = np.array([c for _, c, _ in self._compliance])
        pressed = np.array([p for _, _, p in self._compliance]) > 0
        if not pressed.any() or comp[-1] <= 0.01:
            return float("nan")
        start = years[np.argmax(pressed)] - 0.25
        reached = np.flatnonzero(comp >= 0.5 * comp[-1])
        return float(years[reached[0]] - start)
