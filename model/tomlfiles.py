"""Reading the project's TOML files, with one clear error for each way a file can be unreadable.

Scenario, experiment and evidence files (``scenarios/``, ``experiments/``, ``seeds/``) are UTF-8
TOML text. A missing file, a folder or a device in its place, a name the file system refuses, a
binary file and invalid TOML each get a message that names the file and says what is wrong; the
caller chooses the error class (:class:`ConfigError` for settings, :class:`EvidenceError` for
``seeds/``). This module reads files only: it knows nothing of parameters, scenarios or the world,
so every other module may import it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import ConfigError, DecoupleError
from .i18n import gettext as _


def path_kind(path: Path, error: type[DecoupleError] = ConfigError) -> str | None:
    """'file', 'folder', 'other' (a device, a pipe) or None (nothing there); a clear error for a
    name the file system cannot take."""
    try:
        if path.is_file():
            return "file"
        if path.is_dir():
            return "folder"
        return "other" if path.exists() else None
    except OSError as exc:
        raise error(
            _("{path}: {error} (a file name has at most 255 bytes)").format(
                path=str(path)[:80] + ("..." if len(str(path)) > 80 else ""), error=exc.strerror or exc
            )
        ) from None


def read_text(path: Path, error: type[DecoupleError] = ConfigError) -> str:
    """The text of a UTF-8 file (a byte-order mark is allowed), or an error that says why it
    cannot be read."""
    path = Path(path)
    kind = path_kind(path, error)
    if kind is None:
        raise error(_("{path}: file not found").format(path=path))
    if kind == "folder":
        raise error(_("{path}: is a folder, not a file").format(path=path))
    if kind == "other":
        raise error(_("{path}: is not a regular file (a device or a pipe?); give a TOML file").format(path=path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(_("{path}: cannot be read ({error})").format(path=path, error=exc.strerror)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            _(
                "{path}: not UTF-8 text (byte {at} is {byte}); is it a binary file? Scenario, experiment and evidence "
                "files are TOML text"
            ).format(path=path, at=exc.start, byte=repr(data[exc.start : exc.start + 1]))
        ) from None


def parse_toml(text: str, origin: str, error: type[DecoupleError] = ConfigError) -> dict:
    """A TOML document as a table, with one clear error for anything ``tomllib`` refuses."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(_("{origin}: not valid TOML: {error}").format(origin=origin, error=exc)) from None
    except RecursionError:
        raise error(_("{origin}: not valid TOML: arrays or tables nested too deeply").format(origin=origin)) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4,300 digits)
        raise error(_("{origin}: a value cannot be read: {error}").format(origin=origin, error=exc)) from None


def read_toml(path: Path, error: type[DecoupleError] = ConfigError) -> dict:
    """A TOML file as a table, with clear errors for unreadable, binary or invalid files."""
    return parse_toml(read_text(path, error), str(path), error)
