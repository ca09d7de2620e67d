"""Rebuild the Chinese font this folder ships: a subset of Noto Sans SC Regular (SIL OFL 1.1).

Run from the repository's root (fontTools and brotli are needed only here, never at run time)::

    .venv/bin/pip install '.[fonts]'                 # fontTools with WOFF2 (brotli)
    .venv/bin/python -m decouple.fonts.make_subset   # fetches the source font with `npm pack`
    .venv/bin/python -m decouple.fonts.make_subset --source NotoSansSC_400Regular.ttf --extra ../shared/seeds

The characters kept are the union of
- the ASCII and Latin-1 printable characters, general punctuation, CJK symbols and punctuation,
  and the full-width forms (:data:`BLOCKS`);
- the 3,755 characters of GB 2312 level 1, the common characters of simplified Chinese
  (:func:`gb2312_level1`), so that translations into Chinese find their characters;
- every character that is not ASCII in the text files of :data:`SCANNED` (the citations of the
  evidence, the role-play's passages, and the message catalogues as they come);
- the text files of each ``--extra`` folder (the source documents were given once this way);
- the characters the last build kept (:data:`CHARACTERS`), so that a rebuild never loses one.

Characters the source font lacks are reported and left out. The subset drops hinting and the
vertical metrics (the pages write horizontally), and keeps the copyright and licence names.
:func:`build` writes the TrueType file (for matplotlib), the WOFF2 file (for the pages) and
:data:`CHARACTERS`; the output is the same bytes for the same source, characters and fontTools.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
#: where the source font comes from: the npm package of Google Fonts' Noto Sans SC files, its
#: regular weight (the whole font: 30,898 glyphs, 10.6 MB), checked by its SHA-256
SOURCE_PACKAGE = "@expo-google-fonts/noto-sans-sc@0.4.3"
SOURCE_MEMBER = "package/400Regular/NotoSansSC_400Regular.ttf"
SOURCE_SHA256 = "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16"
#: the files written (names without "Source", the font's Reserved Font Name under the OFL)
TTF_NAME = "NotoSansSC-Regular-subset.ttf"
WOFF2_NAME = "NotoSansSC-Regular-subset.woff2"
CHARACTERS = HERE / "characters.txt"
#: folders of the repository whose text files are scanned for characters
SCANNED = ("seeds", "scenarios", "model", "docs")
#: Unicode ranges kept whole (where the font has them), inclusive
BLOCKS = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 punctuation and letters
    (0x2010, 0x2027),  # dashes, quotation marks, ellipsis
    (0x2030, 0x203B),  # per mille, primes, reference mark
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、。《》「」【】
    (0xFE10, 0xFE19),  # vertical forms
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF01, 0xFF60),  # full-width ASCII forms: （），：；
    (0xFFE0, 0xFFE6),  # full-width signs
)
#: file names that are never text (the fonts themselves, images, data)
BINARY = {".ttf", ".otf", ".woff", ".woff2", ".png", ".jpg", ".svg", ".parquet", ".pyc", ".mo", ".gz", ".zip"}


def gb2312_level1() -> set[str]:
    """The 3,755 hanzi of GB 2312 level 1 (rows 16-55, bytes 0xB0A1-0xD7F9), decoded by Python's
    ``gb2312`` codec: the common characters of simplified Chinese, in pinyin order."""
    out = set()
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                out.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # the five unused places at the end of row 55
    return out


def text_characters(folders: list[Path]) -> set[str]:
    """The characters above ASCII in every UTF-8 text file under ``folders`` (others are skipped)."""
    out: set[str] = set()
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
        for path in files:
            if path.suffix.lower() in BINARY or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            out.update(c for c in text if ord(c) > 0x7F and c.isprintable())
    return out


def repo_characters(root: Path = ROOT) -> set[str]:
    """The characters above ASCII that the repository's :data:`SCANNED` folders use."""
    return text_characters([root / name for name in SCANNED if (root / name).exists()])


def read_characters(path: Path = CHARACTERS) -> set[str]:
    """The characters of a list written by :func:`write_characters` (lines starting with # are notes)."""
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {c for line in lines if not line.startswith("#") for c in line}


