"""The historical replay and `decouple validate`: checks run, report, and can fail."""

from __future__ import annotations

import dataclasses
import json

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from decouple.cli import main
from decouple.errors import EvidenceError
from decouple.measure import Measure
from decouple.validation.checks import COMPUTATIONS, RULES, all_checks, load_checks
from decouple.validation.replay import run_replay
from decouple.validation.report import evaluate

IMPORT_REPLACEMENT_OFF = (
    "china.state_support=0",
    "china.base_support=0",
    "china.buy_domestic=0",
    "china.captive_learning=0",
    "china.substitution_rate=0",
    "china.home_absorption=0",
    "innovation.indigenous_weight=0",
)


def checks(*ids):
    return [c for c in all_checks() if c.id in ids]


def test_replay_covers_2016_to_2025_and_is_reproducible():
    a, b = run_replay(3), run_replay(3)
    assert a.years[0] == 2016.0 and a.years[-1] == 2025.75
    for key in a.values:
        assert np.array_equal(a.values[key], b.values[key]), key
    assert a.annual("investment_cn_to_us", 2022) < 0.2 * a.annual("investment_cn_to_us", 2016)


def test_every_check_documents_itself():
    for c in all_checks():
        assert c.facts and c.compared and c.documented and c.why
        assert c.low <= c.target <= c.high or c.kind != "calibration", c.id


def test_switching_import_replacement_off_fails_its_checks():
    ids = ("pat_self_sufficiency", "pat_pv")
    normal = evaluate([0], checks(*ids), progress=False).set_index("id")
    off = evaluate([0], checks(*ids), overrides=IMPORT_REPLACEMENT_OFF, progress=False).set_index("id")
    assert normal.passed.all()
    assert not off.passed.any()


def test_removing_the_negotiation_lag_fails_the_lag_check():
    normal = evaluate([0], checks("pat_ally_lag"), progress=False)
    rushed = evaluate(
        [0],
        checks("pat_ally_lag"),
        overrides=("allies.negotiation_lag=0", "allies.adjustment_rate=1.0"),
        progress=False,
    )
    assert normal.passed.all() and not rushed.passed.any()


def test_validate_command_reports_and_exit_status(tmp_path, capsys):
    out = tmp_path / "v"
    argv = [
        "validate",
        "--only",
        "cal_investment_2022,val_batteries,pat_welfare_order",
        "--seeds",
        "2",
        "--quiet",
        "--out",
        str(out),
    ]
    assert main(argv) == 0  # completed, whatever the verdicts
    text = capsys.readouterr().out
    assert "| `val_batteries` |" in text and "checks pass" in text
    table = pd.read_csv(out / "validation.csv")
    assert list(table.id) == ["cal_investment_2022", "val_batteries", "pat_welfare_order"]
    assert {"documented", "model_mean", "model_min", "model_max", "tolerance", "why", "passed"} <= set(table.columns)
    assert (out / "validation.md").read_text().startswith("Checks against the evidence base")
    assert mpimg.imread(out / "validation.png").shape[1] >= 600  # its placement: tests/test_plots.py
    strict = main(argv + ["--strict"])
    assert strict == (0 if table.passed.all() else 1)
    assert main(["validate", "--only", "no_such_check"]) == 2


def test_literature_checks_compare_paired_runs_with_published_estimates():
    """The literature checks measure what they say: scenario minus the baseline with the same
    seed, and they are compared with the published figures of seeds/facts.toml, never fitted."""
    from decouple import DecouplingModel
    from decouple.validation.checks import Context
    from decouple.validation.facts import fact
    from decouple.world import load_world

    lit = {c.id: c for c in all_checks() if c.kind == "literature"}
    assert {"lit_chip_ban_share", "lit_world_cost", "lit_china_loses_more", "lit_third_loses"} <= set(lit)
    fitted = {f for c in all_checks() if c.kind == "calibration" for f in c.facts}
    assert not fitted & {f for c in lit.values() for f in c.facts}
    assert lit["lit_chip_ban_share"].target == -fact("sia_bcg_2020").value["ban_share_points"]

    ctx = Context(load_world())
    full, base = DecouplingModel("full_decoupling", seed=5).run(), DecouplingModel("baseline", seed=5).run()
    # the measure 'gdp[WORLD] against baseline per gdp[WORLD]': the change in % of the baseline's
    expected = 100 * (full.outcome("gdp_WORLD") - base.outcome("gdp_WORLD")) / base.outcome("gdp_WORLD")
    assert lit["lit_world_cost"].compute(ctx, 5) == expected
    third = 100 * (full.outcome("welfare_usd_THIRD") - base.outcome("welfare_usd_THIRD")) / base.outcome("gdp_THIRD")
    assert lit["lit_third_loses"].compute(ctx, 5) == third
    ratio = lit["lit_china_loses_more"].compute(ctx, 5)
    cn = 100 * (full.outcome("welfare_usd_CN") - base.outcome("welfare_usd_CN")) / base.outcome("gdp_CN")
    us = 100 * (full.outcome("welfare_usd_US") - base.outcome("welfare_usd_US")) / base.outcome("gdp_US")
    assert ratio == cn / us
    # every literature tolerance is the published range or at most a factor of 2 around the estimate
    for check in lit.values():
        low, high = sorted((abs(check.low), abs(check.high)))
        if check.low <= 0.0 <= check.high:  # a bound below a published range (a bystander's cost)
            continue
        assert high / low <= 4.0 + 1e-9, check.id
        assert low <= abs(check.target) <= high, check.id
    # a ban on US chip sales to China costs US chip firms share: a negative number of points
    assert lit["lit_chip_ban_share"].compute(ctx, 5) < 0


