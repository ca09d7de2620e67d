"""The source documents in the original: the passage each citation of the project points to.

The levers' help texts, the role-play's objectives, briefings and debrief, and the mechanisms'
docstrings cite the five source documents by short code and section, the document's own heading
numbers: ``S1 一(一)``, ``S2 三(二)``, ``S0 深层动因``, ``S0 长期趋势, limit 3``, ``S3 2.2.2``,
``S4 五(4)`` (seeds/README.md, "How sources are cited"). ``seeds/passages.toml`` holds, for each
section cited, the Chinese passage the rule rests on, copied from the document, and the project's
English rendering, with the document and the section's headings as the document gives them.

:func:`citations` finds the citations in a text (a lever's help, an objective's source, a
mechanism's docstring) in the forms the project writes them; :func:`passages_for` returns their
passages. A text that cites a mechanism (``M13``) and no document gets the passages of that
mechanism's ``Sources:``. The documents themselves are not part of the project (only the passages
are); :func:`documents_dir` finds them where the design repository keeps them, for the tests that
check every passage against its document.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from .errors import EvidenceError
from .i18n import current
from .i18n import gettext as _
from .paths import evidence_dir, project_root
from .tomlfiles import read_toml

PASSAGES_FILE = "passages.toml"
#: what separates the pieces of one passage taken from the same section (a Chinese ellipsis)
GAP = "……"
#: the environment variable that names the folder of the source documents
DOCUMENTS_ENV = "DECOUPLE_SOURCES"
DOCUMENT_CODES = ("S0", "S1", "S2", "S3", "S4")

_CN_NUMERALS = "一二三四五六七八九十"
#: S0's five channels (中美科技关系嬗变: 一是技术 … 五是人才), by the numeral a citation may give alone
S0_CHANNELS = {"一": "一是技术", "二": "二是数据", "三": "三是资金", "四": "四是市场", "五": "五是人才"}
S0_NAMES = ("中美科技关系嬗变", "深层动因", "长期趋势", "三个局限")
_ORDINALS = {"first": 1, "second": 2, "third": 3}
#: sections whose parts the document numbers 一是 … 五是 (no headings in parentheses): the project
#: writes those parts with digits, 五(4), and a citation written 五(四) means the same part
DIGIT_PARTS = {"S4": "三四五"}

_LIMIT = r"(?:\s*,?\s*(?:limits?\s*(?P<lo>\d)(?:\s*-\s*(?P<hi>\d))?|(?P<ord>first|second|third)\s+limit))"
_S0_TOKEN = re.compile(
    r"(?:(?P<name>" + "|".join(S0_NAMES) + r"|[一二三四五]是(?:技术|数据|资金|市场|人才)"
    r"|[一二三四五](?![\u4e00-\u9fff]))" + _LIMIT + r"?|" + _LIMIT.replace("?P<", "?P<b") + r")"
)
_SUB = r"\(\s*([" + _CN_NUMERALS + r"]|\d)\s*\)"
_NUMBERED_TOKEN = re.compile(
    r"(?P<top>[" + _CN_NUMERALS + r"])(?![\u4e00-\u9fff])(?:\s*" + _SUB + r"(?:\s*-\s*" + _SUB + r")?)?"
)
_S3_NUMBER = r"\d(?:\.\d)+|\d\(\d\)|\d(?![\d.(])"
_S3_TOKEN = re.compile(r"(?P<num>" + _S3_NUMBER + r")(?:\s*-\s*(?P<last>" + _S3_NUMBER + r"))?")
_SEPARATOR = re.compile(r"\s*(?:,|、|&|\band\b)\s*")
#: full-width punctuation a translated text may use, read as its ASCII form
_FULL_WIDTH = str.maketrans({"；": ";", "：": ":", "（": "(", "）": ")", "，": ",", "、": ","})
_DOC = re.compile(r"(?<![A-Za-z0-9])S([0-4])(?![A-Za-z0-9])")
_MECHANISM = re.compile(r"(?<![A-Za-z0-9])M(\d{1,2})(?![0-9])")


class PassageError(EvidenceError):
    """seeds/passages.toml is missing a value or has a bad one, or a citation has no passage."""


@dataclass(frozen=True)
class Document:
    """One of the five source documents."""

    code: str  # "S0" … "S4"
    file: str  # its file name in the design repository's shared/seeds/
    sha256: str  # the digest of the file the passages were copied from
    title: str  # its title as the document gives it
    title_en: str  # the title in English (the project's rendering)
    source_en: str  # authors, venue and year, in English
    lang: str  # the language tag of its text: "zh-Hans", or "zh-Hant" for S1 (traditional characters)
    headings: tuple[tuple[int, str], ...]  # (depth, heading as in the document), in the document's order


@dataclass(frozen=True)
class Passage:
    """The passage a citation points to: the Chinese as the document has it, the project's English."""

    cite: str  # the citation, in the project's canonical form ("S1 一(一)", "S0 长期趋势 limit 3")
    document: Document
    section: tuple[str, ...]  # the section's headings as in the document, outermost first
    section_en: str  # the section in English
    zh: str  # the Chinese passage, verbatim (pieces of one section joined by GAP)
    en: str  # the project's English rendering

    def public(self) -> dict[str, Any]:
        """What the pages show (JSON)."""
        return {
            "cite": self.cite,
            "document": self.document.code,
            "title": self.document.title,
            "title_en": self.document.title_en,
            "source_en": self.document.source_en,
            "lang": self.document.lang,
            "section": list(self.section),
            "section_en": self.section_en,
            "zh": self.zh,
            "en": self.en,
        }


