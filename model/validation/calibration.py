"""Calibration: fitting the few free parameters to the calibration targets.

Two independent fits, both reproducible (fixed seeds, fixed design, deterministic optimiser):

1. The historical replay: six parameters — the speed of investment flows and their elasticity to
   trust, trust erosion, and the intensities of the 2016 and 2018 (FIRRMA) screening and of the
   China Initiative — fitted to Chinese investment in the US in 2017, 2018 and 2022, US–China
   co-authorship 2019–2022 and US investment into Chinese tech 2021–2023. A Latin-hypercube
   design over the bounds, then Nelder–Mead from its best point.
2. The all-destination licence burden, fitted alone to the satellite case (it only acts in
   sectors under all-destination rules, which the replay has none of) by a bounded scalar search.

The loss is the sum over targets of ((seed-mean model value − target) / half-width of the check's
tolerance)². Each evaluation runs the same seeds (common random numbers). The result, with each
target's fit error, is written to ``seeds/calibration.toml``; the values are then set in
``seeds/parameters.toml`` and ``scenarios/historical.toml``, and ``tests/test_evidence.py`` checks
that the three agree. Validation targets are never used here.
"""

from __future__ import annotations

import subprocess
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..output import atomic_write
from ..paths import evidence_dir
from ..world import load_world
from .checks import Check, Context, all_checks

ROOT_SEED = 20181001  # the Latin-hypercube design's seed
SEEDS = (0, 1, 2)
SATELLITE_CHECK = "cal_satellite"


@dataclass(frozen=True)
class Free:
    """A free parameter: a registry path, or a value inside a historical event."""

    path: str
    low: float
    high: float
    prior: float  # the assumption before fitting
    event: str = ""

    @property
    def name(self) -> str:
        return f"{self.event}:{self.path}" if self.event else self.path


REPLAY_FREE = (
    Free("capital.adjustment_rate", 0.02, 0.8, 0.2),
    Free("capital.trust_elasticity", 0.0, 6.0, 1.0),
    Free("coopetition.trust_erosion", 0.0, 0.8, 0.08),
    Free("policy.inbound_screening", 0.0, 0.9, 0.3, event="cfius_2016"),
    Free("policy.inbound_screening", 0.3, 1.0, 0.85, event="firrma"),
    Free("policy.academic_restriction", 0.0, 0.9, 0.35, event="china_initiative"),
)
SATELLITE_FREE = (Free("market.licence_burden", 0.0, 8.0, 1.5),)


def calibration_checks() -> list[Check]:
    return [c for c in all_checks() if c.kind == "calibration"]


def _context(free: tuple[Free, ...], values: np.ndarray, base: tuple[str, ...] = ()) -> Context:
    overrides = list(base) + [f"{p.path}={float(v)!r}" for p, v in zip(free, values) if not p.event]
    events = tuple((p.event, p.path, float(v)) for p, v in zip(free, values) if p.event)
    return Context(load_world(), tuple(overrides), events)


def evaluate(
    free: tuple[Free, ...], values, checks: list[Check], seeds=SEEDS, base: tuple[str, ...] = ()
) -> tuple[float, dict[str, float]]:
    """(loss, {check id: seed-mean model value}) at ``values``."""
    ctx = _context(free, np.asarray(values, dtype=float), base)
    means, loss = {}, 0.0
    for check in checks:
        mean = float(np.mean([check.compute(ctx, s) for s in seeds]))
        half = (check.high - check.low) / 2.0
        means[check.id] = mean
        loss += ((mean - check.target) / half) ** 2
    return loss, means


def _job(args):
    free, values, check_ids, seeds, base = args
    checks = [c for c in calibration_checks() if c.id in check_ids]
    return evaluate(free, values, checks, seeds, base)[0]


