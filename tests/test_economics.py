"""The economics a referee checks: welfare valued at buyers' true preferences, a world economy that
responds, the ACR cross-check, and costs where the evidence puts them (issue 18)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from decouple import DecouplingModel
from decouple.mechanisms import accounts, capital, economy, knowledge, market, standards
from decouple.mechanisms.market import expected_true_utility

# ---------------------------------------------------------------- welfare at true preferences


def test_two_firm_market_solved_by_hand():
    """Two suppliers that buyers value equally (true utility 0 each). Undistorted, logit buyers
    split 1/2-1/2 and their expected utility is the inclusive value log 2 (Small & Rosen). A wedge
    of log 3 in favour of the second (a buy-domestic push) moves them to 1/4-3/4; valued at their
    true preferences they get 1/4 (0 - log 1/4) + 3/4 (0 - log 3/4) = 0.5623, a deadweight loss of
    log 2 - 0.5623 = 0.1308 utility units."""
    true_attract = np.array([[1.0], [1.0]])
    open_choice = np.array([[0.5], [0.5]])
    pushed = np.array([[0.25], [0.75]])
    assert expected_true_utility(open_choice, true_attract).sum() == pytest.approx(np.log(2.0), abs=1e-12)
    valued = expected_true_utility(pushed, true_attract).sum()
    assert valued == pytest.approx(0.25 * np.log(4.0) + 0.75 * np.log(4.0 / 3.0), abs=1e-12)
    assert valued == pytest.approx(0.5623351, abs=1e-6)
    assert np.log(2.0) - valued == pytest.approx(0.1308121, abs=1e-6)
    # valued at the pushed utility instead (the old accounting), the push would look like a gain
    decision = np.array([[1.0], [3.0]])
    old_accounting = expected_true_utility(pushed, decision).sum()
    assert old_accounting == pytest.approx(np.log(4.0))
    assert old_accounting > np.log(2.0)


def test_any_share_but_the_true_logit_loses_welfare():
    """Gibbs' inequality: at true attractiveness A, the shares A / sum(A) give the most; any
    other split (a wedge, a cap, inertia) gives less, by the Kullback-Leibler divergence."""
    rng = np.random.default_rng(7)
    for _ in range(50):
        a = rng.uniform(0.1, 3.0, size=(4, 1))
        best = expected_true_utility(a / a.sum(), a).sum()
        assert best == pytest.approx(np.log(a.sum()))
        other = rng.dirichlet(np.ones(4))[:, None]
        kl = float((other * np.log(other / (a / a.sum()))).sum())
        assert expected_true_utility(other, a).sum() == pytest.approx(best - kl)
        assert expected_true_utility(other, a).sum() <= best + 1e-12


def test_welfare_values_choices_without_the_wedges():
    """What buyers choose by is their true attractiveness times the policy wedges (China's
    buy-domestic and home-absorption pushes, the licence burden, supply risk, bloc preference); the
    consumer surplus values the same purchases at the true attractiveness, so in China's bound
    sectors the push to home firms is a deadweight loss against what undistorted buyers would get."""
    model = DecouplingModel("selective_decoupling", seed=1, params={"time.steps": 12}).run()
    attract, _, wedge = market.attractiveness(model)
    assert wedge is not None and wedge.any()
    np.testing.assert_array_equal(wedge, market.policy_wedges(model))
    true_attract = attract * np.exp(-wedge)
    f, cn = model.firms, model.layout.cn
    bound = model.relations.china_bind > 0
    assert bound.any()
    column = slice(cn, cn + 1)
    pushed = market.normalise_by_sector(attract, f.groups, f.sector)[:, column]
    undistorted = market.normalise_by_sector(true_attract, f.groups, f.sector)[:, column]
    valued_pushed = f.by_sector(expected_true_utility(pushed, attract[:, column], wedge[:, column]))[:, 0]
    valued_open = f.by_sector(expected_true_utility(undistorted, true_attract[:, column]))[:, 0]
    assert (valued_pushed[bound] < valued_open[bound]).all()
    # the accounts use exactly this valuation: the surplus the model recorded (US buyers: one segment)
    us = model.layout.us
    recorded = f.by_sector(expected_true_utility(f.shares, model.market.attractiveness, model.market.wedge))
    np.testing.assert_allclose(recorded[:, us] / model.world.price_sensitivity, model.market.surplus[:, us], atol=1e-12)


# ---------------------------------------------------------------- the cross-check (ACR)


def test_gains_from_trade_solved_by_hand():
    """One sector, spending 100, domestic share 0.8, trade elasticity 4: the gains from trade over
    autarky are -100 log(0.8) / 4 = 5.579 (ACR 2012); a country with no firms in the sector is
    left out."""
    model = SimpleNamespace(
        market=SimpleNamespace(spending=np.array([[100.0, 50.0]]), self_sufficiency=np.array([[0.8, 0.0]])),
        layout=SimpleNamespace(self_sufficiency0=np.array([[0.7, 0.0]])),
        world=SimpleNamespace(trade_elasticity=np.array([4.0])),
    )
    gains = accounts.gains_from_trade(model)
    assert gains[0] == pytest.approx(-100.0 * np.log(0.8) / 4.0)
    assert gains[0] == pytest.approx(5.5786, abs=1e-4)
    assert gains[1] == 0.0


# ---------------------------------------------------------------- the economy responds


@pytest.fixture(scope="module")
def runs():
    """Baseline and policy runs, 2030 and 2035, seeds 1 and 2 (cached for the module)."""
    cache: dict = {}

    def get(scenario: str, seed: int, year: int = 2035, **params) -> DecouplingModel:
        key = (scenario, seed, year, tuple(sorted(params.items())))
        if key not in cache:
            steps = int((year - 2018) * 4)
            cache[key] = DecouplingModel(scenario, seed=seed, params={"time.steps": steps, **params}).run()
        return cache[key]

    return get


SEEDS = (1, 2)


def change_pct_gdp(runs, scenario, region, year=2035, **params) -> float:
    """Mean over SEEDS of the change of ``region``'s welfare_usd against the baseline with the
    same seed, in % of the baseline's GDP."""
    values = []
    for seed in SEEDS:
        run, base = runs(scenario, seed, year, **params), runs("baseline", seed, year)
        change = run.outcome(f"welfare_usd_{region}") - base.outcome(f"welfare_usd_{region}")
        values.append(100.0 * change / base.outcome(f"gdp_{region}"))
    return float(np.mean(values))


