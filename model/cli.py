"""The ``decouple`` command line.

    decouple run SCENARIO [--seed N] [--steps N] [--set KEY=VALUE ...] [--out DIR]
    decouple compare [SCENARIO ...] [--replicates R] [--seed N] [--workers N] [--resume] [--out DIR]
    decouple scenarios
    decouple params SCENARIO [--set KEY=VALUE ...] [--changed] [--role ROLE] [--csv]
    decouple outcomes [--csv]
    decouple plot RESULTS_DIR
    decouple sweep EXPERIMENT [--workers N] [--backend local|dask] [--resume] [--force] [--csv] [--out DIR]
    decouple validate [--replicates N] [--strict] [--out DIR]
    decouple discover [RESULTS | --runs N] --where "EXPR" [--method prim|cart] [--out DIR]
    decouple search SEARCH [--futures N] [--population N] [--generations N] [--workers N]
                    [--backend local|dask] [--scheduler ADDR] [--out DIR]
    decouple demo [--port P] [--preset NAME] [--seed N] [--host H] [--no-open]
    decouple play [--port P] [--host H] [--teams US,CN,...] [--preset NAME] [--seed N] [--round-years Y]
                  [--lang en|zh] [--no-open]

Every error a user can act on (a bad file, key, value or folder) is printed as one message that
names what is wrong and what is allowed, with exit status 2, and no results already written are
touched.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import ipaddress
import os
import sys
import textwrap
import time
from pathlib import Path

from . import __version__
from .errors import DecoupleError

#: cap on --replicates of compare and validate without --force (the sweep's own size check
#: applies on top)
REPLICATE_LIMIT = 10_000


def _overrides(args) -> list[str]:
    out = list(args.set or [])
    if getattr(args, "steps", None) is not None:
        if any(isinstance(text, str) and text.split("=", 1)[0].strip() == "time.steps" for text in out):
            raise DecoupleError("--steps and --set time.steps both give the number of steps; give it once")
        out.append(f"time.steps={args.steps}")
    return out


def _seed(args, name: str = "--seed") -> int:
    from .model import check_seed

    return check_seed(args.seed, name)


def _workers(requested: int | None, runs: int) -> int:
    """Worker processes for ``runs`` runs: all cores by default; never more than the runs; a
    warning when asked for more than the machine has."""
    cores = os.cpu_count() or 1
    if requested is None:
        return max(1, min(runs, cores))
    if requested > cores:
        print(
            f"decouple: warning: --workers {requested} is more than the {cores} core(s) of this machine; "
            "runs will compete for them",
            file=sys.stderr,
        )
    if requested > runs:
        print(f"decouple: note: --workers {requested} for {runs} run(s); using {max(runs, 1)}", file=sys.stderr)
    return max(1, min(requested, runs))


def _warn_horizon(start_year: float, steps: int) -> None:
    """One line on standard error when the run goes past the evidence's horizon."""
    from .parameters import horizon_warning

    text = horizon_warning(start_year, steps)
    if text:
        print(f"decouple: warning: {text}", file=sys.stderr)


def cmd_run(args) -> int:
    from . import outcomes
    from .config import load_scenario
    from .output import result_folder
    from .runner import run_one, write_run
    from .world import load_world

    started = time.perf_counter()
    seed = _seed(args)
    spec = load_scenario(args.scenario, tuple(_overrides(args)), sectors=load_world().sectors)
    out = Path(args.out) if args.out else Path("results") / "run" / f"{spec.name}_seed{seed}"
    _warn_horizon(spec.params.time.start_year, spec.params.time.steps)
    with result_folder(out, "run") as tmp:  # checked before the run; written as a whole after it
        result = run_one(spec, seed)
        files, figures = write_run(tmp, result, plots=not args.no_plots)
    print(
        f"{result.provenance['title']}, seed {seed}: {len(result.frame):,} rows, "
        f"{result.provenance['firms']} firms, {time.perf_counter() - started:.1f} s"
    )
    for outcome in outcomes.headlines():
        print(f"  {outcome.titled:62s} {outcome.fmt.format(result.final[outcome.name]):>10s}")
    late = spec.unreached_events()
    if late:
        print(
            f"note: {len(late)} event(s) of the scenario fall after the run's end and do not take effect "
            f"({', '.join(f'{e.year:g}' for e in late)})"
        )
    print(f"results in {out}/: {', '.join(files)}")
    if figures:
        print(f"figures: {', '.join(str(out / p.name) for p in figures)}")
    return 0


