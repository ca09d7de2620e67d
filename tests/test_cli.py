"""The `decouple` command end to end: outputs as the contract fixes them, clear errors, and
failed commands never corrupt results already written."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from decouple.cli import main
from decouple.metrics import COLUMNS

#: the figures of a run or comparison folder
FIGURES = (
    "dashboard.png",
    "capability_gap.png",
    "chip_market_shares.png",
    "us_firms.png",
    "china_self_sufficiency.png",
    "ally_compliance.png",
    "welfare.png",
    "consumers_index.png",
)


def digest_folder(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    assert (
        main(["run", "full_decoupling", "--seed", "2", "--steps", "12", "--set", "policy.fence=0.5", "--out", str(out)])
        == 0
    )
    return out


def test_run_writes_contract_outputs(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"timeseries.csv", "timeseries.parquet", "indicators.csv", "summary.json", *FIGURES} <= names
    frame = pd.read_csv(run_dir / "timeseries.csv", dtype={"year": str})
    assert (
        list(frame.columns)
        == COLUMNS
        == ["scenario", "seed", "step", "year", "metric", "country", "partner", "sector", "value"]
    )
    assert frame["year"].iloc[0] == "2018.0" and "2018.25" in set(frame["year"])
    assert set(frame["scenario"]) == {"full_decoupling"} and set(frame["seed"]) == {2}
    assert frame["step"].max() == 12
    for metric in (
        "capability",
        "market_share",
        "revenue",
        "rd_spending",
        "sales",
        "self_sufficiency",
        "compliance",
        "welfare",
        "trust",
    ):
        assert metric in set(frame["metric"]), metric
    assert {"US", "CN", "JP", "NL", "KR", "TW", "EU", "IN", "VN", "ROW"} <= set(frame["country"])
    sales = frame[frame.metric == "sales"]
    assert {"US", "CN"} <= set(sales["partner"]) and (frame[frame.metric == "capability"]["partner"] == "all").all()
    parquet = pd.read_parquet(run_dir / "timeseries.parquet")
    assert len(parquet) == len(frame)
    for png in run_dir.glob("*.png"):  # what the figures show is tested in test_plots.py
        height, width, _ = mpimg.imread(png).shape
        assert width >= 600 and height >= 400, png


def test_run_summary_has_provenance_and_final(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    prov = summary["provenance"]
    for key in (
        "scenario",
        "scenario_file",
        "scenario_file_sha256",
        "seed",
        "package_version",
        "git_commit",
        "parameters",
    ):
        assert key in prov, key
    assert prov["scenario"] == "full_decoupling" and prov["seed"] == 2
    assert prov["parameters"]["policy"]["fence"] == 0.5 and prov["overrides"] == ["policy.fence=0.5", "time.steps=12"]
    scenario_file = Path(prov["scenario_file"])
    assert prov["scenario_file_sha256"] == hashlib.sha256(scenario_file.read_bytes()).hexdigest()
    assert [f["file"] for f in prov["scenario_files"]] == [str(scenario_file)]
    assert {"welfare_US", "cn_self_sufficiency", "us_cn_sales", "trust"} <= set(summary["final"])


def test_failed_run_leaves_existing_results_untouched(run_dir, capsys):
    before = digest_folder(run_dir)
    assert main(["run", "full_decoupling", "--set", "policy.fence=3", "--out", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "policy.fence" in err and "3" in err and "from 0 to 1" in err and "full_decoupling.toml" in err
    assert "Traceback" not in err
    assert digest_folder(run_dir) == before


def test_plot_redraws_figures(run_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    for png in copy.glob("*.png"):
        png.unlink()
    assert main(["plot", str(copy)]) == 0
    # redrawn from indicators.csv, each figure shows what the run drew from memory
    for png in run_dir.glob("*.png"):
        before, after = mpimg.imread(png), mpimg.imread(copy / png.name)
        assert before.shape == after.shape and np.abs(before - after).mean() < 0.002, png.name


def test_compare_draws_scenarios_side_by_side(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                "baseline",
                "selective_decoupling",
                "--replicates",
                "2",
                "--steps",
                "12",
                "--workers",
                "1",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Consumers' index, world" in text and "figures in" in text
    assert "Welfare vs baseline, WORLD (% of GDP)" in text
    frame = pd.read_parquet(out / "timeseries.parquet")
    assert list(frame.columns) == COLUMNS
    # the runs' seeds come from numpy's SeedSequence of the root seed (0), the same for both scenarios
    seeds = {int(c.generate_state(1)[0]) for c in np.random.SeedSequence(0).spawn(2)}
    assert set(frame["scenario"]) == {"baseline", "selective_decoupling"} and set(frame["seed"]) == seeds
    indicators = pd.read_csv(out / "indicators.csv")
    assert {"gap_small_yard", "chips_share_US", "welfare_WORLD", "compliance_NL"} <= set(indicators.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["final"]) == {"baseline", "selective_decoupling"} and len(summary["runs"]) == 4
    assert {"mean", "p10", "p90"} == set(summary["final"]["baseline"]["welfare_WORLD"])
    # welfare in money against the baseline with the same seeds, per country, THIRD and WORLD
    against = summary["against_baseline"]["scenarios"]
    assert set(against) == {"selective_decoupling"}
    assert {"US", "CN", "THIRD", "WORLD"} <= set(against["selective_decoupling"])
    world = against["selective_decoupling"]["WORLD"]
    assert set(world) == {"welfare_change_usd_bn", "welfare_change_pct_gdp", "gdp_change_pct", "acr_change_pct_gdp"}
    table = pd.read_csv(out / "welfare_vs_baseline.csv")
    row = table[(table.scenario == "selective_decoupling") & (table.region == "WORLD")].iloc[0]
    assert row.welfare_change_usd_bn_mean == pytest.approx(world["welfare_change_usd_bn"]["mean"])
    # the % of GDP is the US$ change over the baseline's GDP of the same seed and year
    last = indicators[indicators.year == indicators.year.max()].set_index(["scenario", "seed"])
    base, sel = last.loc["baseline"], last.loc["selective_decoupling"]
    pct = 100 * (sel.welfare_usd_WORLD - base.welfare_usd_WORLD) / base.gdp_WORLD
    assert row.welfare_change_pct_gdp_mean == pytest.approx(pct.mean())
    # the ACR cross-check is the change of the gains from trade over the same GDP
    acr = 100 * (sel.gains_from_trade_usd_WORLD - base.gains_from_trade_usd_WORLD) / base.gdp_WORLD
    assert row.acr_change_pct_gdp_mean == pytest.approx(acr.mean())
    for name in FIGURES:
        assert mpimg.imread(out / name).shape[1] >= 600, name


def test_scenarios_and_params(capsys):
    assert main(["scenarios"]) == 0
    text = capsys.readouterr().out
    for name in ("baseline", "full_decoupling", "selective_decoupling", "coopetition"):
        assert name in text
    assert main(["params", "selective_decoupling"]) == 0
    text = capsys.readouterr().out
    assert "* policy.fence = 0.55 (default 0.0)" in text and "source: [fact:logic_threshold]" in text
    assert main(["params", "selective_decoupling", "--changed", "--csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("path,value,default,range,unit,meaning,source") and len(rows) > 10
    assert not any(r.startswith("time.steps") for r in rows)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["run", "no_such_scenario"], "known scenarios"),
        (["run", "baseline", "--set", "policy.fenc=0.5"], "did you mean 'policy.fence'"),
        (["plot", "/no/such/folder"], "not a folder"),
        (["params", "baseline", "--set", "allies.willingness.NL=-20"], "from -10 to 10"),
    ],
)
def test_errors_are_clear(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_installed_command_runs():
    exe = Path(sys.executable).parent / "decouple"
    proc = subprocess.run([str(exe), "scenarios"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "coopetition" in proc.stdout
