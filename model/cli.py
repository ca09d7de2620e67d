"""The ``decouple`` command line.

    decouple run SCENARIO [--seed N] [--steps N] [--set KEY=VALUE ...] [--out DIR]
    decouple compare [SCENARIO ...] [--replicates R] [--workers N] [--out DIR]
    decouple scenarios
    decouple params SCENARIO [--set KEY=VALUE ...] [--changed] [--csv]
    decouple plot RESULTS_DIR
    decouple sweep EXPERIMENT [--workers N] [--backend local|dask] [--resume] [--out DIR]
    decouple validate [--seeds N] [--strict] [--out DIR]
    decouple demo [--port P] [--preset NAME] [--seed N] [--no-open]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import DecoupleError

DEFAULT_SCENARIOS = ["baseline", "full_decoupling", "selective_decoupling", "coopetition"]
HEADLINES = [
    ("gap_small_yard", "US-CN gap, small yard (share of frontier)", "{:.3f}"),
    ("chips_share_US", "US share of logic chips", "{:.3f}"),
    ("us_revenue_small_yard", "US revenue, small yard (US$ bn/yr)", "{:.0f}"),
    ("us_rd_small_yard", "US R&D, small yard (US$ bn/yr)", "{:.0f}"),
    ("us_cn_sales", "US-CN sales, both ways (US$ bn/yr)", "{:.0f}"),
    ("cn_self_sufficiency", "China self-sufficiency (share)", "{:.3f}"),
    ("compliance_mean", "Allies' compliance, small yard", "{:.3f}"),
    ("trust", "US-China trust", "{:.3f}"),
    ("welfare_US", "Welfare US (2018 = 100)", "{:.1f}"),
    ("welfare_CN", "Welfare China", "{:.1f}"),
    ("welfare_THIRD", "Welfare third countries", "{:.1f}"),
    ("welfare_WORLD", "Welfare world", "{:.1f}"),
]


def _overrides(args) -> list[str]:
    out = list(args.set or [])
    if getattr(args, "steps", None) is not None:
        out.append(f"time.steps={args.steps}")
    return out


def _figures(frame: pd.DataFrame, folder: Path, title: str) -> list[Path]:
    from .indicators import wide
    from .plots import plot_figures
    table = wide(frame)
    return plot_figures(table, folder, title)


def cmd_run(args) -> int:
    from .output import write_json, write_timeseries
    from .runner import run_one
    started = time.perf_counter()
    result = run_one(args.scenario, args.seed, tuple(_overrides(args)))
    out = Path(args.out) if args.out else Path("results") / "run" / f"{result.scenario}_seed{args.seed}"
    files = write_timeseries(out, result.frame, csv=True)
    write_json(out / "summary.json", {"provenance": result.provenance, "final": result.final, "changes": result.changes})
    figures = [] if args.no_plots else _figures(result.frame, out, f"{result.provenance['title']} (seed {args.seed})")
    print(f"{result.provenance['title']}, seed {args.seed}: {len(result.frame):,} rows, "
          f"{result.provenance['firms']} firms, {time.perf_counter() - started:.1f} s")
    for key in ("us_cn_gap_small_yard", "us_share_logic_chips", "cn_self_sufficiency", "us_cn_sales",
                "trust", "welfare_US", "welfare_CN", "welfare_THIRD", "welfare_WORLD"):
        print(f"  {key:24s} {result.final[key]:10.3f}")
    print(f"results in {out}/: {', '.join(p.name for p in files + [out / 'summary.json'])}")
    if figures:
        print(f"figures: {', '.join(str(p) for p in figures)}")
    return 0


def cmd_compare(args) -> int:
    from .indicators import final_summary, wide
    from .output import write_csv, write_json, write_timeseries
    from .plots import plot_figures
    from .runner import run_many
    scenarios = args.scenarios or DEFAULT_SCENARIOS
    seeds = [args.seed + i for i in range(args.replicates)]
    workers = args.workers if args.workers is not None else min(len(scenarios) * len(seeds), os.cpu_count() or 1)
    started = time.perf_counter()
    results = run_many(scenarios, seeds, tuple(_overrides(args)), workers=workers, progress=not args.quiet)
    elapsed = time.perf_counter() - started
    out = Path(args.out)
    frame = pd.concat([r.frame for r in results], ignore_index=True)
    for col in ("scenario", "metric", "country", "partner", "sector"):
        frame[col] = frame[col].astype("category")
    files = write_timeseries(out, frame, csv=args.csv)
    table = wide(frame)
    write_csv(out / "indicators.csv", table.reset_index())
    summary = final_summary(table).loc[[s for s in dict.fromkeys(r.scenario for r in results)]]
    write_json(out / "summary.json", {
        "provenance": {"scenarios": scenarios, "seeds": seeds, "overrides": _overrides(args),
                       "runs": [r.provenance for r in results], "wall_time_seconds": round(elapsed, 2),
                       "workers": workers},
        "final": {scen: {ind: {"mean": summary.loc[scen, (ind, "mean")], "p10": summary.loc[scen, (ind, "p10")],
                               "p90": summary.loc[scen, (ind, "p90")]} for ind in table.columns}
                  for scen in summary.index},
        "runs": [{"scenario": r.scenario, "seed": r.seed, "final": r.final} for r in results],
    })
    figures = plot_figures(table, out, "Technology decoupling scenarios, 2018–2035")
    last_year = table.index.get_level_values("year").max()
    print(f"\n{len(results)} runs ({len(scenarios)} scenarios x {len(seeds)} seeds) in {elapsed:.1f} s "
          f"with {workers} worker(s). Mean [10th-90th percentile] across seeds in {last_year:g}:")
    names = [s for s in summary.index]
    header = f"{'':42s}" + "".join(f"{n[:22]:>24s}" for n in names)
    print(header)
    for ind, lab, fmt in HEADLINES:
        cells = []
        for n in names:
            m, lo, hi = (summary.loc[n, (ind, k)] for k in ("mean", "p10", "p90"))
            cells.append(f"{fmt.format(m)} [{fmt.format(lo)}-{fmt.format(hi)}]")
        print(f"{lab:42s}" + "".join(f"{c:>24s}" for c in cells))
    print(f"\nresults in {out}/: {', '.join(p.name for p in files)}, indicators.csv, summary.json")
    print(f"figures in {out}/: {', '.join(p.name for p in figures)}")
    return 0


def cmd_scenarios(args) -> int:
    from .config import list_scenarios
    for name, title, description, path in list_scenarios():
        print(f"{name:24s} {title}")
        for line in textwrap.wrap(description, 76):
            print(f"{'':24s} {line}")
        print(f"{'':24s} ({path})")
    return 0


def cmd_params(args) -> int:
    from .config import get_path, load_registry, load_scenario
    scenario = load_scenario(args.scenario, tuple(args.set or []))
    values = scenario.resolved()
    registry = load_registry()
    rows = []
    for path, spec in registry.items():
        value = get_path(values, path)
        default = spec.default if not (spec.type == "sectors" and spec.default == "all") else list(scenario.sectors)
        changed = value != default
        if args.changed and not changed:
            continue
        rng = f"{spec.range[0]:g} to {spec.range[1]:g}" if spec.range else spec.allowed(scenario.sectors)
        rows.append((path, value, default, changed, rng, spec))
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["path", "value", "default", "range", "unit", "meaning", "source", "structural"])
        for path, value, default, _, rng, spec in rows:
            writer.writerow([path, value, default, rng, spec.unit, spec.meaning, spec.source, spec.structural])
        return 0
    print(f"Parameters of scenario '{scenario.name}' ({scenario.file}); * = differs from the default")
    if scenario.events:
        print(f"{len(scenario.events)} dated event(s): " + "; ".join(f"{e.year:g}: {e.changes}" for e in scenario.events))
    section = None
    for path, value, default, changed, rng, spec in rows:
        top = path.split(".")[0]
        if top != section:
            section = top
            print(f"\n[{section}]")
        shown = value if not isinstance(value, list) else ("[" + ", ".join(value) + "]")
        mark = "*" if changed else " "
        extra = f" (default {default})" if changed else ""
        print(f" {mark} {path} = {shown}{extra}")
        print(f"     range {rng}; unit: {spec.unit}{'; fixed during a run' if spec.structural else ''}")
        for line in textwrap.wrap(spec.meaning, 92):
            print(f"     {line}")
        for line in textwrap.wrap(f"source: {spec.source}", 92):
            print(f"     {line}")
    return 0


def cmd_plot(args) -> int:
    from .output import read_timeseries
    folder = Path(args.results_dir)
    if not folder.is_dir():
        raise DecoupleError(f"{folder}: not a folder; give the output folder of `decouple run`, `compare` or `sweep`")
    if (folder / "manifest.json").is_file():
        import json
        from .sweeps.experiment import load_experiment
        from .sweeps.figures import draw
        manifest = json.loads((folder / "manifest.json").read_text())
        figures = draw(load_experiment(manifest["experiment"]["file"]), folder)
        print(f"figures in {folder}/: {', '.join(p.name for p in figures)}")
        return 0
    try:
        frame = read_timeseries(folder)
    except FileNotFoundError as exc:
        raise DecoupleError(str(exc)) from None
    figures = _figures(frame, folder, "")
    print(f"figures in {folder}/: {', '.join(p.name for p in figures)}")
    return 0


def cmd_validate(args) -> int:
    from .validation.checks import all_checks
    from .validation.report import evaluate, markdown, write_report
    checks = all_checks()
    if args.only:
        wanted = {c.strip() for c in args.only.split(",") if c.strip()}
        unknown = wanted - {c.id for c in checks}
        if unknown:
            raise DecoupleError(f"--only: unknown check(s) {sorted(unknown)}; known: {', '.join(c.id for c in checks)}")
        checks = [c for c in checks if c.id in wanted]
    if args.set:
        from .config import load_scenario
        load_scenario("baseline", tuple(args.set))  # validate overrides before any run
    seeds = [args.seed + i for i in range(args.seeds)]
    started = time.perf_counter()
    table = evaluate(seeds, checks, tuple(args.set or []), progress=not args.quiet)
    out = Path(args.out)
    files = write_report(table, seeds, out)
    print(markdown(table, seeds))
    failed = int((~table.passed).sum())
    print(f"{len(table) - failed} of {len(table)} checks pass ({time.perf_counter() - started:.1f} s); "
          f"report in {out}/: {', '.join(p.name for p in files)}")
    return 1 if (args.strict and failed) else 0


def cmd_calibrate(args) -> int:
    from .validation import calibration
    record = calibration.run(points=args.points, workers=args.workers or (os.cpu_count() or 1),
                             max_evaluations=args.evaluations)
    path = calibration.write(record, Path(args.out) if args.out else None)
    print(f"calibration written to {path} ({record['seconds']:.0f} s)")
    for name, free in (("replay", calibration.REPLAY_FREE), ("satellite", calibration.SATELLITE_FREE)):
        for p, v in zip(free, record[name]["values"]):
            where = f"event '{p.event}' of scenarios/historical.toml" if p.event else "seeds/parameters.toml"
            print(f"  {p.path} = {float(v):.4f}  (prior {p.prior}; set it in {where})")
    return 0


def cmd_sweep(args) -> int:
    from .sweeps.engine import default_workers, run_sweep
    from .sweeps.experiment import load_experiment
    from .sweeps.figures import draw
    exp = load_experiment(args.experiment)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / exp.name
    workers = args.workers or default_workers()
    runs = exp.runs()
    print(f"{exp.section.title}: {len(exp.points)} design points x {exp.section.replicates} seeds x "
          f"{len(exp.section.scenarios)} scenario(s){' + baseline' if exp.section.baseline else ''} = {len(runs)} runs; "
          f"{args.backend} backend, {workers} worker(s)")
    result = run_sweep(exp, out, workers=workers, backend=args.backend, scheduler=args.scheduler,
                       resume=args.resume, progress=not args.quiet)
    print(f"{result.computed} runs computed in {result.seconds:.1f} s ({result.done} done, {result.failed} failed "
          f"of {result.runs}); results in {out}/: manifest.json, runs.parquet")
    if result.failed:
        print(f"failed runs are listed with their errors in {out}/failed/")
    figures = draw(exp, out)
    if figures:
        print(f"figures: {', '.join(str(p) for p in figures)}")
    return 0


def cmd_demo(args) -> int:
    import socket
    import subprocess
    from .demo.live import presets
    if args.preset not in presets():
        raise DecoupleError(f"--preset {args.preset!r}: not a preset; allowed: {', '.join(presets())}")
    if not 0 <= args.port <= 65535:
        raise DecoupleError(f"--port {args.port}: allowed: 1 to 65535, or 0 for any free port")
    with socket.socket() as sock:  # fail here, clearly, rather than deep inside the web server
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            sock.bind((args.host, args.port))
        except OSError as exc:
            raise DecoupleError(f"--port {args.port} on {args.host}: cannot listen there ({exc.strerror}); "
                                "choose another port, or 0 for any free one") from None
        port = sock.getsockname()[1]
    env = {**os.environ, "DECOUPLE_DEMO_PRESET": args.preset, "DECOUPLE_DEMO_SEED": str(args.seed),
           "SOLARA_CHECK_HOOKS": "off"}  # Mesa 3.3.1's ComponentsView trips the check; nothing to fix on our side
    command = [sys.executable, "-m", "solara", "run", "decouple.demo.app", "--host", args.host, "--port", str(port),
               "--production", "--log-level", "warning", "--open" if args.open else "--no-open"]
    print(f"classroom app at http://{'localhost' if args.host in ('127.0.0.1', 'localhost') else args.host}:{port}/ "
          f"(preset {args.preset}, seed {args.seed}); press Ctrl-C to stop", flush=True)
    server = subprocess.Popen(command, env=env)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait(timeout=10)
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="decouple", description="Agent-based scenarios of US-China technology decoupling.")
    parser.add_argument("--version", action="version", version=f"decouple {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p, steps=True):
        p.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a scenario parameter by dotted path, e.g. --set policy.fence=0.8 (repeatable)")
        if steps:
            p.add_argument("--steps", type=int, metavar="N", help="number of quarterly steps (default: the scenario's)")

    p = sub.add_parser("run", help="one run of a scenario")
    p.add_argument("scenario", help="scenario name (e.g. full_decoupling) or path to a TOML file")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", metavar="DIR", help="output folder (default results/run/SCENARIO_seedN)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="the main job: scenarios side by side with bands across seeds")
    p.add_argument("scenarios", nargs="*", help=f"scenarios (default: {' '.join(DEFAULT_SCENARIOS)})")
    p.add_argument("--replicates", type=int, default=10, metavar="R", help="seeds per scenario (default 10)")
    p.add_argument("--seed", type=int, default=0, help="first seed; runs use seed, seed+1, ... (default 0)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--out", metavar="DIR", default="results/compare", help="output folder (default results/compare)")
    p.add_argument("--csv", action="store_true", help="also write the full time series as CSV (large)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    common(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("scenarios", help="list the scenario files")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("params", help="every parameter of a scenario with value, range, unit, meaning and source")
    p.add_argument("scenario")
    p.add_argument("--changed", action="store_true", help="only parameters that differ from the default")
    p.add_argument("--csv", action="store_true", help="CSV on standard output")
    common(p, steps=False)
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("sweep", help="a parameter sweep from experiments/*.toml")
    p.add_argument("experiment", help="experiment name (e.g. yard_vs_fence) or path to a TOML file")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=["local", "dask"], default="local", help="local process pool or Dask")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a loopback LocalCluster)")
    p.add_argument("--resume", action="store_true", help="compute only the runs missing from --out")
    p.add_argument("--out", metavar="DIR", help="output folder (default results/sweeps/EXPERIMENT)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("validate", help="compare the model with the documented figures, check by check")
    p.add_argument("--seeds", type=int, default=5, metavar="N", help="seeds per check (default 5)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--out", metavar="DIR", default="results/validate", help="output folder (default results/validate)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a check fails")
    p.add_argument("--only", metavar="IDS", help="comma-separated check ids to run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="perturb the model in every check (repeatable)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("calibrate", help="refit the free parameters to the calibration targets (a few minutes)")
    p.add_argument("--points", type=int, default=40, help="Latin-hypercube points of the replay fit (default 40)")
    p.add_argument("--evaluations", type=int, default=120, help="Nelder-Mead evaluations (default 120)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes for the design (default: all cores)")
    p.add_argument("--out", metavar="FILE", help="where to write the result (default seeds/calibration.toml)")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("demo", help="the classroom app (Mesa SolaraViz) in the browser")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 to share on a network)")
    p.add_argument("--preset", default="selective_decoupling", help="preset loaded at start (default selective_decoupling)")
    p.add_argument("--seed", type=int, default=1, help="seed at start (default 1)")
    p.add_argument("--no-open", dest="open", action="store_false", help="do not open a browser window")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("plot", help="(re)draw the figures of a run or comparison folder")
    p.add_argument("results_dir")
    p.set_defaults(func=cmd_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "replicates", 1) is not None and getattr(args, "replicates", 1) < 1:
        parser.error("--replicates must be at least 1")
    if getattr(args, "seeds", 1) < 1:
        parser.error("--seeds must be at least 1")
    if getattr(args, "steps", None) is not None and args.steps < 1:
        parser.error("--steps must be at least 1")
    if getattr(args, "workers", None) is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    try:
        return args.func(args)
    except DecoupleError as exc:
        print(f"decouple: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("decouple: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
