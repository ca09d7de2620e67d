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
from ..i18n import N_, current  # noqa: E402
from ..i18n import gettext as _  # noqa: E402
from ..measure import Measure, Reader  # noqa: E402
from ..phrase import tr  # noqa: E402
from ..plots import COUNTRY_COLOURS, STYLE, colour, label, style  # noqa: E402
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
#: the names of countries and groups in legends and the decision log (English; shown with ``_()``)
NAMES = {
    "US": N_("US"),
    "CN": N_("China"),
    "JP": N_("Japan"),
    "NL": N_("Netherlands"),
    "KR": N_("S. Korea"),
    "TW": N_("Taiwan"),
    "EU": N_("EU"),
    "THIRD": N_("Third countries"),
    "WORLD": N_("World"),
    "allies": N_("Allies"),
}
#: the countries' codes as the who-sells-to-whom figure's tick labels (English: the codes)
CODES = {
    "US": N_("US"),
    "CN": N_("CN"),
    "JP": N_("JP"),
    "NL": N_("NL"),
    "KR": N_("KR"),
    "TW": N_("TW"),
    "EU": N_("EU"),
    "IN": N_("IN"),
    "VN": N_("VN"),
    "ROW": N_("ROW"),
}


def quarter(year: float) -> str:
    """``2022 Q1`` for the quarter that starts at ``year``, in the current language."""
    return _("{year} Q{quarter}").format(year=int(year), quarter=int(round((year - int(year)) * 4)) + 1)


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
                out.append((d.year, _("US yard {n}").format(n=len(d.value)), "US"))
        elif d.state == "CN":
            out.append((d.year, "", "CN"))
        elif d.lever == "lean":
            out.append((d.year, "", "THIRD"))
    return out


def _yard_words(v) -> str:
    words = _("yard of {n} sectors").format(n=len(v))
    return words + (_(" ({sectors})").format(sectors=", ".join(v)) if len(v) <= 4 else "")


#: how the decision log names the levers and relations the states move (in the current language)
DECISION_WORDS = {
    "policy.yard": _yard_words,
    "policy.fence": lambda v: _("fence {value:.2f}").format(value=v),
    "policy.licence_approval": lambda v: _("licences {value:.2f}").format(value=v),
    "policy.ally_pressure": lambda v: _("pressure on allies {value:.2f}").format(value=v),
    "policy.entity_list_initial": lambda v: _("entity list {value:.2f} of China's demand").format(value=v),
    "policy.fdpr": lambda v: _("FDPR on {n} sectors").format(n=len(v)),
    "policy.country_wide": lambda v: _("country-wide rules on {n} sectors").format(n=len(v)),
    "resolve": lambda v: _("resolve {value:.2f}").format(value=v),
    "countermeasures": lambda v: _("counter-measures {value:.2f}").format(value=v),
    "partner_ties": lambda v: _("partner ties {value:.2f}").format(value=v),
    "talent_return": lambda v: _("talent return {value:.2f}").format(value=v),
    "lean": lambda v: _("lean {value:+.2f} (+ = US)").format(value=v),
}


def decision_log(model, last: int = 8) -> list[str]:
    """The latest decisions of the adaptive states in words: ``2022 Q1 · US · yard of 5 sectors``
    (in the current language)."""
    lines = []
    for d in model.decisions[-last:]:
        words = DECISION_WORDS.get(d.lever, lambda v, name=d.lever: f"{name} {v}")(d.value)
        lines.append(f"{quarter(d.year)} · {_state_name(model, d.state)} · {words}")
    return lines[::-1]


def _state_name(model, code: str) -> str:
    """A state as the decision log names it: :data:`NAMES`, else its code (in English) or its
    country's name (in another language, where a code would not be read)."""
    if code in NAMES:
        return _(NAMES[code])
    return code if current() == "en" else tr(model.world.country_labels.get(code, code))


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
    ax.set_title(tr(title))
    ax.set_ylabel(tr(ylabel))
    ax.set_xlabel(_("year"))
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
    for column, name, col, *dashes in series:
        ax.plot(history.index, history[column], color=col, label=tr(name), linestyle=dashes[0] if dashes else "-")
        if model.reference is not None and model.preset != "baseline":
            ax.plot(model.reference.index, model.reference[column], color=col, **REFERENCE)


