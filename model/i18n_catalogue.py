"""Keeping the catalogues whole: extract every user-facing string and update both languages.

``python -m decouple.i18n_catalogue update`` (``make i18n``) reads ``babel.cfg``, extracts the
strings of the Python code (``_``/``gettext``/``N_``…), the pages' scripts (``t``), the pages'
HTML (their text and their ``title``/``placeholder``/``aria-label``/``alt`` attributes) and the
chosen keys of the seed files, and adds what is new to ``model/locale/*.po``
(English entries get their own text; Chinese ones are left empty for a translator).
``python -m decouple.i18n_catalogue check`` lists what is missing or untranslated, as
``tests/test_i18n.py`` does.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from . import i18n

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "babel.cfg"
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[sdfr]|%[sdfr]")


def extract_toml(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for TOML seed files: the string values (or lists of strings) of the keys
    named in the mapping's ``keys`` option, wherever they are in the file."""
    wanted = set(str(options.get("keys", "")).split())
    text = fileobj.read().decode("utf-8")
    data = tomllib.loads(text)

    def walk(node, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in wanted and isinstance(value, str):
                    yield f"{path}.{key}".lstrip("."), value
                elif key in wanted and isinstance(value, list) and all(isinstance(v, str) for v in value):
                    for v in value:
                        yield f"{path}.{key}".lstrip("."), v
                else:
                    yield from walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk(item, f"{path}[{i}]")

    for where, value in walk(data, ""):
        if value.strip():
            line = text[: max(text.find(value.splitlines()[0]), 0)].count("\n") + 1
            yield line, "gettext", value, [where]


class _Visible(HTMLParser):
    """The text a reader of a page sees or hears: text nodes outside script/style, and the
    attributes read aloud or shown on hover."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and value.strip():
                self.found.append((self.getpos()[0], value.strip()))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if not self._skip and text and re.search(r"[A-Za-z]", text):
            self.found.append((self.getpos()[0], text))


def extract_html(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for the pages' HTML: every visible text node and visible attribute."""
    parser = _Visible()
    parser.feed(fileobj.read().decode("utf-8"))
    for line, text in parser.found:
        yield line, "gettext", text, []


def extract(root: Path = ROOT) -> Catalog:
    """Every string the project shows, as a catalogue template (msgid → where it comes from)."""
    with CONFIG.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    template = Catalog(domain=i18n.DOMAIN, project="decouple")
    # the pages' scripts translate with t(); in Python, t is an ordinary name
    for scripts, keywords in ((True, {"t": None}), (False, PYTHON_KEYWORDS)):
        mapping = [(pattern, method) for pattern, method in method_map if (method == "javascript") == scripts]
        for filename, lineno, message, comments, context in extract_from_dir(
            str(root), mapping, options_map, keywords=keywords, comment_tags=("i18n:",), strip_comment_tags=True
        ):
            template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


PYTHON_KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def read(lang: str) -> Catalog:
    path = i18n.po_path(lang)
    if not path.exists():
        return Catalog(locale=i18n.LANGUAGES[i18n.normalise(lang)], domain=i18n.DOMAIN, project="decouple")
    with path.open("rb") as fh:
        return read_po(fh, locale=i18n.LANGUAGES[i18n.normalise(lang)], domain=i18n.DOMAIN)


def _ids(message) -> tuple:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def problems(template: Catalog | None = None) -> list[str]:
    """What is wrong with the catalogues: a string the project shows that a catalogue lacks or
    leaves untranslated, a fuzzy entry, placeholders that differ from the English."""
    template = template or extract()
    out: list[str] = []
    for lang in i18n.LANGUAGES:
        cat = read(lang)
        for message in template:
            if not message.id:
                continue
            have = cat.get(message.id, context=message.context)
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
            label = f"{i18n.po_path(lang).relative_to(ROOT)}: {str(_ids(message)[0])[:70]!r} ({where})"
            if have is None:
                out.append(f"missing from {label}")
                continue
            strings = [
                str(s or "") for s in (have.string if isinstance(have.string, (tuple, list)) else (have.string,))
            ]
            if not all(strings):
                out.append(f"untranslated in {label}")
            elif have.fuzzy:
                out.append(f"fuzzy in {label}")
            else:
                want = set(PLACEHOLDER.findall(str(_ids(message)[0])))
                for s in strings:
                    if set(PLACEHOLDER.findall(s)) != want:
                        out.append(f"placeholders differ in {label}: {sorted(want)} against {s[:70]!r}")
    return out


def update(template: Catalog | None = None) -> dict[str, int]:
    """Add what is new to both catalogues, mark what the code no longer shows obsolete; returns
    each language's entry count."""
    counts = {}
    for lang in i18n.LANGUAGES:
        cat = read(lang)
        # a fresh template each time: Catalog.update shares the template's messages
        cat.update(extract() if template is None else copy.deepcopy(template), no_fuzzy_matching=True)
        if lang == "en":
            for message in cat:
                if message.id and not message.string:
                    message.string = message.id
                elif isinstance(message.id, tuple) and not all(message.string or ()):  # a plural: both its forms
                    message.string = message.id
        path = i18n.po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, cat, width=100, omit_header=False, sort_output=False, ignore_obsolete=True)
        counts[lang] = sum(1 for m in cat if m.id)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m decouple.i18n_catalogue", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("update", "check"))
    args = parser.parse_args(argv)
    if args.action == "update":
        for lang, n in update().items():
            print(f"{i18n.po_path(lang).relative_to(ROOT)}: {n} entries")
        return 0
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