def write_characters(chars: set[str], path: Path = CHARACTERS) -> None:
    above = sorted(c for c in chars if ord(c) > 0x7F)
    lines = [
        "# The characters above ASCII in the font subset of this folder (printable ASCII is always in it),",
        "# in code-point order, 50 a line. Written by make_subset.py; a rebuild keeps every one of them.",
    ]
    lines += ["".join(above[i : i + 50]) for i in range(0, len(above), 50)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wanted(extras: list[Path], root: Path = ROOT) -> set[str]:
    """Every character the subset should hold (before checking the source font has it)."""
    chars = {chr(c) for lo, hi in BLOCKS for c in range(lo, hi + 1)}
    chars |= gb2312_level1() | repo_characters(root) | text_characters(extras) | read_characters()
    return chars


def fetch_source(folder: Path) -> Path:
    """The source font from the npm registry (``npm pack``), checked against :data:`SOURCE_SHA256`."""
    try:
        done = subprocess.run(
            ["npm", "pack", SOURCE_PACKAGE, "--silent"], cwd=folder, check=True, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"make_subset: `npm pack {SOURCE_PACKAGE}` failed ({exc}); give the font with --source FILE")
    with tarfile.open(folder / done.stdout.strip().splitlines()[-1]) as tar:
        tar.extract(SOURCE_MEMBER, folder, filter="data")
    return folder / SOURCE_MEMBER


def build(source: Path, chars: set[str], out: Path = HERE) -> dict[str, object]:
    """Subset ``source`` to ``chars`` and write :data:`TTF_NAME`, :data:`WOFF2_NAME` and
    :data:`CHARACTERS` into ``out``; returns what was kept, missed and written."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.hinting = False  # today's renderers draw CJK well without it; a third smaller
    options.drop_tables += ["BASE", "STAT", "vhea", "vmtx", "VORG"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # names, copyright, licence and its address
    options.name_languages = [0x0409]
    options.notdef_outline = True
    font = subset.load_font(str(source), options, dontLoadGlyphNames=True)
    font.recalcTimestamp = False  # the same bytes for the same input
    has = set(font.getBestCmap())
    kept = {c for c in chars if ord(c) in has}
    missing = sorted(set(chars) - kept)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in kept])
    subsetter.subset(font)
    kept = {chr(c) for c in font.getBestCmap()}  # what the font maps, as written to the list
    out.mkdir(parents=True, exist_ok=True)
    font.flavor = None
    font.save(out / TTF_NAME)
    woff2 = TTFont(out / TTF_NAME, recalcTimestamp=False)
    woff2.flavor = "woff2"
    woff2.save(out / WOFF2_NAME)
    write_characters(kept, out / CHARACTERS.name)
    return {
        "kept": kept,
        "missing": missing,
        "glyphs": len(font.getGlyphOrder()),
        "sizes": {name: (out / name).stat().st_size for name in (TTF_NAME, WOFF2_NAME)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make_subset", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help=f"Noto Sans SC's regular TTF (default: npm pack {SOURCE_PACKAGE})")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="a folder or file of text to cover")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the fonts (default: this folder)")
    args = parser.parse_args(argv)
    for path in [*args.extra, *([args.source] if args.source else [])]:
        if not path.exists():
            parser.error(f"{path}: no such file or folder")
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or fetch_source(Path(tmp))
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != SOURCE_SHA256:
            print(f"make_subset: {source} is not the font of {SOURCE_PACKAGE} (SHA-256 {digest}); subsetting it anyway")
        result = build(source, wanted(args.extra), args.out)
    kept, missing = result["kept"], result["missing"]
    assert isinstance(kept, set) and isinstance(missing, list)
    hanzi = sum(1 for c in kept if 0x3400 <= ord(c) <= 0x9FFF)
    print(f"kept {len(kept)} characters ({hanzi} hanzi) in {result['glyphs']} glyphs; sizes: {result['sizes']}")
    if missing:
        print(f"not in the source font, left out ({len(missing)}): {''.join(missing)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
