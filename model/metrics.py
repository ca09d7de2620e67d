"""Indicators: the tidy time series, headline figures and the invariants checked every step.

The time series has one row per (step, metric, country, partner, sector) and the columns fixed
by the interface contract. The rows each metric has are fixed when the model is built, so a
step fills one vector of values and the table is assembled once at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InvariantError
from .mechanisms import export_controls
from .state import STATE_PARTS, StatePart, bound_violations

if TYPE_CHECKING:
    from .model import DecouplingModel

COLUMNS = ["scenario", "seed", "step", "year", "metric", "country", "partner", "sector", "value"]

#: Metric -> (unit, meaning) for documentation and figure labels.
METRICS: dict[str, tuple[str, str]] = {
    "capability": ("index (frontier in 2018 = 1)", "technology level of the country's best firm in the sector"),
    "effective_capability": ("index (frontier in 2018 = 1)", "capability after chokepoint inputs denied by controls"),
    "market_share": ("share", "share of world sales won by the country's firms; sums to 1 over countries"),
    "revenue": ("US$ bn per year", "sales of the country's firms"),
    "rd_spending": ("US$ bn per year", "R&D by the country's firms, subsidies included"),
    "sales": ("US$ bn per year", "sales by firms of `country` to buyers in `partner`"),
    "self_sufficiency": ("share", "share of the country's demand met by its own firms"),
    "compliance": ("share", "how far the ally applies US controls and bans"),
    "welfare": (
        "index (baseline 2018 = 100)",
        "consumers' index: quality-adjusted consumer welfare; THIRD = IN+VN+ROW",
    ),
    "welfare_usd": ("US$ bn per year", "consumer surplus + producer surplus + government; compare with the baseline"),
    "consumer_surplus_usd": (
        "US$ bn per year",
        "spending x the fall of the quality-adjusted price since 2018, valued at buyers' true preferences",
    ),
    "producer_surplus_usd": (
        "US$ bn per year",
        "profits of the country's firms, wherever they sell, and its investors' excess returns in China",
    ),
    "government_usd": ("US$ bn per year", "tariffs collected less state support and subsidies paid"),
    "gdp": (
        "US$ bn per year",
        "gross domestic product (2018 US$): the rest of the economy on its projected path, moved by the "
        "technology it gets, plus the modelled sectors' value added",
    ),
    "trust": ("index 0-1", "US-China trust used by co-opetition"),
    "capability_gap": ("share of frontier", "US minus China effective capability"),
    "collaboration": ("index (2018 = 1)", "US-China research collaboration (co-authorship proxy)"),
    "investment": ("US$ bn per year", "investment from `country` into `partner`"),
    "production": ("US$ bn per year", "output made in the country (any firm's nationality)"),
    "us_content": ("share", "mean share of US-origin technology in the country's products"),
    "state_support": ("US$ bn per year", "Chinese state support for its firms"),
    "countermeasures": ("index 0-1", "intensity of China's counter-measures"),
    "sanction_intensity": ("index 0-1", "intensity of US sanctions (China-demand weighted)"),
    "standards_split": ("index 0-1", "split of the sector's technology ecosystem"),
    "entity_list": ("share", "share of Chinese demand covered by US controls"),
    "control_intensity": ("share of frontier", "height of the fence where the sector is controlled"),
    "fiscal_cost": ("US$ bn per year", "US reshoring subsidies paid"),
}


@dataclass
class _Block:
    metric: str
    country: np.ndarray
    partner: np.ndarray
    sector: np.ndarray
    getter: Callable


class MetricTable:
    """Collects every metric each step as one flat vector."""

    def __init__(self, model):
        w = model.world
        C, S = w.n_countries, w.n_sectors
        codes, secs = np.array(w.countries, dtype=object), np.array(w.sectors, dtype=object)
        blocks: list[_Block] = []

        def add(metric, country, partner, sector, getter):
            n = max(len(np.atleast_1d(country)), len(np.atleast_1d(partner)), len(np.atleast_1d(sector)))

            def as_col(x):
                return np.resize(np.atleast_1d(np.asarray(x, dtype=object)), n)

            blocks.append(_Block(metric, as_col(country), as_col(partner), as_col(sector), getter))

        def cell(s, c):  # flat position in (S, C) arrays
            return s * C + c

        # all (country, sector) pairs, country-major
        pc, ps = np.repeat(np.arange(C), S), np.tile(np.arange(S), C)
        active = w.market_share[ps, pc] > 0
        ac, as_ = pc[active], ps[active]
        demanded = w.demand_share[ps, pc] > 0
        dc, ds = pc[demanded], ps[demanded]
        foreign = active & (pc != w.country_index("US")) & (pc != w.country_index("CN"))
        fc, fs = pc[foreign], ps[foreign]

        active_cells, all_cells = cell(as_, ac), cell(ps, pc)
        add(
            "capability",
            codes[ac],
            "all",
            secs[as_],
            lambda m: m.firms.best_by_country(m.firms.capability).take(active_cells),
        )
        add(
            "effective_capability",
            codes[ac],
            "all",
            secs[as_],
            lambda m: m.best_effective_capability().take(active_cells),
        )
        add("market_share", codes[pc], "all", secs[ps], lambda m: m.market.market_share.take(all_cells))
        add("revenue", codes[pc], "all", secs[ps], lambda m: m.market.revenue.take(all_cells))
        add("rd_spending", codes[pc], "all", secs[ps], lambda m: m.firms.by_country(m.firms.rd).take(all_cells))
        ec, es = np.repeat(ac, C), np.repeat(as_, C)
        eb = np.tile(np.arange(C), len(ac))
        sales_cells = cell(es, ec) * C + eb  # flat position in the (S, C, C) bilateral matrix
        add("sales", codes[ec], codes[eb], secs[es], lambda m: m.market.bilateral.take(sales_cells))
        demanded_cells = cell(ds, dc)
        add("self_sufficiency", codes[dc], "all", secs[ds], lambda m: m.market.self_sufficiency.take(demanded_cells))
        allies = w.allies
        ca, sa = np.repeat(allies, S), np.tile(np.arange(S), len(allies))
        add("compliance", codes[ca], "all", secs[sa], lambda m: m.relations.compliance[allies].ravel())
        add(
            "welfare",
            np.append(codes, ["THIRD", "WORLD"]),
            "all",
            "all",
            lambda m: np.append(m.market.welfare, [m.market.welfare_groups["THIRD"], m.market.welfare_groups["WORLD"]]),
        )
        third, every = w.third, np.arange(C)

        def by_country_and_groups(values: np.ndarray) -> np.ndarray:
            return np.append(values, [values[third].sum(), values[every].sum()])

        regions = np.append(codes, ["THIRD", "WORLD"])
        add("welfare_usd", regions, "all", "all", lambda m: by_country_and_groups(m.accounts.welfare))
        add("consumer_surplus_usd", regions, "all", "all", lambda m: by_country_and_groups(m.accounts.consumer_surplus))
        add("producer_surplus_usd", regions, "all", "all", lambda m: by_country_and_groups(m.accounts.producer_surplus))
        add("government_usd", regions, "all", "all", lambda m: by_country_and_groups(m.accounts.government))
        add("gdp", regions, "all", "all", lambda m: by_country_and_groups(m.accounts.gdp))
        add("trust", "US", "CN", "all", lambda m: np.array([m.relations.trust]))
        add("capability_gap", "US", "CN", secs, lambda m: m.capability_gap())
        add("collaboration", "US", "CN", secs, lambda m: m.relations.collaboration)
        add(
            "investment",
            ["CN", "US"],
            ["US", "CN"],
            "all",
            lambda m: np.array([m.relations.investment_in_us, m.relations.investment_in_cn.sum()]),
        )
        add("production", codes[pc], "all", secs[ps], lambda m: m.accounts.production.take(all_cells))
        foreign_cells = cell(fs, fc)
        add(
            "us_content",
            codes[fc],
            "all",
            secs[fs],
            lambda m: export_controls.country_us_content(m).take(foreign_cells),
        )
        add(
            "state_support",
            "CN",
            "all",
            secs,
            lambda m: np.bincount(m.firms.sector, weights=m.firms.subsidy, minlength=S),
        )
        add("countermeasures", "CN", "US", "all", lambda m: np.array([m.relations.countermeasures]))
        add("sanction_intensity", "US", "CN", "all", lambda m: np.array([m.relations.sanction_intensity]))
        add("standards_split", "all", "all", secs, lambda m: m.relations.split)
        add("entity_list", "US", "CN", secs, lambda m: m.policy.coverage)
        add("control_intensity", "US", "CN", secs, lambda m: m.policy.fence)
        add("fiscal_cost", "US", "all", "all", lambda m: np.array([m.policy.reshoring.sum()]))

        self.blocks = blocks
        self.metric = np.concatenate([np.full(len(b.country), b.metric, dtype=object) for b in blocks])
        self.country = np.concatenate([b.country for b in blocks])
        self.partner = np.concatenate([b.partner for b in blocks])
        self.sector = np.concatenate([b.sector for b in blocks])
        self.values: list[np.ndarray] = []
        self.steps: list[int] = []
        self.years: list[float] = []
        ends = np.cumsum([len(b.country) for b in blocks])
        self._spans = [(block, int(end) - len(block.country), int(end)) for block, end in zip(blocks, ends)]

    def record(self, model) -> None:
        row = np.empty(len(self.metric))
        for block, start, end in self._spans:
            v = block.getter(model)
            if v.size != end - start:
                raise InvariantError(f"metric '{block.metric}' gave {v.size} values, expected {end - start}")
            row[start:end] = v
        self.values.append(row)
        self.steps.append(model.steps)
        self.years.append(model.year)

    def frame(self, scenario: str, seed: int) -> pd.DataFrame:
        """The tidy time series with the contract's nine columns."""
        n_rows, n_steps = len(self.metric), len(self.values)

        def cat(a):
            return pd.Categorical(np.tile(a, n_steps))

        return pd.DataFrame(
            {
                "scenario": pd.Categorical([scenario] * (n_rows * n_steps)),
                "seed": np.full(n_rows * n_steps, seed, dtype=np.int64),
                "step": np.repeat(np.asarray(self.steps, dtype=np.int64), n_rows),
                "year": np.repeat(np.asarray(self.years, dtype=float), n_rows),
                "metric": cat(self.metric),
                "country": cat(self.country),
                "partner": cat(self.partner),
                "sector": cat(self.sector),
                "value": np.concatenate(self.values),
            },
            columns=COLUMNS,
        )


