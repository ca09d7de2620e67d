"""The evidence checks of `decouple validate`.

Each check compares one model quantity with one documented figure (``seeds/facts.toml``) and
passes when the seed mean falls within a stated tolerance. Four kinds:

- ``calibration`` — in-sample: the figures the calibration fits (``seeds/calibration.toml``);
- ``replay`` — out-of-sample: the historical replay against figures the fit never sees;
- ``consistency`` — the replay against figures that also set the model's starting data (2018
  shares placed at 2016): they check that the replay keeps what it was given, not that it
  predicts;
- ``pattern`` — model experiments for the patterns the documents describe;
- ``literature`` — other models' published estimates of what decoupling costs, and published
  price and spending series, each compared with the model run in the closest experiment it
  allows. They are never fitted to; each tolerance is the published range, or at most a factor of
  2 around a point estimate, written down before the comparison was first run, and each label
  names the estimate's scope (technology or all trade, long run or a year).

Replay checks read the recorded series of :mod:`.replay`; pattern checks run their own small
experiments. Every measurement takes ``overrides`` so that tests can perturb the model (e.g.
switch import replacement off) and see a check fail.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..config import load_scenario
from ..model import DecouplingModel
from ..world import World
from .facts import fact
from .replay import ReplaySeries, historical_scenario, run_replay

KINDS = ("calibration", "replay", "consistency", "pattern", "literature")


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    facts: tuple[str, ...]
    compared: str  # what the model quantity is
    documented: str  # the documented figure, in words
    target: float  # the figure as a number on the model quantity's scale
    low: float  # pass when low <= seed mean <= high
    high: float
    why: str  # why this tolerance
    measure: Callable  # (context, seed) -> float
    restates_start: bool = False  # the figure also set the model's starting data

    def passes(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)

    @property
    def tolerance(self) -> str:
        if np.isinf(self.high):
            return f">= {self.low:g}"
        if np.isinf(self.low):
            return f"<= {self.high:g}"
        return f"{self.low:g} to {self.high:g}"


# ----------------------------------------------------------------------------- context


class Context:
    """Runs shared by the checks for one set of seeds and overrides (cached)."""

    def __init__(
        self, world: World, overrides: tuple[str, ...] = (), event_values: tuple[tuple[str, str, float], ...] = ()
    ):
        self.world = world
        self.overrides = tuple(overrides)
        self.event_values = tuple(event_values)  # (event id, path, value) for the replay
        self._replays: dict[tuple[int, bool], ReplaySeries] = {}
        self._runs: dict[tuple, DecouplingModel] = {}

    def replay(self, seed: int, counterfactual: bool = False) -> ReplaySeries:
        """The historical replay with ``seed``; with ``counterfactual``, the same years without
        its events (the policies of 2016 kept, nothing added)."""
        key = (seed, counterfactual)
        if key not in self._replays:
            scenario = historical_scenario(self.world, self.overrides)
            for event_id, path, value in self.event_values:
                scenario = scenario.with_event_value(event_id, path, value)
            if counterfactual:
                scenario = dataclasses.replace(scenario, events=[])
            self._replays[key] = run_replay(seed, scenario, self.world)
        return self._replays[key]

    def run(
        self, scenario: str, seed: int, extra: tuple[str, ...] = (), world: World | None = None, key: str = ""
    ) -> DecouplingModel:
        """A finished run of ``scenario`` with ``extra`` overrides (then the context's)."""
        cache_key = (scenario, seed, extra, key)
        if cache_key not in self._runs:
            w = world or self.world
            spec = load_scenario(scenario, extra + self.overrides, sectors=w.sectors)
            self._runs[cache_key] = DecouplingModel(spec, seed=seed, world=w).run()
        return self._runs[cache_key]


def annual_change(series: str, year: int, base_year: int):
    return lambda ctx, seed: ctx.replay(seed).annual(series, year) / ctx.replay(seed).annual(series, base_year) - 1.0


def annual_level(series: str, year: int):
    return lambda ctx, seed: ctx.replay(seed).annual(series, year)


# ----------------------------------------------------------------------------- replay measures


def alliance_delay(ctx: Context, seed: int) -> float:
    """Years from the US acting alone (October 2022) until the Netherlands and Japan both apply
    a quarter of its chip-tool controls."""
    r = ctx.replay(seed)
    years, nl = r.series("compliance_NL_chip_tools")
    _, jp = r.series("compliance_JP_chip_tools")
    joined = np.flatnonzero((np.minimum(nl, jp) >= 0.25) & (years > 2022.75))
    return float(years[joined[0]] - 2022.75) if joined.size else float("inf")


def phone_leader_loss(ctx: Context, seed: int) -> float:
    r = ctx.replay(seed)
    return r.annual("phone_leader_share", 2021) / r.annual("phone_leader_share", 2019) - 1.0


# ----------------------------------------------------------------------------- pattern experiments


def satellite_world(world: World) -> World:
    """The world with the aerospace market split as the satellite market was before 1998."""
    us_share, _ = fact("itar_satellites").value
    w = copy.deepcopy(world)
    j, us = w.sector_index("aerospace"), w.country_index("US")
    others = w.market_share[j].copy()
    others[us] = 0.0
    w.market_share[j] = others / others.sum() * (1.0 - us_share)
    w.market_share[j, us] = us_share
    return w


SATELLITE_POLICY = (
    "policy.yard=aerospace",
    "policy.all_destinations=aerospace",
    "policy.country_wide=aerospace",
    "policy.fence=0.8",
    "policy.licence_approval=0.2",
    "policy.ally_pressure=0.0",
    "policy.start_year=2018.0",
)


def _international_share(model, sector: int, country: int) -> float:
    """The country's firms' share of sales to buyers outside the country."""
    sales = model.market.bilateral[sector]
    abroad = np.ones(sales.shape[1], dtype=bool)
    abroad[country] = False
    return float(sales[country, abroad].sum() / sales[:, abroad].sum())


def satellite_loss(ctx: Context, seed: int) -> float:
    """Relative fall of the US share of the international aerospace market ten years after
    unilateral, all-destination controls, with capable allied (European) firms that do not comply."""
    w = satellite_world(ctx.world)
    j, us = w.sector_index("aerospace"), w.country_index("US")
    start = _international_share(ctx.run("baseline", seed, ("time.steps=1",), world=w, key="satellite-start"), j, us)
    m = ctx.run("baseline", seed, SATELLITE_POLICY + ("time.steps=40",), world=w, key="satellite")
    return _international_share(m, j, us) / start - 1.0


PV_POLICY = (
    "policy.trade_remedy=0.5",
    "policy.trade_remedy_sectors=solar_pv",
    "policy.tariff=0.25",
    "policy.tariff_sectors=solar_pv",
    "policy.start_year=2018.0",
)


def pv_share_change(ctx: Context, seed: int) -> float:
    """Change of China's world PV share in the decade after US duties and tariffs."""
    m = ctx.run("baseline", seed, PV_POLICY + ("time.steps=40",), key="pv")
    j, cn = ctx.world.sector_index("solar_pv"), ctx.world.country_index("CN")
    return float(m.outcome("cn_share_solar_pv") - ctx.world.market_share[j, cn])


def ally_lag(ctx: Context, seed: int) -> float:
    """Years after US pressure starts until allies reach half of their compliance three years on
    (selective decoupling, small-yard sectors)."""
    spec = load_scenario("selective_decoupling", ctx.overrides, sectors=ctx.world.sectors)
    m = DecouplingModel(spec, seed=seed, world=ctx.world)
    start = spec.params.policy.start_year
    path = []
    while m.running and m.year < start + 3.0 + 1e-9:
        m.step()
        path.append((m.year, m.outcome("compliance_small_yard")))
    years, level = np.array(path).T
    half = 0.5 * level[-1]
    reached = np.flatnonzero(level >= half)
    return float(years[reached[0]] - start) if reached.size and half > 0 else float("inf")


def exposure_effect(ctx: Context, seed: int) -> float:
    """Change in Korea's small-yard compliance (2030) when its firms' China exposure is raised."""
    w = ctx.world
    kr = w.country_index("KR")
    exposed = copy.deepcopy(w)
    exposed.china_trade_affinity = w.china_trade_affinity + 1.5 * (np.arange(w.n_countries) == kr)
    steps = ("time.steps=48",)
    base = ctx.run("selective_decoupling", seed, steps, key="exposure-base").outcome("compliance_KR")
    high = ctx.run("selective_decoupling", seed, steps, world=exposed, key="exposure-high").outcome("compliance_KR")
    return float(high - base)


def _yard(ctx: Context) -> np.ndarray:
    spec = load_scenario("selective_decoupling", ctx.overrides, sectors=ctx.world.sectors)
    return np.array([s in spec.params.policy.yard for s in ctx.world.sectors])


def rd_change(ctx: Context, seed: int) -> float:
    """US firms' R&D in the controlled sectors in 2030, selective decoupling vs the baseline."""
    us = ctx.world.country_index("US")
    yard = _yard(ctx)
    steps = ("time.steps=48",)
    sel = (
        ctx.run("selective_decoupling", seed, steps)
        .firms.by_country(ctx.run("selective_decoupling", seed, steps).firms.rd)[yard, us]
        .sum()
    )
    base_model = ctx.run("baseline", seed, steps)
    base = base_model.firms.by_country(base_model.firms.rd)[yard, us].sum()
    return float(sel / base - 1.0)


def self_sufficiency_gains(ctx: Context, seed: int, extra: tuple[str, ...] = ()) -> np.ndarray:
    """Rise of China's self-sufficiency in each controlled sector, selective decoupling (with
    ``extra`` overrides) against the baseline, 2030."""
    cn = ctx.world.country_index("CN")
    steps = ("time.steps=48",)
    yard = _yard(ctx)
    gain = (
        ctx.run("selective_decoupling", seed, steps + extra).market.self_sufficiency[:, cn]
        - ctx.run("baseline", seed, steps).market.self_sufficiency[:, cn]
    )
    return gain[yard]


def smallest_gain(ctx: Context, seed: int) -> float:
    return float(self_sufficiency_gains(ctx, seed).min())


def hardest_gain_gap(ctx: Context, seed: int) -> float:
    """Gain in the yard sector hardest to catch up in, minus the smallest gain among the others
    (<= 0 when the hardest sector gains least), with the same rules in every controlled sector.

    The selective scenario binds chips and chip tools country-wide and the other yard sectors
    through the entity list only, so across its sectors a rise would compare how much of China's
    demand the rules cover, not how hard substitution is. The experiment therefore applies the
    scenario's country-wide rules to its whole yard."""
    yard = _yard(ctx)
    difficulty = ctx.world.catch_up_difficulty[yard]
    names = ",".join(np.array(ctx.world.sectors)[yard])
    gains = self_sufficiency_gains(ctx, seed, (f"policy.country_wide={names}",))
    hardest = int(np.argmax(difficulty))
    return float(gains[hardest] - np.delete(gains, hardest).min())


def welfare_order(ctx: Context, seed: int) -> float:
    """Smallest step in the ordering baseline >= co-opetition >= selective >= full (world welfare
    in money, US$ bn a year, 2035)."""
    w = [
        ctx.run(s, seed).outcome("welfare_usd_WORLD")
        for s in ("baseline", "coopetition", "selective_decoupling", "full_decoupling")
    ]
    return float(min(w[0] - w[1], w[1] - w[2], w[2] - w[3]))


# ----------------------------------------------------------------------------- literature experiments

#: SIA/BCG's "complete ban": US firms may sell no chips (and no chip-design software) to any
#: Chinese buyer, from 2019; the US acts alone (no pressure on allies, no FDPR)
CHIP_BAN = (
    "policy.yard=logic_chips",
    "policy.country_wide=logic_chips",
    "policy.fence=1.0",
    "policy.licence_approval=0.0",
    "policy.ally_pressure=0.0",
    "policy.start_year=2019.0",
)
BAN_STEPS = ("time.steps=24",)  # five years after the ban, the end of SIA/BCG's three-to-five


def _us_chips(model, measure: str) -> float:
    j, us = model.world.sector_index("logic_chips"), model.layout.us
    return float(getattr(model.market, measure)[j, us])


def chip_ban_share_points(ctx: Context, seed: int) -> float:
    """Change of US firms' world logic-chip share (points) five years into a complete ban on US
    chip sales to Chinese buyers, against the open baseline with the same seed."""
    ban = ctx.run("baseline", seed, CHIP_BAN + BAN_STEPS, key="chip-ban")
    base = ctx.run("baseline", seed, BAN_STEPS, key="chip-ban-base")
    return 100.0 * (_us_chips(ban, "market_share") - _us_chips(base, "market_share"))


def chip_ban_revenue(ctx: Context, seed: int) -> float:
    """Relative change of US logic-chip firms' revenue, as :func:`chip_ban_share_points`."""
    ban = ctx.run("baseline", seed, CHIP_BAN + BAN_STEPS, key="chip-ban")
    base = ctx.run("baseline", seed, BAN_STEPS, key="chip-ban-base")
    return _us_chips(ban, "revenue") / _us_chips(base, "revenue") - 1.0


ESCALATION_YEAR = 2024  # SIA/BCG (March 2020): three to five years of continued escalation


def escalation_share_points(ctx: Context, seed: int) -> float:
    """US firms' world logic-chip share in the historical replay minus the same years without
    its events (points), in 2024."""
    real = ctx.replay(seed).annual("chips_share_US", ESCALATION_YEAR)
    without = ctx.replay(seed, counterfactual=True).annual("chips_share_US", ESCALATION_YEAR)
    return 100.0 * (real - without)


def escalation_revenue(ctx: Context, seed: int) -> float:
    """US logic-chip firms' revenue in the replay over the same years without its events, 2024."""
    real = ctx.replay(seed).annual("us_chip_revenue", ESCALATION_YEAR)
    without = ctx.replay(seed, counterfactual=True).annual("us_chip_revenue", ESCALATION_YEAR)
    return real / without - 1.0


def welfare_change_pct_gdp(ctx: Context, seed: int, scenario: str, region: str) -> float:
    """Change of ``region``'s welfare in money against the baseline with the same seed, in % of
    the baseline's GDP, at the end of the run (2035)."""
    run, base = ctx.run(scenario, seed), ctx.run("baseline", seed)
    change = run.outcome(f"welfare_usd_{region}") - base.outcome(f"welfare_usd_{region}")
    return 100.0 * change / base.outcome(f"gdp_{region}")


def world_gdp_cost(ctx: Context, seed: int) -> float:
    """World GDP under full decoupling against the baseline with the same seed, 2035 (%)."""
    run, base = ctx.run("full_decoupling", seed), ctx.run("baseline", seed)
    return 100.0 * (run.outcome("gdp_WORLD") / base.outcome("gdp_WORLD") - 1.0)


def china_over_us_loss(ctx: Context, seed: int) -> float:
    """China's welfare loss over the US's, both in % of GDP, full decoupling against the baseline
    (above 1: China loses the larger share of its GDP)."""
    china = welfare_change_pct_gdp(ctx, seed, "full_decoupling", "CN")
    us = welfare_change_pct_gdp(ctx, seed, "full_decoupling", "US")
    return china / us if us < 0 else float("inf")


def bystander_chip_price(ctx: Context, seed: int) -> float:
    """Rise of the quality-adjusted price of logic chips for EU buyers under full decoupling
    against the baseline with the same seed, 2035 (share)."""
    j, eu = ctx.world.sector_index("logic_chips"), ctx.world.country_index("EU")
    run, base = ctx.run("full_decoupling", seed), ctx.run("baseline", seed)
    return float(np.exp(base.market.surplus[j, eu] - run.market.surplus[j, eu]) - 1.0)


def open_world_price_decline(sector: str):
    """The yearly fall of a sector's quality-adjusted price for the world's buyers in the
    baseline, 2018-2035 (share per year)."""

    def measure(ctx: Context, seed: int) -> float:
        m = ctx.run("baseline", seed)
        j = ctx.world.sector_index(sector)
        weights = m.layout.demand0[j] / m.layout.demand0[j].sum()
        fall = float((m.market.surplus[j] * weights).sum())
        return float(1.0 - np.exp(-fall / m.years_elapsed))

    return measure


def spending_share_rise(ctx: Context, seed: int) -> float:
    """The modelled sectors' share of world GDP in the baseline, 2024 over 2018, less 1."""
    m = ctx.run("baseline", seed, ("time.steps=24",), key="spending-2024")
    start = m.layout.demand0.sum() / m.world.gdp_2018.sum()
    return float(m.market.spending.sum() / m.accounts.gdp.sum() / start - 1.0)


def china_chip_self_sufficiency_rise(ctx: Context, seed: int) -> float:
    """Rise of China's logic-chip self-sufficiency in the replay, 2021 over 2018 (points)."""
    r = ctx.replay(seed)
    return 100.0 * (
        r.annual("cn_self_sufficiency_logic_chips", 2021) - r.annual("cn_self_sufficiency_logic_chips", 2018)
    )


def third_cost(ctx: Context, seed: int) -> float:
    return welfare_change_pct_gdp(ctx, seed, "full_decoupling", "THIRD")


# ----------------------------------------------------------------------------- the checks


def within_factor_two(point: float) -> tuple[float, float, float]:
    """(target, low, high) of a check that passes within a factor of 2 of a published point
    estimate, either way (the literature checks' rule: written down before the comparison)."""
    low, high = sorted((point / 2.0, point * 2.0))
    return point, low, high


def price_check(sector: str, what: str, fact_id: str, key: str, documented: str, scope: str = "") -> Check:
    """A literature check of the open world's yearly price fall in ``sector`` against a published
    price index (the fact's ``key``, a yearly change): within a factor of 2 of its rate."""
    rate = -_v(fact_id, key)
    return Check(
        f"lit_price_{sector}",
        "literature",
        (fact_id,),
        f"yearly fall of the quality-adjusted price of {what} in the open baseline, 2018-2035",
        documented,
        *within_factor_two(rate),
        "a factor of 2 around the historical rate" + scope,
        open_world_price_decline(sector),
    )


def _v(fact_id: str, key=None):
    value = fact(fact_id).value
    return value if key is None else value[key]


def all_checks() -> list[Check]:
    inv = _v("cn_investment_us_aei")
    vc = _v("us_vc_china", "funding")
    pv = _v("pv_chain_cn")
    output = _v("hightech_output_2016")
    ics = _v("ic_insights_china_self_sufficiency")
    felbermayr = _v("felbermayr_blocs_2022")
    gartner = _v("it_spending_gartner")
    checks = [
        # ---------------------------------------------------------------- in-sample
        Check(
            "cal_investment_2017",
            "calibration",
            ("cn_investment_us_aei",),
            "Chinese investment in the US, 2017 (US$ bn, replay)",
            "23.4",
            inv[0],
            inv[0] / 1.5,
            inv[0] * 1.5,
            "fitted figure; within a factor 1.5, as investment trackers differ by up to 2x (Rhodium vs AEI)",
            annual_level("investment_cn_to_us", 2017),
        ),
        Check(
            "cal_investment_2018",
            "calibration",
            ("cn_investment_us_aei",),
            "Chinese investment in the US, 2018 (US$ bn, replay)",
            "9.9",
            inv[1],
            inv[1] / 1.5,
            inv[1] * 1.5,
            "as above",
            annual_level("investment_cn_to_us", 2018),
        ),
        Check(
            "cal_investment_2022",
            "calibration",
            ("cn_investment_us_aei",),
            "Chinese investment in the US, 2022 (US$ bn, replay)",
            "3.2",
            inv[2],
            inv[2] / 1.5,
            inv[2] * 1.5,
            "as above",
            annual_level("investment_cn_to_us", 2022),
        ),
        Check(
            "cal_coauthorship",
            "calibration",
            ("coauthor_nature",),
            "US-China research collaboration (basic research), 2022 over 2019 (replay)",
            "over -20 %",
            -_v("coauthor_nature"),
            -0.35,
            -0.15,
            "fitted to the bound; 'over 20 %' leaves room below, and the index measures intensity not counts",
            annual_change("collaboration_basic_research", 2022, 2019),
        ),
        Check(
            "cal_vc_2022",
            "calibration",
            ("us_vc_china",),
            "US investment into Chinese tech, 2022 over 2021 (replay)",
            "87 -> 46.3 bn: -47 %",
            vc[1] / vc[0] - 1.0,
            -0.65,
            -0.30,
            "fitted figure; within about 15 points",
            annual_change("investment_us_to_cn", 2022, 2021),
        ),
        Check(
            "cal_vc_2023",
            "calibration",
            ("us_vc_china",),
            "US investment into Chinese tech, 2023 over 2021 (replay)",
            "8.1 bn in Jan-Apr: about -72 % annualised",
            3 * vc[2] / vc[0] - 1.0,
            -0.90,
            -0.45,
            "fitted figure; four months annualised, so a wide band",
            annual_change("investment_us_to_cn", 2023, 2021),
        ),
        # ---------------------------------------------------------------- out-of-sample: replay
        Check(
            "val_exports_2022",
            "replay",
            ("us_hightech_exports_2022",),
            "US-made technology sales to China, 2022 over 2021",
            "-25.7 %",
            _v("us_hightech_exports_2022"),
            -0.45,
            -0.10,
            "one year of one trade series; the model has no business cycle, so only the size class is tested",
            annual_change("us_made_sales_to_cn", 2022, 2021),
        ),
        Check(
            "val_imports_2022",
            "replay",
            ("us_hightech_imports_2022",),
            "China-made technology sales to the US, 2022 over 2021",
            "-34.4 %",
            _v("us_hightech_imports_2022"),
            -0.50,
            -0.15,
            "one year of one trade series; the model has no business cycle, so only the size class is tested",
            annual_change("cn_made_sales_to_us", 2022, 2021),
        ),
        Check(
            "val_fdi_2018",
            "replay",
            ("cn_fdi_us_2018",),
            "Chinese direct investment in the US, 2018 over 2016 (Rhodium series)",
            "46.5 -> 5.4 bn: -88 %",
            _v("cn_fdi_us_2018", "change"),
            -0.95,
            -0.60,
            "a different source from the fitted AEI series; the two disagree by about 2x for 2018",
            annual_change("investment_cn_to_us", 2018, 2016),
        ),
        Check(
            "val_phone_leader",
            "replay",
            ("huawei_phones",),
            "world share of the largest listed Chinese phone maker, 2021 over 2019",
            "from 2nd to out of the top five",
            -0.6,
            -1.0,
            -0.5,
            "'most of its world share' within about two years: more than half lost",
            phone_leader_loss,
        ),
        Check(
            "con_telecom_2021",
            "consistency",
            ("huawei_telecom_2021",),
            "Chinese firms' share of world telecom equipment, 2021",
            "Huawei alone 28.7 %, ZTE fourth",
            _v("huawei_telecom_2021"),
            _v("huawei_telecom_2021"),
            0.6,
            "at least Huawei's share, as the home market kept Chinese equipment makers large; the 2018 "
            "starting share drew on the same figure, so this checks that listing and bans did not sink it",
            annual_level("cn_share_telecom", 2021),
            restates_start=True,
        ),
        Check(
            "con_pv_chain",
            "consistency",
            ("pv_chain_cn",),
            "Chinese firms' share of world PV sales, 2021",
            "69 % (polysilicon) to 93.7 % (wafers)",
            float(np.mean(list(pv.values()))),
            min(pv.values()),
            max(pv.values()),
            "the model has one PV sector; the documented stages span this range. The 2018 starting share "
            "comes from the same figure, so this checks that the replay keeps it in range",
            annual_level("cn_share_solar_pv", 2021),
            restates_start=True,
        ),
        Check(
            "con_us_pv_imports",
            "consistency",
            ("us_pv_imports",),
            "US self-sufficiency in PV, 2019",
            "88 % of modules imported: 12 % at home",
            1.0 - _v("us_pv_imports"),
            0.05,
            0.25,
            "modules only, while the model's sector spans the chain; the starting data drew on the same figure",
            annual_level("us_self_sufficiency_solar_pv", 2019),
            restates_start=True,
        ),
        Check(
            "val_ict_imports",
            "replay",
            ("us_ict_imports_cn",),
            "US purchases of China-made telecom equipment and AI/IT products, 2021 over 2016",
            "54 % of the 2016 level",
            _v("us_ict_imports_cn", "ratio_to_2016") - 1.0,
            -0.65,
            -0.25,
            "the documented category also holds computers and IT services, which faced fewer barriers",
            annual_change("cn_made_ict_sales_to_us", 2021, 2016),
        ),
        Check(
            "con_china_third",
            "consistency",
            ("china_third_of_us_tech",),
            "China's share of US logic-chip firms' sales at step 0 (2018 data)",
            "about a third",
            _v("china_third_of_us_tech"),
            0.20,
            0.45,
            "a chief executive's round figure; China's demand share for chips was set from it, "
            "so this checks the trade matrix built on that starting data",
            lambda ctx, seed: (
                ctx.run("baseline", seed, ("time.steps=1",), key="start").market.bilateral[
                    ctx.world.sector_index("logic_chips"), ctx.world.country_index("US"), ctx.world.country_index("CN")
                ]
                / ctx.run("baseline", seed, ("time.steps=1",), key="start").market.revenue[
                    ctx.world.sector_index("logic_chips"), ctx.world.country_index("US")
                ]
            ),
            restates_start=True,
        ),
        Check(
            "val_batteries",
            "replay",
            ("batteries_catl_byd",),
            "Chinese firms' share of world lithium-ion battery sales, 2021",
            "CATL and BYD alone over 70 %",
            _v("batteries_catl_byd"),
            0.65,
            0.95,
            "two firms over 70 %; other Chinese makers add a little",
            annual_level("cn_share_batteries", 2021),
        ),
        Check(
            "val_chip_manufacturing",
            "replay",
            ("us_chip_manufacturing_share",),
            "US share of world logic-chip production, 2020",
            "12 %",
            _v("us_chip_manufacturing_share")[1],
            0.06,
            0.20,
            "capacity vs output value; within a factor of about 2",
            annual_level("us_chip_production_share", 2020),
        ),
        Check(
            "con_output_us",
            "consistency",
            ("hightech_output_2016",),
            "US firms' share of world technology sales (model sectors but basic research), 2016",
            "31 %",
            output["US"],
            0.25,
            0.40,
            "the documented output covers other high-tech industries; the replay places the 2018 data at "
            "2016, and the 2018 shares of the model's sectors were set with the documented ones in view, so "
            "this checks the starting data",
            annual_level("us_share_tech", 2016),
            restates_start=True,
        ),
        Check(
            "con_output_cn",
            "consistency",
            ("hightech_output_2016",),
            "Chinese firms' share of world technology sales, 2016",
            "21 %",
            output["CN"],
            0.15,
            0.27,
            "as above",
            annual_level("cn_share_tech", 2016),
            restates_start=True,
        ),
        Check(
            "val_coauthorship_2019",
            "replay",
            ("coauthor_wos",),
            "US-China research collaboration, 2019 over 2018",
            "co-authored papers +11 % (counts)",
            _v("coauthor_wos", "over_2018"),
            -0.10,
            np.inf,
            "counts grow with all publishing (several % a year); the intensity index may fall a little, not collapse",
            annual_change("collaboration_basic_research", 2019, 2018),
        ),
        Check(
            "val_alliance_timing",
            "replay",
            ("alliance_2023",),
            "years from the US acting alone (Oct 2022) until the Netherlands and Japan apply a quarter of "
            "its chip-tool controls",
            "understanding early 2023, rules in force in 2023",
            1.0,
            0.25,
            1.5,
            "announced within months, in force within about a year",
            alliance_delay,
        ),
        Check(
            "val_apple_india",
            "replay",
            ("apple_india",),
            "growth of smartphone production in India, 2024 over 2023",
            "+60 % (Apple, Apr 2024-Mar 2025)",
            _v("apple_india", "growth"),
            0.3,
            1.0,
            "one firm's growth in one year",
            annual_change("india_phone_production", 2024, 2023),
        ),
        Check(
            "val_china_chips_2021",
            "replay",
            ("ic_insights_china_self_sufficiency",),
            "rise of China's self-sufficiency in logic chips in the replay, 2021 over 2018 (points)",
            "IC Insights: China-made ICs 15.3 % of China's IC market in 2018, 16.7 % in 2021: +1.4 points",
            *within_factor_two(100.0 * (ics["y2021"] - ics["y2018"])),
            "within a factor of 2 of the documented rise; the level differs in concept (chips made in China "
            "by any firm against Chinese firms' share of China's demand), so only the rise is compared",
            china_chip_self_sufficiency_rise,
        ),
        # ---------------------------------------------------------------- patterns
        Check(
            "cal_satellite",
            "calibration",
            ("itar_satellites",),
            "pattern: US share of the international market ten years after unilateral all-destination "
            "controls, with capable non-complying allies",
            "75 % -> 25 %: -67 %",
            -2 / 3,
            -0.80,
            -0.50,
            "'most of its share within about a decade'; the only figure on the size of an all-destination "
            "licence burden, so it is fitted",
            satellite_loss,
        ),
        Check(
            "pat_pv",
            "pattern",
            ("pv_trade_war_outcome",),
            "change of China's world PV share in the decade after US duties and tariffs",
            "barriers failed to stop China's share rising",
            0.05,
            0.0,
            np.inf,
            "rising or at least holding",
            pv_share_change,
        ),
        Check(
            "pat_ally_lag",
            "pattern",
            ("alliance_2023",),
            "years until allies reach half their three-year compliance once the US presses (selective)",
            "about a year of talks, then alignment",
            1.0,
            0.75,
            2.0,
            "about a year, give or take a few quarters",
            ally_lag,
        ),
        Check(
            "pat_ally_exposure",
            "pattern",
            ("ally_exposure_resists",),
            "change in Korea's compliance (small yard, 2030) when its firms' China exposure is raised",
            "more exposed allies comply less",
            -0.1,
            -np.inf,
            -0.05,
            "a clear fall, beyond noise",
            exposure_effect,
        ),
        Check(
            "pat_rd_falls",
            "pattern",
            ("lost_market_cuts_rd",),
            "US firms' R&D in the controlled sectors, selective decoupling vs baseline, 2030",
            "losing the China market cuts R&D",
            -0.2,
            -0.6,
            -0.05,
            "China is about a third of the market, so the loss is below that share but clearly negative",
            rd_change,
        ),
        Check(
            "pat_self_sufficiency",
            "pattern",
            ("decoupling_speeds_substitution",),
            "smallest rise of China's self-sufficiency across the controlled sectors, selective vs baseline, 2030",
            "self-sufficiency rises under controls",
            0.1,
            0.03,
            np.inf,
            "a rise in every controlled sector",
            smallest_gain,
        ),
        Check(
            "pat_hardest_slowest",
            "pattern",
            ("decoupling_speeds_substitution",),
            "rise of China's self-sufficiency in the hardest-to-catch-up controlled sector minus the smallest "
            "rise elsewhere (selective, its country-wide rules on the whole yard, 2030)",
            "slowest at the hardest chokepoints",
            0.0,
            -np.inf,
            0.0,
            "the hardest sector rises least",
            hardest_gain_gap,
        ),
        Check(
            "pat_welfare_order",
            "pattern",
            ("two_systems_welfare",),
            "smallest step in world welfare in money (US$ bn a year) baseline >= co-opetition >= selective "
            ">= full (2035)",
            "decoupling lowers welfare, the more the wider",
            0.0,
            0.0,
            np.inf,
            "the ordering holds",
            welfare_order,
        ),
        # ---------------------------------------------------------------- literature
        Check(
            "lit_chip_ban_share",
            "literature",
            ("sia_bcg_2020",),
            "US firms' world logic-chip share five years into a complete ban on US chip sales to Chinese "
            "buyers (unilateral, from 2019), minus the open baseline (points)",
            "SIA/BCG 2020, complete ban: -18 points",
            *within_factor_two(-_v("sia_bcg_2020", "ban_share_points")),
            "within a factor of 2 of the estimate: an industry model of all semiconductors (memory "
            "included) against the model's logic chips, over three to five years",
            chip_ban_share_points,
        ),
        Check(
            "lit_chip_ban_revenue",
            "literature",
            ("sia_bcg_2020",),
            "US logic-chip firms' revenue five years into a complete ban, over the open baseline",
            "SIA/BCG 2020, complete ban: -37 %",
            *within_factor_two(_v("sia_bcg_2020", "ban_revenue")),
            "within a factor of 2, as above",
            chip_ban_revenue,
        ),
        Check(
            "lit_escalation_share",
            "literature",
            ("sia_bcg_2020",),
            "US firms' world logic-chip share in the historical replay minus the same years without its "
            "events, 2024 (points)",
            "SIA/BCG 2020, restrictions continue and escalate: -8 points in three to five years",
            *within_factor_two(-_v("sia_bcg_2020", "escalation_share_points")),
            "within a factor of 2: the replay's escalation (Huawei, FDPR, October 2022, allies in 2023) "
            "is one reading of SIA/BCG's 'continue and escalate'",
            escalation_share_points,
        ),
        Check(
            "lit_escalation_revenue",
            "literature",
            ("sia_bcg_2020",),
            "US logic-chip firms' revenue in the historical replay over the same years without its events, 2024",
            "SIA/BCG 2020, restrictions continue and escalate: -16 %",
            *within_factor_two(_v("sia_bcg_2020", "escalation_revenue")),
            "within a factor of 2, as above",
            escalation_revenue,
        ),
        Check(
            "lit_world_cost",
            "literature",
            ("imf_tech_decoupling_2021",),
            "world GDP, full decoupling against the open baseline, 2035 (%)",
            "IMF WP/21/69, technological decoupling with lost diffusion of ideas, whole economy, long run: "
            "'in the order of' 5 % of GDP for many economies",
            *within_factor_two(-100.0 * _v("imf_tech_decoupling_2021")),
            "a factor of 2 around the point estimate; the same scope (technology decoupling), but the IMF's "
            "ideas reach every sector's productivity, the model's only through the price of technology",
            world_gdp_cost,
        ),
        Check(
            "lit_china_loses_more",
            "literature",
            ("felbermayr_blocs_2022",),
            "China's welfare loss over the US's, both in % of GDP, full decoupling against the open baseline, "
            "2035 (ratio)",
            "Felbermayr et al. 2022, all trade, long run (GTAP): East -3.9 %, West -1.3 % of real income: a ratio of 3",
            *within_factor_two(felbermayr["east"] / felbermayr["west"]),
            "a factor of 2 around the ratio: the side cut off from more partners loses the larger share; the "
            "ratio, not the levels, because the estimate covers all trade",
            china_over_us_loss,
        ),
        Check(
            "lit_third_loses",
            "literature",
            ("wto_two_blocs_2022",),
            "third countries' welfare in money, full decoupling against the open baseline, 2035 (% of GDP)",
            "WTO 2022, all trade with sectoral diffusion of ideas, 2040: world income -5 % (low-income regions "
            "up to -12 %)",
            *within_factor_two(-100.0 * _v("wto_two_blocs_2022")),
            "a factor of 2 around the world average; the estimate covers all trade, the model the technology "
            "sectors (a few % of spending), so the model is expected below it unless technology is most of "
            "the cost",
            third_cost,
        ),
        Check(
            "lit_bystander_chips",
            "literature",
            ("bcg_sia_2021_self_sufficiency",),
            "rise of the quality-adjusted price of logic chips for EU buyers, full decoupling against the open "
            "baseline, 2035 (share)",
            "BCG/SIA 2021, semiconductors: every region fully self-sufficient, +35 to +65 %",
            _v("bcg_sia_2021_self_sufficiency", "price_rise_low") / 2.0,
            0.0,
            _v("bcg_sia_2021_self_sufficiency", "price_rise_low"),
            "a rise, below the published range's low end: the EU does not decouple and still buys from both "
            "blocs, so it should pay less than if every region made every chip itself",
            bystander_chip_price,
        ),
        price_check(
            "ai_compute",
            "AI compute",
            "gpu_price_performance_epoch",
            "price_per_year",
            "Epoch AI, GPUs 2006-2021: compute per dollar doubles every 2.46 years, -24.6 % a year",
            " (hardware only; the sector also holds software and cloud)",
        ),
        price_check(
            "telecom",
            "telecom equipment",
            "comm_equipment_prices_byrne_corrado",
            "since_1985",
            "Byrne and Corrado 2015, US communications equipment since 1985: -9.8 % a year",
        ),
        price_check(
            "solar_pv",
            "PV",
            "pv_cost_decline_irena",
            "per_year",
            "IRENA, crystalline-silicon modules 2009-2019: -90 %, -20.6 % a year",
            " (modules; the sector spans the chain)",
        ),
        price_check(
            "batteries",
            "batteries",
            "battery_pack_prices_bnef",
            "per_year_2010_2020",
            "BloombergNEF, lithium-ion packs 2010-2020: -18.8 % a year",
        ),
        Check(
            "lit_spending_share",
            "literature",
            ("it_spending_gartner",),
            "the modelled sectors' share of world GDP in the open baseline, 2024 over 2018 (rise)",
            "Gartner, world IT spending: 4.3 % of world GDP in 2018, 4.8 % in 2024: +12 %",
            *within_factor_two(gartner["share_gdp_2024"] / gartner["share_gdp_2018"] - 1.0),
            "a factor of 2 around the documented rise: technology spending grows faster than income, but not "
            "much faster",
            spending_share_rise,
        ),
    ]
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids))
    return sorted(checks, key=lambda c: KINDS.index(c.kind))
