"""The outcome registry: every headline outcome of the model, defined once.

An :class:`Outcome` has a name, a label and a unit for figures and tables, how it is computed
from the model's state (``compute``, one number per quarter) and, for a whole-run measure, how the
quarterly values are reduced to one number (``summary``). Everything that reports outcomes reads
them from here:

- the model's Mesa ``DataCollector`` has one reporter per quarterly outcome, under its name;
- ``summary.json`` of a run holds their values at the last step (``final``);
- ``decouple compare`` prints the ``headline`` ones and writes all of them to ``indicators.csv``;
- a sweep keeps the quarterly ones as ``name@year`` columns and the whole-run ones by name;
- validation checks and the classroom app's plots read them by name; the series the historical
  replay is compared on are outcomes too (``collected=False``: computed when asked, not recorded
  by every run's DataCollector).

Across runs (seeds), every table and figure gives the mean with the 10th and 90th percentiles.
Old names that earlier versions wrote are kept as ``aliases`` so experiment files that use them
still load.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import suggest
from .i18n import N_, gettext, pgettext
from .i18n import gettext as _
from .phrase import Phrase, tr
from .world import World, shared_world

if TYPE_CHECKING:
    from .model import DecouplingModel


@dataclass(frozen=True)
class Outcome:
    """One outcome of the model."""

    name: str
    label: str  # for figures and tables
    unit: str
    # its value in the current quarter, from the model (lambdas bind their sector or country as
    # defaults, hence the open argument list); a whole-run measure may observe a pair per quarter
    compute: Callable[..., Any]
    definition: str  # how it is computed and aggregated over sectors and countries, in words
    summary: Callable[[np.ndarray, np.ndarray], float] | None = None  # (years, values) -> whole-run value
    fmt: str = "{:.3f}"  # how tables print it
    headline: bool = False  # printed by `decouple compare`
    aliases: tuple[str, ...] = ()
    collected: bool = True  # recorded every quarter by the DataCollector (else computed when asked)
    better: str | None = None  # "larger" or "smaller": the direction the name's own actor seeks (DIRECTIONS)
    family: str = ""  # for a regional outcome (``gdp_US``): its family (``gdp``) ...
    region: str = ""  # ... and its region (``US``, ``THIRD``, ``WORLD`` or a sum such as ``NL+JP``)
    members: tuple[str, ...] = ()  # a sum over regions: the outcomes it adds up

    @property
    def whole_run(self) -> bool:
        """A whole-run measure (one value per run) rather than a quarterly value."""
        return self.summary is not None

    @property
    def additive(self) -> bool:
        """Its regions add up (money flows and levels), so a sum of regions means something."""
        return self.unit.startswith("US$")

    @property
    def titled(self) -> str:
        """Its label with its unit, for a table row or an axis, in the current language: see
        :func:`with_unit`."""
        return with_unit(self.label, self.unit)

    @property
    def shown(self) -> str:
        """Its label in the current language (:attr:`label` is the English, which files keep)."""
        return tr(self.label)

    @property
    def shown_unit(self) -> str:
        """Its unit in the current language."""
        return tr(self.unit)


#: a unit's own parentheses, ASCII or full-width (a Chinese unit may use either)
_INNER = re.compile(r"\s*[(（]([^()（）]*)[)）]")


def with_unit(text: str, unit: str) -> str:
    """``text (unit)`` in the current language (both are looked up in the catalogue: see
    :func:`decouple.phrase.tr`), with one pair of parentheses: a unit that has its own is
    flattened, so ``index (2018 = 100)`` gives "Consumers' index, China (index, 2018 = 100)",
    never "(index (2018 = 100))"."""
    text, unit = tr(text), tr(unit)
    sep = pgettext("between the parts of a list", ", ")
    flat = _INNER.sub(lambda m: sep + m.group(1), unit).strip(sep).strip(", ") if _INNER.search(unit) else unit
    return gettext("{text} ({unit})").format(text=text, unit=flat) if flat else text


def interval(low: str, high: str) -> str:
    """A range for a table, its two ends already formatted: ``[-751 to -723]``. A hyphen between
    two numbers that may be negative (``[-751--723]``) reads as a subtraction."""
    return f"[{low} to {high}]"


#: Which way each outcome's own actor wants it to move: the US the capability gap, its firms'
#: revenue and allies' compliance (S2's "small yard, high fence" aims at the gap); China its
#: self-sufficiency, ties and returning talent (S3, S4); every country its welfare and GDP. An
#: outcome that no actor steers by (the yard's size, the US's resolve, trade flows) has none.
#: Patterns are matched in order (``fnmatch``); every outcome must match one (a test checks).
DIRECTIONS: tuple[tuple[str, str | None], ...] = (
    ("gap_*", "larger"),
    ("chips_share_US", "larger"),
    ("chips_share_CN", None),
    ("chips_share_allies", "larger"),
    ("us_revenue*", "larger"),
    ("revenue_*", "larger"),
    ("us_rd*", "larger"),
    ("us_exports_to_cn", None),
    ("us_imports_from_cn", None),
    ("us_cn_sales", None),
    ("cn_self_sufficiency*", "larger"),
    ("compliance_lag", "smaller"),
    ("compliance_*", "larger"),
    ("welfare_*", "larger"),
    ("gdp_*", "larger"),
    ("gains_from_trade_usd_*", "larger"),
    ("trust", "larger"),
    ("collaboration_*", "larger"),
    ("countermeasures", "smaller"),
    ("political_shocks", "smaller"),
    ("yard_size", None),
    ("yard_wide_*", None),
    ("us_resolve", None),
    ("partner_ties", "larger"),
    ("talent_return", "larger"),
    ("third_lean", None),
    ("ss50_*", "smaller"),
    ("*", None),  # the replay's series: figures to compare with, not aims
)


def _direction(name: str) -> str | None:
    return next(better for pattern, better in DIRECTIONS if fnmatch(name, pattern))


def _mean(values: np.ndarray) -> float:
    """Mean that is 0 for an empty selection (e.g. a world without small-yard sectors); the sum
    over the count, as ``numpy.mean`` computes it, without its overhead."""
    return float(values.sum() / values.size) if values.size else 0.0


def _rd(m: DecouplingModel) -> np.ndarray:
    """(S, C) R&D by country and sector (computed once per quarter)."""
    return m.per_step("rd_by_country", lambda: m.firms.by_country(m.firms.rd))


def _controlled(m: DecouplingModel) -> np.ndarray:
    return np.flatnonzero(m.policy.controlled)


def _china_self_sufficiency(m: DecouplingModel, sectors: np.ndarray | None = None) -> float:
    """China's self-sufficiency, weighted by its 2018 demand over ``sectors`` (default: all)."""
    layout, cn = m.layout, m.layout.cn
    ss = m.market.self_sufficiency
    if sectors is None:
        return float((ss[:, cn] * layout.cn_demand0).sum() / layout.cn_demand0_total)
    if not len(sectors):
        return 0.0
    weights = layout.demand0[sectors, cn]
    return float((ss[sectors, cn] * weights).sum() / weights.sum())


