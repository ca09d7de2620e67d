"""The classroom app: presets, live levers, an instant projection and live plots, on one screen.

Run it with ``decouple demo`` (or ``solara run decouple.demo.app``). The page is laid out for a
1280×800 projector: a top bar with the preset and seed (applied on Reset), the Reset / play / Step
controls (Mesa's SolaraViz controller, rewritten here so that its buttons speak the page's
language), the live levers on the left, and on the right the language switch (English / 中文) and
the projection chart with the notes and the detailed plots below it. A moved lever takes effect
from the next step, is marked on every plot, and redraws the projection to the end of the run at
once (:mod:`decouple.demo.projection`).

Every word on the page comes from the catalogues (``model/locale/*.po``): the page starts in the
language of ``decouple demo --lang`` (``DECOUPLE_DEMO_LANG``) or of ``?lang=zh`` in its address,
and the switch changes it for that browser tab. Each component draws its words inside
``with language(lang)``, so two tabs in two languages never mix. Chinese is drawn with the
shipped font (:mod:`decouple.fonts`): the figures through matplotlib's fallback, the page and the
Vega-Lite chart through an ``@font-face`` that Solara serves with its assets.
"""

from __future__ import annotations

import io
import os
import time
import traceback
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets
import reacton.ipywidgets as rw
import solara
import solara.lab
import solara.server.settings
import solara.widgets
import traitlets
from matplotlib.figure import Figure
from mesa.visualization.utils import force_update, update_counter
from reacton.core import Ref

from .. import fonts
from ..i18n import N_, UnknownLanguage, language, normalise
from ..i18n import NAMES as LANGUAGE_NAMES
from ..i18n import gettext as _
from ..phrase import tr
from ..plots import label
from . import figures, projection
from .levers import same_value
from .live import ClassroomModel, presets
from .sources import LeverSources

# Keep the teacher's terminal quiet: a plain-http localhost server cannot set samesite=none
# cookies, which does not affect the app. (`decouple demo` also turns off Solara's hook check,
# which Mesa 3.3.1's controller trips.)
warnings.filterwarnings("ignore", message=r"Cookies with samesite=none", category=UserWarning)

TITLE = N_("Technology decoupling — classroom")
# Solara's "This website runs on Solara" badge sits over the bottom right of the page, where a
# plot's axis is: off (`decouple demo` also sets SOLARA_THEME_SHOW_BANNER=false); and the
# projection's Vega-Lite loads without a network (see projection.vega_offline).
solara.server.settings.theme.show_banner = False
projection.vega_offline(Path(solara.server.settings.assets.proxy_cache_dir))
# The shipped Chinese font, served with Solara's assets at static/assets/ (no network needed)
if str(fonts.WOFF2.parent) not in solara.server.settings.assets.extra_locations:
    solara.server.settings.assets.extra_locations.append(str(fonts.WOFF2.parent))


def _language_or_default(tag: str | None) -> str:
    """The project's tag for ``tag``; English for none or one without a catalogue."""
    try:
        return normalise(tag)
    except UnknownLanguage:
        return "en"


# `decouple demo --preset --seed --lang` passes the starting preset, seed and language to the server process.
DEFAULT_PRESET = os.environ.get("DECOUPLE_DEMO_PRESET", "selective_decoupling")
DEFAULT_SEED = os.environ.get("DECOUPLE_DEMO_SEED", "1")
DEFAULT_LANGUAGE = _language_or_default(os.environ.get("DECOUPLE_DEMO_LANG"))
#: milliseconds between two steps while the model plays
PLAY_INTERVAL = 50
#: one projection at a time in the server: on a small machine a second one would only slow the
#: first, and a stale one gives way at its next quarter (``projection.run``'s ``stop``)
_PROJECTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decouple-projection")
#: counts the class's lever moves in this browser session: a move redraws the levers and starts
#: the projection at once, and the plots (a second or more of drawing on a small machine) only
#: once the projection is drawn
lever_moved = solara.reactive(0)

