"""Texts built from a catalogue template and values, told in whichever language is current.

A label such as "Compliance with US controls, Japan" is made once, in English, where the outcome
registry is built; a figure drawn in Chinese later needs the same words in Chinese. A
:class:`Phrase` is that English text (it *is* a ``str``: files, tables and tests read it as
before) that keeps its template and values, so that :func:`tr` can translate the template
(``model/locale/*.po``) and each value, in the language of the current context
(:mod:`decouple.i18n`)::

    label = Phrase(N_("Compliance with US controls, {country}"), country="Japan")
    str(label)            # 'Compliance with US controls, Japan', in every language
    with language("zh"):
        tr(label)         # '对美国管制的遵从度：日本'

A plain string given to :func:`tr` is looked up in the catalogue as it is (a label marked with
``N_`` where it is defined).
"""

from __future__ import annotations

import textwrap
import unicodedata
from typing import Any

from .i18n import gettext


def _rebuild(template: str, values: dict[str, Any]) -> Phrase:
    return Phrase(template, **values)


class Phrase(str):
    """English text made from ``template.format(**values)`` that remembers both (see the module)."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Phrase:
        self = super().__new__(cls, template.format(**values))
        self.template = template
        self.values = values
        return self

    def __reduce__(self):  # a str subclass with attributes: pickled by its parts
        return _rebuild, (self.template, self.values)

    def but(self, **values: Any) -> Phrase:
        """The same template with some values replaced."""
        return Phrase(self.template, **{**self.values, **values})


def tr(text: Any) -> Any:
    """``text`` in the current language: a :class:`Phrase` by its translated template and values,
    a string by the catalogue (itself where the catalogue lacks it); anything else as it is."""
    if isinstance(text, Phrase):
        values = {key: tr(value) if isinstance(value, str) else value for key, value in text.values.items()}
        return gettext(text.template).format(**values)
    if isinstance(text, str) and text:
        return gettext(text)
    return text


def text_width(text: str) -> int:
    """The width of ``text`` in Latin characters: a Chinese character (East Asian wide or
    full-width) takes about two, in a terminal as in a figure."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


#: characters a line of Chinese must not begin with (they close what comes before them)
_NO_LINE_START = set("，。、；：？！）》」』】…%,.;:?!)")


def wrap_lines(text: str, width: int, **options: Any) -> list[str]:
    """``text`` on lines at most ``width`` wide (:func:`text_width`). Text with Chinese in it,
    which has no spaces to break at, breaks between characters; other text as ``textwrap.wrap``
    breaks it (with its ``options``)."""
    if text_width(text) == len(text):
        return textwrap.wrap(text, width, **options)
    out = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if line and text_width(line + char) > width and char not in _NO_LINE_START:
                out.append(line.rstrip())
                line = char.lstrip()
            else:
                line += char
        out.append(line)
    return out


def padded(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` columns of a terminal (on the left with ``right``)."""
    pad = " " * max(0, width - text_width(text))
    return pad + text if right else text + pad
