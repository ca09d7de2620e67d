"""Performance benchmark of the model and the sweep engine.

    .venv/bin/python benchmarks/benchmark.py            # full (about 2 minutes on 2 cores)
    .venv/bin/python benchmarks/benchmark.py --quick    # smaller sweeps (about 1 minute)

Measures, on this machine and in one go:
1. one default run (the baseline, 71 quarters) and how its time grows with the number of firms
   (world.firms_scale 1, 3, 10);
2. firm-steps per second beside the agent-steps per second of Mesa's own Boltzmann wealth
   example, timed the same way in the same process;
3. sweep throughput with 1 and 2 local workers, and on a Dask LocalCluster with 2 workers;
4. the peak memory (resident set of the whole process tree) of a 2,000-run sweep.

Writes ``benchmarks/results.json`` and ``benchmarks/results.md`` (or ``--out``). Times are
best-of-N wall times; the report gives ratios, which travel better between machines than seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import mesa
import numpy as np
import psutil

from decouple import DecouplingModel, load_scenario, load_world
from decouple.sweeps.engine import run_sweep
from decouple.sweeps.experiment import load_experiment

TARGETS = {
    "two_workers_speedup": (">=", 1.7),
    "ten_x_firms_time_ratio": ("<=", 12.0),
    "dask_over_local": ("<=", 1.3),
    "sweep_2000_peak_gb": ("<", 1.5),
    "firm_vs_boltzmann_steps": (">=", 1.0),
}

SWEEP = """
[experiment]
title = "benchmark sweep"
scenarios = ["selective_decoupling"]
replicates = {replicates}
root_seed = 99
sampler = "random"
samples = {samples}

[[vary]]
path = "policy.fence"
low = 0.2
high = 0.9

[[vary]]
path = "china.state_support"
low = 0.0
high = 3.0