#: The page's layout and type sizes (a 1280×800 projector; wider screens get two plots a row).
CSS = """
.classroom { display: grid; grid-template-columns: 392px minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr);
  height: 100vh; overflow: hidden; font-size: 15px; }
.classroom .topbar { grid-column: 1 / 3; display: flex; align-items: center; gap: 14px; padding: 2px 12px;
  background: #1565c0; color: white; min-height: 52px; }
.classroom .app-title { font-size: 19px; font-weight: 500; white-space: nowrap; }
.classroom .creator { display: flex; gap: 10px; align-items: center; background: white; border-radius: 4px;
  padding: 0 8px; }
.classroom .creator > .v-sheet { flex-direction: row !important; gap: 10px; }
.classroom .creator .v-input { width: 200px; margin: 0; padding-top: 10px; }
.classroom .creator .v-input:last-child { width: 150px; }
.classroom.lang-zh-Hans .creator .v-input:first-child { width: 250px; }
/* the browser's own selects (the preset, the flows' sector): a small label above, as Vuetify's fields have */
.classroom .widget-dropdown { display: flex; flex-direction: column; align-items: flex-start; width: 200px;
  height: auto; margin: 0; gap: 1px; }
.classroom .widget-dropdown .widget-label { width: auto; font-size: 12px; line-height: 15px; height: auto;
  color: #555; margin: 0; }
.classroom .widget-dropdown select { flex: 0 0 auto; width: 100%; font-size: 15px; height: 28px;
  border: 1px solid #767676; border-radius: 3px; background: white; color: #222; }
/* a slider's label names it for screen readers (its thumb's aria-label); the lever's head shows it */
.classroom .lever-slider .v-input__slot > .v-label { display: none; }
/* the keyboard's focus: a 3 px ring (8.5:1 on white; white on the top bar's blue, 5.8:1) */
.classroom :focus-visible { outline: 3px solid #0a4f86; outline-offset: 2px; }
.classroom .topbar :focus-visible { outline-color: white; }
.classroom .creator .v-text-field__details, .classroom .lever .v-messages,
.classroom .lever .v-text-field__details { display: none; }
.classroom .controller .v-btn { margin: 0 4px; background-color: white !important; color: #1565c0 !important; }
.classroom .controller .row, .classroom .controller > div { flex-wrap: nowrap; }
.classroom .run-status { font-size: 16px; white-space: nowrap; margin-left: auto; }
.classroom .levers-column { overflow-y: auto; padding: 6px 14px 6px 14px; border-right: 1px solid #ddd; }
.classroom .levers-head { font-weight: bold; font-size: 16px; }
.classroom .levers-head span { font-weight: normal; font-size: 14px; color: #555; }
.classroom .lever-slider { margin-top: 5px; }
.classroom .lever-head { display: flex; justify-content: space-between; gap: 8px; font-size: 14px; line-height: 18px; }
.classroom .lever-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.classroom .lever-value { font-weight: bold; font-variant-numeric: tabular-nums; }
.classroom .lever .v-input { margin-top: 0; padding-top: 0; }
.classroom .lever .v-input__slot { margin-bottom: 0; min-height: 26px; height: 26px; }
.classroom .lever .v-slider { margin-left: 4px; margin-right: 4px; min-height: 26px; }
.classroom .switches { display: grid; grid-template-columns: 1fr 1fr; column-gap: 8px; margin-top: 8px; }
.classroom .lever-switch .v-input--switch { margin: 0; padding: 0; }
.classroom .lever-switch .v-input__slot { min-height: 34px; height: auto; margin-bottom: 2px; }
.classroom .lever-switch label { line-height: 17px; }
.classroom .lever-switch label { font-size: 14px; color: #222 !important; }
.classroom .plots-column { overflow-y: auto; padding: 6px 14px; position: relative; }
.classroom .projection-status { font-size: 14px; color: #333; margin: 2px 0 8px 0; }
.classroom .details { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 12px;
  align-items: start; }
.classroom .plot img { width: 100%; height: auto; }
.classroom .language { position: absolute; top: 6px; right: 14px; z-index: 2; }
.classroom .language .v-btn { min-width: 0; padding: 0 10px; text-transform: none; font-size: 15px;
  height: 32px !important; }
"""
#: The shipped Chinese font for the page and the chart (only its CJK ranges: Latin text keeps
#: the page's own font), and the font families that fall back on it.
FONT_CSS = """
@font-face { font-family: "Noto Sans SC"; font-display: swap;
  src: url("static/assets/%(file)s?v=%(version)s") format("woff2");
  unicode-range: U+2E80-2FDF, U+3000-303F, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FE10-FE4F, U+FF00-FFEF; }
.v-application, .v-application .classroom { font-family: Roboto, "Noto Sans SC", sans-serif !important; }
"""