# ----------------------------------------------------------------------------- the rows of seeds/checks.toml

ROW = {
    "id": "batteries",
    "kind": "replay",
    "facts": ["batteries_catl_byd"],
    "compared": "Chinese firms' share of world lithium-ion battery sales, 2021",
    "documented": "CATL and BYD alone over 70 %",
    "measure": "cn_share_batteries@2021",
    "scenario": "historical",
    "target": "batteries_catl_byd",
    "rule": "range",
    "low": 0.65,
    "high": 0.95,
    "why": "two firms over 70 %",
}


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # strings, numbers and lists of them are TOML as JSON writes them


def row_file(tmp_path, drop=(), **changes):
    row = {k: v for k, v in {**ROW, **changes}.items() if k not in drop}
    path = tmp_path / "checks.toml"
    path.write_text("[[check]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in row.items()))
    return path


def test_a_row_is_a_check_in_the_measurement_language(tmp_path, world):
    (check,) = load_checks(row_file(tmp_path), world)
    assert check.measure == Measure("cn_share_batteries", 2021.0)
    assert (check.scenario, check.target, check.low, check.high) == ("historical", 0.7, 0.65, 0.95)
    (halved,) = load_checks(row_file(tmp_path, drop=("low", "high"), rule="factor", factor=2), world)
    assert (halved.low, halved.high) == (0.35, 1.4)
    (price,) = load_checks(
        row_file(
            tmp_path, drop=("measure", "scenario"), computation="open_world_price_decline", args={"sector": "telecom"}
        ),
        world,
    )
    assert price.computation == "open_world_price_decline" and price.measure is None


@pytest.mark.parametrize(
    "changes, drop, named",
    [
        ({"measure": "battery_share@2021"}, (), "battery_share"),
        ({"measure": "welfare_usd[MARS] against baseline per gdp[MARS]", "scenario": "full_decoupling"}, (), "MARS"),
        ({"scenario": "decoupling_lite"}, (), "decoupling_lite"),
        ({"measure": "cn_share_batteries@2021 against baseline"}, (), "against baseline"),
        ({"facts": ["catl_byd"], "target": 0.7}, (), "catl_byd"),
        ({"target": "batteries_catl_byd.world"}, (), "world"),
        ({"target": "catl_byd"}, (), "catl_byd"),
        ({"computation": "battery_share"}, ("measure", "scenario"), "battery_share"),
        ({"computation": "open_world_price_decline", "args": {"colour": "red"}}, ("measure", "scenario"), "colour"),
        ({"rule": "roughly"}, (), "roughly"),
        ({"rule": "factor"}, (), "factor"),
        ({"rule": "at least"}, ("low", "high"), "low"),
        ({"kind": "hunch"}, (), "hunch"),
        ({"experiment": "embargo", "measure": "chips_share_US", "scenario": "baseline"}, (), "embargo"),
        ({"measure": "chips_share_US@2035 against baseline", "scenario": "baseline"}, (), "run's end"),
        ({"colour": "red"}, (), "colour"),
    ],
)
def test_a_row_naming_what_does_not_exist_is_refused(tmp_path, world, changes, drop, named):
    path = row_file(tmp_path, drop, **changes)
    with pytest.raises(EvidenceError, match=named) as error:
        load_checks(path, world)
    text = str(error.value)  # the file, the value and what is allowed (the outcome registry lists its names)
    assert str(path) in text and ("allowed" in text or "lists them" in text)


def test_every_row_names_what_exists():
    checks = all_checks()
    assert len(checks) == len({c.id for c in checks})
    for check in checks:
        assert (check.measure is None) != (check.computation == ""), check.id
        assert check.computation in COMPUTATIONS or check.measure is not None, check.id
        assert check.rule in RULES, check.id
    used = {c.computation for c in checks if c.computation}
    assert used == set(COMPUTATIONS), f"computations no row names: {set(COMPUTATIONS) - used}"


def test_every_rule_can_fail():
    """A value beyond a check's finite bound is reported as a miss; its target passes."""
    checks = all_checks()
    outside = []
    for check in checks:
        beyond = check.high + 1.0 + abs(check.high) if np.isfinite(check.high) else check.low - 1.0 - abs(check.low)
        outside.append(dataclasses.replace(check, compute=lambda ctx, seed, v=beyond: v))
    table = evaluate([0], outside, progress=False)
    assert list(table.id) == [c.id for c in checks]
    assert not table.passed.any()
    inside = [
        dataclasses.replace(c, compute=lambda ctx, seed, v=c.target: v) for c in checks if c.low <= c.target <= c.high
    ]
    assert len(inside) >= len(checks) - 2  # two patterns state a direction, not a size
    assert evaluate([0], inside, progress=False).passed.all()
