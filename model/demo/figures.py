"""The classroom app's live figures, drawn with matplotlib for a projector.

Each function takes a :class:`~decouple.demo.live.ClassroomModel` and returns a
``matplotlib.figure.Figure``: the run so far as solid lines, the open baseline with the same
seed as thin dashed lines, the whole calendar on the x axis so that nothing rescales while the
model plays, and a dotted vertical line where a lever moved or a scenario event took effect.
Colours: the preset's scenario colour where a figure shows one quantity, the country colours of
:data:`decouple.plots.COUNTRY_COLOURS` where it shows several.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

from .. import outcomes  # noqa: E402
from ..measure import Measure, Reader  # noqa: E402
from ..plots import COUNTRY_COLOURS, STYLE, colour, label  # noqa: E402
from .levers import describe  # noqa: E402

LIVE_STYLE: dict[RcKeyType, Any] = {
    **STYLE,
    "font.size": 14,
    "axes.titlesize": 17,
    "axes.labelsize": 14,
    "legend.fontsize": 12,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "lines.linewidth": 3.0,
}
SIZE = (7.2, 4.6)
#: the who-sells-to-whom figure, in inches
FLOW_SIZE = (7.2, 5.6)
MARGINS = {"left": 0.13, "right": 0.97, "top": 0.9, "bottom": 0.26}
REFERENCE: dict[str, Any] = {"linestyle": "--", "linewidth": 1.6, "alpha": 0.75}
NAMES = {
    "US": "US",
    "CN": "China",
    "JP": "Japan",
    "NL": "Netherlands",
    "KR": "S. Korea",
    "TW": "Taiwan",
    "EU": "EU",
    "THIRD": "Third countries",
    "WORLD": "World",
    "allies": "Allies",
}


def markers(model) -> list[tuple[float, str, bool]]:
    """(year, text, is_lever) of each step where levers moved or scenario events took effect;
    for a lever dragged through several values in one step only the last value counts."""
    moves: dict[int, dict[str, str]] = {}
    years: dict[int, float] = {}
    for step, year, name, value in model.lever_moves:
        moves.setdefault(step, {})[name] = describe(name, value)
        years[step] = year
    events = {(step, year) for step, year, _path, _value, origin in model.changes if origin.startswith("event")}
    return sorted(
        [(years[step], ", ".join(texts.values()), True) for step, texts in moves.items()]
        + [(year, "", False) for _step, year in events]
    )


def decision_marks(model) -> list[tuple[float, str, str]]:
    """(year, caption, who) of the decisions adaptive states took (``model.decisions``): the US's
    changes of its yard get a caption (``US yard 5``); China's and the third countries' moves
    (counter-measures, partner ties, talent, lean) are marked without one."""
    out = []
    for d in model.decisions:
        if d.state == "US":
            if d.lever == "policy.yard":
                out.append((d.year, f"US yard {len(d.value)}", "US"))
        elif d.state == "CN":
            out.append((d.year, "", "CN"))
        elif d.lever == "lean":
            out.append((d.year, "", "THIRD"))
    return out


#: how the decision log names the levers and relations the states move
DECISION_WORDS = {
    "policy.yard": lambda v: f"yard of {len(v)} sectors" + (f" ({', '.join(v)})" if len(v) <= 4 else ""),
    "policy.fence": lambda v: f"fence {v:.2f}",
    "policy.licence_approval": lambda v: f"licences {v:.2f}",
    "policy.ally_pressure": lambda v: f"pressure on allies {v:.2f}",
    "policy.entity_list_initial": lambda v: f"entity list {v:.2f} of China's demand",
    "policy.fdpr": lambda v: f"FDPR on {len(v)} sectors",
    "policy.country_wide": lambda v: f"country-wide rules on {len(v)} sectors",
    "resolve": lambda v: f"resolve {v:.2f}",
    "countermeasures": lambda v: f"counter-measures {v:.2f}",
    "partner_ties": lambda v: f"partner ties {v:.2f}",
    "talent_return": lambda v: f"talent return {v:.2f}",
    "lean": lambda v: f"lean {v:+.2f} (+ = US)",
}


def decision_log(model, last: int = 8) -> list[str]:
    """The latest decisions of the adaptive states in words: ``2022 Q1 · US · yard of 5 sectors``."""
    lines = []
    for d in model.decisions[-last:]:
        words = DECISION_WORDS.get(d.lever, lambda v, name=d.lever: f"{name} {v}")(d.value)
        quarter = int(round((d.year - int(d.year)) * 4)) + 1
        lines.append(f"{int(d.year)} Q{quarter} · {NAMES.get(d.state, d.state)} · {words}")
    return lines[::-1]


def _caption(ax, year: float, level: float, text: str, colour: str) -> None:
    """A short caption at the top of the plot, beside a marker line."""
    ax.text(
        year,
        level,
        " " + text,
        transform=ax.get_xaxis_transform(),
        fontsize=11,
        va="top",
        ha="left",
        color=colour,
        clip_on=True,
    )


def _frame(ax, model, title: str, ylabel: str) -> None:
    t = model.params.time
    ax.set_xlim(t.start_year, t.start_year + t.steps / 4)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("year")
    top = 0.97
    for year, text, lever in markers(model):
        ax.axvline(year, color="#222222" if lever else "#888888", linestyle=":", linewidth=1.8 if lever else 1.2)
        if lever:  # events of a preset are many; only the class's own moves get a caption
            _caption(ax, year, top, text, "#222222")
            top -= 0.09
    captions = 0
    for year, text, who in decision_marks(model):
        tint = COUNTRY_COLOURS[who]
        if text:  # the US's yard: a line and a caption, as for the class's own moves
            ax.axvline(year, color=tint, linestyle="--", linewidth=1.6, alpha=0.8)
            _caption(ax, year, top - 0.09 * (captions % 4), text, tint)  # four rows, then from the top again
            captions += 1
        else:  # China's and third countries' moves: a tick on the time axis in their colour
            ax.plot(
                [year],
                [0.03 if who == "CN" else 0.08],
                marker="^",
                markersize=8,
                color=tint,
                transform=ax.get_xaxis_transform(),
                clip_on=True,
                linestyle="none",
            )


def _lines(ax, model, series: list[tuple]) -> None:
    """Draw (column, legend label, colour[, line style]) from the run, and the same columns of
    the baseline reference as thin dashed lines."""
    history = model.history()
    for column, name, col, *style in series:
        ax.plot(history.index, history[column], color=col, label=name, linestyle=style[0] if style else "-")
        if model.reference is not None and model.preset != "baseline":
            ax.plot(model.reference.index, model.reference[column], color=col, **REFERENCE)


def _legend(ax, model) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if model.reference is not None and model.preset != "baseline":
        handles.append(plt.Line2D([], [], color="#555555", **REFERENCE))
        labels.append("open baseline")
    ax.figure.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=len(labels),
        frameon=False,
        handlelength=2.6,
        columnspacing=1.0,
    )


def _figure(draw) -> Figure:
    # Fixed margins rather than a layout engine: the app redraws every figure each quarter, and
    # constrained layout doubles the drawing time.
    with plt.rc_context(LIVE_STYLE):
        fig = Figure(figsize=SIZE)
        fig.subplots_adjust(**MARGINS)
        draw(fig.add_subplot())
    return fig


def _unit(model, name: str) -> str:
    """The outcome's unit, from the registry (:mod:`decouple.outcomes`)."""
    return outcomes.resolve(name, model.world).unit


