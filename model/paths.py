"""Where the project's data folders are.

The evidence base (the ``seeds/`` folder: facts, sectors, countries, the parameter registry) and
the scenario files (``scenarios/``) sit beside the ``model/`` package in the project folder.
``DECOUPLE_HOME`` points elsewhere when set. (The folder's name is the project's; in the code it
is the *evidence* folder, so that it is never mistaken for random seeds.)
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    home = os.environ.get("DECOUPLE_HOME")
    if home:
        return Path(home).expanduser().resolve()
    return Path(__file__).resolve().parent.parent


def evidence_dir() -> Path:
    """The evidence base: the project's ``seeds/`` folder."""
    return project_root() / "seeds"


def scenarios_dir() -> Path:
    return project_root() / "scenarios"
