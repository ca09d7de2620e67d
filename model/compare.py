"""``decouple compare``: scenarios side by side with bands across seeds, run on the sweep engine.

A comparison is an experiment made in code: the scenarios, ``replicates`` seeds each from
``numpy.random.SeedSequence(root_seed)`` (the same seeds for every scenario: common random
numbers), every run keeping its tidy time series and its quarterly outcomes. The engine writes
shards into a hidden work folder beside the results folder (``.NAME.partial``), so an
interrupted comparison continues with ``--resume``; when every run is done the results are
assembled and replace the results folder as a whole.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import outcomes
from .config import load_scenario
from .errors import ConfigError, DecoupleError
from .i18n import N_
from .i18n import gettext as _
from .indicators import KEYS, WELFARE_MEASURES, final_summary, welfare_against, welfare_summary
from .outcomes import interval, with_unit
from .output import result_folder, write_csv, write_json, write_timeseries
from .phrase import Phrase
from .plots import plot_figures
from .runner import provenance
from .sweeps.engine import load_timeseries, read_manifest, run_sweep
from .sweeps.experiment import Experiment, experiment_from_table
from .world import load_world

DEFAULT_SCENARIOS = ["baseline", "full_decoupling", "selective_decoupling", "coopetition"]
REFERENCE = "baseline"  # the open world every policy's cost is measured against
WELFARE_FILE = "welfare_vs_baseline.csv"
TITLE = N_("Technology decoupling scenarios, 2018–2035")


def comparison(scenarios: list[str], replicates: int, root_seed: int, overrides: list[str]) -> Experiment:
    """The experiment of a comparison (validated: scenarios, overrides, seeds)."""
    seen: dict[str, str] = {}
    world = load_world()
    for given in scenarios:
        spec = load_scenario(given, tuple(overrides), sectors=world.sectors)
        if spec.name in seen:
            same = seen[spec.name] == str(spec.file)
            raise ConfigError(
                _("scenario '{given}' is listed twice; list each scenario once").format(given=given)
                if same
                else _(
                    "scenarios '{first}' and '{second}' are both called '{name}'; give one another name (key 'name' "
                    "in its [scenario] table) so their runs stay apart"
                ).format(first=seen[spec.name], second=spec.file, name=spec.name)
            )
        seen[spec.name] = str(spec.file)
    table = {
        "experiment": {
            "title": TITLE,
            "scenarios": list(scenarios),
            "replicates": replicates,
            "root_seed": root_seed,
            "fixed": list(overrides),
            "keep_timeseries": True,
            "keep_tidy": True,
        }
    }
    return experiment_from_table(table, "compare")


def work_folder(out: Path) -> Path:
    """Where a comparison into ``out`` keeps its shards until it is done."""
    return out.parent / f".{out.name}.partial"


@dataclass
class Comparison:
    out: Path
    runs: int
    computed: int
    seconds: float
    workers: int
    files: list[Path]
    figures: list[Path]
    summary: pd.DataFrame  # final_summary of the outcome table
    welfare: pd.DataFrame | None  # welfare_summary against the baseline (None without a baseline)
    last_year: float
    unreached: list[str]  # notes on events after the run's end


def run_comparison(
    exp: Experiment,
    out: Path,
    workers: int,
    resume: bool = False,
    csv: bool = False,
    progress: bool = True,
    force: bool = False,
    backend: str = "local",
    scheduler: str | None = None,
) -> Comparison:
    """Run every run of the comparison and write the results folder as a whole."""
    out = Path(out)
    exp.check_size(force)
    work = work_folder(out)
    with result_folder(out, "compare") as tmp:
        if work.exists() and not resume:
            if read_manifest(work) is None and any(work.iterdir()):
                raise DecoupleError(f"{work}: exists and is not the work folder of a comparison; remove it")
            shutil.rmtree(work)
        result = run_sweep(
            exp,
            work,
            workers=workers,
            backend=backend,
            scheduler=scheduler,
            resume=resume,
            progress=progress,
            force=force,
        )
        if result.failed:
            raise DecoupleError(
                f"{result.failed} of {result.runs} runs failed (errors in {work}/failed/); "
                f"nothing was written to {out}; fix the cause and run again with --resume"
            )
        order = {r.run_id: i for i, r in enumerate(exp.iter_runs())}
        frame = _tidy_in_run_order(work, order)
        for col in ("scenario", "metric", "country", "partner", "sector"):
            frame[col] = frame[col].astype(str).astype("category")
        series = load_timeseries(work, "timeseries")
        series = series.assign(_order=series["run_id"].map(order)).sort_values(["_order", "year"], kind="stable")
        table = series.drop(columns=["run_id", "point", "_order"]).set_index(KEYS)
        files = write_timeseries(tmp, frame, csv=csv)
        write_csv(tmp / "indicators.csv", table.reset_index())
        summary = final_summary(table).loc[list(dict.fromkeys(table.index.get_level_values("scenario")))]
        welfare = None
        written = [tmp / "indicators.csv", tmp / "summary.json"]
        if REFERENCE in summary.index and len(summary.index) > 1:
            welfare = welfare_summary(welfare_against(table, REFERENCE))
            write_csv(tmp / WELFARE_FILE, welfare.reset_index())
            written.insert(1, tmp / WELFARE_FILE)
        unreached = _summary_json(exp, table, summary, welfare, tmp / "summary.json", result)
        figures = plot_figures(table, tmp, TITLE)
    shutil.rmtree(work, ignore_errors=True)
    moved = [out / p.name for p in files + written]
    return Comparison(
        out,
        result.runs,
        result.computed,
        result.seconds,
        workers,
        moved,
        [out / p.name for p in figures],
        summary,
        welfare,
        float(table.index.get_level_values("year").max()),
        unreached,
    )


def _tidy_in_run_order(work: Path, order: dict[str, int]) -> pd.DataFrame:
    """The runs' tidy frames stacked in the experiment's run order (scenarios as given, then seeds)."""
    files = sorted((p for p in (work / "tidy").glob("*.parquet") if p.stem in order), key=lambda p: order[p.stem])
    if not files:
        raise DecoupleError(f"{work}: no run time series to gather")
    return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)


def _against_baseline(welfare: pd.DataFrame) -> dict:
    """{scenario: {region: {measure: {mean, p10, p90}}}} of :func:`welfare_summary`."""
    measures = [m for m in WELFARE_MEASURES if f"{m}_mean" in welfare.columns]
    out: dict = {}
    for (scen, region), row in welfare.iterrows():
        out.setdefault(scen, {})[region] = {
            m: {k: float(row[f"{m}_{k}"]) for k in ("mean", "p10", "p90")} for m in measures
        }
    return out


def _summary_json(
    exp: Experiment, table: pd.DataFrame, summary: pd.DataFrame, welfare: pd.DataFrame | None, path: Path, result
) -> list[str]:
    world = load_world()
    seeds = exp.seeds()
    runs, specs = [], {}
    notes: list[str] = []
    for given in exp.section.scenarios:
        spec = specs[given] = load_scenario(given, tuple(exp.section.fixed), sectors=world.sectors)
        late = spec.unreached_events()
        if late:
            notes.append(
                Phrase(
                    N_("{scenario}: {n} event(s) after the run's end do not take effect ({years})"),
                    scenario=spec.name,
                    n=len(late),
                    years=", ".join(f"{e.year:g}" for e in late),
                )
            )
        for seed in seeds:
            runs.append(provenance(spec, seed))
    last = table.groupby(level=["scenario", "seed"], sort=False).tail(1)
    write_json(
        path,
        {
            "provenance": {
                "scenarios": exp.section.scenarios,
                "root_seed": exp.section.root_seed,
                "seeds": seeds,
                "overrides": exp.section.fixed,
                "experiment_sha256": exp.sha256,
                "runs": runs,
                "wall_time_seconds": round(result.seconds, 2),
                "workers": result.workers,
                "notes": notes,
            },
            "final": {
                scen: {
                    name: {k: summary.loc[scen, (name, k)] for k in ("mean", "p10", "p90")} for name in table.columns
                }
                for scen in summary.index
            },
            **(
                {}
                if welfare is None
                else {
                    "against_baseline": {
                        "reference": REFERENCE,
                        "note": "each scenario against the baseline run with the same seed, in the last year: "
                        "the change of welfare_usd in US$ bn a year and in % of the baseline's GDP, the "
                        "change of GDP in %, and the ACR cross-check (the change of the gains from trade in "
                        "the modelled sectors, in % of GDP); mean and 10th to 90th percentile across seeds",
                        "scenarios": _against_baseline(welfare),
                    }
                }
            ),
            "runs": [
                {"scenario": scen, "seed": seed, "final": row.to_dict()} for (scen, seed, _year), row in last.iterrows()
            ],
        },
    )
    return notes


def band(fmt: str, mean: float, low: float, high: float) -> str:
    """One table cell: the mean with the 10th to 90th percentile band, each formatted with ``fmt``:
    ``-737 [-751 to -723]``."""
    return f"{fmt.format(mean)} {interval(fmt.format(low), fmt.format(high))}"


def headline_rows(summary: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(label, one cell per scenario) of the headline outcomes: mean [10th to 90th percentile]."""
    rows = []
    for outcome in outcomes.headlines():
        if outcome.name not in summary.columns.get_level_values(0):
            continue
        fmt = outcome.fmt
        cells = []
        for scen in summary.index:
            cells.append(band(fmt, *(summary.loc[scen, (outcome.name, k)] for k in ("mean", "p10", "p90"))))
        rows.append((outcome.titled, cells))
    return rows


