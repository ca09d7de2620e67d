"""The classroom app's "Source 原文" panel (issue 22): under the live levers, one closed panel
(a button opens it: click, Enter or Space; its entries are drawn only while it is open) with a
list of the levers, each with its own disclosure of the passages of the source documents its help
cites, in Chinese and in the project's English, with document and section
(:func:`decouple.passages.html`, drawn as the role-play draws them; ``sources.css`` of the
role-play's pages lays them out: stacked in the levers' narrow column).

Closed, the panel is one line under the switches, so the levers keep their places on a 1280×800
projector; opened, it scrolls within the levers' column. The Chinese is drawn in the font that
ships with decouple (:mod:`decouple.fonts`), which Solara serves from the fonts' folder as an asset:
a machine without a CJK font shows characters, not boxes.
"""

from __future__ import annotations

from html import escape
from importlib import resources

import solara
import solara.server.settings

from .. import fonts, passages
from ..i18n import current
from ..i18n import gettext as _

# Solara serves the files of its asset folders at static/assets/: the shipped font's among them
if str(fonts.WOFF2.parent) not in solara.server.settings.assets.extra_locations:
    solara.server.settings.assets.extra_locations.append(str(fonts.WOFF2.parent))

#: the shipped font (declared as play.css declares it for the role-play's pages), the role-play's
#: style sheet for the passages, and the panel's own lines
FONT_FACE = f"""
@font-face {{
  font-family: "{fonts.FAMILY}"; font-style: normal; font-weight: 400; font-display: swap;
  src: local("Noto Sans SC Regular"), local("NotoSansSC-Regular"), local("Noto Sans CJK SC Regular"),
       local("NotoSansCJKsc-Regular"), url("static/assets/{fonts.WOFF2_NAME}") format("woff2");
  unicode-range: U+2E80-2FDF, U+3000-303F, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FE10-FE1F, U+FE30-FE4F,
                 U+FF00-FFEF;
}}
"""
CSS = (
    FONT_FACE
    + resources.files("decouple.play.pages").joinpath("sources.css").read_text(encoding="utf-8")
    + """
.classroom .lever-sources { margin-top: 10px; font-size: 14px; font-family: Roboto, "Noto Sans SC", sans-serif; }
.classroom .lever-sources .lever-sources-toggle { font-weight: bold; color: #1565c0; text-transform: none;
  letter-spacing: normal; padding: 0 4px; }
.classroom .lever-sources .lever-source { margin: 6px 0 0 10px; }
.classroom .lever-sources .lever-source-name { font-weight: 600; }
.classroom .lever-sources .passage-zh blockquote { font-family: "Noto Sans SC", sans-serif; }
"""
)


def panel_html(levers: list) -> tuple[str, str]:
    """The panel's title and its entries: one per lever (its label, and the disclosure of its
    passages); levers whose help cites nothing the project has a passage for are left out ('' for
    the entries when none has)."""
    entries = []
    for lever in levers:
        found = passages.passages_for(lever.help, strict=False)
        if found:
            entries.append(
                f'<div class="lever-source" data-lever="{escape(lever.name)}">'
                f'<div class="lever-source-name">{escape(lever.label)}</div>{passages.html(found, lever.label)}</div>'
            )
    title = escape(_("Sources of the levers, in the original"))
    if current() != "zh-Hans":
        title += ' <span lang="zh-Hans">原文</span>'
    return title, "".join(entries)


@solara.component
def LeverSources(model):
    """The panel for ``model``'s levers: a button (click, Enter or Space) that opens and closes it;
    the entries are drawn only while it is open. Made once per model and language: it does not
    change as the model steps, so what is open stays open."""
    lang = current()
    title, entries = solara.use_memo(lambda: panel_html(model.levers()), [model, lang])
    shown, set_shown = solara.use_state(False)
    solara.Style(CSS)
    if not entries:
        return
    with solara.Div(classes=["lever-sources"]):
        solara.Button(
            children=[solara.HTML(tag="span", unsafe_innerHTML=("▾ " if shown else "▸ ") + title)],
            on_click=lambda: set_shown(not shown),
            text=True,
            classes=["lever-sources-toggle"],
            attributes={"aria-expanded": "true" if shown else "false"},
        )
        if shown:
            solara.HTML(tag="div", unsafe_innerHTML=entries, classes=["lever-sources-list"])
