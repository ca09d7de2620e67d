"""Projections: a running model carried on to the end of its calendar from a copy of its present state.

The role-play's what-ifs (:mod:`decouple.play.game`) and the classroom app's instant projection
(:mod:`decouple.demo.projection`) share this engine. A projection steps a deep copy of the model,
random number generators included, so the live model draws exactly the numbers it would have
drawn without it, and the projection shows what the live run will do if nothing else is moved:
the same numbers, to the bit (``tests/test_play.py`` and ``tests/test_demo.py`` check both).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import DecouplingModel

#: one quarter's observations: outcome name -> value (and ``year``)
Observer = Callable[["DecouplingModel"], dict[str, float]]


class Stopped(Exception):
    """A projection given up part-way because its ``stop`` callback said it is no longer wanted."""


def proceed(
    model: DecouplingModel,
    history: dict[str, np.ndarray],
    observe: Observer,
    until: float | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[str, np.ndarray]:
    """Step ``model`` on to ``until`` (a decimal year; default the run's end): ``history`` (its
    observations so far, as columns) with those of the quarters stepped appended.

    ``stop`` is asked before each quarter; when it answers True the projection ends by raising
    :class:`Stopped` (a newer request has made it stale: its CPU goes to the newer one)."""
    rows = []
    while model.steps < model.params.time.steps and (until is None or model.year < until - 1e-9):
        if stop is not None and stop():
            raise Stopped
        model.step()
        rows.append(observe(model))
    if not rows:
        return history
    return {key: np.concatenate([values, [row[key] for row in rows]]) for key, values in history.items()}


def detached(model: DecouplingModel, memo: dict | None = None) -> DecouplingModel:
    """A deep copy of ``model`` that steps on its own and records nothing (``recording`` off: the
    caller keeps what it needs through ``observe``). The world is shared, not copied: no step
    writes to it. ``memo`` adds objects the copy shares or replaces (``copy.deepcopy``'s memo)."""
    clone = copy.deepcopy(model, {id(model.world): model.world, **(memo or {})})
    clone.recording = False
    return clone


def project(
    model: DecouplingModel,
    observe: Observer,
    until: float | None = None,
    stop: Callable[[], bool] | None = None,
    copier: Callable[[DecouplingModel], DecouplingModel] = detached,
) -> dict[str, np.ndarray]:
    """The path ``model`` takes from its present state to ``until`` (default the end of its
    calendar) if nothing else changes, as columns of ``observe``'s values, the present quarter
    first. ``model`` is copied by ``copier`` (its random generators too) and left as it was; a
    model stepped in another thread passes a copier that copies it between steps."""
    clone = copier(model)
    return proceed(clone, {key: np.array([value]) for key, value in observe(clone).items()}, observe, until, stop)
