"""Figures: the scenario comparison with uncertainty bands, readable on a projector.

Every figure uses the same colour for a scenario (Okabe–Ito palette, safe for colour-blind
viewers), labelled axes with units, and shaded bands from the 10th to the 90th percentile
across seeds around the seed mean. A policy's effect is drawn as the change against the open
baseline with the same seed where the table holds that baseline; where it does not (one run), a
panel draws a level, says so in its title, and draws a quantity that grows exponentially on a
log scale. Panels sit at most three to a row; the legend sits below them, outside every axes
(``tests/test_plots.py`` measures that no legend covers an axes, its labels or another text).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

from . import outcomes  # noqa: E402
from .errors import DecoupleError  # noqa: E402
from .i18n import N_, current  # noqa: E402
from .i18n import gettext as _  # noqa: E402
from .indicators import bands, measure_series  # noqa: E402
from .measure import Measure  # noqa: E402
from .output import atomic_write  # noqa: E402
from .phrase import Phrase, text_width, tr, wrap_lines  # noqa: E402

#: Okabe–Ito's colour-blind-safe hues; selective decoupling's orange is darkened from #E69F00
#: (2.25:1 on white) to #B87400 (3.8:1), so that its line meets WCAG 2.1's 3:1 for graphics: it
#: is the classroom's default preset, drawn on every page and projector
SCENARIO_COLOURS = {
    "baseline": "#000000",
    "full_decoupling": "#D55E00",
    "selective_decoupling": "#B87400",
    "coopetition": "#009E73",
    "historical": "#0072B2",
    "adaptive_rivalry": "#CC79A7",
    "precise": "#56B4E9",
}
#: scenarios without a colour of their own, in the order a figure lists them (the Okabe–Ito
#: yellow is left out: it cannot be seen on a projected white background)
EXTRA_COLOURS = ["#8C564B", "#17BECF", "#7F7F7F", "#BCBD22"]
#: marks that are no scenario, country or colour scale: points evaluated, a front, a named
#: reference drawn in black outline, so that no colour in a figure carries two meanings
NEUTRAL = {"muted": "#BBBBBB", "mark": "#333333", "light": "#999999", "face": "#FFFFFF"}
#: Countries and groups where one figure shows several (Paul Tol's "muted" palette, kept apart
#: from the scenario colours above so that a colour never means both a scenario and a country).
COUNTRY_COLOURS = {
    "US": "#332288",
    "CN": "#882255",
    "JP": "#CC6677",
    "NL": "#88CCEE",
    "KR": "#117733",
    "TW": "#AA4499",
    "EU": "#DDCC77",
    "allies": "#44AA99",
    "THIRD": "#999933",
    "WORLD": "#555555",
}
#: the scenarios' names in figures and the apps (English; :func:`label` gives the current language's)
SCENARIO_LABELS = {
    "baseline": N_("Open baseline"),
    "full_decoupling": N_("Full decoupling"),
    "selective_decoupling": N_("Selective (small yard)"),
    "coopetition": N_("Co-opetition"),
    "historical": N_("Historical replay"),
    "adaptive_rivalry": N_("Adaptive rivalry"),
    "precise": N_("Precise decoupling"),
}
STYLE: dict[RcKeyType, Any] = {
    "font.size": 15,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "legend.fontsize": 13,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "lines.linewidth": 2.6,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}
#: the legend below the comparison figures (larger than a panel's tick labels: read from the back)
LEGEND_FONT = 15
#: at most this many panels to a row, so that a figure keeps a slide's proportions
COLUMNS = 3


def colour(scenario: str, order: list[str]) -> str:
    if scenario in SCENARIO_COLOURS:
        return SCENARIO_COLOURS[scenario]
    extras = [s for s in order if s not in SCENARIO_COLOURS]
    return EXTRA_COLOURS[extras.index(scenario) % len(EXTRA_COLOURS)]


def label(scenario: str) -> str:
    """A scenario's name for a figure or a page, in the current language."""
    return tr(SCENARIO_LABELS.get(scenario, scenario.replace("_", " ")))


