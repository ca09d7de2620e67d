"""Writing results atomically: single files, and whole results folders.

Every file is written to a temporary name in its folder and renamed into place, so an
interrupted or failed run never leaves a half-written file. A results folder of ``decouple run``,
``compare`` or ``validate`` is written as a whole (:func:`result_folder`): into a hidden
temporary folder beside it, which then replaces the old folder in one step, so a full disk or a
kill never leaves new files beside old ones, and no file of an earlier run survives that the new
run does not write. A folder holding files the project did not write is never replaced. A
symbolic link given as the folder stays a link: the folder it points to is written. Every check
(:func:`prepare_folder`, :func:`prepare_file`) probes the folder the writing will happen in,
before any work.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DecoupleError

#: marks a folder as a results folder of this project (its content: what wrote it)
MARKER = ".decouple"
#: files a results folder of an earlier version may hold (recognised as ours without the marker)
RESULT_FILES = {
    "timeseries.csv",
    "timeseries.parquet",
    "summary.json",
    "indicators.csv",
    "validation.csv",
    "validation.md",
}

FLOAT_FORMAT = "%.10g"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path``. What ``write`` returns
    (``Path.write_text`` gives the number of characters) is not used."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=_json_default) + "\n"))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    if "year" in frame.columns:
        # decimal years as 2018.0, 2018.25, ... (not 2018) whatever the float format
        frame = frame.assign(year=frame["year"].astype(float).map(repr))
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_timeseries(folder: Path, frame: pd.DataFrame, csv: bool = True) -> list[Path]:
    """Write ``timeseries.parquet`` and (by default) ``timeseries.csv`` into ``folder``."""
    written = []
    write_parquet(folder / "timeseries.parquet", frame)
    written.append(folder / "timeseries.parquet")
    if csv:
        write_csv(folder / "timeseries.csv", frame)
        written.append(folder / "timeseries.csv")
    return written


def read_timeseries(folder: Path) -> pd.DataFrame:
    """Read a results folder's time series (parquet if present, else CSV)."""
    folder = Path(folder)
    if (folder / "timeseries.parquet").is_file():
        return pd.read_parquet(folder / "timeseries.parquet")
    if (folder / "timeseries.csv").is_file():
        return pd.read_csv(folder / "timeseries.csv")
    raise FileNotFoundError(
        f"{folder}: no timeseries.parquet or timeseries.csv; is this a results folder of `decouple run` "
        "or `decouple compare`?"
    )


class OutputError(DecoupleError):
    """A results folder cannot be written where asked."""


def _problem(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _name_bytes(text: str) -> int:
    """Length of a path's name on disk, in bytes (what the file system limits)."""
    return len(os.fsencode(text))


def _check_encodable(folder: Path, what: str) -> None:
    """Refuse a name the file-system encoding cannot hold (a non-ASCII name under a C or Latin-1
    locale, which Python keeps as surrogates): Parquet and Arrow files, written by a library that
    takes names as UTF-8, could not be made in it, and that would show only after the work."""
    text = str(folder)
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in text):
        raise OutputError(
            f"{what} {folder}: the name has characters the file-system encoding of this "
            f"locale ({sys.getfilesystemencoding()}) cannot hold; set a UTF-8 locale (e.g. "
            "LC_ALL=C.UTF-8, or PYTHONUTF8=1) or choose a name in plain ASCII"
        )


def _through_links(folder: Path) -> Path:
    """``folder``, or, when it is a symbolic link (to a folder, or to where one is to be made), the
    path it points to: results are written through a link, which stays a link."""
    if not folder.is_symlink():
        return folder
    target = Path(os.path.realpath(folder))
    if target.is_symlink():  # a loop of links: realpath stops on it
        raise OutputError(f"--out {folder}: is a symbolic link that points to itself (a loop)")
    return target


def prepare_folder(folder: Path, what: str = "--out", inside: bool = False) -> Path:
    """Check that ``folder`` can be a results folder before any work starts; create its parent.

    The probe is made where the writing will happen: beside ``folder`` (the default: a results
    folder is written whole beside it and swapped in, :func:`result_folder`), or, with ``inside``,
    in ``folder`` itself when it exists (a sweep writes its files into it). A symbolic link is
    followed: the folder it points to is checked and returned.

    Raises :class:`OutputError` when it is a file, lies under a file, has too long a name, cannot
    be created or written in."""
    folder = Path(folder)
    if str(folder) in ("", "."):
        folder = Path.cwd()
    if any(_name_bytes(part) > 255 for part in folder.parts) or _name_bytes(str(folder.absolute())) > 4000:
        raise OutputError(
            f"{what} {str(folder)[:80]}...: the name is too long for the file system "
            "(at most 255 bytes a folder name); choose a shorter one"
        )
    try:
        folder = _through_links(folder)
        _check_encodable(folder, what)
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{what} {folder}: is a file, not a folder; choose a folder for the results")
        for parent in folder.parents:
            if parent.exists() and not parent.is_dir():
                raise OutputError(
                    f"{what} {folder}: lies under {parent}, which is a file; choose a folder for the results"
                )
        folder.parent.mkdir(parents=True, exist_ok=True)
        where = folder if inside and folder.is_dir() else folder.parent
        probe = tempfile.mkdtemp(prefix=f".{folder.name}.probe-", dir=where)
        os.rmdir(probe)
        if inside and folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
    except OSError as exc:
        raise OutputError(f"{what} {folder}: cannot write there ({_problem(exc)}); choose another folder") from None
    return folder


