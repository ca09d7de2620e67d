"""Running scenarios: one run, or several scenarios × seeds in parallel, with provenance.

Each run is independent and fully determined by (scenario file, overrides, seed), so results
are identical whatever the number of worker processes.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import platform
import subprocess
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

import mesa
import numpy as np
import pandas as pd

from . import __version__
from .config import Scenario, load_scenario
from .metrics import headline
from .model import DecouplingModel
from .paths import project_root
from .world import load_world


@dataclass
class RunResult:
    scenario: str
    seed: int
    frame: pd.DataFrame
    final: dict
    provenance: dict
    changes: list = field(default_factory=list)


def git_commit() -> str | None:
    """The project's git commit (with '-dirty' when the work tree has changes), if known."""
    root = project_root()
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def seeds_hash() -> str:
    """Hash of the evidence base the run used (sectors, countries, parameter registry)."""
    digest = hashlib.sha256()
    folder = project_root() / "seeds"
    for name in ("sectors.toml", "countries.toml", "parameters.toml"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def provenance(scenario: Scenario, seed: int) -> dict:
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "scenario_file": str(scenario.file) if scenario.file else None,
        "scenario_file_sha256": scenario.file_hash,
        "seeds_sha256": seeds_hash(),
        "seed": seed,
        "overrides": list(scenario.overrides),
        "events": [{"year": e.year, "set": e.changes, "note": e.note} for e in scenario.events],
        "package_version": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "parameters": scenario.resolved(),
    }


def local_context():
    """Start method of the local pool's workers: fork on Linux, the platform default elsewhere.

    Importing Mesa 3.3.1 sets the process-wide default to spawn (``mesa/batchrunner.py``; moved
    into ``batch_run`` upstream by Mesa PR #3073), so a pool left to the default starts every
    worker as a new interpreter that imports numpy, pandas, Mesa and this package again, about a
    second of CPU per worker before its first run. A forked worker starts from the driver's
    memory instead. Runs depend only on their scenario, overrides and seed, so the results are
    the same either way.
    """
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def run_one(scenario: str, seed: int, overrides: tuple[str, ...] = ()) -> RunResult:
    """Run one scenario (name or TOML path) with ``seed``; overrides are ``path=value`` strings."""
    started = time.perf_counter()
    world = load_world()
    spec = load_scenario(scenario, tuple(overrides), sectors=world.sectors)
    model = DecouplingModel(spec, seed=seed, world=world).run()
    frame = model.table.frame(spec.name, seed)
    prov = provenance(spec, seed)
    prov["wall_time_seconds"] = round(time.perf_counter() - started, 3)
    prov["created_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    prov["firms"] = model.firms.n
    changes = [{"step": s, "year": y, "path": p, "value": v, "origin": o} for s, y, p, v, o in model.changes]
    return RunResult(spec.name, seed, frame, headline(model), prov, changes)


def _run_job(job: tuple[str, int, tuple[str, ...]]) -> RunResult:
    return run_one(*job)


def run_many(scenarios: list[str], seeds: list[int], overrides: tuple[str, ...] = (), workers: int = 1,
             progress: bool = True, executor: Executor | None = None) -> list[RunResult]:
    """Run every scenario with every seed; results come back in (scenario, seed) order."""
    # Validate every scenario before starting any run, so bad input fails fast.
    world = load_world()
    for name in scenarios:
        load_scenario(name, tuple(overrides), sectors=world.sectors)
    jobs = [(name, seed, tuple(overrides)) for name in scenarios for seed in seeds]
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc="runs", unit="run", dynamic_ncols=True)
    results: list[RunResult] = []
    own_pool = executor is None and workers > 1
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=local_context()) if own_pool else executor
    try:
        iterator = pool.map(_run_job, jobs) if pool is not None else map(_run_job, jobs)
        for result in iterator:
            results.append(result)
            if bar is not None:
                bar.update(1)
    finally:
        if own_pool:
            pool.shutdown()
        if bar is not None:
            bar.close()
    return results