def page_css() -> str:
    """The page's style sheet: its layout and the Chinese font."""
    return CSS + FONT_CSS % {"file": fonts.WOFF2_NAME, "version": fonts.woff2_version()}


def _shown(value, step: float) -> str:
    """A lever's value as its panel shows it: snapped to the lever's step."""
    return f"{round(float(value) / step) * step:.10g}"


def language_from(search: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language a page address asks for (``?lang=zh``), or ``default``."""
    asked = parse_qs(search or "").get("lang")
    return _language_or_default(asked[-1]) if asked else default


@solara.component
def LanguageSwitch(lang: solara.Reactive[str]):
    """English / 中文: buttons a keyboard reaches (Tab) and presses (Enter or Space)."""
    with solara.Div(classes=["language"]):
        with solara.ToggleButtonsSingle(value=lang.value, on_value=lang.set, mandatory=True):
            for tag, name in LANGUAGE_NAMES.items():
                solara.Button(name, value=tag, text=True, classes=[f"language-{tag}"])


@solara.component
def Creator(creating: solara.Reactive[dict], lang: str):
    """The preset and the seed that Reset loads. In English a preset is shown by its file name,
    in another language by its name in that language."""
    with language(lang):

        def choose(key: str):
            return lambda value: creating.set({**creating.value, key: value})

        # the browser's own select (Vuetify's puts its input inside a button: WCAG 4.1.2)
        options = [(name if lang == "en" else label(name), name) for name in presets()]
        rw.Dropdown(
            description=_("Preset (press Reset to load)"),
            options=options,
            value=creating.value["preset"],
            on_value=choose("preset"),
        )
        solara.InputText(label=_("Seed (press Reset to use)"), value=creating.value["seed"], on_value=choose("seed"))


@solara.component
def Controls(current: solara.Reactive[ClassroomModel], creating: solara.Reactive[dict], lang: str):
    """Reset, play / pause and Step, as Mesa's SolaraViz controller has them (a play loop in a
    thread, one redraw per step), with the page's words."""
    playing = solara.use_reactive(False)
    running = solara.use_reactive(True)
    error: solara.Reactive[str | None] = solara.use_reactive(None)

    def one_step():
        current.value.step()
        running.value = current.value.running
        force_update()

    def play():
        try:
            while running.value and playing.value:
                time.sleep(PLAY_INTERVAL / 1000)
                one_step()
        except Exception as exc:  # shown on the page, and in the terminal with its traceback
            error.value = str(exc)
            traceback.print_exc()

    solara.lab.use_task(play, dependencies=[playing.value, running.value], prefer_threaded=True)

    def reset():
        error.set(None)
        playing.value = False
        running.value = True
        current.value = ClassroomModel(**creating.value)

    def play_or_pause():
        playing.value = not playing.value

    with language(lang):
        with solara.Row(justify="space-between"):
            solara.Button(label=_("Reset"), color="primary", on_click=reset)
            solara.Button(
                label="▶" if not playing.value else "❚❚",
                color="primary",
                on_click=play_or_pause,
                disabled=not running.value,
            )
            solara.Button(
                label=_("Step"), color="primary", on_click=one_step, disabled=playing.value or not running.value
            )
        if error.value:
            solara.Error(label=_("error in step: {error}").format(error=error.value))