def welfare_rows(welfare: pd.DataFrame, regions=("US", "CN", "EU", "THIRD", "WORLD")) -> list[tuple[str, list[str]]]:
    """(label, one cell per scenario) of the change against the baseline, per region: welfare in
    US$ bn a year and in % of GDP, its ACR cross-check in % of GDP, and GDP in %; mean
    [10th to 90th percentile]."""
    scenarios = list(dict.fromkeys(welfare.index.get_level_values("scenario")))
    rows = []
    for region in regions:
        for measure, what, unit, fmt in (
            ("welfare_change_usd_bn", N_("Welfare"), N_("US$ bn/yr"), "{:+.0f}"),
            ("welfare_change_pct_gdp", N_("Welfare"), N_("% of GDP"), "{:+.2f}"),
            ("acr_change_pct_gdp", N_("ACR cross-check"), N_("% of GDP"), "{:+.2f}"),
            ("gdp_change_pct", N_("GDP"), "%", "{:+.2f}"),
        ):
            if f"{measure}_mean" not in welfare.columns:
                continue
            cells = []
            for scen in scenarios:
                if (scen, region) not in welfare.index:
                    cells.append("")
                    continue
                row = welfare.loc[(scen, region)]
                cells.append(band(fmt, *(row[f"{measure}_{k}"] for k in ("mean", "p10", "p90"))))
            text = _("{what} vs baseline, {region}").format(what=_(what), region=region)
            rows.append((with_unit(text, unit), cells))
    return rows


def default_workers(runs: int) -> int:
    return max(1, min(runs, os.cpu_count() or 1))
