"""The historical replay and `decouple validate`: checks run, report, and can fail."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pandas as pd

from decouple.cli import main
from decouple.validation.checks import all_checks
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
    expected = 100 * (full.outcome("gdp_WORLD") / base.outcome("gdp_WORLD") - 1.0)
    assert lit["lit_world_cost"].measure(ctx, 5) == expected
    third = 100 * (full.outcome("welfare_usd_THIRD") - base.outcome("welfare_usd_THIRD")) / base.outcome("gdp_THIRD")
    assert lit["lit_third_loses"].measure(ctx, 5) == third
    ratio = lit["lit_china_loses_more"].measure(ctx, 5)
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
    assert lit["lit_chip_ban_share"].measure(ctx, 5) < 0