def _chips(m: DecouplingModel) -> int:
    w = m.world
    return w.sector_index("logic_chips") if "logic_chips" in w.sectors else 0


def _yard_wider_than_four(m: DecouplingModel) -> float:
    """1 in a quarter in which the US controls more than four sectors, else 0."""
    return float(m.policy.controlled.sum() > 4)


def _compliance_lag(years: np.ndarray, values: np.ndarray) -> float:
    """Years from the first quarter of US pressure until allies' compliance in the controlled
    sectors reaches half of its final level (NaN without pressure or compliance); ``values`` are
    (compliance in the controlled sectors, 1 if the US presses allies) per quarter."""
    comp, pressed = values[:, 0], values[:, 1] > 0
    if not pressed.any() or comp[-1] <= 0.01:
        return float("nan")
    start = years[np.argmax(pressed)] - 0.25
    reached = np.flatnonzero(comp >= 0.5 * comp[-1])
    return float(years[reached[0]] - start)


def _first_year_at_half(years: np.ndarray, values: np.ndarray) -> float:
    """The first year after step 0 in which the value reaches 0.5 (NaN: never)."""
    reached = np.flatnonzero((values >= 0.5) & (np.arange(len(values)) > 0))
    return float(years[reached[0]]) if reached.size else float("nan")


def _before_2030(years: np.ndarray, values: np.ndarray) -> float:
    """1.0 if the value is 1 in a quarter that starts before 2030 (its row's year is the quarter's
    end), else 0.0."""
    return float(((values >= 0.5) & (years - 0.25 < 2030.0 - 1e-9) & (np.arange(len(values)) > 0)).any())


