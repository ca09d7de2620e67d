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
from .i18n import N_, UnknownLanguage, current, language, normalise
from .i18n import gettext as _
from .phrase import Phrase, text_width, tr, wrap_lines
from .phrase import padded as _padded

#: the environment variable that chooses the language of what decouple prints (as --lang does)
LANGUAGE_VARIABLE = "DECOUPLE_LANG"

#: cap on --replicates of compare and validate without --force (the sweep's own size check
#: applies on top)
REPLICATE_LIMIT = 10_000


def _overrides(args) -> list[str]:
    out = list(args.set or [])
    if getattr(args, "steps", None) is not None:
        if any(isinstance(text, str) and text.split("=", 1)[0].strip() == "time.steps" for text in out):
            raise DecoupleError(_("--steps and --set time.steps both give the number of steps; give it once"))
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
        text = _("--workers {requested} is more than the {cores} core(s) of this machine; runs will compete for them")
        print("decouple: warning: " + text.format(requested=requested, cores=cores), file=sys.stderr)
    if requested > runs:
        text = _("--workers {requested} for {runs} run(s); using {used}").format(
            requested=requested, runs=runs, used=max(runs, 1)
        )
        print("decouple: note: " + text, file=sys.stderr)
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
        _("{title}, seed {seed}: {rows:,} rows, {firms} firms, {seconds:.1f} s").format(
            title=tr(result.provenance["title"]),
            seed=seed,
            rows=len(result.frame),
            firms=result.provenance["firms"],
            seconds=time.perf_counter() - started,
        )
    )
    for outcome in outcomes.headlines():
        print(f"  {_padded(outcome.titled, 62)} {outcome.fmt.format(result.final[outcome.name]):>10s}")
    late = spec.unreached_events()
    if late:
        text = _("{n} event(s) of the scenario fall after the run's end and do not take effect ({years})")
        print(_("note: ") + text.format(n=len(late), years=", ".join(f"{e.year:g}" for e in late)))
    print(_("results in {folder}/: {files}").format(folder=out, files=", ".join(files)))
    if figures:
        print(_("figures: {files}").format(files=", ".join(str(out / p.name) for p in figures)))
    return 0


def cmd_compare(args) -> int:
    from .compare import DEFAULT_SCENARIOS, comparison, headline_rows, run_comparison, welfare_rows

    scenarios = args.scenarios or DEFAULT_SCENARIOS
    root = _seed(args)
    if args.replicates > REPLICATE_LIMIT and not args.force:
        raise DecoupleError(
            _(
                "--replicates {replicates}: more than {limit:,} seeds per scenario ({runs:,} runs); pass --force "
                "if you mean it"
            ).format(replicates=args.replicates, limit=REPLICATE_LIMIT, runs=args.replicates * len(scenarios))
        )
    exp = comparison(scenarios, args.replicates, root, _overrides(args))
    _warn_experiment_horizon(exp)
    workers = _workers(args.workers, exp.n_runs())
    result = run_comparison(
        exp, Path(args.out), workers, resume=args.resume, csv=args.csv, progress=not args.quiet, force=args.force
    )
    names = list(result.summary.index)
    print(
        "\n"
        + _(
            "{runs} runs ({scenarios} scenarios x {seeds} seeds; {computed} computed now) in {seconds:.1f} s with "
            "{workers} worker(s). Mean [10th to 90th percentile] across seeds in {year:g}:"
        ).format(
            runs=result.runs,
            scenarios=len(names),
            seeds=exp.section.replicates,
            computed=result.computed,
            seconds=result.seconds,
            workers=workers,
            year=result.last_year,
        )
    )
    rows = headline_rows(result.summary)
    width = max(text_width(label) for label, _cells in rows) + 2
    print(" " * width + "".join(_padded(n[:24], 26, right=True) for n in names))
    for label, cells in rows:
        print(_padded(label, width) + "".join(f"{c:>26s}" for c in cells))
    if result.welfare is not None:
        against = [n for n in names if n != "baseline"]
        print(
            "\n" + _("Welfare in money against the open baseline (same seeds), {year:g}:").format(year=result.last_year)
        )
        print(" " * width + "".join(_padded(n[:24], 26, right=True) for n in against))
        for label, cells in welfare_rows(result.welfare):
            print(_padded(label, width) + "".join(f"{c:>26s}" for c in cells))
    for note in result.unreached:
        print(_("note: ") + tr(note))
    print(
        "\n"
        + _("results in {folder}/: {files}").format(folder=result.out, files=", ".join(p.name for p in result.files))
    )
    print(_("figures in {folder}/: {files}").format(folder=result.out, files=", ".join(p.name for p in result.figures)))
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
        _end, start, steps = max(ends)
        _warn_horizon(start, steps)


