"""Evaluating the checks over seeds and reporting them (markdown, CSV, figure)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..outcomes import interval
from ..output import atomic_write, write_csv
from ..world import load_world
from .checks import KINDS, Check, Context, all_checks

COLUMNS = [
    "id",
    "kind",
    "compared",
    "documented",
    "target",
    "model_mean",
    "model_min",
    "model_max",
    "tolerance",
    "why",
    "passed",
    "facts",
]
KIND_LABEL = {
    "calibration": "in-sample (fitted)",
    "replay": "out-of-sample (replay)",
    "consistency": "consistency (replay against figures that also set the starting data)",
    "pattern": "pattern",
    "literature": "literature (published estimates and series)",
}


def evaluate(
    seeds: list[int], checks: list[Check] | None = None, overrides: tuple[str, ...] = (), progress: bool = True
) -> pd.DataFrame:
    """One row per check: documented value, model mean and range across seeds, pass/fail."""
    checks = checks if checks is not None else all_checks()
    ctx = Context(load_world(), overrides)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(checks) * len(seeds), desc="checks", unit="run", dynamic_ncols=True)
    rows = []
    for check in checks:
        per_seed = []
        for seed in seeds:
            per_seed.append(float(check.compute(ctx, seed)))
            if bar is not None:
                bar.update(1)
        values = np.array(per_seed)
        mean = float(values.mean())
        rows.append(
            {
                "id": check.id,
                "kind": check.kind,
                "compared": check.compared,
                "documented": check.documented,
                "target": check.target,
                "model_mean": mean,
                "model_min": float(values.min()),
                "model_max": float(values.max()),
                "tolerance": check.tolerance,
                "why": check.why,
                "passed": check.passes(mean),
                "facts": " ".join(check.facts),
            }
        )
    if bar is not None:
        bar.close()
    return pd.DataFrame(rows, columns=COLUMNS)


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "none"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def markdown(table: pd.DataFrame, seeds: list[int]) -> str:
    lines = [
        f"Checks against the evidence base ({len(seeds)} seeds: {', '.join(map(str, seeds))}). "
        "Model value: seed mean [min to max]. A check passes when the mean is within the tolerance.",
        "",
    ]
    for kind in KINDS:
        part = table[table.kind == kind]
        if part.empty:
            continue
        passed = int(part.passed.sum())
        lines += [
            f"**{KIND_LABEL[kind]}**: {passed} of {len(part)} pass",
            "",
            "| check | compared | documented | model | tolerance (why) | result |",
            "|---|---|---|---|---|---|",
        ]
        for _, r in part.iterrows():
            model = f"{_fmt(r.model_mean)} {interval(_fmt(r.model_min), _fmt(r.model_max))}"
            result = "pass" if r.passed else "**miss**"
            lines.append(
                f"| `{r.id}` | {r.compared} | {r.documented} (target {_fmt(r.target)}; {r.facts}) | "
                f"{model} | {r.tolerance} ({r.why}) | {result} |"
            )
        lines.append("")
    return "\n".join(lines)


def _position(row) -> tuple[float, float, float]:
    """Model mean, min and max on a common scale: the tolerance interval maps to [-1, 1]."""
    low, high = row.model_low, row.model_high

    scale = max(abs(row.target - (low if np.isfinite(low) else high)), abs(row.target), 0.05)

    def z(x):
        if np.isfinite(low) and np.isfinite(high) and high > low:
            return 2 * (x - low) / (high - low) - 1
        if np.isfinite(low):  # one-sided: x >= low passes; inside values fill the band
            return -1 + 2 * min(1.0, (x - low) / (2 * scale)) if x >= low else -1 - (low - x) / scale
        return 1 - 2 * min(1.0, (high - x) / (2 * scale)) if x <= high else 1 + (x - high) / scale

    mean, low_end, high_end = (float(np.clip(z(v), -4, 4)) for v in (row.model_mean, row.model_min, row.model_max))
    return mean, low_end, high_end


def figure(table: pd.DataFrame, path: Path, checks: list[Check] | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..i18n import gettext as _
    from ..plots import style

    by_id = {c.id: c for c in (checks or all_checks())}
    t = table.copy()
    t["model_low"] = [by_id[i].low for i in t.id]
    t["model_high"] = [by_id[i].high for i in t.id]
    with plt.rc_context(style()):
        fig, ax = plt.subplots(figsize=(13, 0.42 * len(t) + 2))
        ax.axvspan(-1, 1, color="#009E73", alpha=0.12, label=_("within tolerance"))
        for y, (_index, row) in enumerate(t.iloc[::-1].iterrows()):
            mean, lo, hi = _position(row)
            colour = "#009E73" if row.passed else "#D55E00"
            ax.plot([lo, hi], [y, y], color=colour, linewidth=2)
            ax.plot(mean, y, "o" if row.passed else "X", color=colour, markersize=9)
        ax.set_yticks(range(len(t)))
        ax.set_yticklabels(
            [f"{i} ({KIND_LABEL[k].split(' ')[0]})" for i, k in zip(t.id[::-1], t.kind[::-1])], fontsize=11
        )
        ax.set_xlim(-4.2, 4.2)
        ax.set_xlabel(_("model value relative to the tolerance (band = pass; ±4 = far outside)"))
        ax.set_title(_("Model vs documented figures: seed mean (marker) and range (line)"))
        ax.grid(axis="y", alpha=0)
        fig.tight_layout()
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
        plt.close(fig)
    return path


def write_report(table: pd.DataFrame, seeds: list[int], folder: Path) -> list[Path]:
    folder = Path(folder)
    write_csv(folder / "validation.csv", table)
    text = markdown(table, seeds) + "\n"

    def write_text(tmp: Path) -> None:
        tmp.write_text(text)

    atomic_write(folder / "validation.md", write_text)
    return [folder / "validation.csv", folder / "validation.md", figure(table, folder / "validation.png")]
