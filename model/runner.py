"""One run of a scenario with its provenance (``decouple run``), and what every run records.

Many runs (``decouple compare``, ``decouple sweep``) go through the sweep engine
(:mod:`decouple.sweeps.engine`). Each run is fully determined by (scenario file, overrides,
seed), so results are identical whatever the number of worker processes.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from . import __version__, outcomes
from .config import Scenario, load_scenario
from .evaluate import Point, build
from .paths import evidence_dir, project_root
from .sweeps.measures import indicator_table
from .world import load_world


@dataclass
class RunResult:
    scenario: str
    seed: int
    frame: pd.DataFrame  # the tidy time series (contract columns)
    indicators: pd.DataFrame  # the quarterly outcomes, indexed by (scenario, seed, year)
    final: dict  # the quarterly outcomes at the last step
    provenance: dict
    changes: list = field(default_factory=list)
    decisions: list = field(default_factory=list)  # what the states' decision rules decided (M13-M16)


def git_commit() -> str | None:
    """The project's git commit (with '-dirty' when the work tree has changes), if known."""
    root = project_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def evidence_hash() -> str:
    """Hash of the evidence base the run used (sectors, countries, parameter registry)."""
    digest = hashlib.sha256()
    folder = evidence_dir()
    for name in ("sectors.toml", "countries.toml", "parameters.toml"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def provenance(scenario: Scenario, seed: int) -> dict:
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "scenario_file": str(scenario.file) if scenario.file else None,
        "scenario_file_sha256": scenario.file_hash,
        "scenario_files": [{"file": str(path), "sha256": digest} for path, digest in scenario.chain],
        "evidence_sha256": evidence_hash(),
        "seed": seed,
        "overrides": list(scenario.overrides),
        "events": [{"year": e.year, "set": e.changes, "note": e.note, "file": e.file} for e in scenario.events],
        "events_after_end": [e.year for e in scenario.unreached_events()],
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


def run_one(scenario: str | Scenario, seed: int, overrides: tuple[str, ...] = ()) -> RunResult:
    """Run one scenario (name, TOML path or :class:`Scenario`) with ``seed``; overrides are
    ``path=value`` strings (the command line's ``--set``)."""
    started = time.perf_counter()
    world = load_world()
    spec = (
        scenario if isinstance(scenario, Scenario) else load_scenario(scenario, tuple(overrides), sectors=world.sectors)
    )
    model = build(Point(spec, seed), world).run()
    frame = model.table.frame(spec.name, seed)
    prov = provenance(spec, seed)
    prov["wall_time_seconds"] = round(time.perf_counter() - started, 3)
    prov["created_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    prov["firms"] = model.firms.n
    changes = [{"step": s, "year": y, "path": p, "value": v, "origin": o} for s, y, p, v, o in model.changes]
    decisions = [
        {"step": d.step, "year": d.year, "state": d.state, "lever": d.lever, "value": d.value} for d in model.decisions
    ]
    return RunResult(
        spec.name,
        seed,
        frame,
        indicator_table(model, spec.name, seed),
        outcomes.values(model),
        prov,
        changes,
        decisions,
    )


def write_run(folder: Path, result: RunResult, plots: bool = True) -> tuple[list[str], list]:
    """A run's results folder content (what ``decouple run`` writes): the time series, the
    indicators, ``summary.json`` and, with ``plots``, the figures. Returns (file names, figures)."""
    from .i18n import N_
    from .output import write_csv, write_json, write_timeseries
    from .phrase import Phrase
    from .plots import plot_figures

    files = write_timeseries(folder, result.frame, csv=True)
    write_csv(folder / "indicators.csv", result.indicators.reset_index())
    write_json(
        folder / "summary.json",
        {
            "provenance": result.provenance,
            "final": result.final,
            "changes": result.changes,
            "decisions": result.decisions,
        },
    )
    title = Phrase(N_("{title} (seed {seed})"), title=result.provenance["title"], seed=result.seed)
    figures = plot_figures(result.indicators, folder, title) if plots else []
    return [p.name for p in files] + ["indicators.csv", "summary.json"], figures
