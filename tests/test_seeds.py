"""The evidence base in seeds/: complete, consistent, and every value has a source."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pytest

from decouple import EvidenceError
from decouple.paths import evidence_dir
from decouple.world import COUNTRIES, build_world

from .conftest import small_world_tables

#: a seed document (S0-S4), an assumption, the calibration, or a fact of seeds/facts.toml (whose
#: own entry names its source, inside or outside the seed documents)
CITATION = re.compile(r"\bS[0-4]\b|assumption|calibration|\[fact:\w+\]")
CONTRACT_SECTORS = {
    "logic_chips",
    "chip_tools",
    "ai_compute",
    "telecom",
    "quantum",
    "solar_pv",
    "batteries",
    "biotech",
    "aerospace",
    "basic_research",
}


def test_world_has_contract_countries_and_sectors(world):
    assert world.countries == COUNTRIES
    assert CONTRACT_SECTORS <= set(world.sectors)


def test_shares_and_capabilities(world):
    assert np.allclose(world.market_share.sum(1), 1.0)
    assert np.allclose(world.demand_share.sum(1), 1.0)
    for j, sector in enumerate(world.sectors):
        active = world.market_share[j] > 0
        assert world.capability[j][active].max() == pytest.approx(1.0), sector
        assert np.all(world.capability[j][active] > 0), sector


def test_every_value_cites_a_source(world):
    assert len(world.sources) > 200
    for key, source in world.sources.items():
        assert CITATION.search(source), (
            f"{key}: '{source}' cites neither a seed document (S0-S4), a fact nor an assumption"
        )


def test_every_parameter_cites_a_source():
    with open(evidence_dir() / "parameters.toml", "rb") as fh:
        table = tomllib.load(fh)

    def leaves(node, path=""):
        for k, v in node.items():
            if "type" in v:
                yield f"{path}{k}", v
            else:
                yield from leaves(v, f"{path}{k}.")

    for path, spec in leaves(table):
        assert CITATION.search(spec["source"]), path


def test_chokepoints_are_imports_with_holders(world):
    assert world.chokepoints
    for cp in world.chokepoints:
        assert cp.holders.sum() == pytest.approx(1.0)
        assert cp.holders[world.country_index("CN")] == 0
        assert 0 < cp.weight <= 1 and 0 <= cp.difficulty <= 1


def test_bad_share_sum_is_reported_with_file_and_key():
    sectors, countries = small_world_tables()
    sectors["gadgets"]["market_share"]["value"] = {"US": 0.5, "JP": 0.3, "CN": 0.3}
    with pytest.raises(EvidenceError, match=r"\[gadgets\] key 'market_share' sums to 1.100000"):
        build_world(sectors, countries)


def test_missing_source_is_reported():
    sectors, countries = small_world_tables()
    sectors["gadgets"]["benefit"] = {"value": 0.4, "source": ""}
    with pytest.raises(EvidenceError, match=r"\[gadgets\] key 'benefit' has an empty source"):
        build_world(sectors, countries)


def test_value_without_source_table_is_reported():
    sectors, countries = small_world_tables()
    sectors["gadgets"]["benefit"] = 0.4
    with pytest.raises(EvidenceError, match=r"key 'benefit' = 0.4; expected a table"):
        build_world(sectors, countries)


def test_unknown_country_is_reported():
    sectors, countries = small_world_tables()
    sectors["gadgets"]["demand_share"]["value"] = {"US": 0.5, "XX": 0.5}
    with pytest.raises(EvidenceError, match="unknown country 'XX'"):
        build_world(sectors, countries)


def test_foundries_are_optional_and_checked():
    sectors, countries = small_world_tables()
    world = build_world(sectors, countries)
    assert not world.foundry_share.any() and not world.foundry_hosts.any()  # left out: nothing made abroad
    sectors["gadgets"]["foundry_share"] = {"value": {"US": 0.4}, "source": "assumption: test"}
    with pytest.raises(EvidenceError, match=r"\[gadgets\] key 'foundry_share' needs 'foundry_hosts'"):
        build_world(sectors, countries)
    sectors["gadgets"]["foundry_hosts"] = {"value": {"JP": 0.5, "US": 0.4}, "source": "assumption: test"}
    with pytest.raises(EvidenceError, match=r"\[gadgets\] key 'foundry_hosts' sums to 0.900000"):
        build_world(sectors, countries)
    sectors["gadgets"]["foundry_hosts"]["value"] = {"JP": 0.6, "US": 0.4}
    sectors["gadgets"]["foundry_share"]["value"] = {"CN": 0.2}
    with pytest.raises(EvidenceError, match=r"key 'foundry_share.CN' = 0.2; allowed: 0"):
        build_world(sectors, countries)


def test_fabless_chips_are_made_where_the_foundries_are(world):
    """Design and fabrication are apart: US logic-chip firms sell about 46 % of the world's chips
    but make a far smaller share (S4 二(四): 12 % of capacity), as foundries make 40 % of theirs."""
    from decouple import DecouplingModel

    m = DecouplingModel("baseline", seed=0, world=world)
    j, us, tw = world.sector_index("logic_chips"), world.country_index("US"), world.country_index("TW")
    made = m.accounts.production[j]
    sold = m.market.revenue[j]
    assert made[us] / made.sum() < sold[us] / sold.sum() - 0.15
    f = m.firms
    in_sector = f.sector == j
    made_at_home = (f.revenue * f.loc_home)[in_sector & (f.country == tw)].sum()  # (the rest: packaging in China)
    foundry_output = (f.revenue * f.loc_foundry)[in_sector].sum()
    assert made[tw] == pytest.approx(made_at_home + foundry_output * world.foundry_hosts[j, tw], rel=1e-9)
