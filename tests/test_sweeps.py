"""Sweeps: experiment validation, designs, seeds, shards, failures, resume after a kill, and
identical results for any worker count and for the Dask backend."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from decouple import ConfigError
from decouple.cli import main
from decouple.sweeps import engine
from decouple.sweeps.experiment import load_experiment

TINY = """
[experiment]
title = "tiny"
scenarios = ["selective_decoupling"]
baseline = "baseline"
replicates = 2
root_seed = 7
steps = {steps}
sampler = "grid"

[[vary]]
path = "policy.fence"
values = [0.3, 0.7]

[[vary]]
path = "policy.ally_pressure"
values = [0.0, 1.0]

[metrics]
names = ["gap_controlled", "welfare_WORLD", "us_revenue"]
years = [{year}]

[[figure]]
kind = "heatmap"
metric = "welfare_WORLD@{year}"
relative = "loss"
file = "welfare.png"
"""


def tiny(tmp_path: Path, steps: int = 6, name: str = "tiny.toml", extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(TINY.format(steps=steps, year=2018.0 + steps / 4) + extra)
    return path


def frame(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs.parquet")


def digest(out: Path) -> str:
    data = frame(out).drop(columns=[c for c in ("error",) if c in frame(out)])
    return hashlib.sha256(pd.util.hash_pandas_object(data, index=False).values.tobytes()).hexdigest()


# ------------------------------------------------------------------ experiment files


def write(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "patch, fragment",
    [
        (
            ('sampler = "grid"', 'sampler = "grid"\nreplicats = 3'),
            "unknown key 'experiment.replicats' (did you mean 'replicates'?)",
        ),
        (('path = "policy.fence"', 'path = "policy.fense"'), "unknown parameter (did you mean 'policy.fence'?)"),
        (("values = [0.3, 0.7]", "values = [0.3, 1.7]"), "policy.fence' = 1.7 is out of range"),
        (
            ('names = ["gap_controlled"', 'names = ["gap_controled"'),
            "unknown metric 'gap_controled' (did you mean 'gap_controlled'?)",
        ),
        (("replicates = 2", "replicates = 0"), "experiment.replicates' = 0"),
        (('sampler = "grid"', 'sampler = "lhs"'), "needs 'low' and 'high'"),
        (('title = "tiny"', ""), "key 'experiment.title' is required"),
    ],
)
def test_bad_experiment_files(tmp_path, patch, fragment):
    text = TINY.format(steps=6, year=2019.5).replace(*patch)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    assert fragment in str(err.value) and str(path) in str(err.value)


def test_years_outside_the_run(tmp_path):
    path = write(tmp_path, TINY.format(steps=6, year=2030.0))
    with pytest.raises(ConfigError, match="metrics.years' has 2030.0; allowed: quarter years from 2018 to 2019.5"):
        load_experiment(path)


def test_grid_design_and_runs(tmp_path):
    exp = load_experiment(tiny(tmp_path))
    assert len(exp.points) == 4
    runs = exp.runs()
    assert len(runs) == 4 * 2 + 2  # points x replicates + paired baseline runs
    assert {r.seed for r in runs} == set(exp.seeds())  # common random numbers across points


def test_seeds_are_stable_per_run_id(tmp_path):
    a = {r.run_id: r.seed for r in load_experiment(tiny(tmp_path)).runs()}
    more = tiny(tmp_path, name="more.toml")
    more.write_text(more.read_text().replace("replicates = 2", "replicates = 3"))
    b = {r.run_id: r.seed for r in load_experiment(more).runs()}
    assert all(b[k] == v for k, v in a.items())  # adding seeds keeps the old runs' seeds
    assert len(set(load_experiment(more).seeds())) == 3


@pytest.mark.parametrize(
    "sampler, samples, count",
    [("lhs", 10, 10), ("random", 5, 5), ("sobol", 8, 8 * (2 + 2)), ("morris", 4, 4 * (2 + 1))],
)
def test_samplers(tmp_path, sampler, samples, count):
    text = TINY.format(steps=6, year=2019.5).replace('sampler = "grid"', f'sampler = "{sampler}"\nsamples = {samples}')
    text = text.replace("values = [0.3, 0.7]", "low = 0.2\nhigh = 0.9").replace(
        "values = [0.0, 1.0]", "low = 0.0\nhigh = 1.0"
    )
    text = text.split("[[figure]]")[0]
    exp = load_experiment(write(tmp_path, text))
    assert len(exp.points) == count
    x = exp.points_array()
    assert x[:, 0].min() >= 0.2 and x[:, 0].max() <= 0.9 and x[:, 1].min() >= 0 and x[:, 1].max() <= 1
    assert np.array_equal(x, load_experiment(write(tmp_path, text)).points_array())  # reproducible


# ------------------------------------------------------------------ the engine


def test_sweep_writes_manifest_runs_and_figures(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(tiny(tmp_path)), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"done": 10, "failed": 0, "pending": 0}
    assert manifest["provenance"]["seeds"] and manifest["experiment"]["sha256"]
    runs = frame(out)
    assert len(runs) == 10 and (runs.status == "done").all()
    assert {
        "run_id",
        "scenario",
        "seed",
        "policy.fence",
        "policy.ally_pressure",
        "gap_controlled@2019.5",
        "welfare_WORLD@2019.5",
        "compliance_lag",
        "ss50_logic_chips",
    } <= set(runs.columns)
    assert mpimg.imread(out / "welfare.png").shape[1] >= 600  # its content: tests/test_plots.py
    assert "10 runs computed" in capsys.readouterr().out


def test_worker_count_and_dask_give_identical_results(tmp_path):
    exp = load_experiment(tiny(tmp_path))
    serial = engine.run_sweep(exp, tmp_path / "one", workers=1, progress=False)
    pooled = engine.run_sweep(exp, tmp_path / "two", workers=2, progress=False)
    dask = engine.run_sweep(exp, tmp_path / "dask", workers=2, backend="dask", progress=False)
    assert serial.done == pooled.done == dask.done == 10
    assert digest(tmp_path / "one") == digest(tmp_path / "two") == digest(tmp_path / "dask")


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path, monkeypatch):
    exp = load_experiment(tiny(tmp_path))
    bad_seed = exp.seeds()[1]
    real = engine.build

    def flaky(point, world):
        model = real(point, world)
        if (
            point.seed == bad_seed
            and model.scenario.name == "selective_decoupling"
            and model.params.policy.fence == 0.7
        ):
            raise RuntimeError("deliberate failure")
        return model

    monkeypatch.setattr(engine, "build", flaky)
    result = engine.run_sweep(exp, tmp_path / "out", workers=1, progress=False)
    assert result.failed == 2 and result.done == 8
    runs = frame(tmp_path / "out")
    failed = runs[runs.status == "failed"]
    assert len(failed) == 2 and failed.error.str.contains("deliberate failure").all()
    assert len(list((tmp_path / "out" / "failed").glob("*.json"))) == 2
    monkeypatch.setattr(engine, "build", real)
    again = engine.run_sweep(exp, tmp_path / "out", workers=1, resume=True, progress=False)
    assert again.computed == 2 and again.failed == 0 and (frame(tmp_path / "out").status == "done").all()


def test_resume_computes_only_missing_runs(tmp_path):
    exp = load_experiment(tiny(tmp_path))
    partial = engine.run_sweep(exp, tmp_path / "out", workers=1, progress=False, stop_after=4)
    assert partial.computed == 4 and partial.done == 4
    with pytest.raises(ConfigError, match="already holds this sweep; use --resume"):
        engine.run_sweep(exp, tmp_path / "out", workers=1, progress=False)
    finished = engine.run_sweep(exp, tmp_path / "out", workers=1, resume=True, progress=False)
    assert finished.computed == 6 and finished.done == 10
    engine.run_sweep(exp, tmp_path / "full", workers=1, progress=False)
    assert digest(tmp_path / "out") == digest(tmp_path / "full")


def test_folder_of_another_experiment_is_refused_untouched(tmp_path):
    engine.run_sweep(load_experiment(tiny(tmp_path)), tmp_path / "out", workers=1, progress=False)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    other = tiny(tmp_path, name="other.toml")
    other.write_text(other.read_text().replace("root_seed = 7", "root_seed = 8"))
    with pytest.raises(ConfigError, match="from a different experiment file"):
        engine.run_sweep(load_experiment(other), tmp_path / "out", workers=1, resume=True, progress=False)
    assert before == {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}


def _sweep_killed_after(path: str, out: str, shards: int) -> None:
    """In a forked child: run the sweep in-process and die by SIGKILL once ``shards`` runs are done."""
    real = engine.execute
    done = []

    def execute_then_die(run, settings):
        result = real(run, settings)
        done.append(run.run_id)
        if len(done) == shards:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    engine.execute = execute_then_die
    engine.run_sweep(load_experiment(path), Path(out), workers=1, progress=False)


def test_killed_sweep_loses_no_finished_run_and_resumes(tmp_path):
    import multiprocessing

    path = tiny(tmp_path, steps=24)
    out = tmp_path / "killed"
    child = multiprocessing.get_context("fork").Process(target=_sweep_killed_after, args=(str(path), str(out), 4))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    shards = list((out / "shards").glob("*.arrow"))
    assert len(shards) == 4
    for shard in shards:
        assert len(pd.read_feather(shard)) == 1  # every finished file is whole
    assert json.loads((out / "manifest.json").read_text())["experiment"]["name"] == "tiny"
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--resume", "--out", str(out)]) == 0
    engine.run_sweep(load_experiment(path), tmp_path / "whole", workers=1, progress=False)
    assert digest(out) == digest(tmp_path / "whole")
    assert not list(out.rglob(".*.tmp"))


def test_killing_the_driver_stops_its_pool_workers(tmp_path):
    import psutil

    path = tiny(tmp_path, steps=71, extra="")
    path.write_text(
        path.read_text()
        .replace("replicates = 2", "replicates = 10")
        .replace('sampler = "grid"', 'sampler = "grid"\nfixed = ["world.firms_scale=10"]')
    )
    out = tmp_path / "out"
    exe = Path(sys.executable).parent / "decouple"
    proc = subprocess.Popen(
        [str(exe), "sweep", str(path), "--workers", "2", "--quiet", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list((out / "shards").glob("*.arrow")):
            time.sleep(0.05)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert workers, "the sweep should still be running with its pool"
        proc.send_signal(signal.SIGKILL)  # the driver only, not its process group
        proc.wait()

        def gone(p):
            try:
                return p.status() == psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return True

        deadline = time.time() + 10
        while time.time() < deadline and not all(gone(p) for p in workers):
            time.sleep(0.05)
        assert all(gone(p) for p in workers)
        count = len(list((out / "shards").glob("*.arrow")))
        time.sleep(2.0)
        assert len(list((out / "shards").glob("*.arrow"))) == count  # nobody goes on writing shards
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_an_unreachable_scheduler_is_given_up_on_after_the_engines_timeout(monkeypatch):
    """The Dask client is asked to give up after SCHEDULER_TIMEOUT, and the failure is a clear error
    that says so: checked without timing anything (the fuzz corpus's hang guard only catches a
    command that never returns)."""
    import distributed

    from decouple.errors import DecoupleError
    from decouple.sweeps import engine

    asked = {}

    def refusing_client(address, **kwargs):
        asked.update(address=address, **kwargs)
        raise OSError("connection refused")

    monkeypatch.setattr(distributed, "Client", refusing_client)
    with pytest.raises(DecoupleError, match=rf"within {engine.SCHEDULER_TIMEOUT} s"):
        with engine.make_executor("dask", 2, "tcp://127.0.0.1:1"):
            pass
    assert asked == {"address": "tcp://127.0.0.1:1", "timeout": engine.SCHEDULER_TIMEOUT}


# ------------------------------------------------------------------ inputs fixed at the start

EDITED = """
[experiment]
title = "edited mid-sweep"
scenarios = ["{child}"]
replicates = 2
root_seed = 3
steps = 4