@solara.component
def LeverPanel(model: ClassroomModel, lang: str):
    """Sliders and switches that change the running model from its next step. Each lever's help
    text is its tooltip; its value is printed beside its name, in type large enough for a projector."""
    update_counter.get()
    lever_moved.get()
    html = solara.v.Html
    with language(lang), solara.Div(classes=["levers"]):  # one root: Solara would space its children 12 px apart
        html(
            tag="div",
            class_="levers-head",
            children=[
                _("Live levers") + " ",
                html(
                    tag="span",
                    children=[_("act from the next quarter; now {quarter}").format(quarter=model.quarter_label)],
                ),
            ],
        )
        switches = []
        for lever in model.levers():
            value = lever.read(model.params, model.world)
            css = "lever-" + lever.name.replace(".", "-")

            def apply(new, lever=lever):
                # A slider also reports a value the model set itself (an event, or a state deciding
                # by its rule) once it shows it, snapped to its step; only a value that differs by
                # more than half a step is the class's move.
                if same_value(new, lever.read(model.params, model.world), lever.step / 2):
                    return
                model.move(lever, new)
                lever_moved.value += 1  # the levers and the projection first; the plots once it is drawn

            if lever.kind == "bool":
                switches.append((lever, value, css, apply))
                continue
            with html(tag="div", class_=f"lever lever-slider {css}", attributes={"title": tr(lever.help)}):
                html(
                    tag="div",
                    class_="lever-head",
                    children=[
                        html(tag="span", class_="lever-label", children=[tr(lever.label)]),
                        html(tag="span", class_="lever-value", children=[_shown(value, lever.step)]),
                    ],
                )
                # the lever's label names the slider for a screen reader (Vuetify makes it the
                # thumb's aria-label); the label Vuetify would also draw is hidden (CSS), the
                # lever's head above shows it with its value
                if lever.kind == "int":
                    solara.SliderInt(
                        lever.label,
                        value=int(value),
                        min=int(lever.min),
                        max=int(lever.max),
                        step=int(lever.step),
                        on_value=apply,
                        thumb_label=False,
                    )
                else:
                    solara.SliderFloat(
                        lever.label,
                        value=float(value),
                        min=lever.min,
                        max=lever.max,
                        step=lever.step,
                        on_value=apply,
                        thumb_label=False,
                    )
        with solara.Div(classes=["switches"]):
            for lever, value, css, apply in switches:
                with html(tag="div", class_=f"lever lever-switch {css}", attributes={"title": tr(lever.help)}):
                    solara.Switch(label=tr(lever.label), value=bool(value), on_value=apply)


@solara.component
def PresetNotes(model: ClassroomModel, lang: str):
    """What to notice in the loaded preset, with questions for the class."""
    update_counter.get()
    scenario = model.scenario
    html = solara.v.Html
    # Plain elements rather than solara.Markdown, which loads KaTeX from a CDN: a classroom may
    # have no network, and solara-assets does not ship KaTeX.
    # the notes scroll within their grid cell (about 380 px high) when the decision log makes them longer
    with (
        language(lang),
        solara.Div(
            classes=["notes"],
            style={"font-size": "1.05em", "line-height": "1.4", "overflow-y": "auto", "max-height": "380px"},
        ),
    ):
        html(tag="h2", children=[label(model.preset)], style_="margin-bottom: 4px")
        where = _("seed {seed} · {quarter} · step {step} of {steps}").format(
            seed=model.seed, quarter=model.quarter_label, step=model.steps, steps=model.params.time.steps
        )
        html(tag="div", children=[where], style_="font-weight: bold; margin-bottom: 8px")
        if model.input_error:
            html(tag="div", children=[f"⚠ {tr(model.input_error)}"], style_="color: #B00020; margin-bottom: 8px")
        html(tag="p", children=[tr(scenario.notice or scenario.description)])
        html(tag="div", children=[_("Ask the class")], style_="font-weight: bold")
        html(tag="ol", children=[html(tag="li", children=[tr(q)]) for q in scenario.questions])
        html(
            tag="p",
            children=[
                _(
                    "In the plots below: dashed, the open baseline with the same seed; dotted, a lever moved or "
                    "an event; coloured dashes and triangles, a state deciding by its rule (the US's yard; "
                    "China; third countries)."
                )
            ],
            style_="font-style: italic; font-size: 0.9em; margin-top: 8px",
        )
        log = figures.decision_log(model)
        if log:
            html(tag="div", children=[_("Who decided what, when")], style_="font-weight: bold; margin-top: 6px")
            html(tag="ul", class_="decisions", children=[html(tag="li", children=[line]) for line in log])


