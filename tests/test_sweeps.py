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