def cmd_scenarios(args) -> int:
    from .config import list_scenarios

    for name, title, description, path in list_scenarios():
        print(f"{name:24s} {tr(title)}")
        for line in wrap_lines(tr(description), 76):
            print(f"{'':24s} {line}")
        print(f"{'':24s} ({path})")
    return 0


def cmd_params(args) -> int:
    from .config import ROLES, get_path, load_registry, load_scenario

    if args.role is not None and args.role not in ROLES:
        from .errors import suggest

        raise DecoupleError(
            _("--role {role}{hint}; allowed: {allowed}").format(
                role=repr(args.role), hint=suggest(args.role, ROLES), allowed=", ".join(ROLES)
            )
        )
    if args.csv and current() != "en":  # a table for programs: its words stay English
        with language("en"):
            return cmd_params(args)
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
        rng = _("{low:g} to {high:g}").format(low=spec.range[0], high=spec.range[1]) if spec.range else None
        rows.append((path, value, default, changed, rng or spec.allowed(scenario.sectors), spec))
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["path", "value", "default", "range", "unit", "meaning", "source", "structural", "role"])
        for path, value, default, _changed, rng, spec in rows:
            writer.writerow(
                [path, value, default, rng, spec.unit, spec.meaning, spec.source, spec.structural, spec.role]
            )
        return 0
    print(
        _("Parameters of scenario '{name}' ({file}); * = differs from the default").format(
            name=scenario.name, file=scenario.file
        )
    )
    if scenario.events:
        print(
            _("{n} dated event(s): ").format(n=len(scenario.events))
            + "; ".join(f"{e.year:g}: {e.changes}" for e in scenario.events)
        )
    section = None
    for path, value, default, changed, rng, spec in rows:
        top = path.split(".")[0]
        if top != section:
            section = top
            print(f"\n[{section}]")
        shown = value if not isinstance(value, list) else ("[" + ", ".join(value) + "]")
        mark = "*" if changed else " "
        extra = _(" (default {default})").format(default=default) if changed else ""
        print(f" {mark} {path} = {shown}{extra}")
        fixed = _("; fixed during a run") if spec.structural else ""
        print(
            "     " + _("{role}; range {range}; unit: {unit}").format(role=spec.role, range=rng, unit=spec.unit) + fixed
        )
        for line in textwrap.wrap(spec.meaning, 92):
            print(f"     {line}")
        for line in textwrap.wrap(_("source: {source}").format(source=spec.source), 92):
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
            _("Quarterly outcomes (DataCollector reporters, indicators.csv, sweep 'name@year' columns)"),
            [o for o in registry.values() if not o.whole_run and o.collected],
        ),
        (_("Whole-run outcomes (one value per run in a sweep)"), outcomes.whole_run()),
        (
            _("Series of the historical replay (computed on request: `decouple validate`)"),
            [o for o in registry.values() if not o.collected],
        ),
    )
    for title, items in groups:
        print(f"\n{title}")
        for o in items:
            star = "*" if o.headline else " "
            print(f" {star} {o.name:34s} {o.shown_unit}")
            # the definitions are the registry's reference text, in English (as docs/reference/outcomes.md)
            for line in wrap_lines(f"{o.shown}: {o.definition}", 92):
                print(f"     {line}")
    print(
        "\n"
        + _(
            "* printed by `decouple compare`.\n\nMetrics of the tidy time series (timeseries.csv, the "
            "contract's columns):"
        )
    )
    for metric, (unit, meaning) in METRICS.items():
        print(f"   {metric:22s} {unit:30s} {meaning}")
    return 0


