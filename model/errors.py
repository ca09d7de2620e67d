"""Errors users can act on: each names the file, the key, the value and what is allowed."""

from __future__ import annotations

from .i18n import gettext as _


class DecoupleError(Exception):
    """Base class for errors that the command line reports without a traceback."""


class ConfigError(DecoupleError):
    """A scenario file, a ``--set`` override or an event is invalid."""


class EvidenceError(DecoupleError):
    """A file of the evidence base (the ``seeds/`` folder) is missing a value, has a bad value or
    an unknown key."""


class InvariantError(DecoupleError):
    """A model invariant broke during a run (a bug, never a user error)."""


def suggest(name: object, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to ``name``, or an empty string."""
    import difflib

    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return _(" (did you mean '{name}'?)").format(name=close[0]) if close else ""