def _build(world: World) -> dict[str, Outcome]:
    us, cn = world.country_index("US"), world.country_index("CN")
    yard_names = ", ".join(s for s, y in zip(world.sectors, world.small_yard) if y)
    items = [
        Outcome(
            "gap_small_yard",
            N_("US–China capability gap, small-yard sectors"),
            N_("share of frontier"),
            lambda m: _mean(m.capability_gap()[m.layout.yard_sectors]),
            f"US minus China effective capability (best firm, after denied inputs) over the sector "
            f"frontier, mean over the small-yard sectors ({yard_names})",
            headline=True,
            aliases=("us_cn_gap_small_yard",),
        ),
        Outcome(
            "gap_other",
            N_("US–China capability gap, other sectors"),
            N_("share of frontier"),
            lambda m: _mean(m.capability_gap()[m.layout.other_sectors]),
            "as gap_small_yard, mean over the other sectors",
            aliases=("us_cn_gap_other",),
        ),
        Outcome(
            "gap_controlled",
            N_("US–China capability gap, controlled sectors"),
            N_("share of frontier"),
            lambda m: _mean(m.capability_gap()[_controlled(m)]),
            "as gap_small_yard, mean over the sectors the US controls this quarter (0 when none)",
        ),
        Outcome(
            "chips_share_US",
            N_("US firms' share of world logic-chip sales"),
            N_("share"),
            lambda m: float(m.market.market_share[_chips(m), us]),
            "US firms' sales over world sales of logic chips",
            headline=True,
            aliases=("us_share_logic_chips",),
        ),
        Outcome(
            "chips_share_CN",
            N_("Chinese firms' share of world logic-chip sales"),
            N_("share"),
            lambda m: float(m.market.market_share[_chips(m), cn]),
            "Chinese firms' sales over world sales of logic chips",
            aliases=("cn_share_logic_chips",),
        ),
        Outcome(
            "chips_share_allies",
            N_("Allied firms' share of world logic-chip sales"),
            N_("share"),
            lambda m: float(m.market.market_share[_chips(m), m.world.allies].sum()),
            "sum of the allies' shares of world logic-chip sales",
            aliases=("allies_share_logic_chips",),
        ),
        Outcome(
            "us_revenue",
            N_("US firms' revenue, all sectors"),
            N_("US$ bn per year"),
            lambda m: float(m.market.revenue[:, us].sum()),
            "sum over sectors of US firms' sales",
        ),
        Outcome(
            "us_revenue_small_yard",
            N_("US firms' revenue, small-yard sectors"),
            N_("US$ bn per year"),
            lambda m: float(m.market.revenue[m.layout.yard_sectors, us].sum()),
            "sum over the small-yard sectors of US firms' sales",
            headline=True,
            fmt="{:.0f}",
        ),
        Outcome(
            "us_revenue_controlled",
            N_("US firms' revenue, controlled sectors"),
            N_("US$ bn per year"),
            lambda m: float(m.market.revenue[_controlled(m), us].sum()),
            "sum over the sectors controlled this quarter of US firms' sales",
        ),
        Outcome(
            "us_rd",
            N_("US firms' R&D, all sectors"),
            N_("US$ bn per year"),
            lambda m: float(_rd(m)[:, us].sum()),
            "sum over sectors of US firms' R&D (subsidies included)",
        ),
        Outcome(
            "us_rd_small_yard",
            N_("US firms' R&D, small-yard sectors"),
            N_("US$ bn per year"),
            lambda m: float(_rd(m)[m.layout.yard_sectors, us].sum()),
            "sum over the small-yard sectors of US firms' R&D",
            headline=True,
            fmt="{:.0f}",
        ),
        Outcome(
            "us_rd_controlled",
            N_("US firms' R&D, controlled sectors"),
            N_("US$ bn per year"),
            lambda m: float(_rd(m)[_controlled(m), us].sum()),
            "sum over the sectors controlled this quarter of US firms' R&D",
        ),
        Outcome(
            "us_exports_to_cn",
            N_("Sales of US firms to Chinese buyers"),
            N_("US$ bn per year"),
            lambda m: float(m.market.bilateral[:, us, cn].sum()),
            "sum over sectors",
        ),
        Outcome(
            "us_imports_from_cn",
            N_("Sales of Chinese firms to US buyers"),
            N_("US$ bn per year"),
            lambda m: float(m.market.bilateral[:, cn, us].sum()),
            "sum over sectors",
        ),
        Outcome(
            "us_cn_sales",
            N_("US–China sales, both ways"),
            N_("US$ bn per year"),
            lambda m: float(m.market.bilateral[:, us, cn].sum() + m.market.bilateral[:, cn, us].sum()),
            "sales of US firms to Chinese buyers plus sales of Chinese firms to US buyers",
            headline=True,
            fmt="{:.0f}",
        ),
        Outcome(
            "cn_self_sufficiency",
            N_("China's self-sufficiency, all sectors"),
            N_("share of demand"),
            lambda m: _china_self_sufficiency(m),
            "share of China's demand met by Chinese firms, weighted by China's 2018 demand",
            headline=True,
        ),
        Outcome(
            "cn_self_sufficiency_small_yard",
            N_("China's self-sufficiency, small-yard sectors"),
            N_("share of demand"),
            lambda m: _china_self_sufficiency(m, m.layout.yard_sectors),
            "as cn_self_sufficiency, over the small-yard sectors",
        ),
        Outcome(
            "cn_self_sufficiency_controlled",
            N_("China's self-sufficiency, controlled sectors"),
            N_("share of demand"),
            lambda m: _china_self_sufficiency(m, _controlled(m)),
            "as cn_self_sufficiency, over the sectors controlled this quarter (0 when none)",
        ),
        Outcome(
            "compliance_small_yard",
            N_("Allies' compliance, small-yard sectors"),
            N_("share"),
            lambda m: _mean(m.relations.compliance[m.layout.ally_yard]),
            "mean over the allies and the small-yard sectors of how far they apply US controls",
            headline=True,
            aliases=("ally_compliance_small_yard", "compliance_mean", "ally_compliance"),
        ),
        Outcome(
            "compliance_controlled",
            N_("Allies' compliance, controlled sectors"),
            N_("share"),
            lambda m: _mean(m.relations.compliance[np.ix_(m.world.allies, _controlled(m))]),
            "as compliance_small_yard, over the sectors controlled this quarter (0 when none)",
        ),
    ]
    for a in world.allies:
        code = world.countries[a]
        items.append(
            Outcome(
                f"compliance_{code}",
                Phrase(N_("Compliance with US controls, {country}"), country=world.country_labels.get(code, code)),
                N_("share"),
                lambda m, a=a: _mean(m.relations.compliance[a, m.layout.yard_sectors]),
                f"mean over the small-yard sectors of how far {code} applies US controls",
            )
        )
    for code, label in (("US", N_("United States")), ("CN", N_("China"))):
        i = world.country_index(code)
        items.append(
            Outcome(
                f"welfare_{code}",
                Phrase(N_("Consumers' index, {country}"), country=label),
                N_("index (2018 = 100)"),
                lambda m, i=i: float(m.market.welfare[i]),
                "quality-adjusted consumer surplus of the country's buyers, 100 x exp(surplus in log-price "
                "units), weighted by 2018 spending",
                headline=True,
                fmt="{:.1f}",
            )
        )
    items += [
        Outcome(
            "welfare_THIRD",
            N_("Consumers' index, third countries"),
            N_("index (2018 = 100)"),
            lambda m: float(m.market.welfare_groups["THIRD"]),
            "as welfare_US, over the buyers of India, Vietnam/ASEAN and the rest of the world",
            headline=True,
            fmt="{:.1f}",
        ),
        Outcome(
            "welfare_WORLD",
            N_("Consumers' index, world"),
            N_("index (2018 = 100)"),
            lambda m: float(m.market.welfare_groups["WORLD"]),
            "as welfare_US, over all buyers",
            headline=True,
            fmt="{:.1f}",
            aliases=("welfare_world",),
        ),
    ]
    items += _money_outcomes(world)
    items += [
        Outcome(
            f"revenue_{code}",
            Phrase(N_("Firms' revenue, all sectors, {country}"), country=world.country_labels.get(code, code)),
            N_("US$ bn per year"),
            lambda m, i=i: float(m.market.revenue[:, i].sum()),
            "sum over sectors of the country's firms' sales (wherever they are made)",
            fmt="{:.0f}",
            collected=False,
        )
        for i, code in enumerate(world.countries)
    ]
    items += [
        Outcome(
            "trust",
            N_("US–China trust"),
            N_("index 0–1"),
            lambda m: float(m.relations.trust),
            "the co-opetition trust state (M10)",
            headline=True,
        ),
        Outcome(
            "collaboration_mean",
            N_("US–China research collaboration"),
            N_("index (2018 = 1)"),
            lambda m: float(m.relations.collaboration.mean()),
            "mean over sectors (M9)",
        ),
        Outcome(
            "countermeasures",
            N_("China's counter-measures"),
            N_("index 0–1"),
            lambda m: float(m.relations.countermeasures),
            "intensity of China's retaliation (M12)",
        ),
        Outcome(
            "political_shocks",
            N_("Political shocks so far"),
            N_("count"),
            lambda m: float(m.relations.shocks),
            "number of shocks to trust since step 0 (M10)",
            fmt="{:.0f}",
        ),
        # ------------------------------------------------------------ states that decide (M13-M16)
        Outcome(
            "yard_size",
            N_("Sectors the US controls"),
            N_("sectors"),
            lambda m: float(m.policy.controlled.sum()),
            "number of sectors in the US yard in force (scripted or decided by the US rule, M13)",
            fmt="{:.1f}",
        ),
        Outcome(
            "us_resolve",
            N_("US resolve, mean over sectors"),
            N_("index 0–1"),
            lambda m: float(m.relations.us_resolve.mean()),
            "the US's resolve to control each sector (M13; 0 while the US plays a script), mean over sectors",
        ),
        Outcome(
            "partner_ties",
            N_("China's partner ties with third countries"),
            N_("index 0–1"),
            lambda m: float(m.relations.partner_ties),
            "China's trade and standards ties with third countries (M14; 0 unless China's rule is on)",
        ),
        Outcome(
            "talent_return",
            N_("China's talent return"),
            N_("share"),
            lambda m: float(m.relations.talent_return),
            "share of the collaboration US restrictions cut that China recovers by bringing researchers home (M14)",
        ),
        Outcome(
            "third_lean",
            N_("Third countries' lean (−1 China, +1 US)"),
            N_("index −1 to 1"),
            lambda m: _mean(m.relations.lean[m.world.third]),
            "mean lean of the third countries between the blocs (M16; 0 unless they hedge)",
        ),
        # ------------------------------------------------------------ whole-run measures
        Outcome(
            "yard_wide_year",
            N_("Year the US yard first exceeds four sectors"),
            N_("year"),
            _yard_wider_than_four,
            "first quarter (decimal year of its end) in which the US controls more than four sectors "
            "(empty: never in the run)",
            summary=_first_year_at_half,
            fmt="{:.2f}",
        ),
        Outcome(
            "yard_wide_before_2030",
            N_("US yard wider than four sectors before 2030"),
            N_("1 yes, 0 no"),
            _yard_wider_than_four,
            "1 if the US controls more than four sectors in some quarter that starts before 2030, else 0: "
            "its mean over seeds is the share of histories in which the yard widens that far",
            summary=_before_2030,
            fmt="{:.2f}",
        ),
        Outcome(
            "compliance_lag",
            N_("Allies' compliance lag"),
            N_("years"),
            lambda m: (
                _mean(m.relations.compliance[np.ix_(m.world.allies, _controlled(m))]),
                float(m.policy.active and m.params.policy.ally_pressure > 0),
            ),
            "years from the first quarter of US pressure on allies until their compliance in the "
            "controlled sectors reaches half of its final level (empty: no pressure or no compliance)",
            summary=_compliance_lag,
            fmt="{:.2f}",
        ),
    ]
    for j, sector in enumerate(world.sectors):
        items.append(
            Outcome(
                f"ss50_{sector}",
                Phrase(
                    N_("Year China's self-sufficiency passes 50 %: {sector}"),
                    sector=world.sector_labels.get(sector, sector),
                ),
                N_("year"),
                lambda m, j=j: float(m.market.self_sufficiency[j, cn]),
                "first year after the start in which Chinese firms meet half of China's demand in the sector "
                "(empty: not by the end of the run)",
                summary=_first_year_at_half,
                fmt="{:.2f}",
            )
        )
    items += _replay_outcomes(world)
    regions = set(world.countries) | {"THIRD", "WORLD"}
    registry = {}
    for o in items:
        family, _sep, region = o.name.rpartition("_")
        if region not in regions or not family:
            family = region = ""
        registry[o.name] = replace(o, better=_direction(o.name), family=family, region=region)
    assert len(registry) == len(items), "duplicate outcome names"
    return registry