def cmd_plot(args) -> int:
    from .config import path_kind

    folder = Path(args.results_dir)
    if path_kind(folder, DecoupleError) != "folder":
        raise DecoupleError(
            _("{folder}: not a folder; give the output folder of `decouple run`, `compare` or `sweep`").format(
                folder=folder
            )
        )
    from .output import prepare_folder

    prepare_folder(folder, "RESULTS_DIR", inside=True)  # the figures are written into it
    if (folder / "manifest.json").exists():
        return _plot_sweep(folder)
    from .indicators import read_table
    from .plots import check_columns, plot_figures

    table = read_table(folder)
    check_columns(table, folder / "indicators.csv")
    figures = plot_figures(table, folder, _title_of(folder))
    print(_("figures in {folder}/: {files}").format(folder=folder, files=", ".join(p.name for p in figures)))
    return 0


def _title_of(folder: Path) -> str:
    """The title the run or comparison gave its figures, from its summary.json ('' if unknown)."""
    import json

    try:
        prov = json.loads((folder / "summary.json").read_text())["provenance"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if isinstance(prov, dict) and "title" in prov and "seed" in prov:
        return Phrase(N_("{title} (seed {seed})"), title=prov["title"], seed=prov["seed"])
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
            _(
                "{folder}/manifest.json: unreadable, or written by an earlier version without the experiment's "
                "text; run the sweep again with --resume to rewrite it"
            ).format(folder=folder)
        )
    exp = experiment_from_text(stored["text"], stored["name"], check_scenarios=False)
    file = Path(stored["file"]) if stored.get("file") else None
    if (
        file is not None
        and file.is_file()
        and hashlib.sha256(file.read_bytes()).hexdigest() != hashlib.sha256(stored["text"].encode()).hexdigest()
    ):
        print(
            _("note: ")
            + _("{file} has changed since the sweep; drawing from the experiment stored in the manifest").format(
                file=file
            ),
            file=sys.stderr,
        )
    if not (folder / "runs.parquet").is_file():
        raise DecoupleError(
            _("{folder}: no runs.parquet; finish the sweep with `decouple sweep ... --resume`").format(folder=folder)
        )
    figures = draw(exp, folder)
    print(_("figures in {folder}/: {files}").format(folder=folder, files=", ".join(p.name for p in figures)))
    return 0


