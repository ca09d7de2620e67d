"""The Chinese font that ships with decouple (``decouple.fonts``, a subset of Noto Sans SC):
it holds every CJK character the project shows, it ships in the wheel, and matplotlib draws
Chinese with it instead of boxes. Issue 21, item 6: "Chinese citations show as empty boxes on a
machine without a CJK font"; issue 22, item 4: a font subset "used by the pages and by matplotlib".

The pages' side (the server's route, and Chromium drawing a citation with the font) is in
``tests/test_play.py``.
"""

from __future__ import annotations

import io
import tomllib
import warnings
from fnmatch import fnmatch
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

from decouple import fonts  # noqa: E402
from decouple.fonts import make_subset  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: the ranges the pages' @font-face covers (play.css: unicode-range), where a missing character is a box
CJK = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE10, 0xFE4F),
       (0xFF00, 0xFFEF))  # fmt: skip


def cjk(chars) -> set[str]:
    return {c for c in chars if any(lo <= ord(c) <= hi for lo, hi in CJK)}


@pytest.fixture(scope="module")
def charmap() -> dict[int, int]:
    return FT2Font(str(fonts.TTF)).get_charmap()


def test_every_cjk_character_of_the_project_is_in_the_font(charmap):
    """A new passage, briefing or translation with a character the font lacks fails here: rebuild
    the font (model/fonts/README.md, "When to rebuild")."""
    used = cjk(make_subset.text_characters([ROOT / "seeds", ROOT / "scenarios", ROOT / "model"]))
    assert "一" in used and len(used) > 40  # the citations: S1 一(一), S0 深层动因 ...
    missing = sorted(c for c in used if ord(c) not in charmap)
    assert not missing, f"not in {fonts.TTF.name}: {''.join(missing)}; rebuild it (model/fonts/README.md)"


def test_the_common_characters_and_punctuation_are_in_the_font(charmap):
    common = make_subset.gb2312_level1()
    assert len(common) == 3755 and {"脱", "钩", "技", "术"} <= common
    assert all(ord(c) in charmap for c in common)
    assert all(ord(c) in charmap for c in "、。，：；（）《》「」【】“”…—")


def test_the_character_list_is_what_the_font_holds(charmap):
    listed = make_subset.read_characters(make_subset.CHARACTERS)
    assert {ord(c) for c in listed} | set(range(0x20, 0x7F)) == set(charmap)


def test_the_web_font_is_woff2_and_small_enough():
    data = fonts.woff2_bytes()
    assert data[:4] == b"wOF2"
    assert fonts.TTF.read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType outlines
    # a phone fetches the WOFF2 once a year; matplotlib reads the TTF (each under 2 MB)
    assert len(data) < 1_000_000 and fonts.TTF.stat().st_size < 2_000_000
    assert len(fonts.woff2_version()) == 12


def test_the_licence_comes_with_the_font():
    text = (fonts.TTF.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text and "Adobe" in text


def test_the_font_files_are_package_data():
    """What setuptools ships: every file of model/fonts that is not Python matches the package
    data (a wheel built from this tree was listed by hand: model/fonts/README.md, "Where it is used")."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "decouple.fonts" in config["packages"]
    patterns = config["package-data"]["decouple.fonts"]
    data = [p.name for p in (ROOT / "model" / "fonts").iterdir() if p.is_file() and p.suffix != ".py"]
    assert {fonts.TTF.name, fonts.WOFF2.name, "OFL.txt"} <= set(data)
    assert [name for name in data if not any(fnmatch(name, pattern) for pattern in patterns)] == []


def _draw(text: str, rc: dict) -> tuple[np.ndarray, list[str]]:
    """``text`` drawn in a small figure under ``rc``; the image and matplotlib's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with plt.rc_context(rc):
            fig = plt.figure(figsize=(2, 1), dpi=50)
            fig.text(0.05, 0.3, text, fontsize=20)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")  # outside the context, as the debrief's figure_png does
        plt.close(fig)
    buffer.seek(0)
    return plt.imread(buffer), [str(w.message) for w in caught]


def test_matplotlib_draws_chinese_with_the_shipped_font(charmap):
    assert ord("脱") in charmap and ord("钩") in charmap
    rc = fonts.rc()
    assert rc["font.family"][-1] == fonts.FAMILY
    assert any(f.fname == str(fonts.TTF) for f in matplotlib.font_manager.fontManager.ttflist)
    shown, said = _draw("脱钩", rc)
    other, _ = _draw("技术", rc)
    assert not [w for w in said if "missing from font" in w]
    assert not np.array_equal(shown, other)  # two words, two drawings
    # without the font, DejaVu Sans has no CJK glyph: the warning, and the same boxes for both words
    boxes, said = _draw("脱钩", {"font.family": ["DejaVu Sans"]})
    same_boxes, _ = _draw("技术", {"font.family": ["DejaVu Sans"]})
    assert any("Glyph 33073" in w and "missing from font" in w for w in said)
    assert np.array_equal(boxes, same_boxes) and not np.array_equal(boxes, shown)


def test_latin_text_keeps_the_figures_own_font():
    rc = fonts.rc(["DejaVu Sans"])
    assert rc == {"font.family": ["DejaVu Sans", fonts.FAMILY]}
    plain, said = _draw("Open baseline", rc)
    before, _ = _draw("Open baseline", {"font.family": ["DejaVu Sans"]})
    assert said == [] and np.array_equal(plain, before)
