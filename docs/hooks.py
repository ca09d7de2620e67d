"""MkDocs hooks of the documentation site (mkdocs.yml, `hooks:`).

GitHub starts a list right after a paragraph line ("It writes:" then "- a file"); Python-Markdown,
which MkDocs uses, needs a blank line first and would print the items as one paragraph. The pages
are written for both readers, so this hook gives Python-Markdown the blank line at build time,
outside code blocks, and changes no file.
"""

from __future__ import annotations

import re

LIST_ITEM = re.compile(r"([-*+]|\d{1,3}[.)]) \S")
FENCE = re.compile(r"\s*(```|~~~)")
NOT_A_PARAGRAPH = re.compile(r"\s|[|#>]|<|$")  # indented or continuation text, a table, heading, quote, HTML


def blank_line_before_lists(markdown: str) -> str:
    out: list[str] = []
    fenced = False
    previous = ""
    for line in markdown.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        elif (
            not fenced
            and LIST_ITEM.match(line)
            and not LIST_ITEM.match(previous)
            and not NOT_A_PARAGRAPH.match(previous)
        ):
            out.append("")
        out.append(line)
        previous = line
    return "\n".join(out)


def on_page_markdown(markdown: str, **kwargs) -> str:
    return blank_line_before_lists(markdown)