[metrics]
names = ["gap_controlled", "welfare_WORLD", "cn_self_sufficiency_controlled"]
years = [2030.0, 2035.75]
"""


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def single_runs(repeats: int) -> dict:
    world = load_world()
    out = {}
    for scale in (1, 3, 10):
        spec = load_scenario("baseline", (f"world.firms_scale={scale}",), sectors=world.sectors)
        firms = DecouplingModel(spec, seed=1, world=world).firms.n
        seconds = best_of(lambda spec=spec: DecouplingModel(spec, seed=1, world=world).run(), repeats)
        out[f"scale_{scale}"] = {"firms": firms, "seconds": seconds, "firm_steps_per_s": firms * 71 / seconds}
    out["three_x_firms_time_ratio"] = out["scale_3"]["seconds"] / out["scale_1"]["seconds"]
    out["ten_x_firms_time_ratio"] = out["scale_10"]["seconds"] / out["scale_1"]["seconds"]
    spec = load_scenario("selective_decoupling", (), sectors=world.sectors)
    seconds = best_of(lambda: DecouplingModel(spec, seed=1, world=world).run(), repeats)
    out["selective_scale_1"] = {"seconds": seconds, "firm_steps_per_s": out["scale_1"]["firms"] * 71 / seconds}
    # every state deciding by its rule (M13-M16): the rules' own cost on top of a run with controls
    spec = load_scenario("adaptive_rivalry", (), sectors=world.sectors)
    seconds = best_of(lambda: DecouplingModel(spec, seed=1, world=world).run(), repeats)
    out["adaptive_scale_1"] = {"seconds": seconds, "over_selective": seconds / out["selective_scale_1"]["seconds"]}
    return out


def boltzmann(repeats: int, agents: int) -> dict:
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth

    def run():
        model = BoltzmannWealth(n=agents, width=10, height=10, seed=1)
        for _ in range(71):
            model.step()

    seconds = best_of(run, repeats)
    return {"agents": agents, "steps": 71, "seconds": seconds, "agent_steps_per_s": agents * 71 / seconds}


def sweep_throughput(folder: Path, samples: int, repeats: int) -> dict:
    path = folder / "throughput.toml"
    path.write_text(SWEEP.format(replicates=1, samples=samples))
    exp = load_experiment(path)
    out = {"runs": len(exp.runs())}
    for label, workers, backend in (("local_1", 1, "local"), ("local_2", 2, "local"), ("dask_2", 2, "dask")):
        times = []
        for repeat in range(repeats):  # best of `repeats`, like the single runs: a sweep of a few
            t = time.perf_counter()  # seconds is easily disturbed by anything else on the machine
            result = run_sweep(exp, folder / f"{label}_{repeat}", workers=workers, backend=backend, progress=False)
            times.append(time.perf_counter() - t)
        seconds = min(times)
        out[label] = {
            "seconds": seconds,
            "all_seconds": times,
            "runs_per_s": result.runs / seconds,
            "failed": result.failed,
        }
    out["two_workers_speedup"] = out["local_1"]["seconds"] / out["local_2"]["seconds"]
    out["dask_over_local"] = out["dask_2"]["seconds"] / out["local_2"]["seconds"]
    return out


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc] + proc.children(recursive=True):
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def sweep_memory(folder: Path, runs: int) -> dict:
    path = folder / "memory.toml"
    path.write_text(SWEEP.format(replicates=4, samples=runs // 4))
    exe = Path(sys.executable).parent / "decouple"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "sweep", str(path), "--workers", "2", "--quiet", "--out", str(folder / "memory")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    samples = []
    while proc.poll() is None:
        rss = tree_rss(ps)
        peak = max(peak, rss)
        samples.append(rss)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.read().decode())
    return {"runs": runs, "seconds": seconds, "peak_gb": peak / 1e9, "median_gb": statistics.median(samples) / 1e9}


def verdict(value: float, rule: tuple[str, float]) -> bool:
    op, bound = rule
    return {"<=": value <= bound, ">=": value >= bound, "<": value < bound}[op]


def machine() -> dict:
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "load_average_start": os.getloadavg(),
    }


def markdown(r: dict) -> str:
    s, b, sw, mem = r["single"], r["boltzmann"], r["sweep"], r["memory"]
    lines = [
        f"Benchmark of {r['machine']['date']} on {r['machine']['platform']}, {r['machine']['cpus']} cores, "
        f"Python {r['machine']['python']}, Mesa {r['machine']['mesa']} (load average at start "
        f"{r['machine']['load_average_start'][0]:.2f}, at end {r['machine']['load_average_end'][0]:.2f}).",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
        f"| one default run (baseline, {s['scale_1']['firms']} firms, 71 quarters) | "
        f"{s['scale_1']['seconds']:.3f} s | | |",
        f"| 3x firms ({s['scale_3']['firms']}): time ratio | {s['three_x_firms_time_ratio']:.2f}x | | |",
        f"| 10x firms ({s['scale_10']['firms']}): time ratio | {s['ten_x_firms_time_ratio']:.2f}x | <= "
        f"12x | {r['met']['ten_x_firms_time_ratio']} |",
        f"| firm-steps/s, baseline | {s['scale_1']['firm_steps_per_s']:,.0f} | | |",
        f"| firm-steps/s, selective decoupling | {s['selective_scale_1']['firm_steps_per_s']:,.0f} | | |",
        f"| one adaptive-rivalry run (every state by its rule): time over a selective-decoupling run | "
        f"{s['adaptive_scale_1']['over_selective']:.2f}x | | |",
        f"| Mesa Boltzmann wealth, agent-steps/s ({b['agents']} agents) | {b['agent_steps_per_s']:,.0f} | | |",
        f"| firm-steps/s over Boltzmann agent-steps/s (baseline) | {r['firm_vs_boltzmann_steps']:.2f}x | "
        f">= 1x | {r['met']['firm_vs_boltzmann_steps']} |",
        f"| sweep of {sw['runs']} runs (best of {len(sw['local_1']['all_seconds'])}), 1 local worker | "
        f"{sw['local_1']['runs_per_s']:.2f} runs/s | | |",
        f"| same sweep, 2 local workers: speed-up | {sw['two_workers_speedup']:.2f}x | >= 1.7x | "
        f"{r['met']['two_workers_speedup']} |",
        "| same sweep, Dask LocalCluster (2 workers) over local pool (2): time ratio | "
        f"{sw['dask_over_local']:.2f}x | <= 1.3x | {r['met']['dask_over_local']} |",
        f"| peak memory of a {mem['runs']:,}-run sweep (2 workers, whole process tree) | "
        f"{mem['peak_gb']:.2f} GB ({mem['seconds']:.0f} s) | < 1.5 GB | {r['met']['sweep_2000_peak_gb']} |",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweeps (for a smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder for results.json and results.md")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    result = {"machine": machine()}
    print("single runs ...", flush=True)
    result["single"] = single_runs(repeats)
    print("Boltzmann ...", flush=True)
    result["boltzmann"] = boltzmann(repeats, result["single"]["scale_1"]["firms"])
    result["boltzmann_100"] = boltzmann(repeats, 100)
    result["firm_vs_boltzmann_steps"] = (
        result["single"]["scale_1"]["firm_steps_per_s"] / result["boltzmann"]["agent_steps_per_s"]
    )
    with tempfile.TemporaryDirectory() as tmp:
        print("sweep throughput ...", flush=True)
        result["sweep"] = sweep_throughput(Path(tmp), 24 if args.quick else 96, 2 if args.quick else 3)
        print("sweep memory ...", flush=True)
        result["memory"] = sweep_memory(Path(tmp), 200 if args.quick else 2000)
    result["machine"]["load_average_end"] = os.getloadavg()
    values = {
        "two_workers_speedup": result["sweep"]["two_workers_speedup"],
        "ten_x_firms_time_ratio": result["single"]["ten_x_firms_time_ratio"],
        "dask_over_local": result["sweep"]["dask_over_local"],
        "sweep_2000_peak_gb": result["memory"]["peak_gb"],
        "firm_vs_boltzmann_steps": result["firm_vs_boltzmann_steps"],
    }
    result["met"] = {k: ("yes" if verdict(v, TARGETS[k]) else "no") for k, v in values.items()}
    if args.quick:
        result["note"] = "quick mode: the memory sweep has 200 runs, not 2,000"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "results.md").write_text(markdown(result) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