def check_invariants(model: DecouplingModel) -> None:
    """Raise :class:`InvariantError` if a model invariant is broken.

    Every field of the state parts (:data:`decouple.state.STATE_PARTS`) that declares bounds is
    held to them (:func:`decouple.state.bound_violations`); beside them, the checks no single field
    declares: market shares sum to 1 in every sector that sells, each segment's shares of a
    sector's firms sum to 1 (or 0 where nobody may sell), the firms' home location share stays in
    [0, 1], buyer demand is not negative, and the metrics recorded this step are finite."""
    problems = [text for state in _bounded_parts(model) for text in bound_violations(state, model.params)]
    f, w, market = model.firms, model.world, model.market
    total = market.revenue.sum(1)
    share_sum = market.market_share.sum(1)
    bad = (total > 0) & ~(np.abs(share_sum - 1.0) <= 1e-9)
    if bad.any():
        problems.append(f"market shares of {[w.sectors[i] for i in np.flatnonzero(bad)]} sum to {share_sum[bad]}")
    seg = f.by_sector(f.shares)
    if not np.minimum(np.abs(seg - 1.0), np.abs(seg)).max() < 1e-9:  # each near 1 or near 0
        problems.append("buyer-segment shares do not sum to 1 (or 0 where nobody may sell)")
    home = f.loc_home
    if not (home.min() >= -1e-12 and home.max() <= 1 + 1e-12):
        problems.append("firm loc_home (made at home) outside [0, 1]")
    if not market.segment_demand(model.layout, model.policy.coverage).min() >= 0:
        problems.append("negative demand")
    latest = model.table.values[-1] if model.table.values else np.zeros(1)
    if not np.isfinite(latest).all():
        bad_metrics = sorted(set(model.table.metric[~np.isfinite(latest)]))
        problems.append(f"NaN or infinite values in {bad_metrics}")
    if problems:
        raise InvariantError(f"step {model.steps} (year {model.year:g}): " + "; ".join(problems))


def _bounded_parts(model: DecouplingModel) -> list[StatePart]:
    """The model's state parts that declare bounds on their fields."""
    return [part for part in (getattr(model, name) for name in STATE_PARTS) if isinstance(part, StatePart)]
