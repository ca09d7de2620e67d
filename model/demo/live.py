"""The model as the classroom app runs it: a preset, a seed, live levers and a reference run.

:class:`ClassroomModel` is a :class:`DecouplingModel` whose Mesa ``DataCollector`` (every
outcome of :mod:`decouple.outcomes`, by name) feeds the live plots, and which keeps, for
comparison, the open baseline run with the same seed and calendar.
Levers (:mod:`decouple.demo.levers`) change it through ``set_params``, which records each change
with its step so that the plots can mark it.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading
import time
import weakref
from functools import lru_cache

import numpy as np
import pandas as pd

from ..config import list_scenarios, load_scenario
from ..i18n import N_
from ..i18n import gettext as _
from ..model import MAX_SEED, DecouplingModel
from ..phrase import Phrase
from ..projection import detached
from ..world import load_world
from .levers import Lever, levers

#: Presets offered in the app: the four documented scenarios, precise decoupling, adaptive rivalry,
#: then the historical replay (each when present).
PRESET_ORDER = (
    "selective_decoupling",
    "full_decoupling",
    "coopetition",
    "baseline",
    "precise",
    "adaptive_rivalry",
    "historical",
)


def presets() -> list[str]:
    known = {name for name, *_ in list_scenarios()}
    return [name for name in PRESET_ORDER if name in known]


def parse_seed(text) -> tuple[int, str]:
    """(seed, error message or "") from what a user typed; a bad seed falls back to 0. The message
    is English, a :class:`~decouple.phrase.Phrase` the page shows in its language."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        return 0, Phrase(N_("seed {text} is not a whole number; using seed 0"), text=repr(text))
    if not 0 <= seed <= MAX_SEED:
        return 0, Phrase(
            N_("seed {seed} is out of range; allowed: a whole number from 0 to {most}; using seed 0"),
            seed=seed,
            most=MAX_SEED,
        )
    return seed, ""


class ClassroomModel(DecouplingModel):
    """A decoupling model for the classroom app.

    Args:
        preset: scenario name (see :func:`presets`).
        seed: random seed, as a number or as the text typed in the app; a bad one falls back to
            0 and ``input_error`` says why.
        reference: also run the open baseline with the same seed for comparison.
        params: parameter values by dotted path applied to the preset.
    """

    def __init__(
        self,
        preset: str = "selective_decoupling",
        seed: int | str = 1,
        reference: bool = True,
        params: dict | None = None,
    ):
        seed_value, self.input_error = parse_seed(seed)
        world = load_world()
        super().__init__(load_scenario(preset, sectors=world.sectors, changes=params), seed=seed_value, world=world)
        self.preset = preset
        self.lever_moves: list[tuple[int, float, str, object]] = []  # (step, year, lever name, value)
        t = self.params.time
        self.reference = baseline_reference(seed_value, t.start_year, t.steps) if reference else None
        # The app steps the model in a play thread while levers move in the UI's: a lever waits
        # for the quarter being computed to finish, so no step mixes old and new parameters.
        self._step_lock = threading.Lock()
        self.closed = False
        # Mesa's wrapper, which counts the step, around DecouplingModel.step; both are bound
        # methods, so a copy of the model (:meth:`snapshot`) steps itself, not this model
        self._counted_step = self.step
        self.step = self._locked_step  # type: ignore[method-assign]  # Mesa too replaces step per instance

    def _locked_step(self) -> None:
        with self._step_lock:
            if not self.closed:
                self._counted_step()

    def snapshot(self) -> ClassroomModel:
        """A copy of the present state, taken between steps, that steps on its own and records
        nothing (:func:`decouple.projection.detached`): its random generators are copies, so
        stepping it leaves every draw of this model as it was. The baseline reference is shared."""
        with self._step_lock:
            memo = {id(self._step_lock): threading.Lock(), id(self.reference): self.reference}
            return detached(self, memo)

    def close(self) -> None:
        """Stop for good: the app calls this when Reset replaces the model or the tab's session
        ends. A play loop still running sees ``running`` False and stops; the model leaves Mesa's
        registry of models (which would otherwise keep it alive, see ``release``) and its memory
        is returned to the system shortly after."""
        with self._step_lock:
            self.closed = True
            self.running = False
            self.release()
        _return_memory_soon(self)

    def history(self) -> pd.DataFrame:
        """The recorded outcomes, one row per step, indexed by year. Read between steps: the play
        thread's step fills the collector's columns one by one, and a plot drawn in the middle
        would find them of different lengths."""
        with self._step_lock:
            return self.datacollector.get_model_vars_dataframe().set_index("year")

    def levers(self) -> list[Lever]:
        return levers(self.world)

    def move(self, lever: Lever, value) -> None:
        """Apply a lever from the next step on (recorded with its step for the plot markers)."""
        with self._step_lock:
            self.set_params(lever.changes(value, self.world), origin=f"lever: {lever.label}")
            self.lever_moves.append((self.steps, self.year, lever.name, value))

    def flows(self, sector: str) -> pd.DataFrame:
        """Who sells to whom in ``sector`` now: each buyer's purchases by supplier, in shares."""
        w = self.world
        sales = self.market.bilateral[w.sector_index(sector)]  # (seller, buyer)
        bought = sales.sum(0, keepdims=True)
        shares = np.divide(sales, bought, out=np.zeros_like(sales), where=bought > 0)
        return pd.DataFrame(shares, index=list(w.countries), columns=list(w.countries))

    @property
    def quarter_label(self) -> str:
        """``2022 Q1``, or ``2018 (start)`` before the first step, in the current language."""
        year = self.year
        if not self.steps:
            return _("{year} (start)").format(year=int(year))
        return _("{year} Q{quarter}").format(year=int(year), quarter=int(round((year - int(year)) * 4)) + 1)


