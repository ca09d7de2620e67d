"""Paired timing of model runs: this checkout against an earlier revision, in turn.

    .venv/bin/python benchmarks/paired.py --against b64820c              # default: 7 pairs
    .venv/bin/python benchmarks/paired.py --against HEAD~3 --scenario full_decoupling --pairs 11

Each pair runs the same work in two fresh processes, one after the other (the order alternates):
a warm-up run, then ``--runs`` default-length runs of the scenario with seeds 0, 1, ..., timed
inside the process (imports and the world's loading are not counted). The earlier revision is
checked out with ``git worktree`` into a temporary folder and imported from there with the same
virtual environment. The report gives each pair's ratio (this checkout over the earlier one) and
their median: on a shared machine the ratio of a pair holds when the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORK = """
import sys, time
from decouple import DecouplingModel
from decouple.world import load_world
world = load_world()
DecouplingModel({scenario!r}, seed=0, world=world).run()
start = time.perf_counter()
for seed in range({runs}):
    DecouplingModel({scenario!r}, seed=seed, world=world).run()
print((time.perf_counter() - start) / {runs})
"""


def seconds_per_run(package_parent: Path | None, scenario: str, runs: int) -> float:
    """Mean seconds of a run in a fresh process, importing ``decouple`` from ``package_parent``
    (None: the installed checkout)."""
    env = dict(os.environ)
    if package_parent is not None:
        env["PYTHONPATH"] = str(package_parent)
    code = WORK.format(scenario=scenario, runs=runs)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the earlier revision (a commit, tag or HEAD~N)")
    parser.add_argument("--scenario", default="selective_decoupling")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per process")
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "earlier"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.against],
            check=True,
            capture_output=True,
        )
        try:
            parent = Path(tmp) / "package"
            parent.mkdir()
            (parent / "decouple").symlink_to(tree / "model")  # the package folder is model/, named decouple
            ratios = []
            for i in range(args.pairs):
                if i % 2 == 0:
                    now = seconds_per_run(None, args.scenario, args.runs)
                    before = seconds_per_run(parent, args.scenario, args.runs)
                else:
                    before = seconds_per_run(parent, args.scenario, args.runs)
                    now = seconds_per_run(None, args.scenario, args.runs)
                ratios.append(now / before)
                print(f"pair {i + 1}: this checkout {now:.3f} s a run, {args.against} {before:.3f} s: ", end="")
                print(f"ratio {now / before:.3f}")
            print(
                f"median ratio (this checkout / {args.against}), {args.scenario}: {statistics.median(ratios):.3f} "
                f"[{min(ratios):.3f}-{max(ratios):.3f}] over {args.pairs} pairs"
            )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


if __name__ == "__main__":
    main()