def style() -> dict[RcKeyType, Any]:
    """:data:`STYLE`, with the shipped Chinese font (:func:`decouple.fonts.rc`) as the fallback
    for the characters of a language other than English (a machine may have no CJK font)."""
    if current() == "en":
        return STYLE
    from . import fonts

    return {**STYLE, **fonts.rc()}


def wrap(text: str, width: int = 40) -> str:
    """A long title on lines of at most ``width`` characters (a panel is about 45 wide at 16 pt);
    Chinese breaks between characters, each counting two (:func:`decouple.phrase.wrap_lines`)."""
    if text_width(text) == len(text):
        return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(wrap_lines(text, width))


def draw(
    ax,
    table: pd.DataFrame,
    indicator: str,
    series: pd.Series | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    log: bool = False,
) -> None:
    """Seed-mean line with a 10–90 % band per scenario (on a log scale with ``log``)."""
    data = table if series is None else series.rename(indicator).to_frame()
    order = list(dict.fromkeys(table.index.get_level_values("scenario")))
    b = bands(data, indicator)
    for scen in order:
        part = b.xs(scen, level="scenario")
        c = colour(scen, order)
        ax.plot(part.index, part["mean"], color=c, label=label(scen))
        if (part["high"] - part["low"]).abs().max() > 0:
            ax.fill_between(part.index, part["low"], part["high"], color=c, alpha=0.18, linewidth=0)
    if title is None or ylabel is None:
        outcome = outcomes.resolve(indicator)
        title, ylabel = title or outcome.label, ylabel or outcome.unit
    ax.set_title(tr(title))
    ax.set_ylabel(tr(ylabel))
    ax.set_xlabel(_("year"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    if log:  # plain numbers at 1, 2, 3 and 5 times a power of ten, not 6×10¹
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())


def _save(fig, path: Path) -> Path:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    plt.close(fig)
    return path


def legend_below(fig, ax) -> None:
    """The scenarios' legend below every panel, outside them (the figure's layout must be
    constrained): as many entries to a row as fit the figure's width."""
    handles, labels = ax.get_legend_handles_labels()
    width = fig.get_figwidth()
    longest = max((text_width(text) for text in labels), default=1)
    per_row = max(1, int(width // (0.011 * LEGEND_FONT * longest + 1.0)))
    rows = math.ceil(len(labels) / per_row)
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=math.ceil(len(labels) / rows),
        frameon=False,
        fontsize=LEGEND_FONT,
    )


def panel_grid(count: int, width: float, height: float):
    """A figure of ``count`` panels, at most :data:`COLUMNS` to a row, laid out by matplotlib's
    constrained layout (so that a legend placed outside takes its own room); empty cells hidden."""
    rows = math.ceil(count / COLUMNS)
    cols = math.ceil(count / rows)  # rows as full as they can be: four panels are two by two
    fig, axes = plt.subplots(
        rows, cols, figsize=(width * cols, height * rows + 0.9), squeeze=False, layout="constrained"
    )
    for ax in axes.ravel()[count:]:
        ax.set_visible(False)
    return fig, list(axes.ravel()[:count])


def _has_baseline(table: pd.DataFrame) -> bool:
    scenarios = set(table.index.get_level_values("scenario"))
    return "baseline" in scenarios and len(scenarios) > 1


@dataclass(frozen=True)
class Panel:
    """One panel: what it draws (a :class:`~decouple.measure.Measure` in its text form) and a short
    title (default: the outcome's label). Labels and units come from the outcome registry."""

    measure: str
    title: str = ""
    optional: bool = False  # drawn only where the table has its outcome (the allies' own compliance)
    #: what a measure "against baseline" becomes where the table has no baseline (default: its
    #: outcome's level): a ratio a reader cannot take for money gained, e.g. welfare in % of GDP
    level: str = ""
    #: draw the level on a log scale (a quantity that grows exponentially: the scenarios' curves
    #: would lie on top of each other on a linear scale)
    log: bool = False


class Drawn(NamedTuple):
    """What a panel draws from a table: the outcome, its series (None: the column itself), the
    title, the y label and the scale."""

    indicator: str
    series: pd.Series | None
    title: str
    ylabel: str
    log: bool = False


#: a panel's title where it draws a level for want of a baseline
NO_BASELINE = N_("level, not an effect: no baseline run")
BASELINE_ONLY = N_("level of the open baseline")


_PLACES = (("US", N_("United States")), ("CN", N_("China")), ("THIRD", N_("Third countries")), ("WORLD", N_("World")))
_ALLIES = (
    ("JP", N_("Japan")),
    ("NL", N_("Netherlands")),
    ("KR", N_("South Korea")),
    ("TW", N_("Taiwan")),
    ("EU", N_("EU")),
)

#: a change against the same seed's baseline in % of the baseline's value
_CHANGE = "{0} against baseline per {0}"

#: The comparison figures, file by file. A measure "against baseline" is drawn as its change
#: against the baseline with the same seed where the table holds the baseline, else as a level.
FIGURES: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "capability_gap.png",
        (
            Panel("gap_small_yard", N_("Small-yard sectors (chips, tools, AI, quantum)")),
            Panel("gap_other", N_("Other sectors")),
        ),
    ),
    (
        "chip_market_shares.png",
        (
            Panel("chips_share[US]", N_("US firms")),
            Panel("chips_share[CN]", N_("Chinese firms")),
            Panel("chips_share_allies", N_("Allied firms (JP, NL, KR, TW, EU)")),
        ),
    ),
    (
        "us_firms.png",
        (
            Panel(
                "us_revenue_small_yard against baseline per us_revenue_small_yard",
                N_("US firms' revenue\n(small-yard sectors)"),
                log=True,
            ),
            Panel(
                "us_rd_small_yard against baseline per us_rd_small_yard",
                N_("US firms' R&D\n(small-yard sectors)"),
                log=True,
            ),
        ),
    ),
    (
        "china_self_sufficiency.png",
        (
            Panel("cn_self_sufficiency_small_yard", N_("Small-yard sectors")),
            Panel("cn_self_sufficiency", N_("All sectors")),
        ),
    ),
    ("ally_compliance.png", tuple(Panel(f"compliance[{code}]", name, optional=True) for code, name in _ALLIES)),
    (
        "welfare.png",
        tuple(
            Panel(
                f"welfare_usd[{code}] against baseline per gdp[{code}]",
                Phrase(N_("Welfare: {place}"), place=name),
                level=f"welfare_usd[{code}] per gdp[{code}]",
            )
            for code, name in _PLACES
        ),
    ),
    (
        "decisions.png",
        (
            Panel("yard_size", N_("US: sectors in its yard"), optional=True),
            Panel("compliance_controlled", N_("Allies: compliance in the yard"), optional=True),
            Panel("countermeasures", N_("China: counter-measures"), optional=True),
            Panel("partner_ties", N_("China: partner ties with third countries"), optional=True),
        ),
    ),
    (
        "consumers_index.png",
        (
            Panel("welfare[US] against baseline per welfare[US]", N_("United States")),
            Panel("welfare[CN] against baseline per welfare[CN]", N_("China")),
            Panel("welfare[THIRD] against baseline per welfare[THIRD]", N_("Third countries (IN, VN, ROW)")),
        ),
    ),
)