def _money_outcomes(world: World) -> list[Outcome]:
    """Welfare in money and GDP of every country, third countries and the world (US$ bn a year;
    :mod:`decouple.mechanisms.accounts`). Their level carries each country's own scale; a policy's
    cost is the change against the baseline with the same seed (``decouple compare`` reports it
    in US$ bn and in % of GDP)."""
    regions = [(code, world.country_labels.get(code, code)) for code in world.countries]
    regions += [("THIRD", N_("third countries")), ("WORLD", N_("world"))]
    third = world.third

    #: (name prefix, label, the accounts' field, definition), one outcome per region each
    measures = (
        (
            "welfare_usd",
            N_("Welfare"),
            "welfare",
            "consumer surplus (spending x the fall of the quality-adjusted price since 2018, valued at "
            "buyers' true preferences: policy wedges move choices, not value) + producer surplus "
            "(profits of the country's firms and its investors' excess returns in China) + government "
            "(tariffs collected less state support and reshoring subsidies paid); compare with the baseline",
        ),
        (
            "gdp",
            N_("GDP"),
            "gdp",
            "2018 GDP outside the modelled sectors along its projected growth path, moved by the "
            "technology it gets against the open world's path, plus the modelled sectors' value added "
            "where their output is made (2018 US$)",
        ),
        (
            "gains_from_trade_usd",
            N_("Gains from trade in the modelled sectors (ACR)"),
            "gains_from_trade",
            "the Arkolakis-Costinot-Rodriguez-Clare formula sector by sector: sum over sectors of "
            "-spending x log(domestic expenditure share) / trade elasticity; its change against the "
            "baseline is the general-equilibrium cross-check of welfare_usd",
        ),
    )

    def by_region(m: DecouplingModel) -> dict[str, np.ndarray]:
        """each measure of every country, then THIRD and WORLD (computed once per quarter)."""

        def extend(values: np.ndarray) -> np.ndarray:
            return np.append(values, [values[third].sum(), values.sum()])

        return m.per_step(
            "accounts_by_region", lambda: {field: extend(getattr(m.accounts, field)) for _, _, field, _ in measures}
        )

    return [
        Outcome(
            f"{prefix}_{code}",
            Phrase(N_("{what}, {region}"), what=what, region=label),
            N_("US$ bn per year"),
            lambda m, i=i, field=field: float(by_region(m)[field][i]),
            definition,
            fmt="{:.0f}",
        )
        for i, (code, label) in enumerate(regions)
        for prefix, what, field, definition in measures
    ]