def cmd_compare(args) -> int:
    from .compare import DEFAULT_SCENARIOS, comparison, headline_rows, run_comparison, welfare_rows

    scenarios = args.scenarios or DEFAULT_SCENARIOS
    root = _seed(args)
    if args.replicates > REPLICATE_LIMIT and not args.force:
        raise DecoupleError(
            f"--replicates {args.replicates}: more than {REPLICATE_LIMIT:,} seeds per scenario "
            f"({args.replicates * len(scenarios):,} runs); pass --force if you mean it"
        )
    exp = comparison(scenarios, args.replicates, root, _overrides(args))
    _warn_experiment_horizon(exp)
    workers = _workers(args.workers, exp.n_runs())
    result = run_comparison(
        exp, Path(args.out), workers, resume=args.resume, csv=args.csv, progress=not args.quiet, force=args.force
    )
    names = list(result.summary.index)
    print(
        f"\n{result.runs} runs ({len(names)} scenarios x {exp.section.replicates} seeds; {result.computed} computed "
        f"now) in {result.seconds:.1f} s with {workers} worker(s). Mean [10th to 90th percentile] across seeds "
        f"in {result.last_year:g}:"
    )
    rows = headline_rows(result.summary)
    width = max(len(label) for label, _ in rows) + 2
    print(f"{'':{width}s}" + "".join(f"{n[:24]:>26s}" for n in names))
    for label, cells in rows:
        print(f"{label:{width}s}" + "".join(f"{c:>26s}" for c in cells))
    if result.welfare is not None:
        against = [n for n in names if n != "baseline"]
        print(f"\nWelfare in money against the open baseline (same seeds), {result.last_year:g}:")
        print(f"{'':{width}s}" + "".join(f"{n[:24]:>26s}" for n in against))
        for label, cells in welfare_rows(result.welfare):
            print(f"{label:{width}s}" + "".join(f"{c:>26s}" for c in cells))
    for note in result.unreached:
        print(f"note: {note}")
    print(f"\nresults in {result.out}/: {', '.join(p.name for p in result.files)}")
    print(f"figures in {result.out}/: {', '.join(p.name for p in result.figures)}")
    return 0


def _warn_experiment_horizon(exp) -> None:
    """:func:`_warn_horizon` for the longest run of an experiment (its scenarios, its steps, and
    the calendar it varies)."""
    from .config import load_scenario

    ends = []
    for given in exp.section.scenarios + ([exp.section.baseline] if exp.section.baseline else []):
        time_ = load_scenario(given, tuple(exp.section.fixed)).params.time
        starts, steps = [time_.start_year], [exp.section.steps or time_.steps]
        for vary in exp.spec.vary:
            values = [v for v in (vary.values or [vary.low, vary.high]) if isinstance(v, (int, float))]
            if vary.path == "time.steps" and values:
                steps.append(int(max(values)))
            if vary.path == "time.start_year" and values:
                starts.append(float(max(values)))
        ends.append((max(starts) + max(steps) / 4.0, max(starts), max(steps)))
    if ends:
        _, start, steps = max(ends)
        _warn_horizon(start, steps)


def cmd_scenarios(args) -> int:
    from .config import list_scenarios

    for name, title, description, path in list_scenarios():
        print(f"{name:24s} {title}")
        for line in textwrap.wrap(description, 76):
            print(f"{'':24s} {line}")
        print(f"{'':24s} ({path})")
    return 0


def cmd_params(args) -> int:
    from .config import ROLES, get_path, load_registry, load_scenario

    if args.role is not None and args.role not in ROLES:
        from .errors import suggest

        raise DecoupleError(f"--role {args.role!r}{suggest(args.role, ROLES)}; allowed: {', '.join(ROLES)}")
    scenario = load_scenario(args.scenario, tuple(args.set or []))
    values = scenario.resolved()
    registry = load_registry()
    rows = []
    for path, spec in registry.items():
        value = get_path(values, path)
        default = spec.default if not (spec.type == "sectors" and spec.default == "all") else list(scenario.sectors)
        changed = value != default
        if (args.changed and not changed) or (args.role and spec.role != args.role):
            continue
        rng = f"{spec.range[0]:g} to {spec.range[1]:g}" if spec.range else spec.allowed(scenario.sectors)
        rows.append((path, value, default, changed, rng, spec))
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["path", "value", "default", "range", "unit", "meaning", "source", "structural", "role"])
        for path, value, default, _, rng, spec in rows:
            writer.writerow(
                [path, value, default, rng, spec.unit, spec.meaning, spec.source, spec.structural, spec.role]
            )
        return 0
    print(f"Parameters of scenario '{scenario.name}' ({scenario.file}); * = differs from the default")
    if scenario.events:
        print(
            f"{len(scenario.events)} dated event(s): " + "; ".join(f"{e.year:g}: {e.changes}" for e in scenario.events)
        )
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
        print(f"     {spec.role}; range {rng}; unit: {spec.unit}{'; fixed during a run' if spec.structural else ''}")
        for line in textwrap.wrap(spec.meaning, 92):
            print(f"     {line}")
        for line in textwrap.wrap(f"source: {spec.source}", 92):
            print(f"     {line}")
    return 0