[[vary]]
path = "policy.fence"
values = [0.2, 0.6]

[metrics]
names = ["gap_controlled", "welfare_WORLD", "trust"]
years = [2019.0]
"""


def _edited_inputs(folder: Path, shift: float, support: float) -> Path:
    """A scenario file that extends another (which extends baseline): both are edited below."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "parent.toml").write_text(f'[scenario]\nextends = "baseline"\n[china]\nbase_support = {support}\n')
    child = folder / "child.toml"
    child.write_text(
        f'[scenario]\nname = "child"\nextends = "parent.toml"\n[world]\nchina_capability_shift = {shift}\n'
    )
    experiment = folder / "edited.toml"
    experiment.write_text(EDITED.format(child=child))
    return experiment


def test_scenario_files_edited_during_a_sweep_change_none_of_its_runs(tmp_path, monkeypatch):
    """Every run reads the scenario files (and the files they extend) as they were when the sweep
    started, and a --resume after the edit refuses the folder instead of mixing versions."""
    experiment = _edited_inputs(tmp_path / "in", shift=0.0, support=0.05)
    exp = load_experiment(experiment)
    engine.run_sweep(exp, tmp_path / "clean", progress=False)
    clean = frame(tmp_path / "clean")

    real, calls = engine.execute, []

    def edit_after_first_run(run, settings):
        result = real(run, settings)
        calls.append(run.run_id)
        if len(calls) == 1:  # a teacher saves the files while the sweep runs
            _edited_inputs(tmp_path / "in", shift=0.2, support=0.2)
        return result

    monkeypatch.setattr(engine, "execute", edit_after_first_run)
    during = engine.run_sweep(
        load_experiment(_edited_inputs(tmp_path / "in", 0.0, 0.05)), tmp_path / "out", progress=False
    )
    assert during.done == 4 and len(calls) == 4
    pd.testing.assert_frame_equal(frame(tmp_path / "out"), clean)  # bit-identical metrics
    monkeypatch.setattr(engine, "execute", real)

    # the edit does change the results: the test above could fail
    edited = engine.run_sweep(load_experiment(experiment), tmp_path / "edited", progress=False)
    assert edited.done == 4
    metrics = ["gap_controlled@2019", "welfare_WORLD@2019", "trust@2019"]
    assert not frame(tmp_path / "edited")[metrics].equals(clean[metrics])

    # --resume with the edited files: detected, the folder is left as it was
    _edited_inputs(tmp_path / "in2", 0.0, 0.05)
    partial = engine.run_sweep(
        load_experiment(tmp_path / "in2" / "edited.toml"), tmp_path / "part", stop_after=2, progress=False
    )
    assert partial.done == 2
    _edited_inputs(tmp_path / "in2", 0.0, 0.3)  # the parent file changes
    with pytest.raises(
        ConfigError, match=f"changed scenario.*changed since: scenario file {tmp_path / 'in2'}/parent.toml"
    ):
        engine.run_sweep(
            load_experiment(tmp_path / "in2" / "edited.toml"), tmp_path / "part", resume=True, progress=False
        )


