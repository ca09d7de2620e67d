"""Errors users can act on: each names the file, the key, the value and what is allowed."""

from __future__ import annotations


class DecoupleError(Exception):
    """Base class for errors that the command line reports without a traceback."""


class ConfigError(DecoupleError):
    """A scenario file, a ``--set`` override or an event is invalid."""


class SeedError(DecoupleError):
    """A file in ``seeds/`` is missing a value, has a bad value or an unknown key."""


class InvariantError(DecoupleError):
    """A model invariant broke during a run (a bug, never a user error)."""