def cmd_outcomes(args) -> int:
    from . import outcomes
    from .metrics import METRICS

    registry = outcomes.registry()
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["name", "kind", "label", "unit", "definition", "headline", "aliases"])
        for o in registry.values():
            kind = "whole run" if o.whole_run else "quarterly" if o.collected else "on request"
            writer.writerow([o.name, kind, o.label, o.unit, o.definition, o.headline, " ".join(o.aliases)])
        return 0
    groups = (
        (
            "Quarterly outcomes (DataCollector reporters, indicators.csv, sweep 'name@year' columns)",
            [o for o in registry.values() if not o.whole_run and o.collected],
        ),
        ("Whole-run outcomes (one value per run in a sweep)", outcomes.whole_run()),
        (
            "Series of the historical replay (computed on request: `decouple validate`)",
            [o for o in registry.values() if not o.collected],
        ),
    )
    for title, items in groups:
        print(f"\n{title}")
        for o in items:
            star = "*" if o.headline else " "
            print(f" {star} {o.name:34s} {o.unit}")
            for line in textwrap.wrap(f"{o.label}: {o.definition}", 92):
                print(f"     {line}")
    print(
        "\n* printed by `decouple compare`.\n\nMetrics of the tidy time series (timeseries.csv, the "
        "contract's columns):"
    )
    for metric, (unit, meaning) in METRICS.items():
        print(f"   {metric:22s} {unit:30s} {meaning}")
    return 0


def cmd_plot(args) -> int:
    from .config import path_kind

    folder = Path(args.results_dir)
    if path_kind(folder, DecoupleError) != "folder":
        raise DecoupleError(f"{folder}: not a folder; give the output folder of `decouple run`, `compare` or `sweep`")
    from .output import prepare_folder

    prepare_folder(folder, "RESULTS_DIR", inside=True)  # the figures are written into it
    if (folder / "manifest.json").exists():
        return _plot_sweep(folder)
    from .indicators import read_table
    from .plots import check_columns, plot_figures

    table = read_table(folder)
    check_columns(table, folder / "indicators.csv")
    figures = plot_figures(table, folder, _title_of(folder))
    print(f"figures in {folder}/: {', '.join(p.name for p in figures)}")
    return 0