def _series_figure(model, series: list[tuple], title: str, unit_interval: bool = False) -> Figure:
    """Outcomes of one unit (the first's, which the y axis shows) as lines."""

    def draw(ax):
        _lines(ax, model, series)
        if unit_interval:
            ax.set_ylim(0, 1)
        _frame(ax, model, title, _unit(model, series[0][0]))
        _legend(ax, model)

    return _figure(draw)


def capability_gap(model) -> Figure:
    scen = colour(model.preset, [model.preset])
    return _series_figure(
        model,
        [("gap_small_yard", "small-yard sectors", scen), ("gap_other", "other sectors", scen, "-.")],
        f"US–China capability gap — {label(model.preset)}",
    )


def chip_shares(model) -> Figure:
    return _series_figure(
        model,
        [
            ("chips_share_US", "US firms", COUNTRY_COLOURS["US"]),
            ("chips_share_CN", "Chinese firms", COUNTRY_COLOURS["CN"]),
            ("chips_share_allies", "allied firms", COUNTRY_COLOURS["allies"]),
        ],
        "World market for logic chips",
        unit_interval=True,
    )


def self_sufficiency(model) -> Figure:
    scen = colour(model.preset, [model.preset])
    return _series_figure(
        model,
        [
            ("cn_self_sufficiency_small_yard", "small-yard sectors", scen),
            ("cn_self_sufficiency", "all sectors", scen, "-."),
        ],
        "China's self-sufficiency",
        unit_interval=True,
    )


