"""The economics report: the numbers the README quotes on welfare, GDP and their cross-check.

    .venv/bin/python docs/economics.py [--seeds 1 2] > economics.md

Prints, as markdown tables, each measured against the baseline with the same seed:

1. the acceptance measures of the welfare accounting (tariffs and bans alone, who pays under full
   decoupling, world GDP, research restrictions on both sides, outbound investment limits);
2. welfare in % of GDP under the documented scenarios, with the ACR cross-check and GDP beside it;
3. an ablation of full decoupling: which channels make the US's and China's costs;
4. how far those costs move when each assumption of the closure and of the open world's scales
   moves across its plausible range, one at a time (both runs of a pair share the value).

Every number comes from runs of the model as it is (about two minutes on two cores).
"""

from __future__ import annotations

import argparse
from functools import lru_cache

import numpy as np

from decouple import DecouplingModel
from decouple.world import shared_world

REGIONS = ("US", "CN", "EU", "THIRD", "WORLD")
SCENARIOS = ("full_decoupling", "selective_decoupling", "coopetition", "precise")


@lru_cache(maxsize=None)
def run(scenario: str, seed: int, year: int, params: tuple = ()) -> DecouplingModel:
    steps = (year - 2018) * 4 + 3  # to the last quarter of the year
    return DecouplingModel(
        scenario, seed=seed, params={"time.steps": steps, **dict(params)}, world=shared_world()
    ).run()


def against(scenario, seeds, year=2035, params=(), base_params=()) -> dict[str, dict[str, float]]:
    """{region: {measure: mean over seeds}} of the run against the baseline with the same seed."""
    out: dict[str, dict[str, list[float]]] = {r: {} for r in REGIONS}
    for seed in seeds:
        p, b = run(scenario, seed, year, params), run("baseline", seed, year, base_params)
        for r in REGIONS:
            gdp = b.outcome(f"gdp_{r}")
            m = out[r]
            m.setdefault("welfare", []).append(
                100 * (p.outcome(f"welfare_usd_{r}") - b.outcome(f"welfare_usd_{r}")) / gdp
            )
            m.setdefault("usd", []).append(p.outcome(f"welfare_usd_{r}") - b.outcome(f"welfare_usd_{r}"))
            acr = p.outcome(f"gains_from_trade_usd_{r}") - b.outcome(f"gains_from_trade_usd_{r}")
            m.setdefault("acr", []).append(100 * acr / gdp)
            m.setdefault("gdp", []).append(100 * (p.outcome(f"gdp_{r}") / gdp - 1.0))
    return {r: {k: float(np.mean(v)) for k, v in m.items()} for r, m in out.items()}


def mean_capability_fall(seeds, params, code) -> float:
    values = []
    for seed in seeds:
        p, b = run("baseline", seed, 2035, params), run("baseline", seed, 2035)
        i = p.world.country_index(code)
        values.append(
            1.0
            - p.firms.best_by_country(p.firms.capability)[:, i].mean()
            / b.firms.best_by_country(b.firms.capability)[:, i].mean()
        )
    return float(np.mean(values))


def acceptance(seeds) -> list[str]:
    tariff = (("policy.tariff", 0.25), ("policy.tariff_sectors", "all"))
    ban = (("policy.procurement_ban", 0.6), ("policy.ban_sectors", "all"))
    research = (("policy.academic_restriction", 0.5), ("policy.academic_sectors", "all"))
    full = against("full_decoupling", seeds)
    no_outbound = (("policy.outbound_restriction", 0.0),)
    outbound = []
    for seed in seeds:
        a, s = run("selective_decoupling", seed, 2035, no_outbound), run("selective_decoupling", seed, 2035)
        outbound.append(
            100
            * (a.outcome("welfare_usd_US") - s.outcome("welfare_usd_US"))
            / run("baseline", seed, 2035).outcome("gdp_US")
        )
    us_fall, cn_fall = mean_capability_fall(seeds, research, "US"), mean_capability_fall(seeds, research, "CN")
    rows = [
        (
            "US 25 % tariffs on all sectors alone: China's welfare, 2030 (% of GDP)",
            against("baseline", seeds, 2030, tariff)["CN"]["welfare"],
            "< 0",
        ),
        (
            "US procurement bans (0.6) on all sectors alone: China's welfare, 2030 (% of GDP)",
            against("baseline", seeds, 2030, ban)["CN"]["welfare"],
            "< 0",
        ),
        ("Full decoupling: China's welfare, 2035 (% of GDP)", full["CN"]["welfare"], "below the US's"),
        ("Full decoupling: US welfare, 2035 (% of GDP)", full["US"]["welfare"], "below the EU's"),
        ("Full decoupling: EU welfare, 2035 (% of GDP)", full["EU"]["welfare"], "above both"),
        ("Full decoupling: world GDP, 2035 (%)", full["WORLD"]["gdp"], "<= -0.1"),
        (
            "Research restriction 0.5, all sectors: fall of China's mean capability, 2035 (%)",
            100 * cn_fall,
            f">= half the US's ({50 * us_fall:.2f})",
        ),
        ("Research restriction 0.5, all sectors: fall of the US's mean capability, 2035 (%)", 100 * us_fall, ""),
        (
            "Selective decoupling without its outbound restriction: US welfare against with it, 2035 (% of GDP)",
            float(np.mean(outbound)),
            ">= +0.01",
        ),
    ]
    lines = ["| measure | model | asked |", "|---|---|---|"]
    lines += [f"| {label} | {value:+.3f} | {asked} |" for label, value, asked in rows]
    return lines