def cmd_validate(args) -> int:
    from .output import result_folder
    from .validation.checks import all_checks
    from .validation.report import evaluate, markdown, write_report

    checks = all_checks()
    if args.only is not None:
        wanted = {c.strip() for c in args.only.split(",") if c.strip()}
        if not wanted:
            raise DecoupleError(
                _("--only {only}: no check ids; known: {known}").format(
                    only=repr(args.only), known=", ".join(c.id for c in checks)
                )
            )
        unknown = wanted - {c.id for c in checks}
        if unknown:
            raise DecoupleError(
                _("--only: unknown check(s) {unknown}; known: {known}").format(
                    unknown=sorted(unknown), known=", ".join(c.id for c in checks)
                )
            )
        checks = [c for c in checks if c.id in wanted]
    if args.set:
        from .config import load_scenario

        load_scenario("baseline", tuple(args.set))  # validate overrides before any run
    root = _seed(args)
    if args.replicates > REPLICATE_LIMIT:
        raise DecoupleError(
            _("--replicates {replicates}: at most {limit:,}").format(replicates=args.replicates, limit=REPLICATE_LIMIT)
        )
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
        _("{passed} of {checks} checks pass ({seconds:.1f} s); report in {folder}/: {files}").format(
            passed=len(table) - failed,
            checks=len(table),
            seconds=time.perf_counter() - started,
            folder=out,
            files=", ".join(p.name for p in files),
        )
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
    print(_("calibration written to {path} ({seconds:.0f} s)").format(path=path, seconds=record["seconds"]))
    for name, free in (("replay", calibration.REPLAY_FREE), ("satellite", calibration.SATELLITE_FREE)):
        for p, v in zip(free, record[name]["values"]):
            where = (
                _("event '{event}' of scenarios/historical.toml").format(event=p.event)
                if p.event
                else "seeds/parameters.toml"
            )
            text = _("(prior {prior}; set it in {where})").format(prior=p.prior, where=where)
            print(f"  {p.path} = {float(v):.4f}  {text}")
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
        _(
            "{title}: {points:,} design points x {seeds} seeds x {scenarios} scenario(s){baseline} = {runs:,} runs; "
            "{backend} backend, {workers} worker(s)"
        ).format(
            title=exp.section.title,
            points=exp.size(),
            seeds=exp.section.replicates,
            scenarios=len(exp.section.scenarios),
            baseline=_(" + baseline") if exp.section.baseline else "",
            runs=exp.n_runs(),
            backend=args.backend,
            workers=workers,
        )
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
        _(
            "{computed} runs computed in {seconds:.1f} s ({done} done, {failed} failed of {runs}); results in "
            "{folder}/: manifest.json, {tables}"
        ).format(
            computed=result.computed,
            seconds=result.seconds,
            done=result.done,
            failed=result.failed,
            runs=result.runs,
            folder=out,
            tables=", ".join(tables),
        )
    )
    if result.failed:
        text = _(
            "{failed} of {runs} runs failed; their errors are in {folder}/failed/ (`decouple sweep ... --resume` "
            "retries them)"
        ).format(failed=result.failed, runs=result.runs, folder=out)
        print("decouple: " + text, file=sys.stderr)
    with driver_write(out, "the sweep's figures"):
        figures = draw(exp, out) if result.done else []
    drawn = [p for p in figures if p.suffix != ".csv"]
    if drawn:
        print(_("figures: {files}").format(files=", ".join(str(p) for p in drawn)))
    indices = [p for p in figures if p.suffix == ".csv"]  # a sensitivity figure's indices
    if indices:
        print(_("sensitivity indices: {files}").format(files=", ".join(str(p) for p in indices)))
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
        text = _("{failed} of {runs} runs failed; see {folder}/failed/").format(
            failed=found.failed, runs=found.runs, folder=found.out / "exploration"
        )
        print("decouple: " + text, file=sys.stderr)
        return 1
    print(Path(found.out / "report.md").read_text(encoding="utf-8"))
    print(_("written to {folder}/: {files}").format(folder=found.out, files=", ".join(p.name for p in found.files)))
    if found.warning:  # after the report, so that it is the last line a reader sees
        text = _("{warning} (see {report})").format(warning=found.warning, report=found.out / "report.md")
        print("decouple: warning: " + text, file=sys.stderr)
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
    given = (
        _(" (budget from {flags})").format(flags=", ".join(search.budget_record()["from_flags"]))
        if search.budget
        else ""
    )
    print(
        _(
            "{title}: {method}, up to {size:,} policies x {futures} futures{given}; {workers} worker(s), into {folder}/"
        ).format(title=s.title, method=s.method, size=size, futures=s.futures, given=given, workers=workers, folder=out)
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
        print("\n" + _("named scenarios under the same futures:"))
        print(result["named"].to_string(index=False))
    summary = result["summary"]
    failed = (
        _(", {failed} failed (an objective is not a number)").format(failed=summary["failed"])
        if summary.get("failed")
        else ""
    )
    print(
        "\n"
        + _(
            "{policies} policies evaluated ({runs} runs computed) in {seconds} s; {front} on the front{failed}. "
            "Written to {folder}/: front.csv, policies.csv, pareto.png, search.json"
        ).format(
            policies=summary["policies"],
            runs=summary["runs_computed"],
            seconds=summary["seconds"],
            front=summary["front"],
            failed=failed,
            folder=out,
        )
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
            _("--preset {preset}{hint}: not a preset; allowed: {allowed}").format(
                preset=repr(args.preset), hint=suggest(args.preset, presets()), allowed=", ".join(presets())
            )
        )
    _seed(args)
    port = _listen_port(args.host, args.port)
    if not _is_loopback(args.host):
        text = _(
            "--host {host} is not this machine's loopback address: anyone who can reach it on the network can open "
            "the app and step its runs"
        ).format(host=args.host)
        print("decouple: warning: " + text, file=sys.stderr)
    env = {
        "SOLARA_KERNEL_CULL_TIMEOUT": "45s",  # a tab that vanished without closing (a dropped network)
        **os.environ,
        "DECOUPLE_DEMO_PRESET": args.preset,
        "DECOUPLE_DEMO_SEED": str(args.seed),
        "DECOUPLE_DEMO_LANG": current(),  # the language the page starts in (the page can switch)
        "SOLARA_CHECK_HOOKS": "off",  # Mesa 3.3.1's solara_viz module trips the check; nothing to fix on our side
        "SOLARA_THEME_SHOW_BANNER": "false",  # Solara's badge would cover a plot's axis
        "SOLARA_THEME_TITLE": _("Technology decoupling — classroom"),  # the browser tab's title
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
        _("classroom app at {url} (preset {preset}, seed {seed}); press Ctrl-C to stop").format(
            url=f"http://{shown}:{port}/", preset=args.preset, seed=args.seed
        ),
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
        raise DecoupleError(_("--port {port}: allowed: 1 to 65535, or 0 for any free port").format(port=port))
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            sock.bind((host, port))
        except (OSError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise DecoupleError(
                _(
                    "--port {port} on --host {host}: cannot listen there ({reason}); choose another port (0 for any "
                    "free one) or host"
                ).format(port=port, host=host, reason=reason)
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
#: what-if workers by default: one per core, up to this many (8 teams asking at once keep 8 busy)
PLAY_WORKERS_DEFAULT_MAX = 8


def play_workers(requested: int | None) -> int:
    """What-if workers: ``requested``, or one per core of this machine (at most
    ``PLAY_WORKERS_DEFAULT_MAX``): more workers than cores only queue for them."""
    if requested is not None:
        return requested
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, PLAY_WORKERS_DEFAULT_MAX))


def cmd_play(args) -> int:
    """Check every setting the server cannot start without (the game's own are checked by
    :class:`~decouple.play.game.Game`, and the results folder by ``serve``, both before it
    serves), then serve the role-play until it is stopped."""
    from .play.server import lan_address, serve

    _seed(args)
    args.workers = play_workers(args.workers)
    lang = _play_language(args)
    if args.workers > PLAY_WORKERS_MAX:
        raise DecoupleError(
            _("--workers {workers}: more processes than a class needs; allowed: 1 to {most}").format(
                workers=args.workers, most=PLAY_WORKERS_MAX
            )
        )
    host = args.host
    if not host.strip() or not host.isprintable() or len(host) > 253 or not _is_utf8(host):
        raise DecoupleError(
            _(
                "--host {host}: not an address; allowed: an address of this machine, e.g. 127.0.0.1 (this machine "
                "only) or 0.0.0.0 (every address, for a classroom network)"
            ).format(host=ascii(host)[:80])
        )
    port = _listen_port(host, args.port)
    # the address students reach: this machine's on the network when listening on every address
    shown = "localhost" if _is_loopback(args.host) else lan_address() if args.host in ("0.0.0.0", "::") else args.host
    if not _is_loopback(args.host):
        text = _(
            "--host {host} is not this machine's loopback address: anyone on the network who can reach it can open "
            "the join page; teams still need the room code and their team code, and the facilitator's actions need "
            "the facilitator key"
        ).format(host=args.host)
        print("decouple: warning: " + text, file=sys.stderr)
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
    """The room's language: the command's ``--lang`` (or ``DECOUPLE_LANG``), already checked by
    :func:`_language_of` before anything starts; each device can switch its own page."""
    from . import i18n

    return i18n.current()


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
    """The command line's parser, its help in the current language."""
    parser = argparse.ArgumentParser(
        prog="decouple", description=_("Agent-based scenarios of US-China technology decoupling.")
    )
    parser.add_argument("--version", action="version", version=f"decouple {__version__}")
    # --lang before the command or after it: `decouple --lang zh compare` or `decouple compare --lang zh`
    lang_help = _(
        "language of what decouple prints and draws: en (default) or zh (Simplified Chinese); or set {variable}. "
        "Files for programs (CSV, parquet, JSON) stay the same"
    ).format(variable=LANGUAGE_VARIABLE)
    parser.add_argument("--lang", metavar="LANG", help=lang_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    languages = argparse.ArgumentParser(add_help=False)
    languages.add_argument("--lang", metavar="LANG", default=argparse.SUPPRESS, help=lang_help)

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[languages], **kwargs)

    def common(p, steps=True):
        p.add_argument(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help=_("override a scenario parameter by dotted path, e.g. --set policy.fence=0.8 (repeatable)"),
        )
        if steps:
            p.add_argument(
                "--steps", type=int, metavar="N", help=_("number of quarterly steps (default: the scenario's)")
            )

    p = command("run", help=_("one run of a scenario"))
    p.add_argument("scenario", help=_("scenario name (e.g. full_decoupling) or path to a TOML file"))
    p.add_argument("--seed", type=int, default=0, help=_("random seed, 0 to 2**63-1 (default 0)"))
    p.add_argument("--out", metavar="DIR", help=_("output folder (default results/run/SCENARIO_seedN)"))
    p.add_argument("--no-plots", action="store_true", help=_("skip the figures"))
    common(p)
    p.set_defaults(func=cmd_run)

    p = command("compare", help=_("the main job: scenarios side by side with bands across seeds"))
    p.add_argument(
        "scenarios", nargs="*", help=_("scenarios (default: baseline full_decoupling selective_decoupling coopetition)")
    )
    p.add_argument("--replicates", type=int, default=10, metavar="R", help=_("seeds per scenario (default 10)"))
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help=_("root seed: the runs' seeds come from numpy.random.SeedSequence(seed) (default 0)"),
    )
    p.add_argument("--workers", type=int, metavar="N", help=_("worker processes (default: all cores)"))
    p.add_argument("--out", metavar="DIR", default="results/compare", help=_("output folder (default results/compare)"))
    p.add_argument("--csv", action="store_true", help=_("also write the full time series as CSV (large)"))
    p.add_argument("--resume", action="store_true", help=_("finish an interrupted comparison into the same --out"))
    p.add_argument("--force", action="store_true", help=_("allow a comparison of more than a million runs"))
    p.add_argument("--quiet", action="store_true", help=_("no progress bar"))
    common(p)
    p.set_defaults(func=cmd_compare)

    p = command("scenarios", help=_("list the scenario files"))
    p.set_defaults(func=cmd_scenarios)

    p = command("params", help=_("every parameter of a scenario with value, range, unit, role, meaning and source"))
    p.add_argument("scenario")
    p.add_argument("--changed", action="store_true", help=_("only parameters that differ from the default"))
    p.add_argument(
        "--role", metavar="ROLE", help=_("only levers, uncertainties or constants (lever|uncertainty|constant)")
    )
    p.add_argument("--csv", action="store_true", help=_("CSV on standard output"))
    common(p, steps=False)
    p.set_defaults(func=cmd_params)

    p = command("outcomes", help=_("every outcome the model reports, with its unit and definition"))
    p.add_argument("--csv", action="store_true", help=_("CSV on standard output"))
    p.set_defaults(func=cmd_outcomes)

    p = command("sweep", help=_("a parameter sweep from experiments/*.toml"))
    p.add_argument("experiment", help=_("experiment name (e.g. yard_vs_fence) or path to a TOML file"))
    p.add_argument("--workers", type=int, metavar="N", help=_("worker processes (default: all cores)"))
    p.add_argument("--backend", choices=["local", "dask"], default="local", help=_("local process pool or Dask"))
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help=_("Dask scheduler address (default: a loopback LocalCluster)")
    )
    p.add_argument("--resume", action="store_true", help=_("compute only the runs missing from --out"))
    p.add_argument("--force", action="store_true", help=_("allow a sweep of more than a million runs"))
    p.add_argument(
        "--csv",
        action="store_true",
        help=_("also write runs.csv beside runs.parquet, and the kept time series as timeseries.csv (tidy.csv)"),
    )
    p.add_argument("--out", metavar="DIR", help=_("output folder (default results/sweeps/EXPERIMENT)"))
    p.add_argument("--quiet", action="store_true", help=_("no progress bar"))
    p.set_defaults(func=cmd_sweep)

    p = command(
        "discover",
        help=_("scenario discovery (PRIM or CART): which uncertain conditions make a condition on outcomes hold"),
    )
    p.add_argument("results", nargs="?", help=_("a finished sweep folder (or give --runs for an exploration)"))
    p.add_argument("--where", required=True, help=_('condition on kept outcomes, e.g. "gap_controlled@2030 < 0.1"'))
    p.add_argument("--method", default="prim", help=_("prim (default) or cart"))
    p.add_argument("--runs", type=int, help=_("explore N runs over the uncertainties' plausible ranges"))
    p.add_argument("--scenario", default="selective_decoupling", help=_("scenario of the exploration"))
    p.add_argument("--year", type=float, default=2030.0, help=_("last year of the exploration's runs (default 2030)"))
    p.add_argument("--seed", type=int, default=0, help=_("root seed of the exploration"))
    p.add_argument("--density", type=float, default=0.8, help=_("PRIM: the chosen box's least density (default 0.8)"))
    p.add_argument("--workers", type=int, help=_("worker processes (default: all cores)"))
    p.add_argument("--resume", action="store_true", help=_("finish an interrupted exploration"))
    p.add_argument("--out", help=_("output folder (default RESULTS/discovery or results/discover/SCENARIO)"))
    p.add_argument("--quiet", action="store_true", help=_("no progress bar"))
    p.set_defaults(func=cmd_discover)

    p = command("search", help=_("robust many-objective search over levers across uncertain futures"))
    p.add_argument("search", help=_("search file: a name in experiments/ (precise_yard) or a path"))
    for key, what in (
        ("futures", N_("futures each policy is run in")),
        ("population", N_("NSGA-II's population")),
        ("generations", N_("NSGA-II's generations")),
    ):
        text = _("{what} (default: the file's [search] {key})").format(what=_(what), key=key)
        p.add_argument(f"--{key}", type=int, metavar="N", help=text)
    p.add_argument("--workers", type=int, help=_("worker processes (default: all cores)"))
    p.add_argument("--out", help=_("output folder (default results/search/NAME); a rerun resumes from its shards"))
    p.add_argument("--backend", default="local", help=_("local (a process pool, default) or dask, as for sweep"))
    p.add_argument(
        "--scheduler", help=_("with --backend dask: a running scheduler's address (default: a local cluster)")
    )
    p.add_argument("--force", action="store_true", help=_("allow a search of more than a million runs"))
    p.add_argument("--quiet", action="store_true", help=_("no progress lines"))
    p.set_defaults(func=cmd_search)

    p = command("validate", help=_("compare the model with the documented figures, check by check"))
    p.add_argument(
        "--replicates",
        "--seeds",
        dest="replicates",
        type=int,
        default=5,
        metavar="N",
        help=_("random seeds per check (default 5; --seeds is the old name)"),
    )
    p.add_argument("--seed", type=int, default=0, help=_("first seed; checks use seed, seed+1, ... (default 0)"))
    p.add_argument(
        "--out", metavar="DIR", default="results/validate", help=_("output folder (default results/validate)")
    )
    p.add_argument("--strict", action="store_true", help=_("exit with status 1 when a check fails"))
    p.add_argument("--only", metavar="IDS", help=_("comma-separated check ids to run"))
    p.add_argument("--quiet", action="store_true", help=_("no progress bar"))
    p.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help=_("perturb the model in every check (repeatable)")
    )
    p.set_defaults(func=cmd_validate)

    p = command("calibrate", help=_("refit the free parameters to the calibration targets (a few minutes)"))
    p.add_argument("--points", type=int, default=40, help=_("Latin-hypercube points of the replay fit (default 40)"))
    p.add_argument("--evaluations", type=int, default=120, help=_("Nelder-Mead evaluations (default 120)"))
    p.add_argument("--workers", type=int, metavar="N", help=_("worker processes for the design (default: all cores)"))
    p.add_argument("--out", metavar="FILE", help=_("where to write the result (default seeds/calibration.toml)"))
    p.set_defaults(func=cmd_calibrate)

    p = command("demo", help=_("the classroom app (Mesa SolaraViz) in the browser"))
    p.add_argument("--port", type=int, default=8765, help=_("port to listen on (default 8765; 0 = any free port)"))
    p.add_argument(
        "--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1; 0.0.0.0 to share on a network)")
    )
    p.add_argument(
        "--preset", default="selective_decoupling", help=_("preset loaded at start (default selective_decoupling)")
    )
    p.add_argument("--seed", type=int, default=1, help=_("seed at start (default 1)"))
    p.add_argument("--no-open", dest="open", action="store_false", help=_("do not open a browser window"))
    p.set_defaults(func=cmd_demo)

    p = command("play", help=_("the classroom role-play: teams play the states on their own devices"))
    p.add_argument("--port", type=int, default=8766, help=_("port to listen on (default 8766; 0 = any free port)"))
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help=_("address to listen on (default 127.0.0.1; 0.0.0.0 for a classroom network)"),
    )
    p.add_argument(
        "--teams",
        help=_("teams as country codes, '+' joining states one team plays (default US,CN,NL+JP,KR+TW,EU,IN+VN)"),
    )
    p.add_argument(
        "--preset",
        default="adaptive_rivalry",
        help=_("the history before the class takes over, and what states no team plays do (default adaptive_rivalry)"),
    )
    p.add_argument("--seed", type=int, default=0, help=_("seed (default 0)"))
    p.add_argument("--round-years", type=float, default=2.0, help=_("years a round covers (default 2)"))
    p.add_argument("--start-year", type=float, default=2024.0, help=_("year the class takes over (default 2024)"))
    p.add_argument(
        "--seats",
        choices=("share", "refuse"),
        default="share",
        help=_(
            "a second device on a team shares its seat or is refused (default share; the facilitator can change it)"
        ),
    )
    p.add_argument(
        "--workers",
        type=int,
        help=_("processes answering what-ifs (default: one per core, at most {most})").format(
            most=PLAY_WORKERS_DEFAULT_MAX
        ),
    )
    p.add_argument("--out", default="results/play", help=_("where exports are written (default results/play)"))
    p.add_argument("--no-open", dest="open", action="store_false", help=_("do not open the facilitator page"))
    p.set_defaults(func=cmd_play)

    p = command("plot", help=_("(re)draw the figures of a run, comparison or sweep folder"))
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


