"""The Chinese font that ships with decouple, for the role-play's pages and for matplotlib.

A subset of Noto Sans SC Regular (SIL Open Font License 1.1, ``OFL.txt``): the characters the
project's files use, the 3,755 common characters of GB 2312 level 1, and CJK punctuation
(``README.md`` says how ``make_subset.py`` made it). Without it a machine that has no CJK font
shows the documents' citations (``S1 一(一)``) as empty boxes.

- Pages: the role-play server serves :data:`WOFF2` at ``/fonts/`` (``play.css`` declares the
  ``@font-face``).
- Figures: :func:`rc` registers :data:`TTF` with matplotlib and gives ``rcParams`` that add
  :data:`FAMILY` as a fallback after the figure's own family, so Latin text keeps its font and
  Chinese characters are drawn, not boxes::

      with plt.rc_context({**STYLE, **fonts.rc()}):
          ...
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: the family name the font declares (and the pages' CSS uses)
FAMILY = "Noto Sans SC"
#: the files of this folder (``make_subset.py`` writes them)
TTF_NAME = "NotoSansSC-Regular-subset.ttf"
WOFF2_NAME = "NotoSansSC-Regular-subset.woff2"


def path(name: str = TTF_NAME) -> Path:
    """Where a file of this package is on disk (the wheel installs it as a plain file)."""
    return Path(str(resources.files(__name__).joinpath(name)))


TTF = path(TTF_NAME)
WOFF2 = path(WOFF2_NAME)


@cache
def woff2_bytes() -> bytes:
    return WOFF2.read_bytes()


@cache
def woff2_version() -> str:
    """A short digest of the WOFF2 file: the pages ask for ``?v=`` this, so a rebuilt font is
    fetched anew although browsers keep the font for a year."""
    return hashlib.sha256(woff2_bytes()).hexdigest()[:12]


@cache
def register() -> str:
    """Adds :data:`TTF` to matplotlib's font manager (once a process) and returns :data:`FAMILY`."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(TTF))
    return FAMILY


def rc(families: list[str] | None = None) -> dict[RcKeyType, Any]:
    """``rcParams`` that draw text in ``families`` (default: the current ``font.family``) with
    :data:`FAMILY` as the fallback for the characters they lack (matplotlib ≥ 3.6 falls back
    glyph by glyph along ``font.family``)."""
    import matplotlib

    register()
    base = list(families if families is not None else matplotlib.rcParams["font.family"])
    return {"font.family": [f for f in base if f != FAMILY] + [FAMILY]}


def use() -> None:
    """Makes :data:`FAMILY` the fallback of every later figure of this process (:func:`rc`, set globally)."""
    import matplotlib

    matplotlib.rcParams.update(rc())