def trust(model) -> Figure:
    return _series_figure(
        model,
        [("trust", "US–China trust", colour(model.preset, [model.preset]))],
        "US–China trust",
        unit_interval=True,
    )


def compliance(model) -> Figure:
    allies = [c for c in ("JP", "NL", "KR", "TW", "EU") if f"compliance_{c}" in model.history().columns]

    def draw(ax):
        history = model.history()
        for code in allies:
            ax.plot(history.index, history[f"compliance_{code}"], color=COUNTRY_COLOURS[code], label=NAMES[code])
        ax.set_ylim(0, 1)
        _frame(ax, model, "Allies' compliance with US controls", _unit(model, f"compliance_{allies[0]}"))
        ax.figure.legend(loc="lower center", ncol=len(allies), frameon=False, handlelength=2.6, columnspacing=1.0)

    return _figure(draw)


def _reader(table) -> Reader:
    """Reads a recorded outcome's quarterly values from a run's table (a copy: arithmetic on them
    never writes to the table)."""
    return lambda name, year: table[name].to_numpy(dtype=float, copy=True)


def welfare(model) -> Figure:
    """Welfare in money (consumer and producer surplus and government, :mod:`decouple.mechanisms.
    accounts`) against the open baseline with the same seed in the same quarter, in % of the
    baseline's GDP: the cost or gain of what the class has done. Without a baseline reference,
    the level in US$ bn a year."""

    def draw(ax):
        history = model.history()
        reference = model.reference.reindex(history.index) if model.reference is not None else None
        against = " against baseline per gdp[{code}]" if reference is not None else ""
        for code in ("US", "CN", "THIRD", "WORLD"):
            measure = Measure.parse(f"welfare_usd[{code}]{against.format(code=code)}").check(model.world)
            values = measure.value(_reader(history), _reader(reference) if reference is not None else None)
            ax.plot(history.index, values, color=COUNTRY_COLOURS[code], label=NAMES[code])
        if reference is not None:
            ax.axhline(0.0, color="#555555", **REFERENCE, label="open baseline")
            _frame(ax, model, "Welfare against the open baseline", measure.unit(model.world))
        else:
            _frame(ax, model, "Welfare in money", measure.unit(model.world))
        ax.figure.legend(
            loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=5, frameon=False, handlelength=2.2, columnspacing=0.8
        )

    return _figure(draw)


def flows(model, sector: str) -> Figure:
    """Who sells to whom in ``sector`` now: each buyer's purchases by supplier country, in %."""
    table = 100.0 * model.flows(sector)
    w = model.world
    with plt.rc_context(LIVE_STYLE):
        fig = Figure(figsize=FLOW_SIZE)
        ax = fig.add_axes((0.11, 0.12, 0.72, 0.8))
        image = ax.imshow(table.to_numpy(), cmap="Blues", vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(table.columns)), table.columns)
        ax.set_yticks(range(len(table.index)), table.index)
        ax.set_xlabel("buyers in")
        ax.set_ylabel("firms from")
        ax.grid(False)
        for (i, j), v in np.ndenumerate(table.to_numpy()):
            if v >= 5:  # small flows unlabelled, to keep the text readable from the back
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=11, color="white" if v > 55 else "#111111")
        ax.set_title(f"Who sells to whom: {w.sector_labels.get(sector, sector)}, {model.quarter_label}", fontsize=15)
        fig.colorbar(image, cax=fig.add_axes((0.86, 0.12, 0.03, 0.8)), label="% of the buyers' purchases")
    return fig


#: The live time-series figures, in the order the app shows them.
TIME_SERIES = (capability_gap, chip_shares, self_sufficiency, compliance, welfare, trust)
