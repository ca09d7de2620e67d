"""Benchmark of exploratory modelling: an exploration plus PRIM, a robust search, and the
driver's overhead per run.

    .venv/bin/python benchmarks/exploration.py                 # 10,000 runs; about 20 minutes
    .venv/bin/python benchmarks/exploration.py --runs 1000 --skip-search   # a quicker look

Measures, on this machine, each as a separate `decouple` process with its whole process tree's
resident memory sampled every 0.1 s:
1. `decouple discover --runs N` (an exploration of N runs of selective decoupling to 2030 over the
   uncertainties' plausible ranges, then PRIM): wall time and peak memory (targets: 10,000 runs in
   under 15 minutes, under 2 GB);
2. `decouple search precise_yard` with its default budget: wall time (target: under 20 minutes);
3. the driver's overhead per run: one-worker sweeps of the exploration against the same runs done
   directly in one process, 5 alternating blocks of 100 runs, median (target: under 10 %).

Writes ``benchmarks/exploration.json`` and ``benchmarks/exploration.md`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psutil

from decouple import load_world
from decouple.discover import exploration_table
from decouple.evaluate import Point, build
from decouple.sweeps.experiment import experiment_from_table

sys.path.insert(0, str(Path(__file__).parent))
from benchmark import tree_rss  # noqa: E402  (the same measure as the main benchmark)

WHERE = "gap_controlled@2030 < 0.1"


def timed(argv: list[str]) -> dict:
    """Run a command; its wall time and the peak resident memory of its process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps))
        time.sleep(0.1)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err[-2000:]}")
    return {"seconds": time.perf_counter() - started, "peak_gb": peak / 1e9, "stdout": out[-4000:]}


def driver_overhead(blocks: int = 5, per_block: int = 100) -> dict:
    """The sweep engine's cost per run beyond the run itself: in each block, ``per_block`` runs of
    an exploration done directly, then the same runs as a one-worker sweep (no PRIM, no process
    start-up). Blocks alternate the two, so that a drift in the machine's speed (another process,
    a warmer cache) falls on both; the overhead is the median of the blocks' ratios."""
    from decouple.sweeps.engine import run_sweep

    world = load_world()
    ratios, direct_times = [], []
    for block in range(blocks):
        exp = experiment_from_table(
            exploration_table("selective_decoupling", per_block, 2030.0, [], block + 1), f"overhead{block}"
        )
        runs = list(exp.iter_runs())
        started = time.perf_counter()
        for run in runs:
            params = {**run.values, "time.steps": exp.section.steps}
            build(Point(run.scenario, run.seed, params), world).run()  # checked, as in sweeps
        direct = (time.perf_counter() - started) / per_block
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            run_sweep(exp, Path(tmp) / "sweep", workers=1, progress=False)
            swept = (time.perf_counter() - started) / per_block
        ratios.append(swept / direct - 1)
        direct_times.append(direct)
    return {
        "runs": blocks * per_block,
        "blocks": blocks,
        "direct_seconds_per_run": float(np.median(direct_times)),
        "block_overheads": ratios,
        "overhead": float(np.median(ratios)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    parser.add_argument(
        "--work",
        default=str(Path(tempfile.gettempdir()) / "decouple-exploration-benchmark"),
        help="where the exploration and the search write (emptied first; kept afterwards for a look)",
    )
    args = parser.parse_args(argv)
    exe = str(Path(sys.executable).parent / "decouple")
    results: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "runs": args.runs}
    tmp = Path(args.work)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    print(f"exploration of {args.runs:,} runs + PRIM ...", flush=True)
    results["discover"] = timed(
        [
            exe,
            "discover",
            "--runs",
            str(args.runs),
            "--where",
            WHERE,
            "--workers",
            "2",
            "--quiet",
            "--out",
            f"{tmp}/discover",
        ]
    )
    results["discover"].pop("stdout")
    results["driver"] = driver_overhead()
    if not args.skip_search:
        print("search precise_yard ...", flush=True)
        results["search"] = timed(
            [exe, "search", "precise_yard", "--workers", "2", "--quiet", "--out", f"{tmp}/search"]
        )
        results["search"].pop("stdout")
    d = results["discover"]
    lines = [
        f"Exploratory-modelling benchmark of {results['date']} (2 workers).",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
        f"| exploration of {args.runs:,} runs to 2030 + PRIM: wall time | {d['seconds'] / 60:.1f} min | < 15 min "
        f"(10,000 runs) | {'yes' if d['seconds'] < 900 else 'no'} |",
        f"| same: peak memory of the process tree | {d['peak_gb']:.2f} GB | < 2 GB | "
        f"{'yes' if d['peak_gb'] < 2 else 'no'} |",
        f"| driver overhead per run (one-worker sweeps against the same runs done directly, "
        f"{results['driver']['runs']} "
        f"runs in {results['driver']['blocks']} alternating blocks, median; a run takes "
        f"{results['driver']['direct_seconds_per_run']:.3f} s) | {results['driver']['overhead']:.1%} "
        f"(blocks: {', '.join(f'{r:.1%}' for r in results['driver']['block_overheads'])}) | "
        f"< 10 % | {'yes' if results['driver']['overhead'] < 0.10 else 'no'} |",
    ]
    if "search" in results:
        s = results["search"]
        lines.append(
            f"| `decouple search precise_yard`, default budget: wall time | {s['seconds'] / 60:.1f} min | < 20 min | "
            f"{'yes' if s['seconds'] < 1200 else 'no'} |"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print("\n".join(lines), flush=True)
    (out / "exploration.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "exploration.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
