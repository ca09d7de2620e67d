"""The debrief: a figure of the class's path against the reference runs, and the export.

The export is a results folder like ``decouple run`` writes (time series, indicators, summary,
figures), made by running the class's scenario file — the preset extended by the class's moves
as dated events — through the same code, plus that file (``class.toml``), the moves, the scores
round by round, the news feed and the debrief figure. ``decouple run FOLDER/class.toml --seed N``
gives the same numbers.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import load_scenario
from ..i18n import current, language
from ..i18n import gettext as _
from ..output import OutputError, prepare_folder, result_folder, write_csv, write_json
from ..runner import run_one, write_run
from . import words
from .game import Game
from .teams import role_measure

#: the debrief figure's panels: measures of ``[[debrief]]`` in seeds/roleplay.toml (the debrief
#: computes their series; titles and units are the registry's)
PANELS = (
    "gap_small_yard",
    "cn_self_sufficiency",
    "compliance_small_yard",
    "welfare_usd[WORLD] against baseline per gdp[WORLD]",
)


def figure(game: Game):
    """The class's path (black; dashed where it is a projection of the last choices) against the
    open world and the documents' scenarios, in the project's scenario colours; its words in the
    current language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from .. import fonts
    from ..plots import SCENARIO_COLOURS, SCENARIO_LABELS, STYLE

    data = game.debrief()
    years = np.asarray(data["years"])
    reached = data["reached"]
    # the shipped Chinese font as the fallback: names, titles and passages in Chinese are drawn, not boxes
    with plt.rc_context({**STYLE, **fonts.rc()}):
        fig, axes = plt.subplots(2, 2, figsize=(15, 9), sharex=True)
        for ax, text in zip(axes.flat, PANELS, strict=True):
            measure = role_measure(text, "decouple.play.debrief.PANELS", game.world)
            series = data["series"][str(measure)]
            for name, values in series.items():
                if name == "class":
                    continue
                ax.plot(
                    years,
                    np.asarray(values),
                    color=SCENARIO_COLOURS.get(name, "#999999"),
                    lw=1.8,
                    alpha=0.85,
                    label=_(SCENARIO_LABELS.get(name, name)),
                )
            path = np.asarray(series["class"])
            played = years <= reached + 1e-9
            ax.plot(years[played], path[played], color="#111111", lw=4.0, label=_("The class"))
            if not played.all():
                ax.plot(years[~played | (years == reached)], path[~played | (years == reached)], color="#111111",
                        lw=2.5, ls="--", label=_("The class, last choices held"))  # fmt: skip
            ax.axvline(game.start_year, color="#777777", lw=1.0, ls=":")
            ax.set_title(words.measure_text(measure, game.world))
            ax.set_ylabel(words.measure_unit(measure, game.world))
        for ax in axes[1]:
            ax.set_xlabel(_("year"))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
        totals = [f"{s['label']} {s['total']:+.1f}" for s in data["scores"].values()]
        half = (len(totals) + 1) // 2
        title = _("The class's path, {start}-{end} ({scenario}, seed {seed}); scores against the open world:")
        scenario = words.scenario_title(game.scenario.title)
        fig.suptitle(
            title.format(start=f"{game.start_year:g}", end=f"{reached:g}", scenario=scenario, seed=game.seed)
            + f"\n{'   '.join(totals[:half])}\n{'   '.join(totals[half:])}",
            fontsize=14,
        )
        fig.tight_layout(rect=(0, 0.08, 1, 0.9))
    return fig


def figure_png(game: Game) -> bytes:
    import matplotlib.pyplot as plt

    fig = figure(game)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def default_folder(results: Path, game: Game, room: str) -> Path:
    return Path(results) / f"{game.preset}_seed{game.seed}_{room}"


def check_results(results: Path, flag: str = "--out") -> Path:
    """Check, before the class arrives, that the export can be written under ``results``: a
    folder (made at the export if missing) whose path is valid UTF-8 (it is printed and shown on
    the facilitator's page), not a file, not under a file, not too long, and that can be written
    in. A clear :class:`OutputError` otherwise. Writes nothing but the folders above ``results``."""
    results = Path(results)
    try:
        str(results).encode("utf-8")
    except UnicodeEncodeError:
        raise OutputError(
            f"{flag} {ascii(str(results))}: the path is not valid UTF-8; allowed: a folder whose name is text"
        ) from None
    # a file, under a file, too long (a path of at most 4000 bytes leaves room under the system's
    # 4096 for the export's folder name), or its parent not writable
    prepare_folder(results, flag)
    if os.path.lexists(results):  # it exists (or is a link): the export is written inside it
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=results))
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OutputError(f"{flag} {results}: cannot write in it ({reason}); choose another folder") from None
    return results


def export(game: Game, results: Path, room: str) -> Path:
    """Write the class's results folder under ``results`` (replaced as a whole at each export).

    Its tables are in English (``news.json`` adds each line in the current language, when that
    is another); the debrief figure is in the current language."""
    shown = current()
    out = default_folder(results, game, room)
    name = f"class_{room}"
    with result_folder(out, "run", what="the role-play's results folder") as tmp:
        (tmp / "class.toml").write_text(game.scenario_text(name), encoding="utf-8")
        scenario = load_scenario(tmp / "class.toml", sectors=game.world.sectors)
        result = run_one(scenario, game.seed)
        write_run(tmp, result, plots=False)
        write_csv(tmp / "moves.csv", pd.DataFrame(game.moves, columns=["round", "year", "team", "lever", "from", "to"]))
        rows = [
            {"round": h["round"], "year": h["year"], "team": s["label"], "objective": o["label"], "unit": o["unit"],
             "value": o["value"], "weight": o["weight"], "points": o["points"]}
            for h in game.score_history for s in h["scores"].values() for o in s["objectives"]
        ]  # fmt: skip
        write_csv(tmp / "scores.csv", pd.DataFrame(rows))
        with language("en"):
            news = [n.public() for n in game.news]
        if shown != "en":
            for item, n in zip(news, game.news, strict=True):
                item[f"text_{shown}"] = n.public()["text"]
        write_json(tmp / "news.json", {"news": news})
        (tmp / "debrief.png").write_bytes(figure_png(game))
    return out
