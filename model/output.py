"""Writing results folders atomically.

Every file is written to a temporary name in the target folder and renamed into place, so an
interrupted or failed run never leaves a half-written file and never touches files it does
not own.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

FLOAT_FORMAT = "%.10g"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path``."""
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
    raise FileNotFoundError(f"{folder}: no timeseries.parquet or timeseries.csv; is this a results folder of `decouple run` or `decouple compare`?")