def test_a_scenario_file_removed_during_a_sweep_is_still_read_as_it_was(tmp_path, monkeypatch):
    experiment = _edited_inputs(tmp_path / "in", shift=0.1, support=0.1)
    exp = load_experiment(experiment)
    engine.run_sweep(exp, tmp_path / "clean", progress=False)
    real = engine.execute

    def remove_after_first_run(run, settings):
        result = real(run, settings)
        for name in ("child.toml", "parent.toml"):
            (tmp_path / "in" / name).unlink(missing_ok=True)
        return result

    monkeypatch.setattr(engine, "execute", remove_after_first_run)
    result = engine.run_sweep(
        load_experiment(_edited_inputs(tmp_path / "in", 0.1, 0.1)), tmp_path / "out", progress=False
    )
    assert result.failed == 0 and result.done == 4
    pd.testing.assert_frame_equal(frame(tmp_path / "out"), frame(tmp_path / "clean"))


# ------------------------------------------------------------------ shards checked before adoption


def _forge(path: Path, sha256: str, columns: dict) -> None:
    """A shard with this experiment's hash but the given columns (a forged or damaged file)."""
    import pyarrow as pa

    table = pa.table(columns).replace_schema_metadata({engine.HASH_KEY: sha256.encode()})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def test_invalid_shards_are_computed_again_with_a_warning_naming_them(tmp_path, capsys):
    import pyarrow as pa

    exp = load_experiment(tiny(tmp_path, steps=2))
    engine.run_sweep(exp, tmp_path / "whole", progress=False)
    out = tmp_path / "out"
    engine.run_sweep(exp, out, progress=False)
    shards = sorted((out / "shards").glob("*.arrow"))
    rows = [pa.ipc.open_file(pa.memory_map(str(p))).read_all().to_pylist()[0] for p in shards]
    metric = "welfare_WORLD@2018.5"
    assert metric in rows[0]

    def columns(row: dict, **change) -> dict:
        row = {**row, **change}
        return {k: [v] for k, v in row.items()}

    forged = {
        0: columns(rows[1]),  # another run's row under this run's name
        1: {k: v for k, v in columns(rows[1]).items() if k != metric},  # a metric column missing
        2: columns(rows[2], **{metric: "high"}),  # a metric as text
        3: {**columns(rows[3]), "run_id": pa.array([None], pa.string())},  # no run id
        4: {k: v * 2 for k, v in columns(rows[4]).items()},  # two rows
        5: {k: [] for k in rows[5]},  # no row
        6: columns(rows[6], extra_column=1.0),  # a column no run writes
        7: columns(rows[7], seed=rows[7]["seed"] + 1),  # another seed
        9: columns(rows[9], **{"policy.fence": 0.99}),  # another point's value
    }
    for i, cols in forged.items():
        _forge(shards[i], exp.sha256, cols)
    shards[8].write_bytes(b"PAR1" + os.urandom(300))  # garbage parquet
    capsys.readouterr()
    again = engine.run_sweep(exp, out, resume=True, progress=False)
    err = capsys.readouterr().err
    assert again.computed == 10 and again.done == 10
    for path in shards:
        assert f"{path}: " in err
    assert err.count("decouple: warning:") == 10
    pd.testing.assert_frame_equal(frame(out), frame(tmp_path / "whole"))
    # nothing to warn about once they are whole again
    assert engine.run_sweep(exp, out, resume=True, progress=False).computed == 0
    assert "warning" not in capsys.readouterr().err