def prepare_file(path: Path | str, what: str = "--out") -> Path:
    """Check, before any work starts, that a single output file can be written at ``path`` (as
    typed: ``out/`` names a folder): the probe is made in the folder that will hold it (where the
    file is written, then renamed)."""
    text = str(path)
    path = Path(path)
    if not path.name or text.endswith(("/", os.sep)):
        raise OutputError(f"{what} {text}: names a folder; give the path of a file")
    try:
        if path.is_symlink():  # the file the link points to is written; the link stays a link
            path = Path(os.path.realpath(path))
            if path.is_symlink():
                raise OutputError(f"{what} {text}: is a symbolic link that points to itself (a loop)")
    except OSError as exc:
        raise OutputError(f"{what} {text}: cannot write there ({_problem(exc)})") from None
    folder = prepare_folder(path.parent, what, inside=True)
    try:
        if path.is_dir():
            raise OutputError(f"{what} {path}: is a folder; give the path of a file")
        if path.exists() and not path.is_file():
            raise OutputError(f"{what} {path}: is not a regular file (a device or a pipe?); give the path of a file")
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkstemp(prefix=f".{path.name}.probe-", dir=folder)
        os.close(probe[0])
        os.unlink(probe[1])
    except OSError as exc:
        raise OutputError(f"{what} {path}: cannot write there ({_problem(exc)}); choose another place") from None
    return path


def check_out(folder: Path | str, kind: str, ours: tuple[str, ...], what: str = "--out") -> Path:
    """Check, before any work, that ``folder`` can take the results of ``decouple <kind>``: it can
    be written (see :func:`prepare_folder`), and it is new, empty, a folder this
    command wrote before (its marker file says so), or holds only files named in ``ours``. Nothing
    is created but the parent folder."""
    folder = prepare_folder(Path(folder), what)
    try:
        if not folder.is_dir():
            return folder
        marker = folder / MARKER
        if marker.is_file():
            try:
                written_by = json.loads(marker.read_text()).get("kind")
            except (ValueError, AttributeError, UnicodeDecodeError):
                written_by = None
            if isinstance(written_by, str) and written_by != kind:
                raise OutputError(
                    f"{what} {folder}: holds the results of `decouple {written_by}`; choose another folder "
                    "(nothing was changed)"
                )
            return folder
        foreign = sorted(p.name for p in folder.iterdir() if p.name not in ours and p.name != MARKER)
    except OSError as exc:
        raise OutputError(f"{what} {folder}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    if foreign:
        listed = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise OutputError(
            f"{what} {folder}: holds files that `decouple {kind}` did not write ({listed}); choose another "
            "folder or empty it (nothing was changed)"
        )
    return folder


def mark_out(folder: Path, kind: str, what: str = "--out") -> None:
    """Create ``folder`` (checked by :func:`check_out`) and mark it as written by ``decouple <kind>``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / MARKER).is_file():
            write_json(folder / MARKER, {"kind": kind})
    except OSError as exc:
        raise OutputError(f"{what} {folder}: cannot write there ({exc.strerror or type(exc).__name__})") from None


def _foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that a results folder of this project would not hold."""
    if not folder.is_dir() or (folder / MARKER).is_file():
        return []
    return sorted(
        p.name for p in folder.iterdir() if not (p.is_file() and (p.name in RESULT_FILES or p.suffix == ".png"))
    )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    if ctypes.get_errno() in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


def _clean_leftovers(folder: Path) -> None:
    """Remove hidden temporary folders an interrupted earlier write left beside ``folder``."""
    for pattern in (f".{folder.name}.tmp-*", f".{folder.name}.old-*", f".{folder.name}.probe-*"):
        for leftover in folder.parent.glob(pattern):
            try:
                pid = int(leftover.name.rsplit("-", 1)[1])
            except ValueError:
                continue
            if pid != os.getpid() and not _alive(pid):
                _remove(leftover)


def _remove(path: Path) -> None:
    """Remove a folder, or a link (an earlier version swapped a symlinked --out away as a link)."""
    if path.is_symlink():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def result_folder(folder: Path, kind: str, what: str = "--out") -> Iterator[Path]:
    """Write a results folder as a whole.

    Yields a hidden temporary folder beside ``folder`` to write into; when the block finishes it
    replaces ``folder`` in one step (or, where the file system cannot swap folders, in two
    renames a moment apart, never mixing old and new files). If the block fails, the temporary
    folder is removed and ``folder`` is left as it was. ``folder`` must be new, empty, or an
    earlier results folder of this project."""
    folder = prepare_folder(folder, what)
    foreign = _foreign_entries(folder)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise OutputError(
            f"{what} {folder}: holds files that decouple did not write ({shown}); choose another "
            "folder or empty it (nothing was changed)"
        )
    _clean_leftovers(folder)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    _remove(tmp)
    try:
        tmp.mkdir()
        yield tmp
        (tmp / MARKER).write_text(json.dumps({"kind": kind}) + "\n")
        if folder.exists() and not _exchange(tmp, folder):
            old = folder.parent / f".{folder.name}.old-{os.getpid()}"
            os.rename(folder, old)
            os.rename(tmp, folder)
            _remove(old)
        elif not folder.exists():
            os.rename(tmp, folder)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(
            f"cannot write the results to {folder}: {_problem(exc)}"
            + (f" ({exc.filename})" if exc.filename else "")
            + f"; {folder} was left as it was"
        ) from None
    except BaseException:
        _remove(tmp)
        raise
    _remove(tmp)  # after a swap, the old folder's content