def _title_of(folder: Path) -> str:
    """The title the run or comparison gave its figures, from its summary.json ('' if unknown)."""
    import json

    try:
        prov = json.loads((folder / "summary.json").read_text())["provenance"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if isinstance(prov, dict) and "title" in prov and "seed" in prov:
        return f"{prov['title']} (seed {prov['seed']})"
    if isinstance(prov, dict) and "scenarios" in prov:
        from .compare import TITLE

        return TITLE
    return ""


def _plot_sweep(folder: Path) -> int:
    """Redraw a sweep's figures from the experiment its manifest stores (not from the file, which
    may have changed since)."""
    import hashlib

    from .sweeps.engine import read_manifest
    from .sweeps.experiment import experiment_from_text
    from .sweeps.figures import draw

    manifest = read_manifest(folder)
    stored = manifest.get("experiment") if manifest else None
    if (
        not isinstance(stored, dict)
        or not isinstance(stored.get("text"), str)
        or not isinstance(stored.get("name"), str)
    ):
        raise DecoupleError(
            f"{folder}/manifest.json: unreadable, or written by an earlier version without the "
            "experiment's text; run the sweep again with --resume to rewrite it"
        )
    exp = experiment_from_text(stored["text"], stored["name"], check_scenarios=False)
    file = Path(stored["file"]) if stored.get("file") else None
    if (
        file is not None
        and file.is_file()
        and hashlib.sha256(file.read_bytes()).hexdigest() != hashlib.sha256(stored["text"].encode()).hexdigest()
    ):
        print(
            f"note: {file} has changed since the sweep; drawing from the experiment stored in the manifest",
            file=sys.stderr,
        )
    if not (folder / "runs.parquet").is_file():
        raise DecoupleError(f"{folder}: no runs.parquet; finish the sweep with `decouple sweep ... --resume`")
    figures = draw(exp, folder)
    print(f"figures in {folder}/: {', '.join(p.name for p in figures)}")
    return 0


def cmd_validate(args) -> int:
    from .output import result_folder
    from .validation.checks import all_checks
    from .validation.report import evaluate, markdown, write_report

    checks = all_checks()
    if args.only is not None:
        wanted = {c.strip() for c in args.only.split(",") if c.strip()}
        if not wanted:
            raise DecoupleError(f"--only {args.only!r}: no check ids; known: {', '.join(c.id for c in checks)}")
        unknown = wanted - {c.id for c in checks}
        if unknown:
            raise DecoupleError(f"--only: unknown check(s) {sorted(unknown)}; known: {', '.join(c.id for c in checks)}")
        checks = [c for c in checks if c.id in wanted]
    if args.set:
        from .config import load_scenario

        load_scenario("baseline", tuple(args.set))  # validate overrides before any run
    root = _seed(args)
    if args.replicates > REPLICATE_LIMIT:
        raise DecoupleError(f"--replicates {args.replicates}: at most {REPLICATE_LIMIT:,}")
    seeds = [root + i for i in range(args.replicates)]
    from .model import check_seed

    check_seed(seeds[-1], "--seed + --replicates - 1")
    started = time.perf_counter()
    out = Path(args.out)
    with result_folder(out, "validate") as tmp:
        table = evaluate(seeds, checks, tuple(args.set or []), progress=not args.quiet)
        files = write_report(table, seeds, tmp)
    print(markdown(table, seeds))
    failed = int((~table.passed).sum())
    print(
        f"{len(table) - failed} of {len(table)} checks pass ({time.perf_counter() - started:.1f} s); "
        f"report in {out}/: {', '.join(p.name for p in files)}"
    )
    return 1 if (args.strict and failed) else 0


def cmd_calibrate(args) -> int:
    from .output import prepare_file
    from .paths import evidence_dir
    from .validation import calibration

    # checked where the file will be written, before minutes of fitting, not after
    out = prepare_file(args.out if args.out is not None else evidence_dir() / "calibration.toml")
    record = calibration.run(
        points=args.points, workers=args.workers or (os.cpu_count() or 1), max_evaluations=args.evaluations
    )
    path = calibration.write(record, out)
    print(f"calibration written to {path} ({record['seconds']:.0f} s)")
    for name, free in (("replay", calibration.REPLAY_FREE), ("satellite", calibration.SATELLITE_FREE)):
        for p, v in zip(free, record[name]["values"]):
            where = f"event '{p.event}' of scenarios/historical.toml" if p.event else "seeds/parameters.toml"
            print(f"  {p.path} = {float(v):.4f}  (prior {p.prior}; set it in {where})")
    return 0


def cmd_sweep(args) -> int:
    from .sweeps.engine import check_scheduler, default_workers, driver_write, run_sweep

    check_scheduler(args.backend, args.scheduler)
    from .sweeps.experiment import load_experiment
    from .sweeps.figures import draw

    exp = load_experiment(args.experiment)
    exp.check_size(args.force)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / exp.name
    _warn_experiment_horizon(exp)
    workers = _workers(args.workers, exp.n_runs()) if args.workers else min(default_workers(), exp.n_runs())
    print(
        f"{exp.section.title}: {exp.size():,} design points x {exp.section.replicates} seeds x "
        f"{len(exp.section.scenarios)} scenario(s){' + baseline' if exp.section.baseline else ''} = "
        f"{exp.n_runs():,} runs; {args.backend} backend, {workers} worker(s)"
    )
    result = run_sweep(
        exp,
        out,
        workers=workers,
        backend=args.backend,
        scheduler=args.scheduler,
        resume=args.resume,
        progress=not args.quiet,
        force=args.force,
        csv=args.csv,
    )
    tables = ["runs.parquet"] + [p.name for p in result.csv]
    print(
        f"{result.computed} runs computed in {result.seconds:.1f} s ({result.done} done, {result.failed} failed "
        f"of {result.runs}); results in {out}/: manifest.json, {', '.join(tables)}"
    )
    if result.failed:
        print(
            f"decouple: {result.failed} of {result.runs} runs failed; their errors are in {out}/failed/ "
            "(`decouple sweep ... --resume` retries them)",
            file=sys.stderr,
        )
    with driver_write(out, "the sweep's figures"):
        figures = draw(exp, out) if result.done else []
    drawn = [p for p in figures if p.suffix != ".csv"]
    if drawn:
        print(f"figures: {', '.join(str(p) for p in drawn)}")
    indices = [p for p in figures if p.suffix == ".csv"]  # a sensitivity figure's indices
    if indices:
        print(f"sensitivity indices: {', '.join(str(p) for p in indices)}")
    return 1 if result.failed else 0


def cmd_discover(args) -> int:
    """Scenario discovery over a finished sweep, or over an exploration of the uncertainties."""
    from .discover import explore

    # more workers than cores is a warning; more than the runs, a note and the runs' number
    workers = _workers(args.workers, args.runs) if args.workers and args.runs else None
    found = explore(
        args.where,
        args.results,
        args.runs,
        scenario=args.scenario,
        year=args.year,
        seed=args.seed,
        method=args.method,
        density=args.density,
        workers=workers,
        resume=args.resume,
        out=args.out,
        progress=not args.quiet,
    )
    if found.failed:
        print(
            f"decouple: {found.failed} of {found.runs} runs failed; see {found.out / 'exploration'}/failed/",
            file=sys.stderr,
        )
        return 1
    print(Path(found.out / "report.md").read_text(encoding="utf-8"))
    print(f"written to {found.out}/: {', '.join(p.name for p in found.files)}")
    if found.warning:  # after the report, so that it is the last line a reader sees
        print(f"decouple: warning: {found.warning} (see {found.out / 'report.md'})", file=sys.stderr)
    return 0


def cmd_search(args) -> int:
    """Robust many-objective search over levers (NSGA-II or enumeration)."""
    from .search import load_search, run_search

    search = load_search(args.search).with_budget(
        futures=args.futures, population=args.population, generations=args.generations
    )
    search.check_size(args.force)
    out = Path(args.out) if args.out else Path("results") / "search" / search.name
    workers = args.workers or (os.cpu_count() or 1)
    s = search.spec.search
    size = search.n_policies() if s.method == "exhaustive" else s.population * s.generations
    given = f" (budget from {', '.join(search.budget_record()['from_flags'])})" if search.budget else ""
    print(
        f"{s.title}: {s.method}, up to {size:,} policies x {s.futures} futures{given}; {workers} worker(s), into {out}/"
    )
    result = run_search(
        search,
        out,
        workers=workers,
        log=(lambda *a: None) if args.quiet else print,
        backend=args.backend,
        scheduler=args.scheduler,
        force=args.force,
    )
    front = result["front"]
    shown = [c for c in front.columns if c not in ("policy",)]
    print(front[shown].to_string(index=False, max_colwidth=60))
    if len(result["named"]):
        print("\nnamed scenarios under the same futures:")
        print(result["named"].to_string(index=False))
    summary = result["summary"]
    print(
        f"\n{summary['policies']} policies evaluated ({summary['runs_computed']} runs computed) in "
        f"{summary['seconds']} s; {summary['front']} on the front"
        + (f", {summary['failed']} failed (an objective is not a number)" if summary.get("failed") else "")
        + f". Written to {out}/: front.csv, policies.csv, "
        "pareto.png, search.json"
    )
    return 0


def _whole_run_names() -> list[str]:
    from . import outcomes

    return [o.name for o in outcomes.whole_run()]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_demo(args) -> int:
    import signal
    import subprocess

    from .demo.live import presets
    from .errors import suggest

    if args.preset not in presets():
        raise DecoupleError(
            f"--preset {args.preset!r}{suggest(args.preset, presets())}: not a preset; allowed: {', '.join(presets())}"
        )
    _seed(args)
    port = _listen_port(args.host, args.port)
    if not _is_loopback(args.host):
        print(
            f"decouple: warning: --host {args.host} is not this machine's loopback address: anyone who can reach "
            f"it on the network can open the app and step its runs",
            file=sys.stderr,
        )
    env = {
        "SOLARA_KERNEL_CULL_TIMEOUT": "45s",  # a tab that vanished without closing (a dropped network)
        **os.environ,
        "DECOUPLE_DEMO_PRESET": args.preset,
        "DECOUPLE_DEMO_SEED": str(args.seed),
        "SOLARA_CHECK_HOOKS": "off",  # Mesa 3.3.1's solara_viz module trips the check; nothing to fix on our side
        "SOLARA_THEME_SHOW_BANNER": "false",  # Solara's badge would cover a plot's axis
        "SOLARA_THEME_TITLE": "Technology decoupling — classroom",  # the browser tab's title
    }
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "decouple.demo.app",
        "--host",
        args.host,
        "--port",
        str(port),
        "--production",
        "--log-level",
        "warning",
        "--open" if args.open else "--no-open",
    ]
    shown = "localhost" if _is_loopback(args.host) else args.host
    print(
        f"classroom app at http://{shown}:{port}/ (preset {args.preset}, seed {args.seed}); press Ctrl-C to stop",
        flush=True,
    )
    server = subprocess.Popen(command, env=env, start_new_session=True)

    def stop(signum, _frame):  # SIGTERM (or SIGHUP) to `decouple demo` stops its server too
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        _stop_group(server)
        return 0