_COLLECTOR_LOCK = threading.Lock()
_collect_until = 0.0
_hard_stop = 0.0
_collector: threading.Thread | None = None
#: closed models not yet freed: the collector goes on while one is left (up to ``COLLECT_AT_MOST``)
_closed_models: weakref.WeakSet = weakref.WeakSet()
#: seconds after the last close beyond which the collector stops even if a closed model lives on
#: (something still holds it: collecting again would not free it)
COLLECT_AT_MOST = 600.0


def _return_memory_soon(model: ClassroomModel | None = None, every: float = 5.0, patience: float = 45.0) -> None:
    """Collect garbage every ``every`` seconds and ask the C library to hand freed memory back to
    the system: for ``patience`` seconds after the last model closed, and on while a closed model
    (``model`` and those before) is still alive, up to ``COLLECT_AT_MOST`` seconds. Solara drops a
    closed session a moment after the close, or only at its cull timeout for a tab that vanished;
    an idle server allocates nothing that would start a collection by itself, so a model dropped
    after a fixed spell would keep its memory until the next allocations. One background thread
    does it for every closed model."""
    global _collect_until, _hard_stop, _collector
    with _COLLECTOR_LOCK:
        if model is not None:
            _closed_models.add(model)
        now = time.monotonic()
        _collect_until, _hard_stop = now + patience, now + COLLECT_AT_MOST
        if _collector is not None and _collector.is_alive():
            return

        def collect() -> None:
            libc = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
            while time.monotonic() < _collect_until or (len(_closed_models) and time.monotonic() < _hard_stop):
                time.sleep(every)
                gc.collect()
                if libc is not None and hasattr(libc, "malloc_trim"):
                    libc.malloc_trim(0)

        _collector = threading.Thread(target=collect, name="decouple-collector", daemon=True)
        _collector.start()


@lru_cache(maxsize=16)
def baseline_reference(seed: int, start_year: float, steps: int) -> pd.DataFrame:
    """The open baseline's outcomes with this seed and calendar (cached: one run per seed)."""
    calendar = {"time.start_year": float(start_year), "time.steps": int(steps)}
    return ClassroomModel("baseline", seed, reference=False, params=calendar).run().history()
