"""Languages as data: the gettext catalogues every user-facing string comes from.

The project speaks English (``en``) and Simplified Chinese (``zh-Hans``). Each language has one
gettext catalogue, ``model/locale/<locale>.po`` (``en.po``, ``zh_Hans.po``), the format translators
and their tools (Poedit, Weblate, Babel) know. The ``.po`` files are the only copy: they are compiled
in memory when first used, so a stale ``.mo`` can never be shipped.

How code uses it
- ``gettext("text")`` (or ``_``) translates into the language of the current context;
  ``ngettext`` for plurals; ``pgettext(context, text)`` where one English word needs two Chinese.
- ``N_("text")`` marks a string for the catalogue where it is defined (a table at module level)
  and leaves it in English; translate it where it is shown, with ``gettext(value)``.
- ``with language("zh"):`` sets the language for the block. The language is a ``ContextVar``, so
  threads and asyncio tasks (the role-play's requests from devices in different languages) each
  keep their own.
- ``catalogue("zh")`` gives the translations as a dict, for the pages' JavaScript.

``make i18n`` extracts the strings (``babel.cfg``) and updates both catalogues;
``tests/test_i18n.py`` fails when a string the code shows is missing from either.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import io
from collections.abc import Iterator
from functools import cache
from pathlib import Path

DOMAIN = "decouple"
LOCALE_DIR = Path(__file__).parent / "locale"
#: the languages users choose from, by the tag the CLI and pages use, with their catalogue's locale
LANGUAGES = {"en": "en", "zh-Hans": "zh_Hans"}
DEFAULT = "en"
#: other spellings users type for the same languages (BCP 47 and POSIX forms)
ALIASES = {
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "en_us": "en",
    "en_gb": "en",
    "english": "en",
    "zh": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh_hans": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh_cn": "zh-Hans",
    "zh-hans-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "chinese": "zh-Hans",
    "中文": "zh-Hans",
}
#: what each language is called in itself, for a language switch
NAMES = {"en": "English", "zh-Hans": "中文"}

_current: contextvars.ContextVar[str] = contextvars.ContextVar("decouple_language", default=DEFAULT)


class UnknownLanguage(ValueError):
    """A language the project has no catalogue for."""


def normalise(tag: str | None) -> str:
    """The project's tag for ``tag`` ('zh', 'zh-CN', 'zh_Hans' → 'zh-Hans'); ``None`` or '' gives the
    default. Raises :class:`UnknownLanguage` naming the value and the languages allowed."""
    if tag is None or str(tag).strip() == "":
        return DEFAULT
    key = str(tag).strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    allowed = ", ".join(sorted({*LANGUAGES, "zh"}))
    raise UnknownLanguage(f"language {str(tag)[:40]!r} is not one of: {allowed}")


def po_path(lang: str) -> Path:
    """The catalogue of a language."""
    return LOCALE_DIR / f"{LANGUAGES[normalise(lang)]}.po"


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (read from its ``.po`` once per process)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    tag = normalise(lang)
    path = po_path(tag)
    if not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as fh:
        cat = read_po(fh, locale=LANGUAGES[tag], domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, cat, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def current() -> str:
    """The language of the current context."""
    return _current.get()


def set_language(lang: str | None) -> str:
    """Set the current context's language (for the rest of the process or task); returns its tag."""
    tag = normalise(lang)
    _current.set(tag)
    return tag


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Set the language for a block, and put the previous one back after it."""
    token = _current.set(normalise(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current language (itself where the catalogue has nothing)."""
    if not message:
        return message
    return translations(_current.get()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current language."""
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, told apart from the same English in another context."""
    return translations(_current.get()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue and leave it untranslated: it is translated where shown."""
    return message


def catalogue(lang: str) -> dict[str, str]:
    """Every translated message of ``lang`` as {English: translation}, for the pages' scripts."""
    from babel.messages.pofile import read_po

    tag = normalise(lang)
    path = po_path(tag)
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=LANGUAGES[tag], domain=DOMAIN)
    out: dict[str, str] = {}
    for message in cat:
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
            out[message.id] = message.string if isinstance(message.string, str) else message.string[0]
    return out