def _listen_port(host: str, port: int) -> int:
    """The port a server will listen on (``port``, or a free one for 0), checked here so that a
    busy port or a bad host fails clearly rather than deep inside the web server."""
    import socket

    if not 0 <= port <= 65535:
        raise DecoupleError(f"--port {port}: allowed: 1 to 65535, or 0 for any free port")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            sock.bind((host, port))
        except (OSError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise DecoupleError(
                f"--port {port} on --host {host}: cannot listen there ({reason}); "
                "choose another port (0 for any free one) or host"
            ) from None
        return sock.getsockname()[1]


def _is_utf8(text: str) -> bool:
    """False for a text holding bytes that are not UTF-8 (an argument's, kept as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: the most what-if workers `decouple play` starts (each is a copy of the server's process)
PLAY_WORKERS_MAX = 32


def cmd_play(args) -> int:
    """Check every setting the server cannot start without (the game's own are checked by
    :class:`~decouple.play.game.Game`, and the results folder by ``serve``, both before it
    serves), then serve the role-play until it is stopped."""
    from .play.server import lan_address, serve

    _seed(args)
    lang = _play_language(args)
    if args.workers > PLAY_WORKERS_MAX:
        raise DecoupleError(
            f"--workers {args.workers}: more processes than a class needs; allowed: 1 to {PLAY_WORKERS_MAX}"
        )
    host = args.host
    if not host.strip() or not host.isprintable() or len(host) > 253 or not _is_utf8(host):
        raise DecoupleError(
            f"--host {ascii(host)[:80]}: not an address; allowed: an address of this machine, e.g. 127.0.0.1 "
            "(this machine only) or 0.0.0.0 (every address, for a classroom network)"
        )
    port = _listen_port(host, args.port)
    # the address students reach: this machine's on the network when listening on every address
    shown = "localhost" if _is_loopback(args.host) else lan_address() if args.host in ("0.0.0.0", "::") else args.host
    if not _is_loopback(args.host):
        print(
            f"decouple: warning: --host {args.host} is not this machine's loopback address: anyone on the network "
            "who can reach it can open the join page; teams still need the room code and their team code, and "
            "the facilitator's actions need the facilitator key",
            file=sys.stderr,
        )
    return serve(
        preset=args.preset,
        seed=args.seed,
        teams=args.teams,
        round_years=args.round_years,
        start_year=args.start_year,
        host=args.host,
        port=port,
        base=f"http://{shown}:{port}",
        out=Path(args.out),
        open_browser=args.open,
        share_seats=args.seats == "share",
        workers=args.workers,
        lang=lang,
    )


def _play_language(args) -> str:
    """The room's language from ``decouple play --lang`` (checked before anything starts)."""
    from . import i18n

    value = getattr(args, "play_lang", None)
    try:
        return i18n.normalise(value)
    except i18n.UnknownLanguage:
        raise DecoupleError(
            f"--lang {ascii(value)[:40]}: not a language of the role-play; allowed: en (English), "
            "zh or zh-Hans (Simplified Chinese)"
        ) from None


def _stop_group(server) -> None:
    """Stop the server and every process it started (it runs in its own process group)."""
    import signal
    import subprocess

    for signum, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, signum)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="decouple", description="Agent-based scenarios of US-China technology decoupling."
    )
    parser.add_argument("--version", action="version", version=f"decouple {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p, steps=True):
        p.add_argument(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help="override a scenario parameter by dotted path, e.g. --set policy.fence=0.8 (repeatable)",
        )
        if steps:
            p.add_argument("--steps", type=int, metavar="N", help="number of quarterly steps (default: the scenario's)")

    p = sub.add_parser("run", help="one run of a scenario")
    p.add_argument("scenario", help="scenario name (e.g. full_decoupling) or path to a TOML file")
    p.add_argument("--seed", type=int, default=0, help="random seed, 0 to 2**63-1 (default 0)")
    p.add_argument("--out", metavar="DIR", help="output folder (default results/run/SCENARIO_seedN)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="the main job: scenarios side by side with bands across seeds")
    p.add_argument(
        "scenarios", nargs="*", help="scenarios (default: baseline full_decoupling selective_decoupling coopetition)"
    )
    p.add_argument("--replicates", type=int, default=10, metavar="R", help="seeds per scenario (default 10)")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="root seed: the runs' seeds come from numpy.random.SeedSequence(seed) (default 0)",
    )
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--out", metavar="DIR", default="results/compare", help="output folder (default results/compare)")
    p.add_argument("--csv", action="store_true", help="also write the full time series as CSV (large)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted comparison into the same --out")
    p.add_argument("--force", action="store_true", help="allow a comparison of more than a million runs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    common(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("scenarios", help="list the scenario files")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("params", help="every parameter of a scenario with value, range, unit, role, meaning and source")
    p.add_argument("scenario")
    p.add_argument("--changed", action="store_true", help="only parameters that differ from the default")
    p.add_argument(
        "--role", metavar="ROLE", help="only levers, uncertainties or constants (lever|uncertainty|constant)"
    )
    p.add_argument("--csv", action="store_true", help="CSV on standard output")
    common(p, steps=False)
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("outcomes", help="every outcome the model reports, with its unit and definition")
    p.add_argument("--csv", action="store_true", help="CSV on standard output")
    p.set_defaults(func=cmd_outcomes)

    p = sub.add_parser("sweep", help="a parameter sweep from experiments/*.toml")
    p.add_argument("experiment", help="experiment name (e.g. yard_vs_fence) or path to a TOML file")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=["local", "dask"], default="local", help="local process pool or Dask")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a loopback LocalCluster)")
    p.add_argument("--resume", action="store_true", help="compute only the runs missing from --out")
    p.add_argument("--force", action="store_true", help="allow a sweep of more than a million runs")
    p.add_argument(
        "--csv",
        action="store_true",
        help="also write runs.csv beside runs.parquet, and the kept time series as timeseries.csv (tidy.csv)",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default results/sweeps/EXPERIMENT)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "discover",
        help="scenario discovery (PRIM or CART): which uncertain conditions make a condition on outcomes hold",
    )
    p.add_argument("results", nargs="?", help="a finished sweep folder (or give --runs for an exploration)")
    p.add_argument("--where", required=True, help='condition on kept outcomes, e.g. "gap_controlled@2030 < 0.1"')
    p.add_argument("--method", default="prim", help="prim (default) or cart")
    p.add_argument("--runs", type=int, help="explore N runs over the uncertainties' plausible ranges")
    p.add_argument("--scenario", default="selective_decoupling", help="scenario of the exploration")
    p.add_argument("--year", type=float, default=2030.0, help="last year of the exploration's runs (default 2030)")
    p.add_argument("--seed", type=int, default=0, help="root seed of the exploration")
    p.add_argument("--density", type=float, default=0.8, help="PRIM: the chosen box's least density (default 0.8)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted exploration")
    p.add_argument("--out", help="output folder (default RESULTS/discovery or results/discover/SCENARIO)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("search", help="robust many-objective search over levers across uncertain futures")
    p.add_argument("search", help="search file: a name in experiments/ (precise_yard) or a path")
    for key, what in (
        ("futures", "futures each policy is run in"),
        ("population", "NSGA-II's population"),
        ("generations", "NSGA-II's generations"),
    ):
        p.add_argument(f"--{key}", type=int, metavar="N", help=f"{what} (default: the file's [search] {key})")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--out", help="output folder (default results/search/NAME); a rerun resumes from its shards")
    p.add_argument("--backend", default="local", help="local (a process pool, default) or dask, as for sweep")
    p.add_argument("--scheduler", help="with --backend dask: a running scheduler's address (default: a local cluster)")
    p.add_argument("--force", action="store_true", help="allow a search of more than a million runs")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("validate", help="compare the model with the documented figures, check by check")
    p.add_argument(
        "--replicates",
        "--seeds",
        dest="replicates",
        type=int,
        default=5,
        metavar="N",
        help="random seeds per check (default 5; --seeds is the old name)",
    )
    p.add_argument("--seed", type=int, default=0, help="first seed; checks use seed, seed+1, ... (default 0)")
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
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 to share on a network)"
    )
    p.add_argument(
        "--preset", default="selective_decoupling", help="preset loaded at start (default selective_decoupling)"
    )
    p.add_argument("--seed", type=int, default=1, help="seed at start (default 1)")
    p.add_argument("--no-open", dest="open", action="store_false", help="do not open a browser window")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("play", help="the classroom role-play: teams play the states on their own devices")
    p.add_argument("--port", type=int, default=8766, help="port to listen on (default 8766; 0 = any free port)")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for a classroom network)"
    )
    p.add_argument(
        "--teams",
        help="teams as country codes, '+' joining states one team plays (default US,CN,NL+JP,KR+TW,EU,IN+VN)",
    )
    p.add_argument(
        "--preset",
        default="adaptive_rivalry",
        help="the history before the class takes over, and what states no team plays do (default adaptive_rivalry)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--round-years", type=float, default=2.0, help="years a round covers (default 2)")
    p.add_argument("--start-year", type=float, default=2024.0, help="year the class takes over (default 2024)")
    p.add_argument(
        "--seats",
        choices=("share", "refuse"),
        default="share",
        help="a second device on a team shares its seat or is refused (default share; the facilitator can change it)",
    )
    p.add_argument("--workers", type=int, default=2, help="processes answering what-ifs (default 2)")
    p.add_argument("--out", default="results/play", help="where exports are written (default results/play)")
    p.add_argument(
        "--lang",
        dest="play_lang",
        default="en",
        metavar="LANG",
        help="the room's language: en or zh (Simplified Chinese); each device can switch its own page (default en)",
    )
    p.add_argument("--no-open", dest="open", action="store_false", help="do not open the facilitator page")
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("plot", help="(re)draw the figures of a run, comparison or sweep folder")
    p.add_argument("results_dir")
    p.set_defaults(func=cmd_plot)
    return parser