class _DescribedImage(ipywidgets.Image):
    """ipywidgets' image with a text alternative: its view writes ``tooltip`` into the image's
    ``title`` (which a screen reader reads as the image's name) only where the widget has a
    ``description``, which ``Image`` lacks: this one has an empty one."""

    description = traitlets.Unicode("").tag(sync=True)


def _described(figure: Figure) -> str:
    """A figure's text alternative: each plot's title and the unit of its axis."""
    return "; ".join(
        ", ".join(text for text in (ax.get_title(), ax.get_ylabel()) if text) for ax in figure.axes if ax.get_title()
    )


@solara.component
def FigurePNG(figure: Figure, dependencies: list):
    """``figure`` as a PNG image named by its titles (WCAG 1.1.1): what ``solara.FigureMatplotlib``
    shows, with the text alternative that it cannot give."""

    def draw() -> tuple[bytes, str]:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue(), _described(figure)

    value, text = solara.use_memo(draw, dependencies)
    return _DescribedImage.element(value=value, format="png", tooltip=text)


def _figure_component(draw):
    @solara.component
    def Plot(model: ClassroomModel, lang: str):
        update_counter.get()
        # drawn again when the quarter, a lever, a parameter, a state's decision or the language changes
        key = [id(model), model.steps, len(model.lever_moves), len(model.changes), len(model.decisions), lang]
        # (the class counts the lever moves drawn, for tests: a caption may run off the plot)
        with solara.Div(classes=["plot", f"plot-{draw.__name__}", f"moves-{len(model.lever_moves)}"]):

            def drawn():
                with language(lang):
                    return draw(model)

            FigurePNG(solara.use_memo(drawn, key), key)

    Plot.__name__ = draw.__name__
    return Plot


@solara.component
def FlowView(model: ClassroomModel, lang: str):
    """Who sells to whom in a chosen sector, updated every step. In English a sector is chosen by
    its id, in another language by its name in that language."""
    update_counter.get()
    sector, set_sector = solara.use_state("logic_chips")
    labels = model.world.sector_labels
    with language(lang):
        # the browser's own select (Vuetify's puts its input inside a button: WCAG 4.1.2)
        options = [(s if lang == "en" else tr(labels.get(s, s)), s) for s in model.world.sectors]
        rw.Dropdown(description=_("Sector"), options=options, value=sector, on_value=set_sector)
        with solara.Div(classes=["plot", "plot-flows"]):
            # drawn again only when the quarter, the sector or the language changes, not on a lever move
            key = [id(model), model.steps, sector, lang]

            def drawn():
                with language(lang):
                    return figures.flows(model, sector)

            FigurePNG(solara.use_memo(drawn, key), key)
        solara.Text(
            _(
                "{sector}: each column is one country's buyers; the numbers are the % they buy from firms of each "
                "country."
            ).format(sector=tr(labels.get(sector, sector))),
            style={"font-size": "0.9em"},
        )


def _project_when_still_wanted(model: ClassroomModel, stale) -> projection.Projection | None:
    """A projection of ``model`` unless a newer lever move has overtaken it, before or while it runs."""
    if stale():
        return None
    time.sleep(projection.DEBOUNCE)  # a drag reports several values: project the last one only
    return None if stale() else projection.run(model, stop=stale)