def test_us_tariffs_and_bans_alone_cost_china(runs):
    """A US tariff or ban reaches China through its exporters' lost sales and prices, not through a
    consumer 'gain' from being pushed to home suppliers: each lowers China's welfare in 2030."""
    tariff = change_pct_gdp(runs, "baseline", "CN", 2030, **{"policy.tariff": 0.25, "policy.tariff_sectors": "all"})
    ban = change_pct_gdp(runs, "baseline", "CN", 2030, **{"policy.procurement_ban": 0.6, "policy.ban_sectors": "all"})
    assert tariff < 0.0
    assert ban < 0.0


def test_full_decoupling_costs_china_most_and_the_bystander_least(runs):
    """The side cut off from more partners loses more (Felbermayr, Mahlkow & Sandkamp 2022; IMF
    WP/21/69); the EU, which does not decouple, loses less than either party."""
    cn, us, eu = (change_pct_gdp(runs, "full_decoupling", r) for r in ("CN", "US", "EU"))
    assert cn < us < 0.0
    assert eu > us
    assert eu < 0.0


def test_world_gdp_falls_under_full_decoupling(runs):
    """Technology reaches the rest of the economy: world GDP, not only its split, moves."""
    changes = [
        runs("full_decoupling", s).outcome("gdp_WORLD") / runs("baseline", s).outcome("gdp_WORLD") - 1.0 for s in SEEDS
    ]
    assert np.mean(changes) < -0.001


def test_research_restrictions_cost_both_sides(runs):
    """Both sides lose when collaboration is cut (Aghion et al. 2023; Jia et al. 2022): a research
    restriction of 0.5 on all sectors lowers China's mean capability by at least half as much as
    the US's."""
    restriction = {"policy.academic_restriction": 0.5, "policy.academic_sectors": "all"}

    def fall(code):
        values = []
        for seed in SEEDS:
            run, base = runs("baseline", seed, **restriction), runs("baseline", seed)
            i = run.world.country_index(code)
            best = run.firms.best_by_country(run.firms.capability)[:, i].mean()
            best0 = base.firms.best_by_country(base.firms.capability)[:, i].mean()
            values.append(1.0 - best / best0)
        return float(np.mean(values))

    us, cn = fall("US"), fall("CN")
    assert us > 0.0 and cn > 0.0
    assert cn >= 0.5 * us