def _terminal_errors(error: UnicodeError, raw: bool = True) -> tuple[bytes, int]:
    """Codec error handler for the terminal: a character its encoding lacks (a dash or a Chinese
    citation on an ASCII or Latin-1 terminal) is written as a backslash escape, and an undecodable
    byte of a file name (kept by Python as a surrogate) as the byte it was (``raw``: the terminal
    speaks the locale's encoding, which made the surrogate) or as ``\\xNN`` (a UTF-8 stream, which
    a stray byte would make invalid)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = bytearray()
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out += bytes([code - 0xDC00]) if raw else f"\\x{code - 0xDC00:02x}".encode()
        else:
            out += char.encode("ascii", errors="backslashreplace")
    return bytes(out), error.end


codecs.register_error("decouple.terminal", _terminal_errors)
codecs.register_error("decouple.terminal-utf8", lambda error: _terminal_errors(error, raw=False))


def _safe_streams() -> None:
    """Make standard output and error print any text: see :func:`_terminal_errors`."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or str(getattr(stream, "errors", "")).startswith("decouple.terminal"):
            continue
        try:
            utf8 = codecs.lookup(stream.encoding).name == "utf-8"
            reconfigure(errors="decouple.terminal-utf8" if utf8 else "decouple.terminal")
        except (ValueError, OSError, LookupError, TypeError, AttributeError):  # a closed or odd stream
            pass


def _quiet_broken_pipe() -> int:
    """The reader of standard output went away (``decouple ... | head``): stop quietly. Standard
    output now goes to the null device, so that Python's last flush finds no broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 1


def main(argv: list[str] | None = None) -> int:
    _safe_streams()
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, so that a reader gone away is met while it can be handled
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except SystemExit as exc:  # argparse's usage errors and --help, whose output may meet a closed pipe
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()
        raise exc from None


def _main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for flag in ("out", "results_dir", "scenario", "experiment"):
        if isinstance(getattr(args, flag, None), str) and not getattr(args, flag).strip():
            parser.error(f"{'--' + flag if flag == 'out' else flag.upper()} is empty")
    for flag, least in (("replicates", 1), ("steps", 1), ("workers", 1), ("points", 2), ("evaluations", 1)):
        value = getattr(args, flag, None)
        if value is not None and value < least:
            parser.error(f"--{flag} must be at least {least}")
    try:
        return args.func(args)
    except DecoupleError as exc:
        print(f"decouple: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise
    except OSError as exc:  # a write no check foresaw (a full disk, a file-size limit): named, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"decouple: error: {where}{exc.strerror or exc}; results written before were left as they were",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("decouple: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