# ---------------------------------------------------------------------------------- citations
def _number(text: str) -> int:
    return _CN_NUMERALS.index(text) + 1 if text in _CN_NUMERALS else int(text)


def _like(number: int, example: str) -> str:
    """``number`` written as ``example`` is (a Chinese numeral or a digit)."""
    return _CN_NUMERALS[number - 1] if example in _CN_NUMERALS else str(number)


def _surface(text: str, start: int) -> str:
    """The text after a document code up to where its citation ends (``;``, ``:``, a dash, the next
    document, the parenthesis that encloses it), with glosses in parentheses left out; a section's
    own parentheses (``(一)``, ``(4)``) are kept."""
    out: list[str] = []
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if ch == "(":
            close = re.match(_SUB, text[i:])
            if close:  # a section number in parentheses
                out.append(close.group(0))
                i += close.end()
                continue
            depth = 0
            while i < n:  # a gloss: skipped with everything nested in it
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
            out.append(" ")
            continue
        if ch in ");:—" or (ch == "S" and _DOC.match(text, i)):
            break
        out.append(ch)
        i += 1
    return "".join(out)


def _s0_keys(m: re.Match) -> list[str]:
    named = m.group("name")
    prefix = "" if named else "b"  # a limit with no section ("S0 limit 3") is the long-term trend's
    lo, hi, ordinal = (m.group(prefix + g) for g in ("lo", "hi", "ord"))
    name = S0_CHANNELS.get(named, named) if named else "长期趋势"
    if ordinal:
        limits = [_ORDINALS[ordinal]]
    elif lo:
        limits = list(range(int(lo), int(hi or lo) + 1))
    else:
        return [f"S0 {name}"]
    return [f"S0 {name} limit {k}" for k in limits]


def _numbered_keys(code: str, m: re.Match) -> list[str]:
    top, first, last = m.group("top"), m.group(2), m.group(3)
    if first is None:
        return [f"{code} {top}"]
    numbers = range(_number(first), _number(last or first) + 1)
    digits = top in DIGIT_PARTS.get(code, "")
    return [f"{code} {top}({k if digits else _like(k, first)})" for k in numbers]


def _s3_keys(m: re.Match) -> list[str]:
    first, last = m.group("num"), m.group("last")
    if last is None:
        return [f"S3 {first}"]
    ends = [re.fullmatch(r"(.*?)(\d)\)?", x) for x in (first, last)]
    if ends[0] is None or ends[1] is None or ends[0].group(1) != ends[1].group(1):  # not siblings: the two ends only
        return [f"S3 {first}", f"S3 {last}"]
    head, tail = ends[0].groups(), ends[1].groups()
    close = ")" if first.endswith(")") else ""
    return [f"S3 {head[0]}{k}{close}" for k in range(int(head[1]), int(tail[1]) + 1)]


def citations(text: str) -> list[str]:
    """The citations of the source documents in ``text``, in canonical form and in order, each
    once: ``"S1 一(三) (tariffs), 一(二)"`` gives ``["S1 一(三)", "S1 一(二)"]``; ``"S4 五(1)-(2)"``
    gives ``["S4 五(1)", "S4 五(2)"]``; ``"S0 长期趋势, third limit"`` and ``"S0 limit 3"`` give
    ``["S0 长期趋势 limit 3"]``; ``"S0 五"`` gives ``["S0 五是人才"]``."""
    found: list[str] = []
    text = (text or "").translate(_FULL_WIDTH)
    for doc in _DOC.finditer(text):
        code = f"S{doc.group(1)}"
        rest = _surface(text, doc.end())
        pos, keys = 0, []
        while True:
            gap = re.match(r"\s*", rest[pos:])
            at = pos + (gap.end() if gap else 0)
            if code == "S0":
                m = _S0_TOKEN.match(rest, at)
                new = _s0_keys(m) if m and m.group(0).strip() else []
            elif code == "S3":
                m = _S3_TOKEN.match(rest, at)
                new = _s3_keys(m) if m else []
            else:
                m = _NUMBERED_TOKEN.match(rest, at)
                new = _numbered_keys(code, m) if m else []
            if not new or m is None:
                break
            keys += new
            sep = _SEPARATOR.match(rest, m.end())
            if not sep:
                break
            pos = sep.end()
        found += [k for k in keys if k not in found]
    return found


