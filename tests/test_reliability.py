"""No silent failures: results folders written as a whole, clear errors for bad input, and the
behaviours issue 9 listed as silently accepted or ending in a traceback."""

from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decouple import ConfigError, DecouplingModel, load_scenario
from decouple.cli import main
from decouple.output import MARKER, OutputError, result_folder
from decouple.sweeps.engine import SCHEDULER_TIMEOUT


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ------------------------------------------------------------------ results folders as a whole


def test_a_run_folder_is_replaced_as_a_whole(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(capsys, "run", "baseline", "--steps", "2", "--no-plots", "--out", out)[0] == 0
    (out / "dashboard.png").write_bytes(b"from an earlier run with figures")
    assert run_cli(capsys, "run", "baseline", "--steps", "3", "--no-plots", "--out", out)[0] == 0
    assert not (out / "dashboard.png").exists()  # a file the new run does not write does not survive
    assert pd.read_csv(out / "timeseries.csv")["step"].max() == 3
    assert json.loads((out / MARKER).read_text()) == {"kind": "run"}
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left beside it


def test_compare_without_csv_leaves_no_stale_csv(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ("compare", "baseline", "--replicates", "1", "--steps", "2", "--workers", "1", "--quiet", "--out", out)
    assert run_cli(capsys, *args, "--csv")[0] == 0 and (out / "timeseries.csv").is_file()
    assert run_cli(capsys, *args)[0] == 0
    assert not (out / "timeseries.csv").exists() and (out / "timeseries.parquet").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]  # the work folder is gone too


def test_a_full_disk_leaves_the_old_folder_as_it_was(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert run_cli(capsys, "run", "baseline", "--steps", "2", "--no-plots", "--out", out)[0] == 0
    before = tree(out)
    import decouple.output as output

    def full(path, frame):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(output, "write_csv", full)
    status, _, err = run_cli(capsys, "run", "full_decoupling", "--steps", "2", "--no-plots", "--out", out)
    assert status == 2 and "No space left on device" in err and "left as it was" in err and "Traceback" not in err
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def _killed_while_writing(out: str) -> None:
    """In a forked child: run, and die by SIGKILL right after the parquet is written."""
    import decouple.output as output

    real = output.write_parquet

    def write_then_die(path, frame):
        real(path, frame)
        os.kill(os.getpid(), signal.SIGKILL)

    output.write_parquet = write_then_die
    main(["run", "full_decoupling", "--steps", "2", "--no-plots", "--out", out])


def test_a_kill_mid_write_never_mixes_old_and_new_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(capsys, "run", "baseline", "--steps", "2", "--no-plots", "--out", out)[0] == 0
    before = tree(out)
    child = multiprocessing.get_context("fork").Process(target=_killed_while_writing, args=(str(out),))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL  # it died where the test made it die
    assert tree(out) == before  # the old run, whole: no new parquet beside old CSV and summary
    leftovers = [p for p in tmp_path.iterdir() if p.name != "run"]
    assert leftovers and all(p.name.startswith(".run.tmp-") for p in leftovers)
    # the next run clears what the killed one left
    assert run_cli(capsys, "run", "baseline", "--steps", "2", "--no-plots", "--out", out)[0] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_folder_with_other_files_is_never_replaced(tmp_path, capsys):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.txt").write_text("mine")
    status, _, err = run_cli(capsys, "run", "baseline", "--steps", "2", "--out", notes)
    assert status == 2 and "thesis.txt" in err and "nothing was changed" in err
    assert tree(notes) == {"thesis.txt": hashlib.sha256(b"mine").hexdigest()}


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda tmp: tmp / "file.txt", "is a file"),
        (lambda tmp: tmp / "file.txt" / "below", "lies under"),
        (lambda tmp: tmp / ("x" * 300), "too long"),
        (lambda tmp: Path("/proc/decouple-test/out"), "cannot write there"),
    ],
)
def test_bad_out_folders_are_refused_before_running(tmp_path, capsys, make, fragment):
    (tmp_path / "file.txt").write_text("a file")
    status, out, err = run_cli(capsys, "run", "baseline", "--steps", "2", "--out", make(tmp_path))
    assert status == 2 and fragment in err and "Traceback" not in err and not out
    assert (tmp_path / "file.txt").read_text() == "a file"


def test_result_folder_removes_its_temporary_folder_on_error(tmp_path):
    with pytest.raises(RuntimeError), result_folder(tmp_path / "out", "run") as tmp:
        (tmp / "half.csv").write_text("x")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="is a file"):
        (tmp_path / "f").write_text("")
        with result_folder(tmp_path / "f", "run"):
            pass


