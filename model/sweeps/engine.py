"""Running a sweep on any ``concurrent.futures`` executor.

- Local: ``--workers N`` runs a ``ProcessPoolExecutor`` (1 worker runs in-process). On Linux its
  workers are forked, so they start with the modules imported and the world read (see
  :func:`decouple.runner.local_context`).
- Dask: ``--backend dask`` takes ``distributed.Client(...).get_executor()``, on a loopback
  ``LocalCluster`` unless ``--scheduler ADDRESS`` names a running scheduler. An MPI pool
  (``mpi4py.futures.MPIPoolExecutor``) plugs in the same way through ``run_sweep(executor=...)``.

Each worker writes its own result shard (``shards/<run id>.arrow``, and the run's time series
under ``timeseries/`` and ``tidy/`` when asked) by atomic rename, so a killed sweep leaves only
whole files; a failing run writes ``failed/<run id>.json`` with its error and the others go on.
Every shard carries the experiment's hash in its metadata, so a folder of another experiment (or
of changed scenario files) is never adopted, even without its manifest. The driver generates the
runs as it submits them, keeps only their status, submits a bounded window at a time, rewrites
``manifest.json`` as runs finish, and at the end gathers the shards into ``runs.parquet``.
With ``csv=True`` (``decouple sweep --csv``) the same table is also written as ``runs.csv``
(:func:`write_csv_tables`), and the kept time series as one ``timeseries.csv`` (and ``tidy.csv``).
The scenario files (with the files they extend) are read once, when the sweep starts, and every
run reads that content: a file edited during the sweep changes none of its runs, and a
``--resume`` after the edit is refused, naming the file. ``resume=True`` computes only the runs
without a valid shard: a shard that is truncated, empty, of another format, or whose row is not
its run's (another run id or seed, a missing, extra or non-numeric column, not one row) is
computed again, with a warning naming it (so is one whose kept time series is missing or not its
run's). A failed write of the driver (a full disk, a file-size limit) is an error naming the
file; the shards written stay, for ``--resume``. Local pool workers die with the driver, so a
killed driver leaves no orphan writing shards. Every run is fully determined by its scenario, overrides and seed, so
results are identical whatever the worker count or backend.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import json
import os
import platform
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..errors import ConfigError, DecoupleError
from ..evaluate import Point, build, read, reads_of
from ..measure import Measure
from ..output import atomic_write, prepare_folder, write_json
from ..runner import git_commit, local_context
from ..scenarios import pinned_files
from ..world import shared_world
from .experiment import Experiment, Run
from .measures import indicator_table, sweep_measures

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
#: ``runs.parquet`` as CSV, and each kept time series gathered into one CSV (``--csv``)
CSV_FILES = {"runs": "runs.csv", "timeseries": "timeseries.csv", "tidy": "tidy.csv"}
#: a shard is one row in an Arrow IPC file: parquet's fixed cost per column made a one-row shard
#: cost 1.0 ms to write against 0.14 ms (91 columns); ``runs.parquet`` gathers them
SHARD_SUFFIX = ".arrow"
#: key of the experiment hash in each shard's schema metadata
HASH_KEY = b"decouple.experiment"
#: runs listed one by one in the manifest, at most (a larger sweep lists its counts)
MANIFEST_LIST_LIMIT = 100_000
#: seconds to wait for a Dask scheduler given by --scheduler
SCHEDULER_TIMEOUT = 10


@contextmanager
def driver_write(path: Path, what: str, out: Path | None = None) -> Iterator[None]:
    """Turn a failed write of the driver (a full disk, a file-size limit, a folder made read-only)
    into an error naming the file and the problem; what was written before stays as it was."""
    try:
        yield
    except OSError as exc:
        kept = f"; the runs done so far are kept in {out}/shards (`--resume` goes on from them)" if out else ""
        raise DecoupleError(
            f"{exc.filename or path}: cannot write {what} ({exc.strerror or type(exc).__name__}){kept}"
        ) from None


def _encode(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else value


@dataclass(frozen=True)
class Settings:
    """What every run of a sweep needs to know besides its own inputs (sent to the workers)."""

    out: str
    sha256: str
    metrics: tuple[str, ...]
    years: tuple[float, ...]
    keep_timeseries: bool
    keep_tidy: bool
    measures: tuple[Measure, ...] = ()  # what each run reads (RunRecorder's, unless the experiment says)
    until: float | None = None  # where each run stops (None: its scenario's end)
    #: the scenario files as the sweep read them when it started (path, content): every run reads
    #: these, so a file edited during the sweep changes none of its runs
    inputs: tuple[tuple[str, bytes], ...] = ()


def _write_row(path: Path, row: dict, sha256: str) -> pa.Table:
    """A one-row shard, straight from a dict (a pandas frame first cost more than the file); its
    table, without the hash, is returned."""
    table = pa.Table.from_pylist([row])
    stamped = table.replace_schema_metadata({HASH_KEY: sha256.encode()})

    def write(tmp: Path) -> None:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, stamped.schema) as writer:
            writer.write_table(stamped)

    atomic_write(path, write)
    return table


def _write_table(path: Path, frame: pd.DataFrame, sha256: str) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), HASH_KEY: sha256.encode()})
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def execute(run: Run, settings: Settings) -> dict:
    """Run one sweep run in a worker and write its shard; never raises."""
    out = Path(settings.out)
    started = time.perf_counter()
    try:
        with pinned_files({Path(p): data for p, data in settings.inputs}):
            model = build(Point(run.scenario, run.seed, overrides=run.overrides), shared_world())
        spec = model.scenario
        measures = settings.measures or tuple(sweep_measures(settings.metrics, settings.years, model.world))
        values = read(model, measures, settings.until)
        row = {
            "run_id": run.run_id,
            "scenario": spec.name,
            "point": run.point,
            "replicate": run.replicate,
            "seed": run.seed,
            "status": "done",
            "error": "",
        }
        row.update({path: _encode(v) for path, v in run.values.items()})
        row.update(values)
        # The shard is written last: a shard on disk means the run's other files are whole too.
        if settings.keep_timeseries:
            series = indicator_table(model, spec.name, run.seed).reset_index()
            series.insert(0, "run_id", run.run_id)
            series.insert(3, "point", run.point)
            _write_table(out / "timeseries" / f"{run.run_id}.parquet", series, settings.sha256)
        if settings.keep_tidy:
            _write_table(
                out / "tidy" / f"{run.run_id}.parquet", model.table.frame(spec.name, run.seed), settings.sha256
            )
        table = _write_row(out / "shards" / f"{run.run_id}{SHARD_SUFFIX}", row, settings.sha256)
        return {"run_id": run.run_id, "status": "done", "seconds": time.perf_counter() - started, "table": table}
    except Exception as exc:  # recorded, not raised: one failing run must not stop a sweep
        error = f"{type(exc).__name__}: {exc}"
        record = {
            "run_id": run.run_id,
            "scenario": run.scenario,
            "seed": run.seed,
            "values": run.values,
            "error": error,
            "traceback": traceback.format_exc(),
        }
        try:
            write_json(out / "failed" / f"{run.run_id}.json", record)
        except OSError as write_error:  # a full disk: the run failed, and its record could not be kept
            error += f" (and its record could not be written: {write_error.strerror})"
        return {"run_id": run.run_id, "status": "failed", "error": error}


def execute_batch(runs: list[Run], settings: Settings) -> list[dict]:
    """Several runs in one task, each with its own shard or failure record, as :func:`execute`.

    A remote executor pays a fixed cost per task (under Dask a round trip through the scheduler,
    whose CPU time on a small machine is taken from the workers); a batch pays it once. The local
    pool submits runs one by one."""
    return [execute(run, settings) for run in runs]


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
    table: pd.DataFrame | None = None  # runs.parquet's rows: the runs of this experiment
    csv: tuple[Path, ...] = ()  # the CSV tables written (runs.csv, timeseries.csv, tidy.csv)


def _provenance(exp: Experiment, backend: str, workers: int) -> dict:
    return {
        "experiment": exp.name,
        "file": str(exp.file) if exp.file else None,
        "sha256": exp.sha256,
        "package_version": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": backend,
        "workers": workers,
        "seeds": exp.seeds(),
        "root_seed": exp.section.root_seed,
    }


def _run_listing(exp: Experiment) -> list[dict] | None:
    """What the manifest says of every run besides its status (None above
    :data:`MANIFEST_LIST_LIMIT`): made once per sweep, not at every rewrite."""
    if exp.n_runs() > MANIFEST_LIST_LIMIT:
        return None
    fields = ("run_id", "scenario", "point", "replicate", "seed", "values")
    return [{f: getattr(r, f) for f in fields} for r in exp.iter_runs()]


def _write_manifest(
    out: Path, exp: Experiment, done: set[str], failed: set[str], prov: dict, listing: list[dict] | None
) -> None:
    total = exp.n_runs()
    counts = {"done": len(done), "failed": len(failed), "pending": total - len(done) - len(failed)}
    manifest: dict[str, Any] = {
        "experiment": {
            "name": exp.name,
            "title": exp.section.title,
            "file": str(exp.file) if exp.file else None,
            "sha256": exp.sha256,
            "text": exp.text,
            # the scenario files as the runs read them: a --resume names the ones changed since
            "inputs": _input_hashes(exp),
        },
        "provenance": prov,
        "counts": counts,
    }
    if listing is not None:
        manifest["runs"] = [
            {**r, "status": "done" if r["run_id"] in done else "failed" if r["run_id"] in failed else "pending"}
            for r in listing
        ]
    else:
        manifest["runs_note"] = (
            f"{total:,} runs: more than the manifest lists one by one; the experiment "
            "defines them, shards/ holds the done ones and failed/ the failed ones"
        )
    with driver_write(out / MANIFEST, "the sweep's manifest", out):
        write_json(out / MANIFEST, manifest)


def _input_hashes(exp: Experiment) -> dict[str, str]:
    return {str(path): hashlib.sha256(data).hexdigest() for path, data in exp.inputs.items()}


def _what_changed(old: dict, exp: Experiment) -> str:
    """Which of the sweep's inputs differ from those the manifest recorded ('' if it cannot say)."""
    changed = []
    if isinstance(old.get("text"), str) and old["text"] != exp.text:
        changed.append(f"the experiment ({exp.origin})")
    recorded = old.get("inputs")
    if isinstance(recorded, dict):
        now = _input_hashes(exp)
        changed += [f"scenario file {p}" for p, digest in recorded.items() if p in now and now[p] != digest]
    return "; changed since: " + ", ".join(changed[:5]) if changed else ""