@solara.component
def ProjectionView(model: ClassroomModel, lang: str):
    """The run so far, its projection to the end of the calendar and the open baseline, redrawn in
    the browser. The projection starts in the background as soon as this view sees a new lever
    move (while the rest of the page is still being redrawn) and is shown when it is done; one
    that a newer move has overtaken stops at its next quarter and is never shown. Once a lever
    move's projection is drawn, the rest of the page is redrawn (the plots mark the move)."""
    update_counter.get()
    lever_moved.get()
    moves = len(model.lever_moves)
    key = (id(model), moves)
    wanted = solara.use_ref(key)
    wanted.current = key  # what the page wants now: read by the projection threads
    jobs: Ref[dict[tuple[int, int], Future]] = solara.use_ref({})
    shown: Ref[projection.Projection | None] = solara.use_ref(None)
    if key not in jobs.current:  # a new model or a new move: project it now
        jobs.current = {
            key: _PROJECTOR.submit(
                _project_when_still_wanted, model, lambda key=key: wanted.current != key or model.closed
            )
        }

    def wait() -> projection.Projection | None:
        job = jobs.current.get(key)
        return job.result() if job is not None else None

    task = solara.lab.use_task(wait, dependencies=[id(model), moves], raise_error=False)
    result = task.value if task.finished else None
    if isinstance(result, projection.Projection) and (result.model_id, result.moves) == key:
        shown.current = result
    latest = shown.current if shown.current is not None and shown.current.model_id == id(model) else None
    pending = latest is None or latest.moves != moves

    def mark_the_move_on_the_plots():
        if latest is not None and latest.moves > 0:
            force_update()

    solara.use_effect(mark_the_move_on_the_plots, [id(model), latest.moves if latest is not None else -1])
    with language(lang), solara.Div(classes=["projection"]):
        # Solara's Vega-Lite widget (what solara.FigureAltair shows), given the specification
        solara.widgets.VegaLite.element(spec=projection.chart(model, latest))
        solara.Text(projection.status(model, latest, pending), classes=["projection-status"])
        if task.error:
            solara.Error(_("the projection failed: {error}").format(error=task.exception))


def plots() -> list:
    """The detailed live figures, then who sells to whom."""
    return [_figure_component(f) for f in figures.TIME_SERIES] + [FlowView]


@solara.component
def RunStatus(model: ClassroomModel, lang: str):
    update_counter.get()
    with language(lang):
        text = _("{quarter} · step {step} of {steps}").format(
            quarter=model.quarter_label, step=model.steps, steps=model.params.time.steps
        )
        solara.Text(text, classes=["run-status"])


@solara.component
def Page():
    # One model per browser session, so two screens never step the same run.
    router = solara.use_router()
    lang = solara.use_reactive(solara.use_memo(lambda: language_from(router.search), []))
    first = solara.use_memo(lambda: ClassroomModel(DEFAULT_PRESET, DEFAULT_SEED), [])
    current: solara.Reactive[ClassroomModel] = solara.use_reactive(first)
    # the preset and seed Reset will use
    creating: solara.Reactive[dict] = solara.use_reactive({"preset": DEFAULT_PRESET, "seed": str(DEFAULT_SEED)})

    def close_when_done():
        model = current.value
        # runs when Reset replaces the model, and when the tab's session ends (a closed tab):
        # the model stops stepping and lets go of its memory
        return model.close

    solara.use_effect(close_when_done, [current.value])
    with language(lang.value):
        solara.Title(_(TITLE))
        solara.Style(page_css())
        model = current.value
        with solara.Div(classes=["classroom", f"lang-{lang.value}"]):
            with solara.Div(classes=["topbar"]):
                solara.Text(_(TITLE), classes=["app-title"])
                with solara.Div(classes=["creator"]):
                    Creator(creating, lang.value)
                with solara.Div(classes=["controller"]):
                    Controls(current, creating, lang.value)
                RunStatus(model, lang.value)
            with solara.Div(classes=["levers-column"]):
                LeverPanel(model, lang.value)
                LeverSources(model)  # each lever's passages of the source documents (decouple.demo.sources)
            with solara.Div(classes=["plots-column"]):
                LanguageSwitch(lang)  # top right, beside the chart's legend
                ProjectionView(model, lang.value)
                with solara.Div(classes=["details"]):
                    PresetNotes(model, lang.value)
                    for plot in plots():
                        plot(model, lang.value)