#: the values --lang (and DECOUPLE_LANG) take, for the error that names them
LANGUAGE_CHOICES = "en (English), zh (Simplified Chinese; also zh-Hans, zh-CN)"


def _asked_language(argv: list[str]) -> tuple[str, str] | None:
    """(where, value) of the language asked for: the last --lang of the command line (before a
    lone ``--``), else the environment's ``DECOUPLE_LANG``; None for neither."""
    asked = None
    for i, token in enumerate(argv):
        if token == "--":
            break
        if token == "--lang" and i + 1 < len(argv):
            asked = ("--lang", argv[i + 1])
        elif token.startswith("--lang="):
            asked = ("--lang", token.split("=", 1)[1])
    if asked is None and os.environ.get(LANGUAGE_VARIABLE, "").strip():
        asked = (LANGUAGE_VARIABLE, os.environ[LANGUAGE_VARIABLE])
    return asked


def _language_of(asked: tuple[str, str] | None) -> str:
    """The project's tag for the language asked for; a clear error naming the flag (or the
    variable), the value and what is allowed."""
    if asked is None:
        return "en"
    where, value = asked
    try:
        return normalise(value)
    except UnknownLanguage:
        shown = f"{where} {value[:40]!r}" if where.startswith("--") else f"{where}={value[:40]!r}"
        raise DecoupleError(f"{shown}: not a language of decouple; allowed: {LANGUAGE_CHOICES}") from None


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        tag = _language_of(_asked_language(argv))
    except DecoupleError as exc:  # said in English: the language asked for is not known
        print(f"decouple: error: {exc}", file=sys.stderr)
        return 2
    with language(tag):
        return _command(argv)


def _command(argv: list[str]) -> int:
    """Parse and run one command, in the current language."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for flag in ("out", "results_dir", "scenario", "experiment"):
        if isinstance(getattr(args, flag, None), str) and not getattr(args, flag).strip():
            parser.error(_("{flag} is empty").format(flag="--" + flag if flag == "out" else flag.upper()))
    for flag, least in (("replicates", 1), ("steps", 1), ("workers", 1), ("points", 2), ("evaluations", 1)):
        value = getattr(args, flag, None)
        if value is not None and value < least:
            parser.error(_("--{flag} must be at least {least}").format(flag=flag, least=least))
    try:
        return args.func(args)
    except DecoupleError as exc:
        print(f"decouple: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise
    except OSError as exc:  # a write no check foresaw (a full disk, a file-size limit): named, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        text = _("{where}{error}; results written before were left as they were").format(
            where=where, error=exc.strerror or exc
        )
        print("decouple: error: " + text, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("decouple: " + _("interrupted"), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