def fit(
    free: tuple[Free, ...],
    checks: list[Check],
    points: int = 40,
    workers: int = 1,
    max_evaluations: int = 120,
    seeds=SEEDS,
    base: tuple[str, ...] = (),
    log=print,
) -> dict:
    """Latin hypercube, then Nelder–Mead from the best point; returns the fitted values."""
    from scipy.optimize import minimize, minimize_scalar
    from scipy.stats import qmc

    low = np.array([p.low for p in free])
    high = np.array([p.high for p in free])
    ids = tuple(c.id for c in checks)
    evaluations = 0

    def loss_at(x):
        nonlocal evaluations
        evaluations += 1
        return evaluate(free, low + np.clip(x, 0, 1) * (high - low), checks, seeds, base)[0]

    if len(free) == 1:
        result = minimize_scalar(loss_at, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-3})
        best_x = np.array([result.x])
    else:
        design = qmc.LatinHypercube(d=len(free), seed=ROOT_SEED).random(points)
        jobs = [(free, low + x * (high - low), ids, seeds, base) for x in design]
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                losses = list(pool.map(_job, jobs))
        else:
            losses = [_job(j) for j in jobs]
        evaluations += len(jobs)
        start = design[int(np.argmin(losses))]
        log(f"  design: {points} points, best loss {min(losses):.3f}")
        result = minimize(
            loss_at, start, method="Nelder-Mead", options={"maxfev": max_evaluations, "xatol": 1e-3, "fatol": 1e-4}
        )
        best_x = np.clip(result.x, 0, 1)
    values = low + best_x * (high - low)
    values = np.round(values, 4)  # stored and used at four decimals
    loss, means = evaluate(free, values, checks, seeds, base)
    log(f"  fitted after {evaluations} evaluations: loss {loss:.4f}")
    return {"values": values, "loss": loss, "means": means, "evaluations": evaluations}


def run(points: int = 40, workers: int = 1, max_evaluations: int = 120, log=print) -> dict:
    """Both fits; returns the record written to ``seeds/calibration.toml``."""
    started = time.perf_counter()
    checks = calibration_checks()
    replay_checks = [c for c in checks if c.id != SATELLITE_CHECK]
    satellite_checks = [c for c in checks if c.id == SATELLITE_CHECK]
    log("fit 1: historical replay")
    replay = fit(REPLAY_FREE, replay_checks, points, workers, max_evaluations, log=log)
    log("fit 2: all-destination licence burden (satellite case)")
    satellite = fit(SATELLITE_FREE, satellite_checks, seeds=SEEDS, log=log)
    return {
        "replay": replay,
        "satellite": satellite,
        "seconds": time.perf_counter() - started,
        "checks": {c.id: c for c in checks},
    }


def _git_commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=evidence_dir().parent,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def to_toml(record: dict) -> str:
    checks = record["checks"]
    lines = [
        "# Calibration result, written by `decouple calibrate` (see model/validation/calibration.py).",
        "# The fitted values are set in seeds/parameters.toml (defaults) and scenarios/historical.toml",
        "# (event values); tests/test_evidence.py checks that they agree with this file.",
        "",
        "[calibration]",
        f'date = "{datetime.now(UTC).date().isoformat()}"',
        f'git_commit = "{_git_commit()}"',
        f"seeds = {list(SEEDS)}",
        f"design_seed = {ROOT_SEED}",
        'procedure = "replay: Latin hypercube then Nelder-Mead on the normalised bounds; satellite: bounded scalar '
        'search. Loss: sum of ((seed-mean model - target) / tolerance half-width)^2."',
        "",
    ]
    for fit_name, free in (("replay", REPLAY_FREE), ("satellite", SATELLITE_FREE)):
        result = record[fit_name]
        lines += [f"[fit.{fit_name}]", f"loss = {result['loss']:.6f}", f"evaluations = {result['evaluations']}", ""]
        for p, v in zip(free, result["values"]):
            lines += [
                "[[parameter]]",
                f'fit = "{fit_name}"',
                f'path = "{p.path}"',
                f'event = "{p.event}"',
                f"value = {float(v)!r}",
                f"low = {p.low!r}",
                f"high = {p.high!r}",
                f"prior = {p.prior!r}",
                "",
            ]
        for cid, mean in result["means"].items():
            c = checks[cid]
            half = (c.high - c.low) / 2.0
            lines += [
                "[[target]]",
                f'fit = "{fit_name}"',
                f'check = "{cid}"',
                f"facts = {list(c.facts)!r}".replace("'", '"'),
                f"documented = {c.target!r}",
                f"model = {mean!r}",
                f"error = {mean - c.target!r}",
                f"normalised_error = {(mean - c.target) / half!r}",
                "",
            ]
    return "\n".join(lines)


def write(record: dict, path: Path | None = None) -> Path:
    path = Path(path) if path is not None else evidence_dir() / "calibration.toml"
    text = to_toml(record)
    tomllib.loads(text)  # never write a file that does not parse

    def write_text(tmp: Path) -> None:
        tmp.write_text(text)

    atomic_write(path, write_text)
    return path


def load(path: Path | None = None) -> dict:
    path = Path(path) if path is not None else evidence_dir() / "calibration.toml"
    with open(path, "rb") as fh:
        return tomllib.load(fh)