def test_bystanders_keep_their_own_research_ties():
    """US restrictions cut US-China collaboration: US and Chinese firms' own innovation feels it,
    allied and third countries' firms do not (they lose only through their own ties)."""
    model = DecouplingModel(
        "baseline", seed=1, params={"policy.academic_restriction": 0.8, "policy.academic_sectors": "all"}
    )
    for _ in range(12):
        model.step()
    access = knowledge.talent_access(model)
    layout = model.layout
    others = ~layout.is_us & ~layout.is_cn
    assert (access[others] == 1.0).all()
    assert access[layout.is_us].max() < 1.0
    assert access[layout.is_cn].max() < 1.0


def test_standards_positions_follow_market_ties_not_compliance():
    """An ally's place between the two standards blocs is where its purchases are, whatever it
    does about export controls (S2 三(三))."""
    model = DecouplingModel("selective_decoupling", seed=1, params={"time.steps": 8}).run()
    before = standards.country_positions(model)
    model.relations.compliance[model.world.allies] = 1.0 - model.relations.compliance[model.world.allies]
    assert np.array_equal(standards.country_positions(model), before)
    np.testing.assert_allclose(before[:, model.world.allies], standards.market_ties(model)[:, model.world.allies])
    assert (before[:, model.layout.us] == 1.0).all() and (before[:, model.layout.cn] == -1.0).all()


def test_open_world_runs_along_the_projection():
    """In the baseline the economy follows its projected path (GDP within 1 % of the trend) and the
    quality-adjusted price of technology falls as the open world's rules imply (within 0.1 log
    units by 2035): the closure moves GDP only where a run brings less or more technology."""
    for seed in SEEDS:
        model = DecouplingModel("baseline", seed=seed).run()
        trend = economy.trend_income(model, model.steps)
        np.testing.assert_allclose(model.accounts.gdp / trend, 1.0, atol=0.01)
        by_sector, by_country = economy.expected_price_fall(model)
        np.testing.assert_allclose(economy.price_fall(model), by_country, atol=0.1)


def test_spending_follows_income():
    """A country whose income falls below its trend spends less on technology next quarter, by the
    income elasticity; the others spend as before."""
    model = DecouplingModel("baseline", seed=1, params={"time.steps": 4})
    model.step()
    economy.update_spending(model)
    normal = model.market.spending.copy()
    cn = model.layout.cn
    model.accounts.gdp[cn] *= 0.9
    economy.update_spending(model)
    buys = normal > 0
    ratio = np.divide(model.market.spending, normal, out=np.ones_like(normal), where=buys)
    assert buys[:, cn].all()
    np.testing.assert_allclose(ratio[:, cn], 0.9**model.params.economy.income_elasticity)
    np.testing.assert_allclose(np.delete(ratio, cn, axis=1), 1.0)


def test_outbound_limits_cost_us_investors_returns_and_slow_china(runs):
    """The outbound restriction has the two effects the documents give it. It keeps US capital out
    of China's technology firms, so US investors forgo the excess returns on the stake they would
    have held (S2 三(一): "放弃在中国创新市场寻找机会，将降低美国资本的盈利能力"); and it keeps
    technology from moving with the capital (S2 一(二): "严防尖端技术随资本向中国转移"), slowing
    China's catch-up where it applies, so China's welfare is lower with it.

    Measured on main (selective decoupling, seeds 1-2, 2035): lifting the restriction raises US
    investors' excess returns by about US$0.1 bn a year (+0.0003 % of US GDP with the know-how
    channels switched off), because investors had already left on falling trust (calibrated to
    Crunchbase's 2021-23 collapse, [fact:us_vc_china]); with the know-how channels on, China's
    faster catch-up costs the US more (-0.004 % of US GDP net). Issue 18 asked for +0.01 %; the
    miss and its cause are in its closing note and in docs/model.md."""
    lifted = {"policy.outbound_restriction": 0.0}
    no_know_how = {"knowledge.weight_capital": 0.0, "capital.vc_rd_share": 0.0}
    for seed in SEEDS:
        held, free = runs("selective_decoupling", seed), runs("selective_decoupling", seed, **lifted)
        us = held.layout.us
        assert free.relations.us_stake_cn.sum() > held.relations.us_stake_cn.sum()
        assert capital.excess_returns(free)[us] > capital.excess_returns(held)[us]
        assert free.outcome("welfare_usd_CN") > held.outcome("welfare_usd_CN")
        barred = held.policy.outbound > 0
        assert (free.relations.capital_access[barred] > held.relations.capital_access[barred]).all()
        # the investors' side alone: with no technology moving with the capital, the US gains from
        # lifting the restriction
        held_alone = runs("selective_decoupling", seed, **no_know_how)
        free_alone = runs("selective_decoupling", seed, **no_know_how, **lifted)
        assert free_alone.outcome("welfare_usd_US") > held_alone.outcome("welfare_usd_US")