# ------------------------------------------------------------------ symbolic links and probes


def _hidden(*folders: Path) -> list[str]:
    return sorted(str(p) for folder in folders for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("existing", [True, False], ids=["to-results", "to-nothing-yet"])
def test_a_symlinked_out_is_written_through_and_stays_a_link(tmp_path, capsys, existing):
    """Results go into the folder the link points to; the link stays a link; nothing hidden is
    left beside the link or the target, after a rerun or a failed run either."""
    (tmp_path / "links").mkdir()
    (tmp_path / "store").mkdir()
    target, link = tmp_path / "store" / "results", tmp_path / "links" / "out"
    if existing:
        assert run_cli(capsys, "run", "baseline", "--steps", "2", "--no-plots", "--out", target)[0] == 0
    link.symlink_to(target, target_is_directory=True)
    for steps in ("2", "3"):
        assert run_cli(capsys, "run", "baseline", "--steps", steps, "--no-plots", "--out", link)[0] == 0
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert target.is_dir() and not target.is_symlink()
        assert pd.read_csv(target / "timeseries.csv")["step"].max() == int(steps)
        assert _hidden(tmp_path / "links", tmp_path / "store") == []
    before = tree(target)
    with pytest.raises(RuntimeError), result_folder(link, "run") as tmp:
        (tmp / "half.csv").write_text("x")
        raise RuntimeError("a failed run")
    assert link.is_symlink() and tree(target) == before
    assert _hidden(tmp_path / "links", tmp_path / "store") == []


def test_compare_writes_through_a_symlinked_out(tmp_path, capsys):
    (tmp_path / "real").mkdir()
    link = tmp_path / "cmp"
    link.symlink_to(tmp_path / "real")
    args = ("compare", "baseline", "--replicates", "1", "--steps", "2", "--workers", "1", "--quiet", "--out", link)
    assert run_cli(capsys, *args)[0] == 0
    assert link.is_symlink() and (tmp_path / "real" / "timeseries.parquet").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp", "real"]


def test_a_link_an_earlier_version_left_beside_out_is_removed(tmp_path, capsys):
    """The hidden link an earlier version's swap left behind (``.out.tmp-PID``, its process gone)
    is cleared like a leftover folder."""
    (tmp_path / "real").mkdir()
    leftover = tmp_path / ".out.tmp-999999999"
    leftover.symlink_to(tmp_path / "real")
    assert run_cli(capsys, "run", "baseline", "--steps", "2", "--no-plots", "--out", tmp_path / "out")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "real"]


def test_a_symlink_loop_as_out_is_refused(tmp_path, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    status, _, err = run_cli(capsys, "run", "baseline", "--steps", "2", "--no-plots", "--out", loop)
    assert status == 2 and "decouple: error:" in err and "Traceback" not in err
    assert loop.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["loop"]


@pytest.mark.parametrize(
    "argv",
    [
        ("calibrate", "--out", "/proc/decouple-calibration.toml"),
        ("calibrate", "--out", "/proc/self/decouple-calibration.toml"),
        ("sweep", "{experiment}", "--quiet", "--out", "/proc/self"),
        ("plot", "/proc/self"),
    ],
    ids=["calibrate-proc", "calibrate-proc-self", "sweep-proc-self", "plot-proc-self"],
)
def test_every_out_is_probed_where_it_is_written_before_the_work(tmp_path, capsys, monkeypatch, argv):
    """/proc is a folder whose parent (/) root may write in: a probe of the parent passes, and
    the command would fail only at its end (calibrate after minutes of fitting)."""
    from decouple.sweeps import engine
    from decouple.validation import calibration

    def no_work(*args, **kwargs):
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr(calibration, "run", no_work)
    monkeypatch.setattr(engine, "execute", no_work)
    experiment = tmp_path / "e.toml"
    experiment.write_text(
        '[experiment]\ntitle = "t"\nscenarios = ["baseline"]\nsteps = 2\n'
        '[[vary]]\npath = "policy.fence"\nvalues = [0.1]\n'
    )
    status, _, err = run_cli(capsys, *[a.replace("{experiment}", str(experiment)) for a in argv])
    assert status == 2 and "decouple: error:" in err and "Traceback" not in err


# ------------------------------------------------------------------ compare


def test_compare_refuses_repeated_scenarios(tmp_path, capsys):
    status, _, err = run_cli(capsys, "compare", "baseline", "baseline", "--out", tmp_path / "c")
    assert status == 2 and "listed twice" in err
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "dup.toml").write_text('[scenario]\nextends = "baseline"\n')
    status, _, err = run_cli(
        capsys, "compare", tmp_path / "a" / "dup.toml", tmp_path / "b" / "dup.toml", "--out", tmp_path / "c"
    )
    assert status == 2 and "both called 'dup'" in err and str(tmp_path / "b" / "dup.toml") in err
    assert not (tmp_path / "c").exists()