def test_consolidation_never_gathers_an_invalid_shard(tmp_path, capsys):
    exp = load_experiment(tiny(tmp_path, steps=2))
    out = tmp_path / "out"
    engine.run_sweep(exp, out, progress=False)
    shards = sorted((out / "shards").glob("*.arrow"))
    _forge(shards[0], exp.sha256, {"run_id": [shards[0].stem], "bogus": [1.0]})
    rows = engine.consolidate(out, exp)
    assert shards[0].stem not in set(rows.run_id) and len(rows) == 9
    assert str(shards[0]) in capsys.readouterr().err


# ------------------------------------------------------------------ the driver's writes


@pytest.mark.parametrize("target", ["manifest.json", "runs.parquet"])
def test_a_failed_driver_write_is_named_and_keeps_the_shards(tmp_path, monkeypatch, capsys, target):
    import errno as errno_

    from decouple import output

    experiment = tiny(tmp_path, steps=2)
    out = tmp_path / "out"
    real = output.atomic_write

    def full_disk(path, write):  # the manifest's last rewrite fails (after runs), runs.parquet at once
        if Path(path).name == target and (target == "runs.parquet" or any((out / "shards").glob("*.arrow"))):
            raise OSError(errno_.ENOSPC, os.strerror(errno_.ENOSPC), str(path))
        return real(path, write)

    monkeypatch.setattr(output, "atomic_write", full_disk)
    monkeypatch.setattr(engine, "atomic_write", full_disk)
    assert main(["sweep", str(experiment), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert f"decouple: error: {out / target}: cannot write" in err and "No space left on device" in err
    assert "Traceback" not in err
    assert len(list((out / "shards").glob("*.arrow"))) >= 1  # the runs done are kept
    monkeypatch.setattr(output, "atomic_write", real)
    monkeypatch.setattr(engine, "atomic_write", real)
    assert main(["sweep", str(experiment), "--out", str(out), "--quiet", "--workers", "1", "--resume"]) == 0


def test_a_file_size_limit_during_consolidation_is_a_clear_error(tmp_path):
    """RLIMIT_FSIZE (a quota): Python ignores SIGXFSZ, so the write fails with EFBIG, which the
    sweep names; the shards written before stay whole and a --resume finishes the sweep."""
    import resource

    experiment = tiny(tmp_path, steps=2)
    out = tmp_path / "out"
    command = [str(Path(sys.executable).parent / "decouple"), "sweep", str(experiment), "--out", str(out)]
    command += ["--quiet", "--workers", "1"]

    def limit():  # shards (about 5 kB) and the manifest fit; runs.parquet (over 13 kB) does not
        resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))

    proc = subprocess.run(command, preexec_fn=limit, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert f"decouple: error: {out / 'runs.parquet'}: cannot write the sweep's table of runs" in proc.stderr
    assert "File too large" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(list((out / "shards").glob("*.arrow"))) == 10 and not (out / "runs.parquet").exists()
    assert not [p for p in out.rglob(".*") if p.name != ".decouple"]  # no temporary file left
    assert subprocess.run(command + ["--resume"], capture_output=True, timeout=600).returncode == 0
    assert len(frame(out)) == 10


def test_sweep_out_is_probed_inside_the_folder_it_writes(tmp_path, monkeypatch, capsys):
    """A sweep writes into --out: the check made before the first run probes that folder, not
    only its parent."""
    import tempfile

    experiment = tiny(tmp_path, steps=2)
    out = tmp_path / "existing"
    out.mkdir()
    real = tempfile.mkdtemp

    def read_only_out(*args, **kwargs):
        if Path(kwargs.get("dir", "")) == out:
            raise PermissionError(13, "Permission denied", str(out))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", read_only_out)
    ran = []
    monkeypatch.setattr(engine, "execute", lambda run, settings: ran.append(run))
    assert main(["sweep", str(experiment), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    assert "cannot write there (Permission denied)" in capsys.readouterr().err and not ran


def test_a_damaged_kept_time_series_makes_its_run_computed_again(tmp_path, capsys):
    tiny(tmp_path, steps=2)
    text = (tmp_path / "tiny.toml").read_text().replace("sampler = ", "keep_timeseries = true\nsampler = ")
    (tmp_path / "tiny.toml").write_text(text)
    exp = load_experiment(tmp_path / "tiny.toml")
    out = tmp_path / "out"
    engine.run_sweep(exp, out, progress=False)
    series = sorted((out / "timeseries").glob("*.parquet"))
    whole = {p.name: p.read_bytes() for p in series}
    series[0].write_bytes(series[0].read_bytes()[:100])  # truncated
    series[2].write_bytes(series[1].read_bytes())  # another run's
    series[3].unlink()  # missing
    capsys.readouterr()
    again = engine.run_sweep(exp, out, resume=True, progress=False)
    err = capsys.readouterr().err
    assert again.computed == 3 and err.count("decouple: warning:") == 3
    for p in (series[0], series[2], series[3]):
        assert str(p) in err
    assert {p.name: p.read_bytes() for p in sorted((out / "timeseries").glob("*.parquet"))} == whole


def test_a_failed_figure_write_is_named_and_keeps_the_runs(tmp_path, monkeypatch, capsys):
    import errno as errno_

    from decouple.sweeps import figures

    def full_disk(path, write):
        raise OSError(errno_.EFBIG, os.strerror(errno_.EFBIG), str(path))

    monkeypatch.setattr(figures, "atomic_write", full_disk)
    out = tmp_path / "out"
    assert main(["sweep", str(tiny(tmp_path, steps=2)), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert f"decouple: error: {out / 'welfare.png'}: cannot write the sweep's figures (File too large)" in err
    assert len(frame(out)) == 10 and "Traceback" not in err
    # `decouple plot` redraws them: the same failure is named as well (the command's last guard)
    assert main(["plot", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"decouple: error: {out / 'welfare.png'}: File too large" in err and "Traceback" not in err


# ------------------------------------------------------------------ CSV tables (--csv)


def same_table(csv: pd.DataFrame, parquet: pd.DataFrame) -> None:
    """A CSV read back holds the parquet's columns in its order, and its values: numbers exactly
    (the CSV writes them in full), text as text (an empty text reads back as a missing value)."""
    assert list(csv.columns) == list(parquet.columns)
    assert len(csv) == len(parquet) > 0
    for column in parquet.columns:
        ours, theirs = csv[column], parquet[column]
        if pd.api.types.is_numeric_dtype(theirs) and not pd.api.types.is_bool_dtype(theirs):
            assert np.array_equal(ours.to_numpy(float), theirs.to_numpy(float), equal_nan=True), column
        else:
            assert [texts(v) for v in ours] == [texts(v) for v in theirs], column


def texts(value) -> str:
    return "" if pd.isna(value) else str(value)


def test_sweep_csv_holds_the_parquet_tables(tmp_path, capsys):
    path = tiny(tmp_path, extra="")
    path.write_text(path.read_text().replace('sampler = "grid"', 'sampler = "grid"\nkeep_timeseries = true'))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--csv", "--out", str(out)]) == 0
    assert "manifest.json, runs.parquet, runs.csv, timeseries.csv" in capsys.readouterr().out
    same_table(pd.read_csv(out / "runs.csv"), frame(out))
    series = engine.load_timeseries(out)
    same_table(pd.read_csv(out / "timeseries.csv"), series)
    assert series["run_id"].is_monotonic_increasing and series["run_id"].nunique() == 10
    assert not (out / "tidy.csv").exists()  # keep_tidy is off: no tidy series to write


def test_a_sweep_without_csv_writes_none_and_a_resume_keeps_an_earlier_csv_in_step(tmp_path):
    exp = load_experiment(tiny(tmp_path))
    out = tmp_path / "out"
    engine.run_sweep(exp, out, progress=False, stop_after=3)
    assert not (out / "runs.csv").exists()  # parquet only unless asked
    first = engine.run_sweep(exp, out, progress=False, resume=True, stop_after=2, csv=True)
    assert [p.name for p in first.csv] == ["runs.csv"] and len(pd.read_csv(out / "runs.csv")) == 5
    last = engine.run_sweep(exp, out, progress=False, resume=True)  # no csv asked: the CSV follows anyway
    assert [p.name for p in last.csv] == ["runs.csv"]
    same_table(pd.read_csv(out / "runs.csv"), frame(out))
    assert len(frame(out)) == 10


def test_a_morris_sweep_from_the_command_line_writes_its_indices_as_a_table(tmp_path, capsys):
    """The CLI path of a sensitivity figure: the indices in sensitivity.csv are SALib's Morris
    analysis of runs.parquet (the fence moves the gap within a year; the pressure on allies, not
    yet)."""
    from SALib.analyze import morris

    text = TINY.format(steps=4, year=2019.0).split("[[figure]]")[0]
    text = text.replace('sampler = "grid"', 'sampler = "morris"\nsamples = 4').replace(
        "replicates = 2", "replicates = 1"
    )
    text = text.replace('baseline = "baseline"\n', "").replace("values = [0.3, 0.7]", "low = 0.2\nhigh = 0.9")
    text = text.replace("values = [0.0, 1.0]", "low = 0.0\nhigh = 1.0")
    path = write(tmp_path, text + '\n[[figure]]\nkind = "sensitivity"\nmetrics = ["gap_controlled@2019"]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert f"sensitivity indices: {out / 'sensitivity.csv'}" in capsys.readouterr().out
    table = pd.read_csv(out / "sensitivity.csv").set_index("parameter")
    assert list(table.columns) == ["metric", "label", "mu_star", "mu_star_conf", "sigma"]
    exp = load_experiment(path)
    runs = frame(out).sort_values("point")
    si = morris.analyze(exp.problem(), exp.points_array(), runs["gap_controlled@2019"].to_numpy(), num_levels=4, seed=7)
    assert np.allclose(table["mu_star"], si["mu_star"]) and np.allclose(table["sigma"], si["sigma"])
    assert table.loc["policy.fence", "mu_star"] > 0.01 and table.loc["policy.ally_pressure", "mu_star"] == 0
