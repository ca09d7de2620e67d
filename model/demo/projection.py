"""The classroom app's instant projection: where the run goes to the end of its calendar (2035)
with the levers as they are now, redrawn as soon as a lever moves.

The engine is the role-play's what-if (:func:`decouple.projection.project`): a copy of the live
model, taken between two of its steps, is stepped to the end while the live model goes on. The
copy carries copies of the random generators, so the live run draws the same numbers with or
without projections, and, if nothing else moves, the live run then follows the projection to
the bit (``tests/test_demo.py``). The chart is drawn in the browser with Vega-Lite (Altair, which
Mesa's visualisation brings): the run so far solid, the projection dashed, the open baseline with
the same seed dotted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from ..i18n import N_, current, language, ngettext
from ..i18n import gettext as _
from ..measure import Measure, Reader
from ..plots import colour
from ..projection import Stopped, project

#: The projected indicators: (outcome or measure, panel title, unit, y range or None for a free
#: range). The welfare panel reads the world's welfare in money against the open baseline with
#: the same seed, in % of the baseline's GDP, as the welfare figure of :mod:`decouple.demo.figures`.
#: Titles and units are English here; the chart shows them in the current language.
PANELS: tuple[tuple[str, str, str, tuple[float, float] | None], ...] = (
    ("gap_small_yard", N_("US–China capability gap, small yard"), N_("share of frontier"), None),
    ("cn_self_sufficiency_small_yard", N_("China's self-sufficiency, small yard"), N_("share of demand"), (0.0, 1.0)),
    ("compliance_small_yard", N_("Allies' compliance, small yard"), N_("share"), (0.0, 1.0)),
    (
        "welfare_usd[WORLD] against baseline per gdp[WORLD]",
        N_("World welfare against the open baseline"),
        N_("% of GDP"),
        None,
    ),
)
#: The outcomes a projection keeps each quarter (what :data:`PANELS` read), besides the year.
KEPT = ("gap_small_yard", "cn_self_sufficiency_small_yard", "compliance_small_yard", "welfare_usd_WORLD")
#: The three lines of each panel, in legend order (English; the chart shows the current language's).
LINES = (N_("run so far"), N_("projection"), N_("open baseline"))
#: Seconds the app waits after a lever moves before it projects: a drag reports several values,
#: and only the last one is worth a projection.
DEBOUNCE = 0.15
#: Panel size in CSS pixels: two panels side by side fit the plot column of a 1280 px wide screen.
PANEL_SIZE = (330, 125)
#: Font sizes in CSS pixels: readable from the back of a room on a 1280×800 projector.
FONTS = {"tick": 13, "title": 15, "legend": 14}


@dataclass(frozen=True)
class Projection:
    """One projection: the model it was made for, after how many lever moves, from which year,
    its table (one row per quarter from that year to the end, indexed by year) and the seconds it took."""

    model_id: int
    moves: int
    start: float
    table: pd.DataFrame
    seconds: float


def observe(model) -> dict[str, float]:
    """What a projection keeps of one quarter: the outcomes of :data:`KEPT`, and the year."""
    out = {name: model.outcome(name) for name in KEPT}
    out["year"] = model.year
    return out


def run(model, stop: Callable[[], bool] | None = None) -> Projection | None:
    """Project ``model`` (a :class:`~decouple.demo.live.ClassroomModel`) from its present state to
    the end of its calendar; None when ``stop`` says, part-way, that it is no longer wanted."""
    started = time.perf_counter()
    moves = len(model.lever_moves)
    try:
        columns = project(model, observe, stop=stop, copier=type(model).snapshot)
    except Stopped:
        return None
    table = pd.DataFrame(columns).set_index("year")
    return Projection(id(model), moves, float(table.index[0]), table, time.perf_counter() - started)


def _reader(table: pd.DataFrame) -> Reader:
    return lambda name, year: table[name].to_numpy(dtype=float, copy=True)


def _values(model, table: pd.DataFrame, measure_text: str) -> np.ndarray:
    """A panel's values on ``table``'s quarters: an outcome as it is, or the welfare measure
    against the baseline reference on the same quarters."""
    if " against " not in measure_text:
        return table[measure_text].to_numpy(dtype=float)
    if model.reference is None:
        return np.full(len(table), np.nan)
    measure = Measure.parse(measure_text).check(model.world)
    reference = model.reference.reindex(table.index)
    return np.asarray(measure.value(_reader(table), _reader(reference)), dtype=float)


def chart_data(model, projection: Projection | None) -> pd.DataFrame:
    """The chart's rows (panel, line, year, value): the run so far, the projection from the
    present quarter on (so that it starts where the run is now) and the open baseline; the
    panels' titles and the lines' names are in the current language."""
    history = model.history()
    now = model.year
    frames = []
    lines = [_(line) for line in LINES]
    for measure_text, english, _unit, _range in PANELS:
        title = _(english)
        frames.append(
            pd.DataFrame(
                {
                    "panel": title,
                    "line": lines[0],
                    "year": history.index,
                    "value": _values(model, history, measure_text),
                }
            )
        )
        if projection is not None and projection.model_id == id(model):
            ahead = projection.table[projection.table.index >= now - 1e-9]
            if len(ahead) > 1:
                frames.append(
                    pd.DataFrame(
                        {
                            "panel": title,
                            "line": lines[1],
                            "year": ahead.index,
                            "value": _values(model, ahead, measure_text),
                        }
                    )
                )
        if model.reference is not None and model.preset != "baseline":
            ref = model.reference
            values = np.zeros(len(ref)) if " against " in measure_text else ref[measure_text].to_numpy(dtype=float)
            frames.append(pd.DataFrame({"panel": title, "line": lines[2], "year": ref.index, "value": values}))
    data = pd.concat(frames, ignore_index=True)
    data["value"] = data["value"].round(5)  # a smaller page update, every quarter while the model plays
    return data


#: The chart's fonts: the browser's sans-serif, then the shipped Chinese font for the characters
#: it lacks (the classroom page declares it: ``decouple.demo.app``)
FONT = "sans-serif, 'Noto Sans SC'"


@lru_cache(maxsize=32)
def _layout(tint: str, start: float, end: float, lang: str = "en") -> alt.VConcatChart:
    """The chart without its data (Altair builds and checks it once per colour, calendar and
    language; the page then only swaps the data in): four panels, two by two, reading the named
    datasets ``rows`` (panel, line, year, value) and ``now`` (the present year)."""
    years = [start, end]
    names = [_(line) for line in LINES]
    x = alt.X("year:Q", scale=alt.Scale(domain=years, nice=False), axis=alt.Axis(format="d", tickCount=5, title=None))
    legend = alt.Legend(title=None, orient="top", symbolStrokeWidth=3, symbolSize=400)
    panels = []
    for i, (_measure, english, english_unit, bounds) in enumerate(PANELS):
        title, unit = _(english), _(english_unit)
        y_scale = alt.Scale(domain=list(bounds)) if bounds else alt.Scale(zero=False, nice=True)
        lines = (
            alt.Chart(alt.NamedData("rows"))
            .transform_filter(alt.datum.panel == title)
            .mark_line(strokeWidth=3)
            .encode(
                x=x,
                y=alt.Y("value:Q", scale=y_scale, axis=alt.Axis(title=unit, tickCount=4)),
                color=alt.Color(
                    "line:N",
                    scale=alt.Scale(domain=names, range=[tint, tint, "#777777"]),
                    legend=legend if i == 0 else None,
                ),
                strokeDash=alt.StrokeDash(
                    "line:N",
                    scale=alt.Scale(domain=names, range=[[1, 0], [8, 5], [2, 3]]),
                    legend=legend if i == 0 else None,
                ),
                strokeWidth=alt.StrokeWidth("line:N", scale=alt.Scale(domain=names, range=[3.5, 3, 2]), legend=None),
            )
        )
        # the present quarter: grey of 3.9:1 on white (WCAG 2.1 asks 3:1 of a graphic)
        now = alt.Chart(alt.NamedData("now")).mark_rule(color="#808080", strokeWidth=1.5).encode(x=x)
        panels.append(alt.layer(now, lines).properties(title=title, width=PANEL_SIZE[0], height=PANEL_SIZE[1]))
    grid = alt.vconcat(alt.hconcat(*panels[:2], spacing=28), alt.hconcat(*panels[2:], spacing=28), spacing=14)
    if lang != "en":
        grid = grid.configure(font=FONT)
    return (
        grid.configure_axis(labelFontSize=FONTS["tick"], titleFontSize=FONTS["tick"], titleFontWeight="normal")
        .configure_title(fontSize=FONTS["title"], anchor="start", offset=6)
        .configure_legend(labelFontSize=FONTS["legend"], symbolType="stroke")
        .configure_view(strokeWidth=0)
        .properties(usermeta={"embedOptions": {"actions": False, "renderer": "svg"}})  # no "…" menu; crisp text
    )


@lru_cache(maxsize=32)
def _layout_spec(tint: str, start: float, end: float, lang: str = "en") -> dict:
    with language(lang):  # the layout's words in the language it is cached for
        return _layout(tint, start, end, lang).to_dict()


def chart(model, projection: Projection | None) -> dict:
    """The Vega-Lite specification of the chart: the run so far (solid), the projection to the
    end of the calendar (dashed) and the open baseline (dotted), with a grey rule at the present
    quarter. The page redraws it every quarter while the model plays, so only the data is new."""
    t = model.params.time
    layout = _layout_spec(colour(model.preset, [model.preset]), t.start_year, t.start_year + t.steps / 4, current())
    rows = chart_data(model, projection).to_dict(orient="records")
    return {**layout, "datasets": {"rows": rows, "now": [{"year": model.year}]}}


def status(model, projection: Projection | None, pending: bool) -> str:
    """The line under the chart: which projection is shown, and whether a newer one is on its way."""
    if projection is None or projection.model_id != id(model):
        return _("Projecting the run to its end…")
    quarter = int(round((projection.start - int(projection.start)) * 4)) + 1
    end = model.params.time.start_year + model.params.time.steps / 4
    text = ngettext(
        "Dashed: where the run goes to {end} if nothing else moves, projected from {year} Q{quarter} "
        "after {moves} lever move (in {seconds:.2f} s).",
        "Dashed: where the run goes to {end} if nothing else moves, projected from {year} Q{quarter} "
        "after {moves} lever moves (in {seconds:.2f} s).",
        projection.moves,
    ).format(
        end=int(end), year=int(projection.start), quarter=quarter, moves=projection.moves, seconds=projection.seconds
    )
    return text + (_(" Updating…") if pending else "")


def vega_offline(cache: Path, shipped: dict[str, str] | None = None) -> list[str]:
    """Let the browser load Vega without a network. Solara's Vega-Lite widget asks its CDN proxy
    for ``vega@5``, ``vega-lite@5`` and ``vega-embed@6``; the solara package ships pinned versions
    of the three in the same cache folder, which the proxy only finds under their full versions.
    This stores each shipped build under the name the widget asks for (as the proxy stores what
    it fetches), where none is stored yet. Returns the names stored."""
    shipped = shipped or {
        "vega@5": "vega@5.21.0",
        "vega-lite@5": "vega-lite@5.2.0",
        "vega-embed@6": "vega-embed@6.20.2",
    }
    stored = []
    for alias, pinned in shipped.items():
        name = alias.split("@")[0]
        source = cache / pinned / "build" / f"{name}.min.js"
        target = cache / alias / "build" / f"{name}.min.js"
        if target.exists() or not source.exists():
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(source.read_bytes())
            tmp.replace(target)
        except OSError:  # a read-only install: the widget falls back to the network
            continue
        stored.append(alias)
    return stored