def _tech_firms(m: DecouplingModel) -> np.ndarray:
    """(n,) firms of the technology sectors (all but basic research)."""
    return _tech_sectors(m)[m.firms.sector]


def _sales_to(m: DecouplingModel, country: int) -> np.ndarray:
    """(n,) each firm's sales to the buyers of ``country`` (China's covered buyers included)."""
    sales = m.market.sales
    if country == m.layout.cn:
        return sales[:, [country, m.layout.listed_segment]].sum(1)
    return sales[:, country]


def _phone_leader(m: DecouplingModel) -> int:
    """Row of the Chinese phone maker with the largest sales at step 0."""
    f, w = m.firms, m.world
    rows = np.flatnonzero((f.sector == w.sector_index("smartphones")) & m.layout.is_cn)
    return int(rows[np.argmax(f.cumulative_output0[rows])])  # (cumulative output at step 0 is sales x a constant)


def _replay_outcomes(world: World) -> list[Outcome]:
    """The series the historical replay is compared on (``decouple validate``)."""
    from .mechanisms.market_barriers import made_in_china

    us, cn = world.country_index("US"), world.country_index("CN")
    has = set(world.sectors)
    s = world.sector_index

    def made_in_us(m):
        f = m.firms
        return np.where(m.layout.is_us, f.loc_home, 0.0) + f.loc_foundry * m.world.foundry_hosts[f.sector, us]

    out = [
        Outcome(
            "us_made_sales_to_cn",
            N_("US-made technology sales to Chinese buyers"),
            N_("US$ bn per year"),
            lambda m: float((_sales_to(m, cn) * made_in_us(m))[_tech_firms(m)].sum()),
            "sales to Chinese buyers of what US firms make in the US, technology sectors (trade "
            "statistics count goods by where they are made)",
            collected=False,
        ),
        Outcome(
            "cn_made_sales_to_us",
            N_("China-made technology sales to US buyers"),
            N_("US$ bn per year"),
            lambda m: float((_sales_to(m, us) * made_in_china(m))[_tech_firms(m)].sum()),
            "sales to US buyers of what is made in China (by any firm), technology sectors",
            collected=False,
        ),
        Outcome(
            "investment_cn_to_us",
            N_("Chinese investment into the US"),
            N_("US$ bn per year"),
            lambda m: float(m.relations.investment_in_us),
            "the M2 flow",
            collected=False,
        ),
        Outcome(
            "investment_us_to_cn",
            N_("US investment into Chinese tech firms"),
            N_("US$ bn per year"),
            lambda m: float(m.relations.investment_in_cn.sum()),
            "the M2 flow, sum over sectors",
            collected=False,
        ),
        Outcome(
            "us_share_tech",
            N_("US firms' share of world technology sales"),
            N_("share"),
            lambda m: _tech_share(m, us),
            "over the technology sectors (all but basic research)",
            collected=False,
        ),
        Outcome(
            "cn_share_tech",
            N_("Chinese firms' share of world technology sales"),
            N_("share"),
            lambda m: _tech_share(m, cn),
            "over the technology sectors (all but basic research)",
            collected=False,
        ),
    ]
    if "telecom" in has and "ai_compute" in has:
        ict = (s("telecom"), s("ai_compute"))
        out.append(
            Outcome(
                "cn_made_ict_sales_to_us",
                N_("China-made telecom and AI/IT sales to US buyers"),
                N_("US$ bn per year"),
                lambda m: float((_sales_to(m, us) * made_in_china(m))[np.isin(m.firms.sector, ict)].sum()),
                "as cn_made_sales_to_us, telecom and AI compute only",
                collected=False,
            )
        )
    if "basic_research" in has:
        basic = s("basic_research")
        out.append(
            Outcome(
                "collaboration_basic_research",
                N_("US–China research collaboration, basic research"),
                N_("index (2018 = 1)"),
                lambda m, j=basic: float(m.relations.collaboration[j]),
                "the M9 collaboration index of basic research",
                collected=False,
            )
        )
    for sector in ("telecom", "solar_pv", "batteries"):
        if sector in has:
            j = s(sector)
            out.append(
                Outcome(
                    f"cn_share_{sector}",
                    Phrase(
                        N_("Chinese firms' share of world sales: {sector}"),
                        sector=world.sector_labels.get(sector, sector),
                    ),
                    N_("share"),
                    lambda m, j=j: float(m.market.market_share[j, cn]),
                    "Chinese firms' sales over world sales of the sector",
                    collected=False,
                )
            )
    if "solar_pv" in has:
        pv = s("solar_pv")
        out.append(
            Outcome(
                "us_self_sufficiency_solar_pv",
                N_("US self-sufficiency in solar PV"),
                N_("share of demand"),
                lambda m, j=pv: float(m.market.self_sufficiency[j, us]),
                "share of US demand for PV met by US firms",
                collected=False,
            )
        )
    if "logic_chips" in has:
        chips = s("logic_chips")
        out.append(
            Outcome(
                "cn_self_sufficiency_logic_chips",
                N_("China's self-sufficiency in logic chips"),
                N_("share of demand"),
                lambda m, j=chips: float(m.market.self_sufficiency[j, cn]),
                "share of China's demand for logic chips met by Chinese firms",
                collected=False,
            )
        )
    if "chip_tools" in has:
        tools = s("chip_tools")
        for code in ("NL", "JP"):
            a = world.country_index(code)
            out.append(
                Outcome(
                    f"compliance_{code}_chip_tools",
                    Phrase(N_("Compliance with US chip-tool controls, {country}"), country=code),
                    N_("share"),
                    lambda m, a=a, j=tools: float(m.relations.compliance[a, j]),
                    "the M5 compliance in chip tools",
                    collected=False,
                )
            )
    if "logic_chips" in has:
        chips = s("logic_chips")
        out.append(
            Outcome(
                "us_chip_production_share",
                N_("US share of world logic-chip production"),
                N_("share"),
                lambda m, j=chips: float(m.accounts.production[j, us] / m.accounts.production[j].sum()),
                "output made in the US (by any firm) over world output of logic chips",
                collected=False,
            )
        )
        out.append(
            Outcome(
                "us_chip_revenue",
                N_("US logic-chip firms' revenue"),
                N_("US$ bn per year"),
                lambda m, j=chips: float(m.market.revenue[j, us]),
                "sales of US firms in logic chips, wherever made and sold",
                collected=False,
            )
        )
    if "smartphones" in has:
        phones, india = s("smartphones"), world.country_index("IN")
        out += [
            Outcome(
                "phone_leader_share",
                N_("World share of the largest Chinese phone maker"),
                N_("share"),
                lambda m, j=phones: float(
                    m.firms.revenue[_phone_leader(m)] / m.firms.revenue[m.firms.sector == j].sum()
                ),
                "sales of the Chinese phone maker largest at step 0 over world phone sales",
                collected=False,
            ),
            Outcome(
                "india_phone_production",
                N_("Smartphone production in India"),
                N_("US$ bn per year"),
                lambda m, j=phones: float(m.accounts.production[j, india]),
                "output made in India (by any firm) of smartphones",
                collected=False,
            ),
        ]
    return out