def test_compare_caps_replicates_and_warns_about_workers(tmp_path, capsys):
    status, _, err = run_cli(capsys, "compare", "--replicates", "10000000", "--out", tmp_path / "c")
    assert status == 2 and "--force" in err and "40,000,000 runs" in err
    status, _, err = run_cli(
        capsys,
        "compare",
        "baseline",
        "--replicates",
        "1",
        "--steps",
        "2",
        "--workers",
        "48",
        "--quiet",
        "--out",
        tmp_path / "c",
    )
    assert status == 0 and "more than the" in err and "using 1" in err


def test_compare_resumes_an_interrupted_comparison(tmp_path, capsys):
    from decouple.compare import comparison, run_comparison, work_folder
    from decouple.sweeps.engine import run_sweep

    exp = comparison(["baseline", "selective_decoupling"], 2, 5, ["time.steps=4"])
    out = tmp_path / "cmp"
    partial = run_sweep(exp, work_folder(out), progress=False, stop_after=3)  # as if killed after 3 runs
    assert partial.done == 3
    resumed = run_comparison(exp, out, workers=1, resume=True, progress=False)
    assert resumed.computed == 1 and resumed.runs == 4
    straight = run_comparison(exp, tmp_path / "straight", workers=1, progress=False)
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "timeseries.parquet"),
        pd.read_parquet(straight.out / "timeseries.parquet"),
        check_exact=True,
    )


# ------------------------------------------------------------------ the model's Python API


def test_the_model_refuses_bad_seeds_and_scenarios():
    for seed in (1.5, -1, 2**63, True, "3"):
        with pytest.raises(ConfigError, match="seed"):
            DecouplingModel("baseline", seed=seed)
    with pytest.raises(ConfigError, match="scenario None"):
        DecouplingModel(None)


def test_parameters_are_read_only_and_changed_through_set_params():
    model = DecouplingModel("baseline", seed=1)
    with pytest.raises(ConfigError, match=r"read-only: 'policy.fence' cannot be set to 5.0.*set_params"):
        model.params.policy.fence = 5.0
    assert model.params.policy.fence == 0.0
    with pytest.raises(ConfigError, match="out of range"):
        model.set_params({"policy.fence": 5.0})
    model.set_params({"policy.fence": 0.5})
    assert model.params.policy.fence == 0.5


def test_typed_parameters_and_keywords_drive_the_model():
    a = DecouplingModel("selective_decoupling", seed=2, params={"policy.fence": 0.8, "time.steps": 4}).run()
    b = DecouplingModel("selective_decoupling", seed=2, **{"policy.fence": 0.8, "time.steps": 4}).run()
    c = DecouplingModel(load_scenario("selective_decoupling", ("policy.fence=0.8", "time.steps=4")), seed=2).run()
    assert a.params.policy.fence == 0.8 and a.steps == 4
    frames = [m.table.frame("s", 2) for m in (a, b, c)]
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)
    pd.testing.assert_frame_equal(frames[0], frames[2], check_exact=True)
    with pytest.raises(ConfigError, match="did you mean 'policy.fence'"):
        DecouplingModel(params={"policy.fenc": 0.8})


def test_mesa_batch_run_drives_the_model_with_plain_keywords():
    import mesa

    results = mesa.batch_run(
        DecouplingModel,
        {"scenario": "selective_decoupling", "policy.fence": [0.3, 0.8], "time.steps": 4, "seed": 1},
        display_progress=False,
    )
    by_fence = {r["policy.fence"]: r for r in results}
    assert set(by_fence) == {0.3, 0.8}
    assert by_fence[0.8]["gap_small_yard"] != by_fence[0.3]["gap_small_yard"]  # the keyword reached the model
    assert "compliance_small_yard" in by_fence[0.8]  # the DataCollector's outcomes, by name


