"""The classroom app: a Mesa SolaraViz page with presets, live levers and live plots.

Run it with ``decouple demo`` (or ``solara run decouple.demo.app``). SolaraViz supplies the
play / pause / step / reset controls and the preset and seed inputs, which apply on Reset. The
*live levers* panel changes the running model: a moved lever takes effect from the next step
and is marked on every plot.
"""

from __future__ import annotations

import os
import warnings

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from ..plots import label
from . import figures
from .levers import same_value
from .live import ClassroomModel, presets

# Keep the teacher's terminal quiet: a plain-http localhost server cannot set samesite=none
# cookies, which does not affect the app. (`decouple demo` also turns off Solara's hook check,
# which Mesa 3.3.1's own ComponentsView trips.)
warnings.filterwarnings("ignore", message=r"Cookies with samesite=none", category=UserWarning)

TITLE = "Technology decoupling — classroom"
# `decouple demo --preset --seed` passes the starting preset and seed to the server process.
DEFAULT_PRESET = os.environ.get("DECOUPLE_DEMO_PRESET", "selective_decoupling")
DEFAULT_SEED = os.environ.get("DECOUPLE_DEMO_SEED", "1")


@solara.component
def LeverPanel(model: ClassroomModel):
    """Sliders and a switch that change the running model from its next step."""
    update_counter.get()
    with solara.Card("Live levers", subtitle=f"they act from the next quarter; now {model.quarter_label}"):
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
                force_update()

            with solara.Div(classes=["lever", css], style={"padding-top": "34px"}):  # room for the value label
                if lever.kind == "bool":
                    solara.Switch(label=lever.label, value=bool(value), on_value=apply)
                elif lever.kind == "int":
                    solara.SliderInt(
                        lever.label,
                        value=int(value),
                        min=int(lever.min),
                        max=int(lever.max),
                        step=int(lever.step),
                        on_value=apply,
                        thumb_label="always",
                    )
                else:
                    solara.SliderFloat(
                        lever.label,
                        value=float(value),
                        min=lever.min,
                        max=lever.max,
                        step=lever.step,
                        on_value=apply,
                        thumb_label="always",
                    )
                solara.Text(lever.help, style={"font-size": "0.85em", "color": "#555"})


@solara.component
def PresetNotes(model: ClassroomModel):
    """What to notice in the loaded preset, with questions for the class; it also puts the live
    levers in the sidebar, under SolaraViz's own controls."""
    update_counter.get()
    with solara.Sidebar():
        LeverPanel(model)
    scenario = model.scenario
    html = solara.v.Html
    # Plain elements rather than solara.Markdown, which loads KaTeX from a CDN: a classroom may
    # have no network, and solara-assets does not ship KaTeX.
    # the notes scroll within their grid cell (about 380 px high) when the decision log makes them longer
    with solara.Div(
        classes=["notes"],
        style={"font-size": "1.05em", "line-height": "1.4", "overflow-y": "auto", "max-height": "380px"},
    ):
        html(tag="h2", children=[label(model.preset)], style_="margin-bottom: 4px")
        html(
            tag="div",
            children=[f"seed {model.seed} · {model.quarter_label} · step {model.steps} of {model.params.time.steps}"],
            style_="font-weight: bold; margin-bottom: 8px",
        )
        if model.input_error:
            html(tag="div", children=[f"⚠ {model.input_error}"], style_="color: #B00020; margin-bottom: 8px")
        html(tag="p", children=[scenario.notice or scenario.description])
        html(tag="div", children=["Ask the class"], style_="font-weight: bold")
        html(tag="ol", children=[html(tag="li", children=[q]) for q in scenario.questions])
        html(
            tag="p",
            children=[
                "Dashed: the open baseline, same seed. Dotted: a lever moved or an event. Coloured dashes "
                "and triangles: a state deciding by its rule (the US's yard; China; third countries)."
            ],
            style_="font-style: italic; font-size: 0.9em; margin-top: 8px",
        )
        log = figures.decision_log(model)
        if log:
            html(tag="div", children=["Who decided what, when"], style_="font-weight: bold; margin-top: 6px")
            html(tag="ul", class_="decisions", children=[html(tag="li", children=[line]) for line in log])


def _figure_component(draw):
    @solara.component
    def Plot(model: ClassroomModel):
        update_counter.get()
        with solara.Div(classes=["plot", f"plot-{draw.__name__}"]):
            solara.FigureMatplotlib(draw(model), format="png")

    Plot.__name__ = draw.__name__
    return Plot


@solara.component
def FlowView(model: ClassroomModel):
    """Who sells to whom in a chosen sector, updated every step."""
    update_counter.get()
    sector, set_sector = solara.use_state("logic_chips")
    labels = model.world.sector_labels
    solara.Select("Sector", values=list(model.world.sectors), value=sector, on_value=set_sector)
    with solara.Div(classes=["plot", "plot-flows"]):
        solara.FigureMatplotlib(figures.flows(model, sector), format="png")
    solara.Text(
        f"{labels.get(sector, sector)}: each column is one country's buyers; the numbers are "
        "the % they buy from firms of each country.",
        style={"font-size": "0.9em"},
    )


def components() -> list:
    return [PresetNotes] + [_figure_component(f) for f in figures.TIME_SERIES] + [FlowView]


def model_params() -> dict:
    return {
        "preset": {
            "type": "Select",
            "value": DEFAULT_PRESET,
            "values": presets(),
            "label": "Preset (press Reset to load)",
        },
        "seed": {"type": "InputText", "value": str(DEFAULT_SEED), "label": "Seed (press Reset to use)"},
    }


@solara.component
def Page():
    # One model per browser session, so two screens never step the same run.
    first = solara.use_memo(lambda: ClassroomModel(DEFAULT_PRESET, DEFAULT_SEED), [])
    current: solara.Reactive[ClassroomModel] = solara.use_reactive(first)

    def close_when_done():
        model = current.value
        # runs when Reset replaces the model, and when the tab's session ends (a closed tab):
        # the model stops stepping and lets go of its memory
        return model.close

    solara.use_effect(close_when_done, [current.value])
    SolaraViz(current, components=components(), model_params=model_params(), name=TITLE, play_interval=50)