def _tech_share(m: DecouplingModel, country: int) -> float:
    """The country's firms' share of world sales in the technology sectors."""
    tech = _tech_sectors(m)
    return float(m.market.revenue[tech, country].sum() / m.market.revenue[tech].sum())


def _tech_sectors(m: DecouplingModel) -> np.ndarray:
    """(S,) the technology sectors (all but basic research)."""
    return np.array([s != "basic_research" for s in m.world.sectors])


@lru_cache(maxsize=4)
def _registry_of(world_key: tuple) -> dict[str, Outcome]:
    return _build(_WORLDS[world_key])


_WORLDS: dict[tuple, World] = {}


def registry(world: World | None = None) -> dict[str, Outcome]:
    """All outcomes by name, for ``world`` (default: the world of ``seeds/``)."""
    world = world if world is not None else shared_world()  # read once per process, not per name
    key = (world.countries, world.sectors, tuple(world.role), tuple(world.small_yard))
    _WORLDS.setdefault(key, world)
    return _registry_of(key)


def quarterly(world: World | None = None) -> list[Outcome]:
    """The outcomes with one value per quarter that every run records (its DataCollector's)."""
    return [o for o in registry(world).values() if not o.whole_run and o.collected]


def whole_run(world: World | None = None) -> list[Outcome]:
    """The outcomes with one value per run."""
    return [o for o in registry(world).values() if o.whole_run]