def mechanisms_cited(text: str) -> list[int]:
    """The mechanisms a text names (``M13``, ``M1``), in order."""
    out: list[int] = []
    for m in _MECHANISM.finditer(text or ""):
        if int(m.group(1)) not in out:
            out.append(int(m.group(1)))
    return out


@cache
def mechanism_sources() -> dict[int, str]:
    """Each numbered mechanism's ``Sources:`` paragraph, from the modules' docstrings (read, not
    imported)."""
    folder = Path(__file__).parent / "mechanisms"
    out: dict[int, str] = {}
    for path in sorted(folder.glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        sources = next((p for p in doc.split("\n\n") if p.lstrip().startswith("Sources:")), "")
        if path.name == "__init__.py" or not sources:
            continue
        # the mechanism's title: "M1 Export controls, and ... (M11 yard and fence)"
        for number in mechanisms_cited(re.split(r" — |: ", doc.split("\n\n")[0], maxsplit=1)[0]):
            out.setdefault(number, sources)
    return out


# ---------------------------------------------------------------------------------- the data
def _text(origin: str, table: dict, key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PassageError(f"{origin}: {key} = {value!r}; allowed: a non-empty string")
    return value.strip()


def _lang(where: str, value: Any) -> str:
    if value not in ("zh-Hans", "zh-Hant"):
        raise PassageError(f"{where}: lang = {str(value)[:40]!r}; allowed: 'zh-Hans', 'zh-Hant'")
    return str(value)


def _document(origin: str, code: str, raw: Any) -> Document:
    if not isinstance(raw, dict):
        raise PassageError(f"{origin}: documents.{code} is {type(raw).__name__}; allowed: a table")
    where = f"{origin}: documents.{code}"
    headings = raw.get("headings")
    if not isinstance(headings, list) or not all(
        isinstance(h, list) and len(h) == 2 and isinstance(h[0], int) and isinstance(h[1], str) and h[1].strip()
        for h in headings
    ):
        raise PassageError(f"{where}: headings = {str(headings)[:80]}; allowed: a list of [depth, heading]")
    sha = _text(where, raw, "sha256")
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise PassageError(f"{where}: sha256 = {sha[:80]!r}; allowed: 64 lower-case hex digits")
    return Document(
        code=code,
        file=_text(where, raw, "file"),
        sha256=sha,
        title=_text(where, raw, "title"),
        title_en=_text(where, raw, "title_en"),
        source_en=_text(where, raw, "source_en"),
        lang=_lang(where, raw.get("lang", "zh-Hans")),
        headings=tuple((int(d), str(h)) for d, h in headings),
    )


def load(file: Path | None = None) -> dict[str, Passage]:
    """The passages of ``seeds/passages.toml`` by citation, with clear errors for a bad entry."""
    path = Path(file) if file is not None else evidence_dir() / PASSAGES_FILE
    data = read_toml(path, PassageError)
    origin = str(path)
    raw_docs = data.get("documents")
    if not isinstance(raw_docs, dict) or sorted(raw_docs) != list(DOCUMENT_CODES):
        found = sorted(raw_docs) if isinstance(raw_docs, dict) else raw_docs
        raise PassageError(f"{origin}: documents = {found!r}; allowed: one table each for {', '.join(DOCUMENT_CODES)}")
    docs = {code: _document(origin, code, raw_docs[code]) for code in DOCUMENT_CODES}
    raw = data.get("passages")
    if not isinstance(raw, dict) or not raw:
        raise PassageError(f'{origin}: no [passages."..."] tables; allowed: one per citation')
    out: dict[str, Passage] = {}
    for cite, entry in raw.items():
        where = f'{origin}: passages."{cite}"'
        if citations(cite) != [cite]:
            raise PassageError(
                f"{where}: the key is not one citation in canonical form (it reads as {citations(cite)!r}); "
                "allowed e.g. 'S1 一(一)', 'S0 长期趋势 limit 2', 'S3 2.2.2'"
            )
        if not isinstance(entry, dict):
            raise PassageError(f"{where}: is {type(entry).__name__}; allowed: a table")
        section = entry.get("section")
        if not isinstance(section, list) or not section or not all(isinstance(s, str) and s.strip() for s in section):
            raise PassageError(f"{where}: section = {section!r}; allowed: a list of the section's headings")
        known = {h for _, h in docs[cite[:2]].headings}
        unknown = [s for s in section if s not in known]
        if unknown:
            raise PassageError(f"{where}: section heading {unknown[0]!r} is not among documents.{cite[:2]}.headings")
        out[cite] = Passage(
            cite=cite,
            document=docs[cite[:2]],
            section=tuple(section),
            section_en=_text(where, entry, "section_en"),
            zh=_text(where, entry, "zh"),
            en=_text(where, entry, "en"),
        )
    return out


@cache
def _loaded(path: str) -> dict[str, Passage]:
    return load(Path(path))


def passages() -> dict[str, Passage]:
    """The project's passages (read once per file)."""
    return _loaded(str(evidence_dir() / PASSAGES_FILE))


def passage(cite: str) -> Passage:
    """The passage of one citation (canonical or as the project writes it), or a clear error."""
    keys = citations(cite)
    if len(keys) != 1:
        raise PassageError(f"citation {cite[:80]!r}: reads as {keys!r}; allowed: one citation such as 'S1 一(一)'")
    found = passages().get(keys[0])
    if found is None:
        raise PassageError(f"citation {cite[:80]!r}: no passage in seeds/{PASSAGES_FILE} for {keys[0]!r}")
    return found


def passages_for(text: str, mechanisms: bool = True, strict: bool = True) -> list[Passage]:
    """The passages ``text`` cites, in order. Where it cites no document but names mechanisms
    (``(M13)``) and ``mechanisms`` is true, the passages of those mechanisms' sources. A citation
    with no passage is an error when ``strict`` (the tests check that none of the project's has
    none); the pages pass ``strict=False`` and show the passages there are."""
    keys = citations(text)
    if not keys and mechanisms:
        sources = mechanism_sources()
        for number in mechanisms_cited(text):
            keys += [k for k in citations(sources.get(number, "")) if k not in keys]
    if strict:
        return [passage(k) for k in keys]
    known = passages()
    return [known[k] for k in keys if k in known]


# ---------------------------------------------------------------------------------- on a page
def html(found: list[Passage], subject: str = "", ident: str = "") -> str:
    """A "Source 原文" disclosure (``<details>``: opened by click, Enter or Space) that shows each
    passage in Chinese and in the project's English side by side (stacked on a narrow screen:
    ``sources.css``), each with its document and section; '' when there is none. ``subject``
    (a lever's label, a mechanism) names what the passages are for, for screen readers. The
    words around the passages are translated (``gettext``); the passages are shown in both
    languages whatever the page's. ``ident``: the disclosure's control's id (one per page; default:
    one made from the citations)."""
    if not found:
        return ""
    chinese = current() == "zh-Hans"
    cites = " · ".join(escape(p.cite) for p in found)
    label = _("Source")
    original = "" if chinese else ' <span lang="zh-Hans">原文</span>'
    hidden = _("passages of the source documents, in Chinese and in English, for: {subject}").format(
        subject=subject or cites
    )
    ident = ident or "sources-" + hashlib.sha256(" ".join(p.cite for p in found).encode()).hexdigest()[:10]
    parts = [
        '<details class="sources">',
        f'<summary id="{escape(ident)}"><span class="sources-label">{escape(label)}{original}</span>'
        f'<span class="sr-only"> — {escape(hidden)}</span> <span class="sources-cites">{cites}</span></summary>',
    ]
    for p in found:
        doc = p.document
        section_zh = " › ".join(escape(s) for s in p.section)
        parts.append(
            f'<div class="passage" role="group" aria-label="{escape(p.cite)}" data-cite="{escape(p.cite)}">'
            f'<div class="passage-zh" lang="{doc.lang}">'
            f'<div class="passage-where">{escape(doc.code)}《{escape(doc.title)}》{section_zh}</div>'
            f"<blockquote>{escape(p.zh)}</blockquote></div>"
            f'<div class="passage-en" lang="en">'
            f'<div class="passage-where">{escape(doc.code)}, <cite>{escape(doc.title_en)}</cite> '
            f"({escape(doc.source_en)}): {escape(p.section_en)}</div>"
            f"<blockquote>{escape(p.en)}</blockquote></div>"
            "</div>"
        )
    note = _("The Chinese is quoted from the document; the English is the project's rendering.")
    parts.append(f'<p class="passage-note">{escape(note)}</p>')
    parts.append("</details>")
    return "".join(parts)


# ---------------------------------------------------------------------------------- documents
def documents_dir() -> Path | None:
    """The folder of the five source documents, where there is one: ``$DECOUPLE_SOURCES``, else
    ``shared/seeds`` beside the project's folder (the design repository's layout), else None."""
    named = os.environ.get(DOCUMENTS_ENV)
    candidates = [Path(named)] if named else [project_root().parent / "shared" / "seeds"]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("00*_*.txt")):
            return folder
    return None


def squeeze(text: str) -> str:
    """``text`` without whitespace: how a passage is compared with its document (the documents
    break lines inside sentences and put spaces around punctuation)."""
    return re.sub(r"\s+", "", text)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
