"""The `decouple` command end to end: outputs as the contract fixes them, clear errors, and
failed commands never corrupt results already written."""

from __future__ import annotations

import hashlib
import json
import os
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


# ------------------------------------------------------------------ terminals, pipes and locales


def _decouple(*argv: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed command in a child process (the terminal's encoding is set at start-up)."""
    exe = Path(sys.executable).parent / "decouple"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8", "LC_ALL", "LANG")}
    environ.update(env or {}, MPLBACKEND="Agg")
    return subprocess.run([str(exe), *argv], capture_output=True, env=environ, cwd=cwd, timeout=600)


@pytest.mark.parametrize(
    "env",
    [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}],
    ids=["ascii", "latin-1", "C-locale"],
)
def test_output_to_a_terminal_that_lacks_dashes_and_chinese(tmp_path, env):
    """`params` prints Chinese citations and `run` en dashes: a terminal whose encoding lacks them
    gets escapes, not a traceback."""
    params = _decouple("params", "baseline", env=env)
    assert params.returncode == 0 and b"Traceback" not in params.stderr, params.stderr[-500:]
    assert b"\\u4e09" in params.stdout  # S2 三: escaped, on a line that is otherwise whole
    run = _decouple("run", "baseline", "--steps", "2", "--no-plots", "--out", str(tmp_path / "r"), env=env)
    assert run.returncode == 0 and b"Traceback" not in run.stderr, run.stderr[-500:]
    assert b"US\\u2013China trust" in run.stdout and (tmp_path / "r" / "summary.json").is_file()


@pytest.mark.parametrize("name", ["résultats", "结果"])
def test_a_name_the_locale_cannot_hold_is_refused_before_the_work(tmp_path, name):
    """Under LC_ALL=C without UTF-8 mode, Python keeps a non-ASCII argument as surrogates, which
    Arrow and Parquet cannot take as a file name: refused up front, named as given."""
    env = {"LC_ALL": "C", "PYTHONUTF8": "0"}
    run = _decouple("run", "baseline", "--steps", "2", "--no-plots", "--out", name, env=env, cwd=tmp_path)
    assert run.returncode == 2 and b"Traceback" not in run.stderr
    assert b"decouple: error: --out " + name.encode() + b": the name has characters" in run.stderr
    assert list(tmp_path.iterdir()) == []
    utf8 = _decouple(
        "run", "baseline", "--steps", "2", "--no-plots", "--out", name, env={"LC_ALL": "C.UTF-8"}, cwd=tmp_path
    )
    assert utf8.returncode == 0 and (tmp_path / name / "summary.json").is_file()


def test_a_scenario_file_named_in_another_script_runs_under_a_c_locale(tmp_path):
    """Its title (the file's name) goes into the figures: readable text, not surrogates."""
    (tmp_path / "基线.toml").write_text("[policy]\nfence = 0.5\n")
    env = {"LC_ALL": "C", "PYTHONUTF8": "0"}
    run = _decouple("run", "基线.toml", "--steps", "2", "--out", "out", env=env, cwd=tmp_path)
    assert run.returncode == 0 and b"Traceback" not in run.stderr, run.stderr[-800:]
    assert (tmp_path / "out" / "dashboard.png").is_file()
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["provenance"]["title"] == "基线"


@pytest.mark.parametrize("argv", [("params", "baseline"), ("outcomes",), ("scenarios",)])
def test_a_reader_that_goes_away_ends_the_command_quietly(argv):
    """`decouple ... | head`: standard output's reader closes before the command writes."""
    exe = Path(sys.executable).parent / "decouple"
    proc = subprocess.Popen([str(exe), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command has started writing
    err = proc.stderr.read()
    assert proc.wait(timeout=600) == 1
    assert b"Traceback" not in err and b"BrokenPipeError" not in err and b"Exception ignored" not in err


def test_a_path_with_undecodable_bytes_prints(capsys, tmp_path):
    """A name Python keeps as surrogates (bytes the locale cannot decode) is printed as its bytes."""
    name = os.fsdecode(b"caf\xe9.toml")
    assert main(["run", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert "scenario file not found" in err and "caf\\xe9.toml" in err and "Traceback" not in err


# ------------------------------------------------------------------ the time horizon


def test_a_run_past_the_evidence_horizon_is_warned_of_once(tmp_path, capsys):
    from decouple.parameters import EVIDENCE_HORIZON, load_registry

    assert EVIDENCE_HORIZON == 2035.75
    assert load_registry()["time.steps"].range == (1, 128)  # 2018 + 128 quarters = 2050
    base = ["run", "baseline", "--no-plots", "--out"]
    assert main([*base, str(tmp_path / "a"), "--steps", "2", "--set", "time.start_year=2035.5"]) == 0
    err = capsys.readouterr().err
    assert err.count("decouple: warning:") == 1 and "goes to 2036" in err and "2035.75" in err
    assert main([*base, str(tmp_path / "b"), "--steps", "2", "--set", "time.start_year=2035.25"]) == 0
    assert "warning" not in capsys.readouterr().err  # ends at 2035.75: within the evidence
    assert main([*base, str(tmp_path / "c"), "--steps", "129"]) == 2
    assert "from 1 to 128" in capsys.readouterr().err and not (tmp_path / "c").exists()


def test_sweep_and_compare_warn_past_the_horizon_and_refuse_past_the_maximum(tmp_path, capsys):
    experiment = tmp_path / "e.toml"
    text = (
        '[experiment]\ntitle = "t"\nscenarios = ["baseline"]\nsteps = {steps}\nfixed = ["time.start_year=2035.5"]\n'
        '[[vary]]\npath = "policy.fence"\nvalues = [0.1]\n'
    )
    experiment.write_text(text.format(steps=2))
    assert main(["sweep", str(experiment), "--quiet", "--workers", "1", "--out", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    assert err.count("decouple: warning:") == 1 and "goes to 2036" in err
    experiment.write_text(text.format(steps=129))
    assert main(["sweep", str(experiment), "--quiet", "--out", str(tmp_path / "t")]) == 2
    assert "key 'experiment.steps' = 129; allowed: 1 to 128" in capsys.readouterr().err
    cmp = ["compare", "baseline", "--replicates", "1", "--workers", "1", "--quiet", "--steps", "2"]
    assert main([*cmp, "--set", "time.start_year=2035.5", "--out", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().err.count("decouple: warning: the run goes to 2036") == 1


def test_no_scenario_or_experiment_runs_past_the_maximum():
    """No file of the project asks for more quarters than the registry's maximum."""
    import tomllib

    from decouple.config import load_scenario

    root = Path(__file__).resolve().parent.parent
    for path in sorted((root / "scenarios").glob("*.toml")):
        assert load_scenario(path).params.time.steps <= 128, path

    def steps_in(table, key=""):
        if isinstance(table, dict):
            for k, v in table.items():
                yield from steps_in(v, k)
        elif isinstance(table, list):
            for v in table:
                yield from steps_in(v, key)
        elif isinstance(table, str) and table.replace(" ", "").startswith("time.steps="):
            yield int(table.split("=", 1)[1])
        elif key in ("steps", "time.steps") and isinstance(table, int):
            yield table

    for path in sorted((root / "experiments").glob("*.toml")):
        found = list(steps_in(tomllib.loads(path.read_text())))
        assert all(1 <= n <= 128 for n in found), (path, found)