def headlines(world: World | None = None) -> list[Outcome]:
    """The outcomes `decouple compare` prints."""
    return [o for o in registry(world).values() if o.headline]


_FAMILIES: dict[int, tuple[dict[str, Outcome], dict[str, dict[str, Outcome]]]] = {}


def families(world: World | None = None) -> dict[str, dict[str, Outcome]]:
    """The regional outcomes by family and region: ``families()["gdp"]["US"]`` is ``gdp_US``."""
    reg = registry(world)
    held = _FAMILIES.get(id(reg))
    if held is not None and held[0] is reg:  # the registries are cached, so this is computed once each
        return held[1]
    out: dict[str, dict[str, Outcome]] = {}
    for o in reg.values():
        if o.family:
            out.setdefault(o.family, {})[o.region] = o
    _FAMILIES[id(reg)] = (reg, out)
    return out


def resolve(name: str, world: World | None = None) -> Outcome:
    """The outcome called ``name`` (or one of its old names); a clear error otherwise.

    A regional outcome can also be named by its family and region, ``gdp[US]`` for ``gdp_US``;
    where the family's regions add up (money), by a sum of regions, ``revenue[NL+JP]``, which is
    computed from its members when asked (it is not recorded by every run).
    """
    from .errors import ConfigError

    if not isinstance(name, str):
        raise ConfigError(_("outcome {name} is not a name; `decouple outcomes` lists them").format(name=repr(name)))
    reg = registry(world)
    if name in reg:
        return reg[name]
    for outcome in reg.values():
        if name in outcome.aliases:
            return outcome
    if name.endswith("]") and "[" in name:
        return _regional(name, world)
    raise ConfigError(
        _("unknown outcome '{name}'{hint}; `decouple outcomes` lists them: {known}").format(
            name=name, hint=suggest(name, list(reg)), known=", ".join(reg)
        )
    )


