"""Scenario files, parameters and their validation, under one name.

The work is done in three modules, each importing only the ones before it:

- :mod:`.tomlfiles` reads TOML files, with one clear error for each way a file can be unreadable;
- :mod:`.parameters` holds the registry of ``seeds/parameters.toml``, the pydantic models built
  from it, and checked changes to parameter values;
- :mod:`.scenarios` loads scenario files with their ``extends`` chains and dated ``[[events]]``.

This module keeps the names the rest of the package and its users import from ``decouple.config``.
"""

from __future__ import annotations

from .parameters import (
    MAX_ERRORS,
    PLAIN_FLOAT,
    ROLES,
    TYPES,
    Parameters,
    ParamSpec,
    apply_changes,
    deep_merge,
    get_path,
    load_registry,
    parameters_with_role,
    params_model,
    parse_override,
    parse_value,
    registry_entry,
    set_path,
    shown,
    validate_params,
)
from .scenarios import (
    EVENT_KEYS,
    MAX_EXTENDS,
    NAME,
    SCENARIO_META_KEYS,
    Event,
    Scenario,
    list_scenarios,
    load_scenario,
    scenario_chain,
    scenario_path,
)
from .tomlfiles import parse_toml, path_kind, read_text, read_toml

__all__ = [
    "EVENT_KEYS",
    "MAX_ERRORS",
    "MAX_EXTENDS",
    "NAME",
    "PLAIN_FLOAT",
    "ROLES",
    "SCENARIO_META_KEYS",
    "TYPES",
    "Event",
    "ParamSpec",
    "Parameters",
    "Scenario",
    "apply_changes",
    "deep_merge",
    "get_path",
    "list_scenarios",
    "load_registry",
    "load_scenario",
    "parameters_with_role",
    "params_model",
    "parse_override",
    "parse_toml",
    "parse_value",
    "path_kind",
    "read_text",
    "read_toml",
    "registry_entry",
    "scenario_chain",
    "scenario_path",
    "set_path",
    "shown",
    "validate_params",
]
