"""The three experiments of the classroom lesson (``docs/classroom.md``), scripted.

Each experiment is what a teacher does with the app's levers: a preset, and lever moves at given
dates. Running them here, with several seeds and without a browser, gives the numbers the lesson
quotes and lets ``tests/test_lesson.py`` check that what the lesson tells students still holds.

    python -m decouple.demo.lesson          # prints the lesson's numbers (seeds 1-5)
    DECOUPLE_LANG=zh python -m decouple.demo.lesson    # the same, its words in Chinese
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..i18n import N_, language
from ..i18n import gettext as _
from ..phrase import Phrase, tr
from ..world import load_world
from .live import ClassroomModel


@dataclass(frozen=True)
class Variant:
    label: str  # English (the tables' key); printed in the current language
    moves: tuple[tuple[float, str, object], ...] = ()  # (year, lever name, value)


@dataclass(frozen=True)
class LessonExperiment:
    """One experiment of the lesson: a preset, its variants, and what to read when."""

    name: str
    preset: str
    variants: tuple[Variant, ...]
    indicators: tuple[str, ...]
    years: tuple[float, ...]
    flows: tuple[str, float] | None = None  # (sector, year): also read who sells to China


CONTROLS_2020 = ((2020.0, "yard", 4), (2020.0, "policy.fence", 0.55), (2020.0, "policy.licence_approval", 0.05))
SWING_2024 = ((2024.0, "yard", 10), (2024.0, "policy.fence", 0.5), (2024.0, "policy.licence_approval", 0.2))

LESSON_EXPERIMENTS = (
    LessonExperiment(
        "controls",
        "baseline",
        (Variant(N_("open world")), Variant(N_("small yard from 2020"), CONTROLS_2020)),
        ("gap_small_yard", "chips_share_US", "cn_self_sufficiency_small_yard", "trust"),
        (2020.0, 2020.5, 2023.0, 2030.0, 2035.75),
    ),
    LessonExperiment(
        "dutch_refusal",
        "selective_decoupling",
        (
            Variant(N_("as the preset")),
            Variant(N_("Netherlands refuses from 2020"), ((2020.0, "allies.willingness.NL", -6.0),)),
            Variant(
                N_("refuses, no FDPR"),
                ((2020.0, "allies.willingness.NL", -6.0), (2020.0, "fdpr", False)),
            ),
        ),
        ("compliance_NL", "chips_share_allies", "chips_share_CN", "cn_self_sufficiency_small_yard"),
        (2025.0, 2030.0),
        flows=("chip_tools", 2025.0),
    ),
    LessonExperiment(
        "trust_swing",
        "coopetition",
        (
            Variant(N_("as the preset")),
            Variant(N_("hawkish swing in 2024"), SWING_2024),
            Variant(N_("swing, programmes off"), SWING_2024 + ((2024.0, "programmes", False),)),
        ),
        ("trust", "us_cn_sales", "welfare_WORLD"),
        (2024.0, 2025.0, 2026.0, 2035.75),
    ),
)


def advance(model: ClassroomModel, variant: Variant, until: float | None = None) -> ClassroomModel:
    """Step ``model`` to ``until`` (default: the end of the run), moving the variant's levers on
    their dates, as a teacher would in the app."""
    levers = {lever.name: lever for lever in model.levers()}
    end = model.params.time.start_year + model.params.time.steps / 4 if until is None else until
    while model.running and model.year < end - 1e-9:
        for year, name, value in variant.moves:
            if abs(model.year - year) < 1e-9:
                model.move(levers[name], value)
        model.step()
    return model


def _at(history: pd.DataFrame, year: float) -> pd.Series:
    return history.iloc[int(np.argmin(np.abs(history.index.to_numpy() - year)))]


def run_lesson_experiment(exp: LessonExperiment, seeds=range(1, 6)) -> pd.DataFrame:
    """Seed means: one row per (variant, indicator), one column per year."""
    countries = load_world().countries
    rows = []
    for variant in exp.variants:
        histories, bought = [], []
        for seed in seeds:
            model = ClassroomModel(exp.preset, seed, reference=False)
            if exp.flows:  # who sells to China, read on the way
                sector, year = exp.flows
                bought.append(advance(model, variant, until=year).flows(sector)["CN"].to_numpy())
            histories.append(advance(model, variant).history())
        for ind in exp.indicators:
            row: dict[Any, Any] = {"variant": variant.label, "indicator": ind}  # then a column per year
            row.update({y: float(np.mean([_at(h, y)[ind] for h in histories])) for y in exp.years})
            rows.append(row)
        if exp.flows:
            for code, share in zip(countries, np.mean(bought, axis=0)):
                if share >= 0.05:
                    rows.append(
                        {
                            "variant": variant.label,
                            "indicator": Phrase(N_("China buys {sector} from {code}"), sector=sector, code=code),
                            year: float(share),
                        }
                    )
    return pd.DataFrame(rows).set_index(["variant", "indicator"])


def main() -> int:
    """Prints the lesson's numbers, its words in the language of ``DECOUPLE_LANG`` (default English)."""
    pd.set_option("display.width", 160)
    with language(os.environ.get("DECOUPLE_LANG")):
        for exp in LESSON_EXPERIMENTS:
            print("\n" + _("== {name} ({preset}), mean of seeds 1-5 ==").format(name=exp.name, preset=exp.preset))
            table = run_lesson_experiment(exp).round(3)
            table.index = pd.MultiIndex.from_tuples(
                [(tr(variant), tr(indicator)) for variant, indicator in table.index],
                names=[_("variant"), _("indicator")],
            )
            print(table.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