def _regional(name: str, world: World | None) -> Outcome:
    """``family[REGION]`` or ``family[A+B+...]`` (see :func:`resolve`)."""
    from .errors import ConfigError

    family, _sep, inside = name[:-1].partition("[")
    of_family = families(world).get(family)
    if of_family is None:
        raise ConfigError(
            _("unknown outcome family '{family}' in '{name}'{hint}; allowed: {allowed}").format(
                family=family,
                name=name,
                hint=suggest(family, list(families(world))),
                allowed=", ".join(families(world)),
            )
        )
    parts = inside.split("+")
    unknown = [p for p in parts if p not in of_family]
    if unknown or not inside:
        raise ConfigError(
            _("outcome '{name}': region {region}; allowed: {allowed}").format(
                name=name, region=unknown or [inside], allowed=", ".join(of_family)
            )
        )
    if len(parts) == 1:
        return of_family[parts[0]]
    first = of_family[parts[0]]
    if not first.additive:
        raise ConfigError(
            _(
                "outcome '{name}': the regions of '{family}' ({unit}) do not add up; allowed: one region of {allowed}"
            ).format(name=name, family=family, unit=first.unit, allowed=", ".join(of_family))
        )
    if len(set(parts)) != len(parts) or {"THIRD", "WORLD"} & set(parts):
        raise ConfigError(
            _("outcome '{name}': a sum names each country once; allowed: countries among {allowed}").format(
                name=name, allowed=", ".join(of_family)
            )
        )
    members = tuple(of_family[p] for p in parts)
    return Outcome(
        name,
        _with_regions(first.label, " + ".join(parts)),
        first.unit,
        lambda m: float(sum(o.compute(m) for o in members)),
        f"sum of {', '.join(o.name for o in members)}",
        fmt=first.fmt,
        collected=False,
        better=first.better,
        family=family,
        region=inside,
        members=tuple(o.name for o in members),
    )


def _with_regions(label: str, regions: str) -> str:
    """A regional label with its region replaced by a sum of regions: "Welfare, NL + JP"."""
    if isinstance(label, Phrase):
        for key in ("region", "country"):
            if key in label.values:
                return label.but(**{key: regions})
    return f"{label.rsplit(',', 1)[0]}, {regions}"


def values(model: DecouplingModel, names=None) -> dict[str, float]:
    """The quarterly outcomes of the model's current state (those every run records, or ``names``)."""
    reg = registry(model.world)
    chosen = quarterly(model.world) if names is None else [reg[n] for n in names]
    return {o.name: float(o.compute(model)) for o in chosen}


def reporters(world: World) -> dict[str, Callable]:
    """Mesa DataCollector model reporters: the year, then every quarterly outcome by name."""
    out: dict[str, Callable | str] = {"year": "year"}
    out.update({o.name: o.compute for o in quarterly(world)})
    return out  # type: ignore[return-value]