def scenarios(seeds) -> list[str]:
    lines = [
        "| scenario | region | welfare (US$ bn/yr) | welfare (% of GDP) | ACR cross-check (% of GDP) | GDP (%) |",
        "|---|---|---|---|---|---|",
    ]
    for scen in SCENARIOS:
        res = against(scen, seeds)
        for r in REGIONS:
            m = res[r]
            lines.append(
                f"| {scen} | {r} | {m['usd']:+.0f} | {m['welfare']:+.2f} | {m['acr']:+.2f} | {m['gdp']:+.2f} |"
            )
    return lines


ABLATIONS = (
    ("as it is", ()),
    ("no knowledge channel (talent at risk 0)", (("knowledge.talent_at_risk", 0.0),)),
    ("no cost of incompatible standards", (("standards.incompatibility", 0.0),)),
    ("allies comply fully", (("allies.bias", 8.0),)),
    ("no counter-measures from China", (("china.countermeasure_responsiveness", 0.0), ("china.us_share_cap", 1.0))),
    ("no US tariffs or bans", (("policy.tariff", 0.0), ("policy.procurement_ban", 0.0))),
    ("no push of Chinese buyers to home firms", (("china.buy_domestic", 0.0), ("china.home_absorption", 0.0))),
)


def ablation(seeds) -> list[str]:
    lines = [
        "| full decoupling, with | US | China | EU | third countries | world | world GDP (%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, params in ABLATIONS:
        policy_only = tuple(p for p in params if p[0].startswith("policy."))
        res = against("full_decoupling", seeds, 2035, params, tuple(p for p in params if p not in policy_only))
        cells = " | ".join(f"{res[r]['welfare']:+.2f}" for r in REGIONS)
        lines.append(f"| {label} | {cells} | {res['WORLD']['gdp']:+.2f} |")
    return lines


ASSUMPTIONS = (
    "economy.technology_elasticity",
    "economy.income_elasticity",
    "economy.price_elasticity",
    "economy.demand_growth_scale",
    "market.quality_scale",
    "knowledge.talent_at_risk",
    "knowledge.china_side",
    "capital.excess_return",
)


def assumptions(seeds) -> list[str]:
    from decouple.config import load_registry

    specs = load_registry()
    lines = [
        "| full decoupling, with | value | US | China | EU | world | world GDP (%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in ASSUMPTIONS:
        low, high = specs[path].plausible
        for value in (low, specs[path].default, high):
            params = ((path, float(value)),)
            res = against("full_decoupling", seeds, 2035, params, params)
            cells = " | ".join(f"{res[r]['welfare']:+.2f}" for r in ("US", "CN", "EU", "WORLD"))
            lines.append(f"| `{path}` | {value:g} | {cells} | {res['WORLD']['gdp']:+.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    seeds = tuple(parser.parse_args().seeds)
    print(f"Seeds {', '.join(map(str, seeds))}; each against the baseline with the same seed.\n")
    print("## Acceptance measures\n")
    print("\n".join(acceptance(seeds)))
    print("\n## Welfare in % of GDP, 2035, with the ACR cross-check and GDP\n")
    print("\n".join(scenarios(seeds)))
    print("\n## Who pays for full decoupling, and why: welfare in % of GDP, 2035\n")
    print("\n".join(ablation(seeds)))
    print("\n## How far the costs move with the assumptions: welfare in % of GDP, 2035\n")
    print("\n".join(assumptions(seeds)))


if __name__ == "__main__":
    main()