def test_step_after_the_last_step_does_nothing():
    model = DecouplingModel("baseline", seed=1, params={"time.steps": 3}).run()
    rows, revenue = len(model.table.values), model.firms.revenue.copy()
    model.step()
    assert model.steps == 3 and not model.running and len(model.table.values) == rows
    assert np.array_equal(model.firms.revenue, revenue)


# ------------------------------------------------------------------ scenario files


def test_relative_extends_is_read_from_the_folder_of_the_file(tmp_path, monkeypatch):
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "parent.toml").write_text(
        '[scenario]\nextends = "selective_decoupling"\n[policy]\nfence = 0.9\n'
    )
    (tmp_path / "scen" / "child.toml").write_text(
        '[scenario]\nextends = "parent.toml"\n[policy]\nlicence_approval = 0.5\n'
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    scenario = load_scenario(tmp_path / "scen" / "child.toml")
    assert scenario.params.policy.fence == 0.9 and scenario.params.policy.licence_approval == 0.5
    files = [path.name for path, _ in scenario.chain]
    assert files == ["child.toml", "parent.toml", "selective_decoupling.toml"]
    assert all(digest == hashlib.sha256(path.read_bytes()).hexdigest() for path, digest in scenario.chain)


@pytest.mark.parametrize(
    "extends, fragment",
    [
        ("3", "allowed: the name of a scenario or the path of a TOML file, as a string"),
        ('"missing.toml"', "scenario file not found"),
        ('"sub/"', "is a folder"),
        ('"self.toml"', "forms a cycle"),
    ],
)
def test_bad_extends(tmp_path, extends, fragment):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "self.toml"
    path.write_text(f"[scenario]\nextends = {extends}\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    assert fragment in str(err.value) and str(path) in str(err.value)


def test_events_in_one_year_apply_in_order_and_may_not_conflict(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text(
        '[[events]]\nyear = 2020.0\nset = { "policy.fence" = 0.5 }\n'
        '[[events]]\nyear = 2020.0\nset = { "policy.licence_approval" = 0.3 }\n'
    )
    assert [list(e.changes) for e in load_scenario(path).events] == [["policy.fence"], ["policy.licence_approval"]]
    path.write_text(
        '[[events]]\nyear = 2020.0\nset = { "policy.fence" = 0.5 }\n'
        '[[events]]\nyear = 2020.0\nset = { "policy.fence" = 0.7 }\n'
    )
    with pytest.raises(ConfigError, match="same year sets it to 0.5"):
        load_scenario(path)


def test_an_event_after_the_end_is_refused_or_reported(tmp_path, capsys):
    path = tmp_path / "late.toml"
    path.write_text('[[events]]\nyear = 2035.75\nset = { "policy.fence" = 0.5 }\n')
    with pytest.raises(ConfigError, match="from 2018 to 2035.5"):
        load_scenario(path)
    path.write_text('[[events]]\nyear = 2030.0\nset = { "policy.fence" = 0.5 }\n')
    status, out, _ = run_cli(capsys, "run", path, "--steps", "4", "--no-plots", "--out", tmp_path / "o")
    assert status == 0 and "1 event(s) of the scenario fall after the run's end" in out
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["provenance"]["events_after_end"] == [2030.0]


def test_a_scenario_name_cannot_escape_the_results_folder(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "../../escape"\n')
    with pytest.raises(ConfigError, match="scenario.name"):
        load_scenario(path)


# ------------------------------------------------------------------ sweeps

TINY = """
[experiment]
title = "tiny"
scenarios = {scenarios}
replicates = 2
root_seed = 3
steps = 2
sampler = "grid"

[[vary]]
path = "policy.fence"
values = [0.3, 0.7]

[metrics]
names = ["gap_small_yard"]
years = [2018.5]
"""


def tiny(tmp_path: Path, scenarios='["selective_decoupling"]', extra: str = "", name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(TINY.format(scenarios=scenarios) + extra)
    return path


def test_run_ids_stay_apart_for_scenarios_with_one_file_name(tmp_path):
    from decouple.sweeps.experiment import load_experiment

    for sub, name in (("a", "one"), ("b", "two")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "dup.toml").write_text(f'[scenario]\nname = "{name}"\nextends = "baseline"\n')
    exp = load_experiment(tiny(tmp_path, f'["{tmp_path}/a/dup.toml", "{tmp_path}/b/dup.toml"]'))
    ids = [r.run_id for r in exp.runs()]
    assert len(ids) == len(set(ids)) == 8 and ids[0].startswith("one__") and ids[-1].startswith("two__")
    (tmp_path / "b" / "dup.toml").write_text('[scenario]\nextends = "baseline"\n')
    (tmp_path / "a" / "dup.toml").write_text('[scenario]\nextends = "baseline"\n')
    with pytest.raises(ConfigError, match="both called 'dup'"):
        load_experiment(tiny(tmp_path, f'["{tmp_path}/a/dup.toml", "{tmp_path}/b/dup.toml"]'))


def test_broken_shards_are_computed_again_on_resume(tmp_path):
    from decouple.sweeps import engine
    from decouple.sweeps.experiment import load_experiment

    exp = load_experiment(tiny(tmp_path))
    engine.run_sweep(exp, tmp_path / "whole", progress=False)
    out = tmp_path / "out"
    engine.run_sweep(exp, out, progress=False)
    shards = sorted((out / "shards").glob("*.arrow"))
    shards[0].write_bytes(shards[0].read_bytes()[:40])  # truncated
    shards[1].write_bytes(b"")  # empty
    shards[2].write_bytes(os.urandom(500))  # random
    again = engine.run_sweep(exp, out, resume=True, progress=False)
    assert again.computed == 3 and again.done == 4
    assert tree(out / "shards") == tree(tmp_path / "whole" / "shards")


def test_shards_of_another_experiment_are_never_adopted(tmp_path):
    from decouple.sweeps import engine
    from decouple.sweeps.experiment import load_experiment

    out = tmp_path / "out"
    engine.run_sweep(load_experiment(tiny(tmp_path)), out, progress=False)
    (out / "manifest.json").unlink()
    before = tree(out)
    other = load_experiment(tiny(tmp_path, extra="\n", name="other.toml"))  # another text: another hash
    with pytest.raises(ConfigError, match="another experiment"):
        engine.run_sweep(other, out, resume=True, progress=False)
    assert tree(out) == before


def test_a_sweep_with_failed_runs_exits_non_zero(tmp_path, capsys, monkeypatch):
    from decouple.sweeps import engine

    real = engine.build

    def flaky(point, world):
        model = real(point, world)
        if model.params.policy.fence == 0.7:
            raise RuntimeError("deliberate failure")
        return model

    monkeypatch.setattr(engine, "build", flaky)
    status, _, err = run_cli(capsys, "sweep", tiny(tmp_path), "--workers", "1", "--quiet", "--out", tmp_path / "o")
    assert status == 1 and "2 of 4 runs failed" in err


@pytest.mark.parametrize(
    "extra, fragment",
    [
        ('\n[[vary]]\npath = "policy.fence"\nvalues = [0.1]\n', "appears 2 times"),
        ('\n[[figure]]\nkind = "violin"\nmetrics = ["gap_small_yard@2018.5"]\nfile = "../../x.png"\n', "no '..'"),
        (
            '\n[[figure]]\nkind = "violin"\nmetrics = ["gap_small_yard@2018.5"]\nfile = "/tmp/x.png"\n',
            "no absolute path",
        ),
    ],
)
def test_bad_experiments(tmp_path, extra, fragment):
    from decouple.sweeps.experiment import load_experiment

    with pytest.raises(ConfigError, match=fragment):
        load_experiment(tiny(tmp_path, extra=extra))


def test_huge_designs_are_refused_before_any_run(tmp_path, capsys):
    values = ", ".join(str(v / 10) for v in range(10))
    grid = "".join(
        f'\n[[vary]]\npath = "{p}"\nvalues = [{values}]\n'
        for p in (
            "policy.licence_approval",
            "policy.ally_pressure",
            "policy.entity_list_initial",
            "policy.entity_list_growth",
            "policy.entity_list_max",
            "policy.de_minimis",
            "policy.anti_circumvention",
            "policy.procurement_ban",
            "policy.inbound_screening",
        )
    )
    path = tiny(tmp_path, extra=grid)  # 2 x 10^9 points
    status, _, err = run_cli(capsys, "sweep", path, "--out", tmp_path / "o")
    assert status == 2 and "4,000,000,000 runs" in err and "memory" in err  # too big even with --force
    status, _, err = run_cli(capsys, "sweep", path, "--out", tmp_path / "o", "--force")
    assert status == 2 and "memory" in err
    sobol = TINY.format(scenarios='["baseline"]').replace('sampler = "grid"', 'sampler = "sobol"\nsamples = 1000000')
    sobol = sobol.replace("values = [0.3, 0.7]", "low = 0.1\nhigh = 0.9")
    sobol += "".join(
        f'\n[[vary]]\npath = "{p}"\nlow = 0.1\nhigh = 0.9\n'
        for p in ("policy.licence_approval", "policy.ally_pressure", "policy.entity_list_initial")
    )
    (tmp_path / "sobol.toml").write_text(sobol)
    status, _, err = run_cli(capsys, "sweep", tmp_path / "sobol.toml", "--out", tmp_path / "o")
    assert status == 2 and "12,000,000 runs" in err and "--force" in err
    assert not (tmp_path / "o").exists()


def test_sobol_points_come_in_chunks_equal_to_salib(tmp_path):
    from SALib.sample import sobol as sobol_sample

    from decouple.sweeps import experiment

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    whole = sobol_sample.sample(problem, 64, calc_second_order=False, seed=11)
    old, experiment.CHUNK = experiment.CHUNK, 16
    try:
        chunks = np.concatenate(list(experiment._unit_design("sobol", 3, 64, 11, ["a", "b", "c"])))
    finally:
        experiment.CHUNK = old
    assert np.array_equal(whole, chunks)


def test_plot_draws_from_the_experiment_the_sweep_ran(tmp_path, capsys):
    text = TINY.format(scenarios='["selective_decoupling"]').replace("steps = 2", 'steps = 2\nbaseline = "baseline"')
    text += '\n[[vary]]\npath = "policy.ally_pressure"\nvalues = [0.0, 1.0]\n'
    text += '\n[[figure]]\nkind = "heatmap"\nmetric = "gap_small_yard@2018.5"\nfile = "gap.png"\n'
    path = tmp_path / "exp.toml"
    path.write_text(text)
    out = tmp_path / "o"
    assert run_cli(capsys, "sweep", path, "--workers", "1", "--quiet", "--out", out)[0] == 0
    path.write_text(text.replace("values = [0.3, 0.7]", "values = [0.1, 0.2, 0.9]"))  # edited afterwards
    (out / "gap.png").unlink()
    status, stdout, err = run_cli(capsys, "plot", out)
    assert status == 0 and "has changed since the sweep" in err and (out / "gap.png").is_file()
    (out / "manifest.json").write_text("{ not json")
    status, _, err = run_cli(capsys, "plot", out)
    assert status == 2 and "manifest.json" in err and "Traceback" not in err


#: A hang guard, not a speed test: the Dask client gives up after SCHEDULER_TIMEOUT, and the guard adds
#: room for starting Python and Dask on a busy machine, so it catches only a client that waits for ever.
SCHEDULER_HANG_GUARD = SCHEDULER_TIMEOUT + 50


def test_an_unreachable_scheduler_is_reported_within_its_timeout(tmp_path, capsys):
    """The command says it gave up after SCHEDULER_TIMEOUT (test_sweeps checks that the value is what
    Dask is given); the alarm only catches a client that waits for ever (SCHEDULER_HANG_GUARD)."""

    def hung(signum, frame):
        raise AssertionError(f"still waiting for the scheduler after {SCHEDULER_HANG_GUARD} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(SCHEDULER_HANG_GUARD)
    try:
        status, _, err = run_cli(
            capsys,
            "sweep",
            tiny(tmp_path),
            "--backend",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--quiet",
            "--out",
            tmp_path / "o",
        )
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert status == 2 and "cannot reach a Dask scheduler" in err and f"within {SCHEDULER_TIMEOUT} s" in err


def test_calibrate_writes_through_a_symlinked_out_file(tmp_path, capsys, monkeypatch):
    from decouple.validation import calibration

    record = {"seconds": 0.0, "replay": {"values": []}, "satellite": {"values": []}}
    monkeypatch.setattr(calibration, "run", lambda **kwargs: record)
    written = []
    monkeypatch.setattr(calibration, "write", lambda rec, path: written.append(path) or path)
    monkeypatch.setattr(calibration, "REPLAY_FREE", ())
    monkeypatch.setattr(calibration, "SATELLITE_FREE", ())
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "calibration.toml").write_text("old")
    link = tmp_path / "calibration.toml"
    link.symlink_to(tmp_path / "store" / "calibration.toml")
    assert run_cli(capsys, "calibrate", "--out", link)[0] == 0
    assert written == [tmp_path / "store" / "calibration.toml"] and link.is_symlink()
    for bad in ("out/", str(tmp_path / "store") + "/"):
        status, _, err = run_cli(capsys, "calibrate", "--out", bad)
        assert status == 2 and "names a folder; give the path of a file" in err