def _legend(ax, model) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if model.reference is not None and model.preset != "baseline":
        handles.append(plt.Line2D([], [], color="#555555", **REFERENCE))
        labels.append(_("open baseline"))
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
    with plt.rc_context({**style(), **LIVE_STYLE}):
        fig = Figure(figsize=SIZE)
        fig.subplots_adjust(**MARGINS)
        draw(fig.add_subplot())
    return fig


def _unit(model, name: str) -> str:
    """The outcome's unit, from the registry (:mod:`decouple.outcomes`), in the current language."""
    return outcomes.resolve(name, model.world).shown_unit


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
        [("gap_small_yard", N_("small-yard sectors"), scen), ("gap_other", N_("other sectors"), scen, "-.")],
        _("US–China capability gap — {scenario}").format(scenario=label(model.preset)),
    )


def chip_shares(model) -> Figure:
    return _series_figure(
        model,
        [
            ("chips_share_US", N_("US firms"), COUNTRY_COLOURS["US"]),
            ("chips_share_CN", N_("Chinese firms"), COUNTRY_COLOURS["CN"]),
            ("chips_share_allies", N_("allied firms"), COUNTRY_COLOURS["allies"]),
        ],
        N_("World market for logic chips"),
        unit_interval=True,
    )


def self_sufficiency(model) -> Figure:
    scen = colour(model.preset, [model.preset])
    return _series_figure(
        model,
        [
            ("cn_self_sufficiency_small_yard", N_("small-yard sectors"), scen),
            ("cn_self_sufficiency", N_("all sectors"), scen, "-."),
        ],
        N_("China's self-sufficiency"),
        unit_interval=True,
    )


def trust(model) -> Figure:
    return _series_figure(
        model,
        [("trust", N_("US–China trust"), colour(model.preset, [model.preset]))],
        N_("US–China trust"),
        unit_interval=True,
    )


def compliance(model) -> Figure:
    allies = [c for c in ("JP", "NL", "KR", "TW", "EU") if f"compliance_{c}" in model.history().columns]

    def draw(ax):
        history = model.history()
        for code in allies:
            ax.plot(history.index, history[f"compliance_{code}"], color=COUNTRY_COLOURS[code], label=_(NAMES[code]))
        ax.set_ylim(0, 1)
        _frame(ax, model, N_("Allies' compliance with US controls"), _unit(model, f"compliance_{allies[0]}"))
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
            ax.plot(history.index, values, color=COUNTRY_COLOURS[code], label=_(NAMES[code]))
        if reference is not None:
            ax.axhline(0.0, color="#555555", **REFERENCE, label=_("open baseline"))
            _frame(ax, model, N_("Welfare against the open baseline"), measure.unit(model.world))
        else:
            _frame(ax, model, N_("Welfare in money"), measure.unit(model.world))
        ax.figure.legend(
            loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=5, frameon=False, handlelength=2.2, columnspacing=0.8
        )

    return _figure(draw)


def flows(model, sector: str) -> Figure:
    """Who sells to whom in ``sector`` now: each buyer's purchases by supplier country, in %."""
    table = 100.0 * model.flows(sector)
    w = model.world
    with plt.rc_context({**style(), **LIVE_STYLE}):
        fig = Figure(figsize=FLOW_SIZE)
        ax = fig.add_axes((0.11, 0.12, 0.72, 0.8))
        image = ax.imshow(table.to_numpy(), cmap="Blues", vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(table.columns)), [_(CODES.get(c, c)) for c in table.columns])
        ax.set_yticks(range(len(table.index)), [_(CODES.get(c, c)) for c in table.index])
        ax.set_xlabel(_("buyers in"))
        ax.set_ylabel(_("firms from"))
        ax.grid(False)
        for (i, j), v in np.ndenumerate(table.to_numpy()):
            if v >= 5:  # small flows unlabelled, to keep the text readable from the back
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=11, color="white" if v > 55 else "#111111")
        title = _("Who sells to whom: {sector}, {quarter}").format(
            sector=tr(w.sector_labels.get(sector, sector)), quarter=model.quarter_label
        )
        ax.set_title(title, fontsize=15)
        fig.colorbar(image, cax=fig.add_axes((0.86, 0.12, 0.03, 0.8)), label=_("% of the buyers' purchases"))
    return fig


#: The live time-series figures, in the order the app shows them.
TIME_SERIES = (capability_gap, chip_shares, self_sufficiency, compliance, welfare, trust)