#: the one-slide dashboard's six headline panels
DASHBOARD: tuple[Panel, ...] = (
    Panel("gap_small_yard", N_("US–China capability gap\n(small-yard sectors)")),
    Panel("chips_share[US]", N_("US share of world\nlogic-chip sales")),
    Panel(_CHANGE.format("us_rd_small_yard"), N_("US firms' R&D\n(small-yard sectors)"), log=True),
    Panel("cn_self_sufficiency_small_yard", N_("China's self-sufficiency\n(small-yard sectors)")),
    Panel("compliance_small_yard", N_("Allies' compliance\n(small-yard sectors)")),
    Panel(
        "welfare_usd[WORLD] against baseline per gdp[WORLD]",
        N_("World welfare"),
        level="welfare_usd[WORLD] per gdp[WORLD]",
    ),
)


def panel_series(table: pd.DataFrame, panel: Panel) -> Drawn:
    """What ``panel`` draws from ``table``: a measure "against baseline" is the change against the
    baseline run with the same seed, its y label saying against what and in which unit; where the
    table holds no baseline beside another scenario, the panel's ``level`` measure (or its
    outcome) instead, its title saying that it is a level and not the policy's effect. The title
    and the label are in the current language."""
    measure = Measure.parse(panel.measure, "plots.FIGURES").check()
    title = tr(panel.title or measure.label())
    log = False
    if measure.against and not _has_baseline(table):
        scenarios = set(table.index.get_level_values("scenario"))
        note = BASELINE_ONLY if scenarios == {measure.against} else NO_BASELINE
        measure = Measure.parse(panel.level, "plots.FIGURES").check() if panel.level else Measure(measure.outcome)
        title = _("{title}\n({note})").format(title=tr(panel.title or measure.label()), note=_(note))
        log = panel.log
    unit = tr(measure.unit())
    if measure.against:
        unit = _("change vs {reference} ({unit})").format(reference=label(measure.against).lower(), unit=unit)
    elif log:
        unit = _("{unit}, log scale").format(unit=unit)
    series = None if (measure.against is None and measure.per is None) else measure_series(table, measure)
    return Drawn(measure.outcome, series, title, unit, log)


