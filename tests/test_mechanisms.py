"""Each mechanism in isolation: a small hand-made world where the expected effect is known.

The small world has one sector ("gadgets") with US, Japanese and Chinese firms; buyers in the
US, China, Japan, India and the rest of the world. Noise and political shocks are off.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from decouple import DecouplingModel
from decouple.groups import Groups
from decouple.mechanisms import (
    ally_compliance,
    coopetition,
    countermeasures,
    export_controls,
    innovation,
    knowledge,
    market,
    reshoring,
)

from .conftest import run_steps, small_model, world_variant

CONTROLS = ["policy.yard=gadgets", "policy.fence=1.0", "policy.licence_approval=0.0", "policy.country_wide=gadgets"]


def sales(model, seller, buyer, sector=0):
    return float(model.market.bilateral[sector, model.world.country_index(seller), model.world.country_index(buyer)])


# ---------------------------------------------------------------- M1 export controls


def test_binding_by_role():
    role = np.array(["controller", "ally", "ally", "third", "target"])
    compliance = np.array([0.0, 0.3, 0.3, 0.0, 0.0])
    content = np.array([1.0, 0.1, 0.6, 0.6, 0.0])
    reach = export_controls.fdpr_bound(content, 0.25)
    bind = export_controls.firm_binding(role, compliance, reach, np.ones(5))
    assert bind[0] == 1.0  # US firms are always bound
    assert bind[1] == pytest.approx(0.3)  # ally below de minimis: its government's compliance
    assert bind[2] == pytest.approx(1.0)  # ally above de minimis: FDPR binds
    assert bind[3] == pytest.approx(1.0)  # third country above de minimis: FDPR binds
    assert bind[4] == 0.0  # Chinese firms never
    none = export_controls.firm_binding(role, compliance, reach, np.zeros(5))
    assert not none.any()  # nothing binds outside controlled sectors


def test_entity_list_grows_to_its_ceiling():
    assert export_controls.entity_list_coverage(0.1, 0.1, 0.5, -1) == 0.0
    assert export_controls.entity_list_coverage(0.1, 0.1, 0.5, 2.0) == pytest.approx(0.3)
    assert export_controls.entity_list_coverage(0.1, 0.1, 0.5, 10.0) == pytest.approx(0.5)


def test_embargo_stops_us_sales_to_china_at_once(small_world):
    open_world = run_steps(small_model(small_world), 1)
    embargo = run_steps(small_model(small_world, CONTROLS), 1)
    assert sales(open_world, "US", "CN") > 1.0
    assert sales(embargo, "US", "CN") == pytest.approx(0.0, abs=1e-9)
    assert sales(embargo, "US", "IN") > 0  # only covered Chinese buyers are refused


def test_sub_threshold_variant_keeps_some_sales(small_world):
    fence_half = run_steps(
        small_model(
            small_world,
            CONTROLS[:1] + ["policy.fence=0.5", "policy.licence_approval=0.0", "policy.country_wide=gadgets"],
        ),
        8,
    )
    embargo = run_steps(small_model(small_world, CONTROLS), 8)
    open_world = run_steps(small_model(small_world), 8)
    assert sales(embargo, "US", "CN") < sales(fence_half, "US", "CN") < sales(open_world, "US", "CN")


def test_licences_soften_controls(small_world):
    strict = run_steps(small_model(small_world, CONTROLS), 4)
    licensed = run_steps(small_model(small_world, CONTROLS + ["policy.licence_approval=0.8"]), 4)
    assert sales(strict, "US", "CN") < sales(licensed, "US", "CN")


def test_denied_chokepoints_cut_chinese_effective_capability(small_world):
    controlled = run_steps(small_model(small_world, CONTROLS), 1)
    f = controlled.firms
    cn = f.country == small_world.country_index("CN")
    assert np.all(f.denial[cn] > 0.15)
    assert np.allclose(f.effective_capability[cn], f.capability[cn] * (1 - f.denial[cn]))
    assert not f.denial[~cn].any()
    open_world = run_steps(small_model(small_world), 1)
    assert not open_world.firms.denial.any()


def test_entity_list_lists_largest_chinese_firms_first(small_world):
    m = run_steps(
        small_model(
            small_world,
            [
                "policy.yard=gadgets",
                "policy.fence=0.8",
                "policy.entity_list_initial=0.5",
                "policy.entity_list_sectors=gadgets",
            ],
        ),
        1,
    )
    f = m.firms
    cn = np.flatnonzero(f.country == small_world.country_index("CN"))
    listed, unlisted = cn[f.listed[cn]], cn[~f.listed[cn]]
    assert len(listed) >= 1 and len(unlisted) >= 1  # a half-covered list: some listed, some not
    assert f.revenue[listed].min() >= f.revenue[unlisted].max()
    # and the listed ones are the fewest that reach the coverage, largest first
    share = np.sort(f.revenue[cn])[::-1].cumsum() / f.revenue[cn].sum()
    assert len(listed) == int(np.searchsorted(share, 0.5 - 1e-12)) + 1


# ---------------------------------------------------------------- M5 ally compliance


class W:
    weight_pressure, weight_security, weight_trust, weight_peer = 4.0, 2.0, 2.0, 1.5
    weight_exposure, weight_autonomy, weight_retaliation, bias = 8.0, 2.0, 1.0, -4.0


def target(**kw):
    args = dict(
        pressure=1.0,
        security=0.7,
        trust=0.5,
        peers=0.5,
        exposure=0.2,
        autonomy=0.5,
        retaliation=0.0,
        willingness=0.0,
        weights=W,
    )
    args.update(kw)
    return float(ally_compliance.target_compliance(**args))


def test_compliance_target_responds_to_each_driver():
    base = target()
    assert 0 < base < 1
    assert target(exposure=0.5) < base < target(exposure=0.0)  # China exposure lowers compliance
    assert target(pressure=0.0) < base  # US pressure raises it
    assert target(security=1.0) > base and target(trust=1.0) > base and target(peers=1.0) > base
    assert target(autonomy=1.0) < base and target(retaliation=1.0) < base
    assert target(willingness=-10) < 0.01  # a refusing ally


def test_compliance_has_inertia():
    assert ally_compliance.adjust(np.array([0.0]), np.array([1.0]), 0.25)[0] == pytest.approx(0.25)


def test_allies_wait_for_the_negotiation_lag(small_world):
    m = small_model(small_world, CONTROLS + ["policy.ally_pressure=1.0", "allies.negotiation_lag=4"])
    jp = small_world.country_index("JP")
    path = [run_steps(m, 1).relations.compliance[jp, 0] for _ in range(12)]
    assert max(path[:4]) < 0.02  # nothing while the US negotiates (first four quarters)
    assert path[11] > 5 * max(path[4], 0.01) and path[11] > 0.2


def test_exposed_ally_complies_less(small_world):
    exposed = world_variant(
        small_world, china_trade_affinity=np.where(np.array(small_world.countries) == "JP", 1.5, 0.0)
    )
    settings = CONTROLS + ["policy.ally_pressure=1.0"]
    jp = small_world.country_index("JP")
    normal = run_steps(small_model(small_world, settings), 16)
    high = run_steps(small_model(exposed, settings), 16)
    assert (
        high.market.china_exposure[jp, 0] > normal.market.china_exposure[jp, 0]
        or high.relations.compliance[jp, 0] < normal.relations.compliance[jp, 0]
    )
    assert high.relations.compliance[jp, 0] < normal.relations.compliance[jp, 0] - 0.05


# ---------------------------------------------------------------- M6 market substitution


def test_reallocate_drops_banned_supplier_and_keeps_shares_summing_to_one():
    shares = np.array([[0.5], [0.3], [0.2]])
    attract = shares.copy()
    avail = np.array([[0.0], [1.0], [1.0]])
    sector = np.zeros(3, dtype=int)
    new = market.reallocate(shares, attract * avail, avail, np.full(3, 0.2), sector, Groups.of_sectors(sector, 1))
    assert new[0, 0] == 0.0
    assert new.sum() == pytest.approx(1.0)
    assert new[1, 0] / new[2, 0] == pytest.approx(0.3 / 0.2)  # spread over remaining suppliers


def test_buyers_move_gradually_toward_better_products():
    shares = np.array([[0.5], [0.5]])
    attract = np.array([[0.9], [0.1]])
    sector = np.zeros(2, dtype=int)
    new = market.reallocate(shares, attract, np.ones((2, 1)), np.full(2, 0.25), sector, Groups.of_sectors(sector, 1))
    assert 0.5 < new[0, 0] < 0.9
    assert new[0, 0] == pytest.approx(0.75 * 0.5 + 0.25 * 0.9)


def test_unilateral_controls_hand_the_market_to_the_ally(small_world):
    settings = CONTROLS[:1] + ["policy.fence=0.6", "policy.licence_approval=0.0", "policy.country_wide=gadgets"]
    allied = run_steps(small_model(small_world, settings + ["policy.ally_pressure=1.0", "allies.bias=4.0"]), 40)
    alone = run_steps(small_model(small_world, settings + ["policy.ally_pressure=0.0"]), 40)
    us, jp = small_world.country_index("US"), small_world.country_index("JP")
    assert allied.relations.compliance[jp, 0] > 0.8 and alone.relations.compliance[jp, 0] < 0.2
    assert alone.market.market_share[0, us] < allied.market.market_share[0, us]
    assert alone.market.market_share[0, jp] > allied.market.market_share[0, jp]


def test_licence_burden_and_supply_risk_push_buyers_away_from_bound_suppliers(small_world):
    """Buyers abroad shun products bound by US controls for the licences they would need (S2 三(一):
    chains de-Americanise): on everything they buy where the rules cover all destinations
    (ITAR-style), and where the rules cover China, in proportion to what their country sells on to
    China. In the small world Japan's firms sell a quarter of their output to China and India makes
    nothing, so China-only rules burden Japanese buyers and not Indian ones. Chinese buyers avoid
    bound suppliers for supply risk."""
    # entity-list controls (covering 20 % of Chinese buyers) with the ally not complying
    settings = ["policy.yard=gadgets", "policy.fence=0.6", "policy.entity_list_initial=0.2"]
    no_risk = ["market.china_supply_risk=0"]
    china_only = run_steps(small_model(small_world, settings + no_risk + ["market.licence_burden=1.0"]), 12)
    china_only_free = run_steps(small_model(small_world, settings + no_risk + ["market.licence_burden=0"]), 12)
    everywhere = settings + no_risk + ["policy.all_destinations=gadgets"]
    burden = run_steps(small_model(small_world, everywhere + ["market.licence_burden=1.0"]), 12)
    no_burden = run_steps(small_model(small_world, everywhere + ["market.licence_burden=0"]), 12)
    risk = run_steps(
        small_model(small_world, settings + ["market.licence_burden=1.0", "market.china_supply_risk=1.0"]), 12
    )

    def us_share_of(model, buyer):
        col = model.market.bilateral[0, :, small_world.country_index(buyer)]
        return col[small_world.country_index("US")] / col.sum()

    assert us_share_of(burden, "IN") < us_share_of(no_burden, "IN") - 0.02  # the 'ITAR-free' premium abroad
    assert us_share_of(burden, "US") == pytest.approx(us_share_of(no_burden, "US"), abs=0.02)
    # China-only rules: a burden where buyers' countries sell on to China, none where they do not
    assert us_share_of(china_only, "JP") < us_share_of(china_only_free, "JP") - 0.01
    assert us_share_of(china_only, "IN") == pytest.approx(us_share_of(china_only_free, "IN"), abs=0.005)
    wedge = market.policy_wedges(china_only)
    bound = china_only.firms.binding > 0
    assert bound.any()
    assert (wedge[bound, small_world.country_index("JP")] < 0).all()
    assert (wedge[bound, small_world.country_index("IN")] == 0).all()
    assert us_share_of(risk, "CN") < us_share_of(china_only, "CN") - 0.02  # supply risk in China
    assert us_share_of(risk, "IN") == pytest.approx(us_share_of(china_only, "IN"), abs=0.02)


def test_fdpr_bound_firms_design_out_us_content(small_world):
    settings = CONTROLS[:1] + [
        "policy.fence=0.6",
        "policy.country_wide=gadgets",
        "policy.fdpr=gadgets",
        "policy.licence_approval=0.0",
    ]
    m = run_steps(small_model(small_world, settings), 24)
    jp = m.firms.country == small_world.country_index("JP")
    assert np.all(m.firms.us_content[jp] < m.firms.us_content0[jp] * 0.9)
    no_fdpr = run_steps(small_model(small_world, CONTROLS[:1] + ["policy.fence=0.6"]), 24)
    assert np.allclose(no_fdpr.firms.us_content[jp], no_fdpr.firms.us_content0[jp])


# ---------------------------------------------------------------- M3 barriers, M4 reshoring


def test_procurement_ban_closes_us_market_to_chinese_firms(small_world):
    m = run_steps(small_model(small_world, ["policy.procurement_ban=1.0", "policy.ban_sectors=gadgets"]), 1)
    assert sales(m, "CN", "US") == pytest.approx(0.0, abs=1e-12)
    assert sales(m, "CN", "IN") > 0


def test_tariff_cuts_chinese_sales_in_us_and_moves_assembly_to_third_countries(small_world):
    tariff = ["policy.tariff=0.5", "policy.tariff_sectors=gadgets"]
    taxed = run_steps(small_model(small_world, tariff), 20)
    free = run_steps(small_model(small_world), 20)
    assert sales(taxed, "CN", "US") < 0.7 * sales(free, "CN", "US")
    prod_taxed = reshoring.production_by_location(taxed)[0]
    prod_free = reshoring.production_by_location(free)[0]
    c = small_world.country_index
    assert prod_taxed[c("IN")] > prod_free[c("IN")] + 1.0  # to the friend-shoring host
    assert prod_taxed[c("US")] <= prod_free[c("US")] + 1e-9  # not home: no domestic alternative


def test_reshoring_subsidy_moves_production_home_and_diverts_rd(small_world):
    subsidy = ["policy.reshoring_subsidy=5.0", "policy.reshoring_sectors=gadgets"]
    paid = run_steps(small_model(small_world, subsidy), 12)
    none = run_steps(small_model(small_world), 12)
    us = paid.firms.country == small_world.country_index("US")
    assert paid.firms.loc_cn[us].mean() < 0.5 * none.firms.loc_cn[us].mean()
    assert paid.firms.rd[us].sum() < none.firms.rd[us].sum()
    assert paid.firms.cost[us].mean() > none.firms.cost[us].mean()


# ---------------------------------------------------------------- M7 import replacement, innovation


def test_catch_up_slows_near_frontier_and_with_difficulty():
    far = innovation.catch_up(0.5, 1.0, 0.1, 0.5, 1.0)
    near = innovation.catch_up(0.95, 1.0, 0.1, 0.5, 1.0)
    at = innovation.catch_up(1.0, 1.0, 0.1, 0.5, 1.0)
    hard = innovation.catch_up(0.5, 1.0, 0.1, 0.9, 1.0)
    assert far > near > at == 0.0
    assert hard < far


def test_effort_follows_rd_and_is_capped():
    e = innovation.effort(np.array([0.5, 1.0, 4.0]), np.ones(3), 0.25, 1.2)
    assert e[0] < e[1] < e[2]
    assert e[1] == pytest.approx(1.0) and e[2] == pytest.approx(1.2)


def test_open_world_keeps_2018_positions_where_no_catch_up_is_set(small_world):
    m = run_steps(small_model(small_world), 40)
    f = m.firms
    relative0 = f.capability0 / 1.0
    relative = f.capability / m.firms.frontier[f.sector]
    assert np.allclose(relative, relative0, atol=0.03)


def test_the_open_world_moves_china_toward_its_documented_2035_position(world):
    """In the baseline China catches up (S0 中美科技关系嬗变; S2 二; S3 2.1): its best firm moves at
    least half-way to the sector's ``china_capability_2035`` (on top of it comes its rising R&D
    effort), while the leaders keep their 2018 distance to the frontier."""
    start, end = DecouplingModel("baseline", seed=0, world=world), DecouplingModel("baseline", seed=0, world=world)
    end.run()
    cn = world.country_index("CN")

    def china(m):
        return m.firms.best_by_country(m.firms.capability)[:, cn] / m.firms.frontier

    before, after = china(start), china(end)
    target = np.minimum(world.china_capability_2035, 1.0)  # (the frontier is China's own where it leads)
    behind = before < target - 0.02
    assert behind.sum() >= 6
    assert np.all(after[behind] >= before[behind] + 0.5 * (target - before)[behind])
    us = world.country_index("US")
    leaders = end.firms.best_by_country(end.firms.capability)[:, us] / end.firms.frontier
    assert np.all(leaders[world.market_share[:, us] > 0.3] > 0.9)  # the US keeps its lead where it had one


def test_fdpr_reaches_products_made_with_us_tools_for_years(world):
    """FDPR's long arm (S1 一(一)): a Taiwanese chip maker bound by the rule designs its US content
    out within a few years, but the US tools and design software it makes its chips with go only as
    fast as those chokepoints can be replaced (M7's difficulty), so the rule keeps binding it."""
    m = DecouplingModel("selective_decoupling", seed=0, world=world)
    j, tw = world.sector_index("logic_chips"), world.country_index("TW")
    rows = (m.firms.sector == j) & (m.firms.country == tw)
    for _ in range(40):  # to 2028
        m.step()
    f = m.firms
    assert np.all(f.us_content[rows] < m.params.policy.de_minimis)  # content designed out
    assert np.all(f.us_tools[rows] > 0.5 * f.us_tools0[rows])  # tools still there
    assert np.all(f.fdpr_reach[rows] > 0.99)  # still bound
    assert np.all(f.tools_ease[rows] < 0.35)  # EDA and deposition/etch tools are hard to replace
    # through their US content alone the same firms would be free of the rule
    content_only = export_controls.us_origin_bound(f.us_content[rows], np.zeros(rows.sum()), m.params.policy.de_minimis)
    assert np.all(content_only < 0.01)


def test_controls_raise_chinese_self_sufficiency_and_support(small_world):
    controlled = run_steps(
        small_model(
            small_world,
            CONTROLS[:1] + ["policy.fence=0.6", "policy.country_wide=gadgets", "policy.licence_approval=0.0"],
        ),
        20,
    )
    open_world = run_steps(small_model(small_world), 20)
    cn = small_world.country_index("CN")
    assert controlled.market.self_sufficiency[0, cn] > open_world.market.self_sufficiency[0, cn] + 0.2
    assert controlled.relations.china_bind[0] > 0.3 and open_world.relations.china_bind[0] == 0
    is_cn = controlled.firms.country == cn
    assert controlled.firms.subsidy[is_cn].sum() > 5 * open_world.firms.subsidy[is_cn].sum()
    assert controlled.relations.substitution[0] > open_world.relations.substitution[0]


def test_substitution_slowest_for_hardest_inputs(small_world):
    import copy

    hard = copy.deepcopy(small_world)
    cp = hard.chokepoints[0]
    hard.chokepoints = [cp, type(cp)(cp.sector, "hard", cp.holders, cp.weight / 2, 0.95, cp.governed_by, "test")]
    m = run_steps(small_model(hard, CONTROLS), 20)
    assert m.relations.substitution[1] < 0.5 * m.relations.substitution[0]


def test_losing_revenue_cuts_rd_and_growth(small_world):
    controlled = run_steps(small_model(small_world, CONTROLS), 40)
    open_world = run_steps(small_model(small_world), 40)
    us_c = controlled.firms.country == small_world.country_index("US")
    assert controlled.firms.revenue[us_c].sum() < 0.85 * open_world.firms.revenue[us_c].sum()
    assert controlled.firms.rd[us_c].sum() < 0.85 * open_world.firms.rd[us_c].sum()
    assert controlled.firms.capability[us_c].max() < open_world.firms.capability[us_c].max()


# ---------------------------------------------------------------- M2 capital


def test_screening_collapses_inbound_investment_within_three_years(small_world):
    m = small_model(small_world, ["policy.inbound_screening=0.9"])
    start = m.relations.investment_in_us
    run_steps(m, 12)
    target = start * 0.1
    assert m.relations.investment_in_us - target < 0.1 * (start - target)


def test_outbound_ban_cuts_us_funding_of_chinese_rd(small_world):
    banned = run_steps(
        small_model(small_world, ["policy.outbound_restriction=1.0", "policy.outbound_sectors=gadgets"]), 12
    )
    open_world = run_steps(small_model(small_world), 12)
    cn = banned.firms.country == small_world.country_index("CN")
    assert banned.firms.investment_rd[cn].sum() < 0.2 * open_world.firms.investment_rd[cn].sum()
    assert banned.relations.capital_access[0] < open_world.relations.capital_access[0]


# ---------------------------------------------------------------- M8 standards


def test_ecosystem_split_hurts_third_countries(small_world):
    split = run_steps(small_model(small_world, ["policy.standards_split=1.0", "standards.adjustment_rate=0.5"]), 8)
    open_world = run_steps(small_model(small_world), 8)
    assert split.relations.split[0] > 0.9
    for code in ("IN", "ROW", "US", "CN"):
        assert (
            split.market.welfare[small_world.country_index(code)]
            < open_world.market.welfare[small_world.country_index(code)]
        )


# ---------------------------------------------------------------- M9 knowledge, M10 co-opetition


def test_academic_restrictions_cut_collaboration_and_hurt_both_sides(small_world):
    restricted = run_steps(
        small_model(
            small_world,
            ["policy.academic_restriction=0.8", "policy.academic_sectors=gadgets", "knowledge.adjustment_rate=0.5"],
        ),
        20,
    )
    open_world = run_steps(small_model(small_world), 20)
    assert restricted.relations.collaboration[0] < 0.3
    assert knowledge.talent_access(restricted)[restricted.firms.country == 0].max() < 1.0
    best_r, best_o = (
        restricted.firms.best_by_country(restricted.firms.capability),
        open_world.firms.best_by_country(open_world.firms.capability),
    )
    assert best_r[0, small_world.country_index("US")] < best_o[0, small_world.country_index("US")]
    assert best_r[0, small_world.country_index("CN")] < best_o[0, small_world.country_index("CN")]


def test_trust_builds_with_collaboration_and_erodes_with_hostility():
    # build closes a share of the gap to full trust; erosion takes a share of what is left
    assert coopetition.trust_step(0.5, 1.0, 0.0, 0.1, 0.1) == pytest.approx(0.5 + 0.1 * 1.0 * 0.5)
    assert coopetition.trust_step(0.5, 0.0, 1.0, 0.1, 0.1) == pytest.approx(0.5 - 0.1 * 1.0 * 0.5)
    assert coopetition.trust_step(0.5, 0.5, 0.5, 0.1, 0.1) == pytest.approx(0.5)  # the two balance
    # half the activity builds half as fast
    gain = coopetition.trust_step(0.2, 0.5, 0.0, 0.2, 0.0) - 0.2
    assert gain == pytest.approx(0.5 * (coopetition.trust_step(0.2, 1.0, 0.0, 0.2, 0.0) - 0.2))


def test_shock_exposure_lower_when_collaborating_in_low_risk_sectors():
    benefit, risk = np.array([0.9, 0.3]), np.array([0.1, 0.9])
    safe = coopetition.shock_exposure(benefit, risk, np.array([1.0, 0.0]))
    risky = coopetition.shock_exposure(benefit, risk, np.array([0.0, 1.0]))
    assert safe < risky


def test_programmes_shield_collaboration_from_the_chill():
    chilled = knowledge.collaboration_target(np.zeros(1), 0.2, 0.6, 1.0, np.zeros(1))
    shielded = knowledge.collaboration_target(np.zeros(1), 0.2, 0.6, 1.0, np.full(1, 0.8))
    assert chilled[0] == pytest.approx(0.6) and shielded[0] > chilled[0] and shielded[0] <= 1.0


def test_political_shocks_lower_trust(small_world):
    calm = run_steps(small_model(small_world), 20)
    shocked = run_steps(
        small_model(small_world, ["coopetition.shock_probability=1.0", "coopetition.shock_size=0.2"]), 20
    )
    assert shocked.relations.shocks > 0 and calm.relations.shocks == 0
    assert shocked.relations.trust < calm.relations.trust


# ---------------------------------------------------------------- M12 counter-measures


def test_countermeasures_follow_sanctions_and_hit_us_firms(small_world):
    settings = CONTROLS[:1] + [
        "policy.fence=0.6",
        "policy.licence_approval=0.0",
        "policy.country_wide=gadgets",
        "china.us_share_cap=0.1",
        "china.countermeasure_responsiveness=2.0",
    ]
    m = run_steps(small_model(small_world, settings), 16)
    quiet = run_steps(small_model(small_world, settings + ["china.countermeasure_responsiveness=0.0"]), 16)
    assert m.relations.countermeasures > 0.5 and quiet.relations.countermeasures == 0
    us = m.firms.country == small_world.country_index("US")
    assert m.firms.cost[us].mean() > quiet.firms.cost[us].mean()  # material controls
    cn_demand = m.market.bilateral[0, :, small_world.country_index("CN")]
    assert cn_demand[small_world.country_index("US")] / cn_demand.sum() <= countermeasures.us_share_cap(m) + 1e-9


# ---------------------------------------------------------------- the package's table


def test_the_mechanism_table_lists_every_module_as_its_docstring_names_it():
    import decouple.mechanisms as package

    modules = sorted(p.stem for p in Path(package.__file__).parent.glob("*.py") if p.stem != "__init__")
    rows = package.table().splitlines()[2:]
    assert sorted(row.split(" | ")[0].strip("| ") for row in rows) == modules
    assert package.table() in (package.__doc__ or ""), "refresh the table in mechanisms/__init__.py from table()"
    for row, module in ((row, row.split(" | ")[0].strip("| ")) for row in rows):
        doc = importlib.import_module(f"decouple.mechanisms.{module}").__doc__ or ""
        assert row.split(" | ")[1].rstrip(" |") in " ".join(doc.split()), module


def test_the_mechanism_table_notices_a_module_it_lacks(tmp_path, monkeypatch):
    import decouple.mechanisms as package

    for path in Path(package.__file__).parent.glob("*.py"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "talent.py").write_text('"""M17 Visa limits — researchers who cannot move."""\n', encoding="utf-8")
    monkeypatch.setattr(package, "_HERE", tmp_path)
    assert "| talent | M17 Visa limits |" in package.table()
    assert package.table() not in (package.__doc__ or "")