def read_manifest(out: Path) -> dict | None:
    """The folder's manifest, or None when it has none or it cannot be read."""
    try:
        manifest = json.loads((Path(out) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _shard_hash(path: Path) -> bytes | None:
    """The experiment hash of a whole shard, or None for a broken one (truncated, empty, random)."""
    try:
        with pa.OSFile(str(path), "rb") as source:
            reader = pa.ipc.open_file(source)
            rows = sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
            metadata = reader.schema.metadata
    except Exception:  # pyarrow raises several kinds for files that are not Arrow files
        return None
    if rows != 1:
        return None
    return (metadata or {}).get(HASH_KEY, b"")


#: the columns every shard has besides the varied parameters and the measures, and their kinds
BASE_COLUMNS = {
    "run_id": pa.types.is_string,
    "scenario": pa.types.is_string,
    "point": pa.types.is_integer,
    "replicate": pa.types.is_integer,
    "seed": pa.types.is_integer,
    "status": pa.types.is_string,
    "error": pa.types.is_string,
}


@dataclass(frozen=True)
class ShardSchema:
    """What a shard of an experiment holds: checked before a shard is adopted."""

    sha256: bytes
    runs: dict[str, tuple[int, dict]]  # run id -> its seed and its varied parameters' values
    measures: frozenset[str]  # the measures' columns (numbers)


def shard_schema(exp: Experiment) -> ShardSchema:
    measures = exp.measures or tuple(sweep_measures(tuple(exp.spec.metrics.names), tuple(exp.spec.metrics.years)))
    # a point's values are one dict, shared by its replicates' runs
    runs = {r.run_id: (r.seed, r.values) for r in exp.iter_runs()}
    return ShardSchema(exp.sha256.encode(), runs, frozenset(m.column() for m in reads_of(measures, shared_world())))


class ForeignShard(Exception):
    """A whole shard of another experiment (or of other scenario or evidence files)."""


def _read_checked(path: Path, schema: ShardSchema) -> tuple[pa.Table | None, str]:
    """A shard's row without its hash, or (None, what is wrong with it); raises
    :class:`ForeignShard` for a whole shard of another experiment."""
    try:
        with pa.OSFile(str(path), "rb") as source:
            table = pa.ipc.open_file(source).read_all()
    except Exception:  # pyarrow raises several kinds for files that are not Arrow files
        return None, "not a whole Arrow file (truncated, empty or of another format)"
    if (table.schema.metadata or {}).get(HASH_KEY, b"") != schema.sha256:
        raise ForeignShard(path.name)
    table = table.replace_schema_metadata()
    if table.num_rows != 1:
        return None, f"{table.num_rows} rows, where a shard holds one run"
    names = set(table.column_names)
    for column, kind in BASE_COLUMNS.items():
        if column not in names:
            return None, f"no column '{column}'"
        if not kind(table.schema.field(column).type) or table.column(column).null_count:
            return None, f"column '{column}' is {table.schema.field(column).type} or empty"
    seed, point = schema.runs[path.stem]
    values = set(point)
    missing = sorted((values | schema.measures) - names)
    if missing:
        return None, f"no column(s) {', '.join(missing[:5])}"
    extra = sorted(names - set(BASE_COLUMNS) - values - schema.measures)
    if extra:
        return None, f"column(s) a run of this experiment does not write: {', '.join(extra[:5])}"
    for column in schema.measures:
        kind = table.schema.field(column).type
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_null(kind)):
            return None, f"column '{column}' holds {kind}, not numbers"
    row = table.slice(0, 1).to_pylist()[0]
    if row["run_id"] != path.stem:
        return None, f"holds run '{row['run_id']}', not the run its name says"
    if row["seed"] != seed or row["status"] != "done":
        return None, "its seed or status is not its run's"
    wrong = [p for p, v in point.items() if row[p] != _encode(v)]
    if wrong:
        return None, f"its value of {', '.join(wrong[:5])} is not its run's"
    return table, ""


def _series_problem(path: Path, sha256: bytes) -> str:
    """What is wrong with a run's kept time series (``timeseries/`` or ``tidy/``), or ''."""
    try:
        schema = pq.read_schema(path)
        rows = pq.read_metadata(path).num_rows
        ids = (
            set(pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist())
            if "run_id" in schema.names
            else {path.stem}
        )
    except FileNotFoundError:
        return f"its {path.parent.name} file {path} is missing"
    except Exception:  # pyarrow raises several kinds for files that are not Parquet files
        return f"its {path.parent.name} file {path} is not a whole Parquet file"
    if (schema.metadata or {}).get(HASH_KEY) != sha256 or not rows or ids != {path.stem}:
        return f"its {path.parent.name} file {path} is not this run's"
    return ""


def _reject(path: Path, problem: str) -> None:
    """Set an invalid shard aside: it is removed, and its run computed again."""
    print(f"decouple: warning: {path}: {problem}; not adopted, the run is computed again", file=sys.stderr)
    path.unlink(missing_ok=True)


def _valid_shards(out: Path, exp: Experiment) -> set[str]:
    """Run ids with a whole, valid shard of this experiment; an invalid shard is removed with a
    warning (its run is computed again), and a shard of another experiment makes the folder
    refused untouched."""
    done: set[str] = set()
    paths = sorted((out / "shards").glob(f"*{SHARD_SUFFIX}"))
    if not paths:
        return done
    schema = shard_schema(exp)
    needed = [d for d, keep in (("timeseries", exp.section.keep_timeseries), ("tidy", exp.section.keep_tidy)) if keep]
    checked: list[tuple[Path, str]] = []
    for path in paths:
        if path.stem not in schema.runs:
            continue  # not a run of this design (never gathered): left as it is
        try:
            table, problem = _read_checked(path, schema)
        except ForeignShard:
            raise ConfigError(
                f"{out}: holds results of another experiment, or of changed scenario or evidence "
                f"files (shard {path.name}); choose another --out (nothing was changed)"
            ) from None
        if table is None:
            checked.append((path, problem))
            continue
        problems = [_series_problem(out / d / f"{path.stem}.parquet", schema.sha256) for d in needed]
        if any(problems):
            checked.append((path, "; ".join(p for p in problems if p)))
        else:
            done.add(path.stem)
    for path, problem in checked:  # after every shard was read: a foreign one changes nothing
        _reject(path, problem)
    return done


def _check_folder(out: Path, exp: Experiment, resume: bool) -> Path:
    """The folder to write (through a symbolic link), checked: refused if it holds anything but
    this sweep (or, with ``resume``, if it holds no sweep to finish and is not empty)."""
    out = prepare_folder(out, inside=True)  # a sweep writes into the folder itself
    manifest = read_manifest(out)
    if manifest is not None:
        old = manifest.get("experiment", {})
        if not isinstance(old, dict) or old.get("sha256") != exp.sha256:
            name = old.get("name") if isinstance(old, dict) else None
            changed = _what_changed(old, exp) if isinstance(old, dict) else ""
            raise ConfigError(
                f"{out}: holds a sweep of '{name}' from a different experiment file, or from changed "
                f"scenario or evidence files{changed}; choose another --out, or restore the files to "
                "finish it (nothing was changed)"
            )
        if not resume:
            raise ConfigError(f"{out}: already holds this sweep; use --resume to finish it, or another --out")
        return out
    shards = list((out / "shards").glob(f"*{SHARD_SUFFIX}")) if (out / "shards").is_dir() else []
    if shards:
        for path in shards:
            digest = _shard_hash(path)
            if digest is not None and digest != exp.sha256.encode():
                raise ConfigError(
                    f"{out}: holds results of another experiment (shard {path.name}, no readable "
                    "manifest); choose another --out (nothing was changed)"
                )
        if not resume:
            raise ConfigError(
                f"{out}: holds shards of this sweep without a readable manifest; use --resume to "
                "finish it, or another --out"
            )
        return out
    if out.exists() and any(out.iterdir()):
        raise ConfigError(
            f"{out}: folder is not empty and holds no sweep{' to resume' if resume else ''}; choose "
            "another --out (nothing was changed)"
        )
    return out


def _die_with_driver(driver: int) -> None:
    """Pool-worker initializer: on Linux the kernel kills the worker when the driver dies
    (``PR_SET_PDEATHSIG``), so a driver killed with SIGKILL leaves no worker writing shards."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != driver:  # the driver died before the request took effect
        os._exit(1)


@contextmanager
def make_executor(backend: str, workers: int, scheduler: str | None):
    if backend == "local":
        if workers <= 1:
            yield None
            return
        shared_world()  # read once here, so forked workers inherit it
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=local_context(), initializer=_die_with_driver, initargs=(os.getpid(),)
        ) as pool:
            yield pool
        return
    if backend != "dask":
        raise ConfigError(f"--backend {backend!r}; allowed: local, dask")
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise DecoupleError(
                f"--scheduler {scheduler}: cannot reach a Dask scheduler there within "
                f"{SCHEDULER_TIMEOUT} s ({type(exc).__name__}: {str(exc)[:200]}); check the address, "
                "e.g. tcp://host:8786, or leave --scheduler out for a local cluster"
            ) from None
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
        environ = {
            k: v
            for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
            if k != "MALLOC_TRIM_THRESHOLD_"
        }
        settings = {"distributed.nanny.pre-spawn-environ": environ, "distributed.worker.profile.enabled": False}
        if local_context() is not None:
            shared_world()  # read once here, so forked workers inherit it
            settings["distributed.worker.multiprocessing-method"] = "fork"
        with dask.config.set(settings):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=40,
            )
        client = Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_scheduler(backend: str, scheduler: str | None) -> None:
    """Refuse a scheduler address that cannot work before anything starts."""
    if scheduler is None:
        return
    if backend != "dask":
        raise ConfigError(f"--scheduler {scheduler}: a scheduler is for --backend dask (the local pool needs none)")
    text = scheduler.strip()
    if not text:
        raise ConfigError("--scheduler is empty; give an address such as tcp://host:8786, or leave it out")
    rest = text.split("://", 1)[-1]
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"--scheduler {scheduler}: not an address with a port from 1 to 65535, such as tcp://host:8786"
        )


def _clean_partial(out: Path) -> None:
    """Remove temporary files a killed sweep may have left (finished shards are renamed atomically)."""
    for folder in ("shards", "timeseries", "tidy", "failed"):
        for tmp in (out / folder).glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    for tmp in out.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def run_sweep(
    exp: Experiment,
    out: Path,
    workers: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    executor: Executor | None = None,
    stop_after: int | None = None,
    force: bool = False,
    csv: bool = False,
) -> SweepResult:
    """Run (or finish) every run of ``exp`` into ``out``; ``stop_after`` stops early (tests).

    The design's size is checked first (:meth:`Experiment.check_size`; ``force`` lets a sweep
    above :data:`~decouple.sweeps.experiment.RUN_LIMIT` runs go ahead). ``csv`` writes the CSV
    tables of :func:`write_csv_tables` beside ``runs.parquet``; those a folder already holds are
    rewritten in any case, so that they never lag behind the parquet after a ``--resume``."""
    out = Path(out)
    exp.check_size(force)
    out = _check_folder(out, exp, resume)
    for folder in (
        ("shards", "failed")
        + (("timeseries",) if exp.section.keep_timeseries else ())
        + (("tidy",) if exp.section.keep_tidy else ())
    ):
        with driver_write(out / folder, "a folder of the sweep"):
            (out / folder).mkdir(parents=True, exist_ok=True)
    with driver_write(out, "the sweep's folder (removing temporary files)"):
        _clean_partial(out)
    done = _valid_shards(out, exp)
    failed: set[str] = set()
    total = exp.n_runs()
    for path in (out / "failed").glob("*.json"):
        if path.stem not in done:
            path.unlink(missing_ok=True)  # retried
    todo: Iterator[Run] = (r for r in exp.iter_runs() if r.run_id not in done)
    if stop_after is not None:
        todo = itertools.islice(todo, stop_after)
    prov = _provenance(exp, backend, workers)
    listing = _run_listing(exp)
    _write_manifest(out, exp, done, failed, prov, listing)
    settings = Settings(
        str(out),
        exp.sha256,
        tuple(exp.spec.metrics.names),
        tuple(exp.spec.metrics.years),
        exp.section.keep_timeseries,
        exp.section.keep_tidy,
        exp.measures or (),
        exp.until,
        tuple((str(path), data) for path, data in exp.inputs.items()),
    )
    started = time.perf_counter()
    computed = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=len(done), desc=exp.name, unit="run", dynamic_ncols=True)
    last_manifest = time.monotonic()
    rows: dict[str, pa.Table] = {}  # the shards written during this call, for consolidate

    def finished(result: dict) -> None:
        nonlocal last_manifest, computed
        computed += 1
        (done if result["status"] == "done" else failed).add(result["run_id"])
        if "table" in result:
            rows[result["run_id"]] = result["table"]
        if bar is not None:
            bar.update(1)
        # the manifest lists every run: rewriting it costs the driver time the workers need, so
        # a large sweep rewrites it less often (the shards, not the manifest, say what is done)
        if time.monotonic() - last_manifest > (5.0 if total <= 2_000 else 30.0):
            _write_manifest(out, exp, done, failed, prov, listing)
            last_manifest = time.monotonic()

    try:
        with make_executor(backend, workers, scheduler) if executor is None else _given(executor) as pool:
            if pool is None:
                for r in todo:
                    finished(execute(r, settings))
            else:
                # The local pool's per-task cost is small, and a batch's tail would idle a worker.
                size = 1 if executor is None and backend == "local" else batch_size(total - len(done), workers)
                batches = _batches(todo, size)
                window = max(2, 4 * workers)  # batches in flight: bounded, whatever the sweep's size
                pending = {pool.submit(execute_batch, b, settings) for b in itertools.islice(batches, window)}
                while pending:
                    complete, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in complete:
                        for result in fut.result():
                            finished(result)
                    pending |= {
                        pool.submit(execute_batch, b, settings) for b in itertools.islice(batches, len(complete))
                    }
    except BaseException:
        if bar is not None:
            bar.close()
        try:  # what is done so far, for --resume; the first error is the one reported
            _write_manifest(out, exp, done, failed, prov, listing)
        except DecoupleError:
            pass
        raise
    if bar is not None:
        bar.close()
    _write_manifest(out, exp, done, failed, prov, listing)
    table = consolidate(out, exp, rows)
    tables = write_csv_tables(out, exp, table, csv)
    seconds = time.perf_counter() - started
    return SweepResult(out, total, len(done), len(failed), computed, seconds, backend, workers, table, tuple(tables))


def _batches(runs: Iterator[Run], size: int) -> Iterator[list[Run]]:
    while batch := list(itertools.islice(runs, size)):
        yield batch


@contextmanager
def _given(executor: Executor):
    yield executor


def consolidate(out: Path, exp: Experiment, known: dict[str, pa.Table] | None = None) -> pd.DataFrame:
    """Gather shards and failures into ``runs.parquet`` (one row per run, sorted by run id).

    ``known`` holds the shards this process has just seen written (run id -> the worker's table):
    those are not read back from disk; a shard gives the same table either way."""
    meta = {r.run_id: r for r in exp.iter_runs()}
    known = known or {}
    shards = sorted(p for p in (out / "shards").glob(f"*{SHARD_SUFFIX}") if p.stem in meta)
    schema = shard_schema(exp) if any(p.stem not in known for p in shards) else None
    tables = []
    for path in shards:
        if path.stem in known:
            tables.append(known[path.stem])
            continue
        assert schema is not None
        try:
            table, problem = _read_checked(path, schema)
        except ForeignShard:
            print(f"decouple: warning: {path}: a shard of another experiment; not gathered", file=sys.stderr)
            continue
        if table is None:
            _reject(path, problem)
        else:
            tables.append(table)
    rows = _frame_of(tables)
    rows = rows if rows is not None else pd.DataFrame(columns=["run_id"])
    failed = []
    for path in sorted((out / "failed").glob("*.json")):
        try:
            rec = json.loads(path.read_text())
            failed.append(
                {
                    "run_id": rec["run_id"],
                    "scenario": rec["scenario"],
                    "seed": rec["seed"],
                    "status": "failed",
                    "error": rec["error"],
                    **{k: _encode(v) for k, v in rec["values"].items()},
                }
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # an unreadable failure record: the run counts as not done and is retried
    if failed:
        rows = pd.concat([rows, pd.DataFrame(failed)], ignore_index=True)
    rows = rows[rows["run_id"].isin(meta)].sort_values("run_id").reset_index(drop=True)
    if len(rows):
        rows["point"] = [meta[i].point for i in rows["run_id"]]
        rows["replicate"] = [meta[i].replicate for i in rows["run_id"]]
    with driver_write(out / RUNS, "the sweep's table of runs", out):
        atomic_write(out / RUNS, lambda tmp: rows.to_parquet(tmp, index=False))
    return rows


def write_csv_tables(out: Path, exp: Experiment, table: pd.DataFrame, csv: bool = True) -> list[Path]:
    """The sweep's tables as CSV, for tools that read no parquet (NetLogo's BehaviorSpace users,
    spreadsheets, R without arrow): ``runs.csv`` holds ``table`` (``runs.parquet``'s rows and
    columns, in its order), and with ``keep_timeseries`` (``keep_tidy``) ``timeseries.csv``
    (``tidy.csv``) gathers every run's kept series, in run-id order. Numbers are written in full
    (the shortest text that reads back as the same float), so a CSV reads back to the parquet's
    values; the series are those of the runs done (as in ``runs.parquet``), copied one run at a
    time, so memory stays that of one run whatever the sweep's size. Without ``csv`` only the CSV
    files the folder already holds are rewritten. Returns the files written."""
    kinds = [("runs", True), ("timeseries", exp.section.keep_timeseries), ("tidy", exp.section.keep_tidy)]
    done = set(table.loc[table["status"] == "done", "run_id"]) if "status" in table.columns else set()
    written = []
    for kind, kept in kinds:
        path = out / CSV_FILES[kind]
        if not kept or not (csv or path.is_file()):
            continue
        with driver_write(path, f"the sweep's {path.name}", out):
            if kind == "runs":
                atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
            else:
                series = sorted(p for p in (out / kind).glob("*.parquet") if p.stem in done)
                atomic_write(path, partial(_gather_csv, paths=series))
        written.append(path)
    return written


def _gather_csv(target: Path, *, paths: list[Path]) -> None:
    """Append each parquet file's rows to one CSV (the first file's columns, header once)."""
    columns: list[str] | None = None
    with open(target, "w", newline="", encoding="utf-8") as sink:
        for path in paths:
            frame = pq.read_table(path).to_pandas()
            if columns is None:
                columns = list(frame.columns)
            frame.reindex(columns=columns).to_csv(sink, index=False, header=sink.tell() == 0)


def _read_parquets(paths: list[Path]) -> pd.DataFrame | None:
    """The files' rows in one frame (None when there are none)."""
    return _frame_of([pq.read_table(p) for p in paths])


def _frame_of(tables: list[pa.Table]) -> pd.DataFrame | None:
    """The tables' rows in one frame (None when there are none): converted to pandas once, which
    is the same frame as concatenating each table's frame when they share one schema; otherwise
    each table is converted and pandas concatenates."""
    if not tables:
        return None
    if all(t.schema.equals(tables[0].schema, check_metadata=True) for t in tables):
        return pa.concat_tables(tables).to_pandas()
    return pd.concat([t.to_pandas() for t in tables], ignore_index=True)


def load_timeseries(out: Path, kind: str = "timeseries") -> pd.DataFrame:
    """The runs' kept time series: ``timeseries`` (quarterly outcomes) or ``tidy``."""
    frames = _read_parquets(sorted((Path(out) / kind).glob("*.parquet")))
    if frames is None:
        raise DecoupleError(f"{out}: no run time series; set keep_timeseries = true in the experiment")
    return frames


def default_workers() -> int:
    return os.cpu_count() or 1
