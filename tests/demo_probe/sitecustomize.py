"""A step counter for the classroom app's server, loaded only by the closed-tabs test in
tests/test_demo.py (which puts this folder on the server's PYTHONPATH and names a file in
DECOUPLE_STEP_COUNT).

Each step a classroom model computes appends one byte to that file, so the test reads how much
work the server does instead of timing its CPU; then the step pauses DECOUPLE_STEP_PAUSE seconds,
so that a run lasts long enough for the test to close its tab mid-run. With DECOUPLE_MODEL_COUNT,
each classroom model made appends ``+`` to that file and each one freed appends ``-``, so the test
knows when the closed tabs' models are gone instead of waiting a fixed time. The app itself is
unchanged: the count wraps
``ClassroomModel.step`` from outside before any model is made (Mesa wraps ``step`` per model when
it is made, model.py of mesa 3.3.1), and the open-baseline reference runs are not counted. Nor are
the steps of the app's projections, which step copies that record nothing (``recording`` off):
they neither count nor pause."""

from __future__ import annotations

import os
import time

_COUNT_FILE = os.environ.get("DECOUPLE_STEP_COUNT")
_PAUSE = float(os.environ.get("DECOUPLE_STEP_PAUSE", "0"))
_MODEL_FILE = os.environ.get("DECOUPLE_MODEL_COUNT")

if _COUNT_FILE:
    from decouple.demo.live import ClassroomModel
    from decouple.model import DecouplingModel

    count_file: str = _COUNT_FILE

    def _counted_step(self) -> None:
        DecouplingModel.step(self)
        if not self.recording:  # a projection's copy (decouple.demo.projection), not a tab's run
            return
        with open(count_file, "ab") as count:
            count.write(b".")
        time.sleep(_PAUSE)

    ClassroomModel.step = _counted_step

if _MODEL_FILE:
    import functools
    import weakref

    from decouple.demo.live import ClassroomModel as _Classroom

    model_file: str = _MODEL_FILE
    _made = _Classroom.__init__

    def _mark(sign: bytes) -> None:
        with open(model_file, "ab") as models:
            models.write(sign)

    @functools.wraps(_made)  # SolaraViz reads the model's parameters from this signature
    def _counted_init(self, *args, **kwargs) -> None:
        _made(self, *args, **kwargs)
        _mark(b"+")
        weakref.finalize(self, _mark, b"-")

    _Classroom.__init__ = _counted_init  # type: ignore[method-assign]
