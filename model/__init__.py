"""decouple — an agent-based scenario simulator of US–China technology-decoupling policies.

The Mesa model lives in this package (the ``model/`` folder of the project)::

    from decouple import DecouplingModel
    model = DecouplingModel("full_decoupling", seed=1).run()
    frame = model.table.frame("full_decoupling", 1)
"""

from importlib.metadata import PackageNotFoundError, version

from .config import Scenario, list_scenarios, load_scenario
from .errors import ConfigError, DecoupleError, EvidenceError, InvariantError
from .model import DecouplingModel
from .world import World, load_world

try:
    __version__ = version("decouple")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "DecouplingModel",
    "Scenario",
    "World",
    "load_scenario",
    "list_scenarios",
    "load_world",
    "ConfigError",
    "DecoupleError",
    "InvariantError",
    "EvidenceError",
    "__version__",
]
