"""Where the project's data folders are.

The model's data (``seeds/``) and scenario files (``scenarios/``) sit beside the ``model/``
package in the project folder. ``DECOUPLE_HOME`` points elsewhere when set.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    home = os.environ.get("DECOUPLE_HOME")
    if home:
        return Path(home).expanduser().resolve()
    return Path(__file__).resolve().parent.parent


def seeds_dir() -> Path:
    return project_root() / "seeds"


def scenarios_dir() -> Path:
    return project_root() / "scenarios"
