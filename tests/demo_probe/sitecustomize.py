"""A step counter for the classroom app's server, loaded only by the closed-tabs test in
tests/test_demo.py (which puts this folder on the server's PYTHONPATH and names a file in
DECOUPLE_STEP_COUNT).

Each step a classroom model computes appends one byte to that file, so the test reads how much
work the server does instead of timing its CPU. The app itself is unchanged: the count wraps
``ClassroomModel.step`` from outside before any model is made (Mesa wraps ``step`` per model when
it is made, model.py of mesa 3.3.1), and the open-baseline reference runs are not counted."""

from __future__ import annotations

import os

_COUNT_FILE = os.environ.get("DECOUPLE_STEP_COUNT")

if _COUNT_FILE:
    from decouple.demo.live import ClassroomModel
    from decouple.model import DecouplingModel

    def _counted_step(self) -> None:
        DecouplingModel.step(self)
        with open(_COUNT_FILE, "ab") as count:  # type: ignore[arg-type]
            count.write(b".")

    ClassroomModel.step = _counted_step  # type: ignore[method-assign]