def figure_panels(table: pd.DataFrame) -> list[tuple[str, list[Drawn]]]:
    """(file name, [what each panel draws, ...]) for each figure the table can show."""
    figures = []
    for name, panels in FIGURES:
        if name == "decisions.png" and not _states_decide(table):
            continue
        shown = [p for p in panels if not p.optional or _reads(p) <= set(table.columns) or name == "decisions.png"]
        if shown:
            figures.append((name, [panel_series(table, p) for p in shown]))
    return figures


def _reads(panel: Panel) -> set[str]:
    texts = [panel.measure] + ([panel.level] if panel.level else [])
    return {name for text in texts for name in Measure.parse(text).check().reads}


def _states_decide(table: pd.DataFrame) -> bool:
    """Some state decides by its rule in the table (M13-M16): the decisions figure is drawn."""
    deciding = [c for c in ("us_resolve", "partner_ties", "third_lean") if c in table.columns]
    return bool(deciding) and bool((table[deciding].abs().to_numpy() > 0).any())


@cache
def needed() -> tuple[str, ...]:
    """The outcomes every comparison figure needs (the optional panels are drawn where present);
    derived from the panels when first asked, so that importing this module reads no seeds."""
    panels = [p for _, ps in FIGURES for p in ps] + list(DASHBOARD)
    return tuple(dict.fromkeys(name for p in panels if not p.optional for name in sorted(_reads(p))))


def check_columns(table: pd.DataFrame, origin: object) -> None:
    """A clear error when an outcome table lacks what the figures draw, or holds no rows."""
    missing = [name for name in needed() if name not in table.columns]
    if missing:
        raise DecoupleError(
            _(
                "{origin}: has no column(s) {missing}; the figures draw them. Run the command again to rewrite "
                "the table"
            ).format(origin=origin, missing=", ".join(missing))
        )
    if table.empty:
        raise DecoupleError(_("{origin}: holds no rows to draw").format(origin=origin))


def plot_figures(table: pd.DataFrame, folder: Path, title: str = "") -> list[Path]:
    """Draw every figure of the comparison (or of one run) into ``folder``; return the paths."""
    folder = Path(folder)
    paths = []
    with plt.rc_context(style()):
        for name, panels in figure_panels(table):
            fig, axes = panel_grid(len(panels), 6.2, 5.0)
            for ax, drawn in zip(axes, panels):
                draw(ax, table, drawn.indicator, drawn.series, drawn.title, drawn.ylabel, drawn.log)
            legend_below(fig, axes[0])
            fig.suptitle(tr(title) or outcomes.resolve(panels[0].indicator).shown, fontsize=19)
            paths.append(_save(fig, folder / name))
        paths.append(dashboard(table, folder / "dashboard.png", title))
    return paths


def dashboard(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Six headline panels on one slide."""
    panels = [panel_series(table, p) for p in DASHBOARD]
    with plt.rc_context(style()):
        fig, axes = panel_grid(len(panels), 6.3, 4.9)
        for ax, drawn in zip(axes, panels):
            draw(ax, table, drawn.indicator, drawn.series, drawn.title, drawn.ylabel, drawn.log)
        legend_below(fig, axes[0])
        fig.suptitle(tr(title) or _("Technology decoupling scenarios, 2018–2035"), fontsize=21)
        return _save(fig, path)
