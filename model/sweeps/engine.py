"""Running a sweep on any ``concurrent.futures`` executor.

- Local: ``--workers N`` runs a ``ProcessPoolExecutor`` (1 worker runs in-process). On Linux its
  workers are forked, so they start with the modules imported and the world read (see
  :func:`decouple.runner.local_context`).
- Dask: ``--backend dask`` takes ``distributed.Client(...).get_executor()``, on a loopback
  ``LocalCluster`` unless ``--scheduler ADDRESS`` names a running scheduler. An MPI pool
  (``mpi4py.futures.MPIPoolExecutor``) plugs in the same way through ``run_sweep(executor=...)``.

Each worker writes its own result shard (``shards/<run id>.parquet``, and the run's time series
under ``timeseries/`` when asked) by atomic rename, so a killed sweep leaves only whole files; a
failing run writes ``failed/<run id>.json`` with its error and the others go on. The driver keeps
only the runs' status in memory, submits a bounded window of runs at a time, rewrites
``manifest.json`` as runs finish, and at the end gathers the shards into ``runs.parquet``.
``resume=True`` computes only the runs without a shard. Every run is fully determined by its
scenario, overrides and seed, so results are identical whatever the worker count or backend.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..config import load_scenario
from ..errors import ConfigError, DecoupleError
from ..model import DecouplingModel
from ..output import write_json, write_parquet
from ..runner import git_commit, local_context
from ..world import load_world
from .experiment import Experiment, Run
from .measures import RunRecorder

MANIFEST = "manifest.json"
RUNS = "runs.parquet"


@lru_cache(maxsize=1)
def _world():
    return load_world()


def _encode(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def execute(run: Run, out: str, metrics: tuple[str, ...], years: tuple[float, ...], keep_timeseries: bool) -> dict:
    """Run one sweep run in a worker and write its shard; never raises."""
    out = Path(out)
    started = time.perf_counter()
    try:
        world = _world()
        spec = load_scenario(run.scenario, run.overrides, sectors=world.sectors)
        model = DecouplingModel(spec, seed=run.seed, world=world)
        rec = RunRecorder(model, metrics, years, keep_timeseries).run()
        row = {"run_id": run.run_id, "scenario": spec.name, "point": run.point, "replicate": run.replicate,
               "seed": run.seed, "status": "done", "error": ""}
        row.update({path: _encode(v) for path, v in run.values.items()})
        row.update(rec.values)
        if keep_timeseries:
            series = pd.DataFrame(rec.series)
            series.insert(0, "run_id", run.run_id)
            series.insert(1, "scenario", spec.name)
            series.insert(2, "seed", run.seed)
            series.insert(3, "point", run.point)
            write_parquet(out / "timeseries" / f"{run.run_id}.parquet", series)
        write_parquet(out / "shards" / f"{run.run_id}.parquet", pd.DataFrame([row]))
        return {"run_id": run.run_id, "status": "done", "seconds": time.perf_counter() - started}
    except Exception as exc:  # recorded, not raised: one failing run must not stop a sweep
        record = {"run_id": run.run_id, "scenario": run.scenario, "seed": run.seed, "values": run.values,
                  "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        write_json(out / "failed" / f"{run.run_id}.json", record)
        return {"run_id": run.run_id, "status": "failed", "error": record["error"]}


def execute_batch(runs: list[Run], out: str, metrics: tuple[str, ...], years: tuple[float, ...],
                  keep_timeseries: bool) -> list[dict]:
    """Several runs in one task, each with its own shard or failure record, as :func:`execute`.

    A remote executor pays a fixed cost per task (under Dask a round trip through the scheduler,
    whose CPU time on a small machine is taken from the workers); a batch pays it once. The local
    pool submits runs one by one."""
    return [execute(run, out, metrics, years, keep_timeseries) for run in runs]


def batch_size(runs: int, workers: int) -> int:
    """Runs per task: up to 8, while leaving every worker at least 8 tasks to balance the load."""
    return max(1, min(8, runs // (8 * max(workers, 1))))


@dataclass
class SweepResult:
    out: Path
    runs: int
    done: int
    failed: int
    computed: int
    seconds: float
    backend: str
    workers: int


def _provenance(exp: Experiment, backend: str, workers: int) -> dict:
    return {"experiment": exp.name, "file": str(exp.file), "sha256": exp.sha256, "package_version": __version__,
            "git_commit": git_commit(), "python": platform.python_version(),
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "backend": backend, "workers": workers, "seeds": exp.seeds(), "root_seed": exp.section.root_seed}


def _write_manifest(out: Path, exp: Experiment, runs: list[Run], status: dict, prov: dict) -> None:
    counts = {s: sum(1 for v in status.values() if v == s) for s in ("done", "failed", "pending")}
    write_json(out / MANIFEST, {
        "experiment": {"name": exp.name, "title": exp.section.title, "file": str(exp.file), "sha256": exp.sha256},
        "provenance": prov, "counts": counts,
        "runs": [{**{k: v for k, v in asdict(r).items() if k != "overrides"}, "status": status[r.run_id]} for r in runs],
    })


def _check_folder(out: Path, exp: Experiment, resume: bool) -> None:
    manifest = out / MANIFEST
    if manifest.is_file():
        old = json.loads(manifest.read_text())
        if old.get("experiment", {}).get("sha256") != exp.sha256:
            raise ConfigError(f"{out}: holds a sweep of '{old.get('experiment', {}).get('name')}' from a different "
                              f"experiment file; choose another --out (nothing was changed)")
        if not resume:
            raise ConfigError(f"{out}: already holds this sweep; use --resume to finish it, or another --out")
    elif out.exists() and any(out.iterdir()) and not resume:
        raise ConfigError(f"{out}: folder is not empty and holds no sweep; choose another --out")


@contextmanager
def make_executor(backend: str, workers: int, scheduler: str | None):
    if backend == "local":
        if workers <= 1:
            yield None
            return
        _world()  # read once here, so forked workers inherit it
        with ProcessPoolExecutor(max_workers=workers, mp_context=local_context()) as pool:
            yield pool
        return
    if backend != "dask":
        raise ConfigError(f"--backend {backend!r}; allowed: local, dask")
    from distributed import Client, LocalCluster
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        import dask
        # Two Dask defaults slow the runs down and serve nothing here: workers start with
        # MALLOC_TRIM_THRESHOLD_=65536, so that they hand freed memory back to the system at once
        # (a run allocates and frees many small numpy arrays; the local pool's workers keep the C
        # library's default), and they sample their own stacks every 10 ms for the dashboard's
        # profile page (the cluster has no dashboard). Together about a tenth of each run.
        # A third: on Linux the nannies fork their workers, as the local pool does (see
        # local_context), instead of spawning interpreters that import everything again (about
        # 1.3 s before the first run on this machine).
        environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
                   if k != "MALLOC_TRIM_THRESHOLD_"}
        settings = {"distributed.nanny.pre-spawn-environ": environ, "distributed.worker.profile.enabled": False}
        if local_context() is not None:
            _world()  # read once here, so forked workers inherit it
            settings["distributed.worker.multiprocessing-method"] = "fork"
        with dask.config.set(settings):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _done_ids(out: Path) -> set[str]:
    done = set()
    for path in (out / "shards").glob("*.parquet"):
        done.add(path.stem)
    return done


def _clean_partial(out: Path) -> None:
    """Remove temporary files a killed sweep may have left (finished shards are renamed atomically)."""
    for folder in ("shards", "timeseries", "failed"):
        for tmp in (out / folder).glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    for tmp in out.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def run_sweep(exp: Experiment, out: Path, workers: int = 1, backend: str = "local", scheduler: str | None = None,
              resume: bool = False, progress: bool = True, executor: Executor | None = None,
              stop_after: int | None = None) -> SweepResult:
    """Run (or finish) every run of ``exp`` into ``out``; ``stop_after`` stops early (tests)."""
    out = Path(out)
    _check_folder(out, exp, resume)
    for folder in ("shards", "failed") + (("timeseries",) if exp.section.keep_timeseries else ()):
        (out / folder).mkdir(parents=True, exist_ok=True)
    _clean_partial(out)
    runs = exp.runs()
    done = _done_ids(out)
    status = {r.run_id: ("done" if r.run_id in done else "pending") for r in runs}
    for r in runs:
        if status[r.run_id] == "pending":
            (out / "failed" / f"{r.run_id}.json").unlink(missing_ok=True)  # retried
    todo = [r for r in runs if status[r.run_id] == "pending"]
    if stop_after is not None:
        todo = todo[:stop_after]
    prov = _provenance(exp, backend, workers)
    _write_manifest(out, exp, runs, status, prov)
    metrics = tuple(exp.spec.metrics.names)
    years = tuple(exp.spec.metrics.years)
    keep = exp.section.keep_timeseries
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(runs), initial=sum(v == "done" for v in status.values()),
                   desc=exp.name, unit="run", dynamic_ncols=True)
    last_manifest = time.monotonic()

    def finished(result: dict) -> None:
        nonlocal last_manifest
        status[result["run_id"]] = result["status"]
        if bar is not None:
            bar.update(1)
        if time.monotonic() - last_manifest > 5.0:
            _write_manifest(out, exp, runs, status, prov)
            last_manifest = time.monotonic()

    args = (str(out), metrics, years, keep)
    try:
        with (make_executor(backend, workers, scheduler) if executor is None else _given(executor)) as pool:
            if pool is None:
                for r in todo:
                    finished(execute(r, *args))
            else:
                # The local pool's per-task cost is small, and a batch's tail would idle a worker.
                size = 1 if executor is None and backend == "local" else batch_size(len(todo), workers)
                batches = (todo[i:i + size] for i in range(0, len(todo), size))
                window = max(2, 4 * workers)  # batches in flight: bounded, whatever the sweep's size
                pending = {pool.submit(execute_batch, b, *args) for b in itertools.islice(batches, window)}
                while pending:
                    complete, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in complete:
                        for result in fut.result():
                            finished(result)
                    pending |= {pool.submit(execute_batch, b, *args) for b in itertools.islice(batches, len(complete))}
    finally:
        if bar is not None:
            bar.close()
        _write_manifest(out, exp, runs, status, prov)
    consolidate(out, exp, runs)
    seconds = time.perf_counter() - started
    counts = {s: sum(1 for v in status.values() if v == s) for s in ("done", "failed")}
    return SweepResult(out, len(runs), counts["done"], counts["failed"], len(todo), seconds, backend, workers)


@contextmanager
def _given(executor: Executor):
    yield executor


def consolidate(out: Path, exp: Experiment, runs: list[Run] | None = None) -> pd.DataFrame:
    """Gather shards and failures into ``runs.parquet`` (one row per run, sorted by run id)."""
    runs = runs or exp.runs()
    rows = _read_parquets(sorted((out / "shards").glob("*.parquet")))
    rows = rows if rows is not None else pd.DataFrame(columns=["run_id"])
    failed = []
    for path in sorted((out / "failed").glob("*.json")):
        rec = json.loads(path.read_text())
        failed.append({"run_id": rec["run_id"], "scenario": rec["scenario"], "seed": rec["seed"],
                       "status": "failed", "error": rec["error"], **{k: _encode(v) for k, v in rec["values"].items()}})
    if failed:
        rows = pd.concat([rows, pd.DataFrame(failed)], ignore_index=True)
    meta = {r.run_id: r for r in runs}
    rows = rows[rows["run_id"].isin(meta)].sort_values("run_id").reset_index(drop=True)
    if len(rows):
        rows["point"] = [meta[i].point for i in rows["run_id"]]
        rows["replicate"] = [meta[i].replicate for i in rows["run_id"]]
    write_parquet(out / RUNS, rows)
    return rows


def _read_parquets(paths: list[Path]) -> pd.DataFrame | None:
    """The files' rows in one frame (None when there are none): read with pyarrow and converted
    to pandas once, which is the same frame as concatenating ``pd.read_parquet`` of each file
    when they share one schema; otherwise each file is converted and pandas concatenates."""
    tables = [pq.read_table(p) for p in paths]
    if not tables:
        return None
    if all(t.schema.equals(tables[0].schema, check_metadata=True) for t in tables):
        return pa.concat_tables(tables).to_pandas()
    return pd.concat([t.to_pandas() for t in tables], ignore_index=True)


def load_timeseries(out: Path) -> pd.DataFrame:
    frames = _read_parquets(sorted((Path(out) / "timeseries").glob("*.parquet")))
    if frames is None:
        raise DecoupleError(f"{out}: no run time series; set keep_timeseries = true in the experiment")
    return frames


def default_workers() -> int:
    return os.cpu_count() or 1
