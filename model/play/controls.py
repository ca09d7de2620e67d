"""The controls of a team's page, one per lever, drawn for every kind a lever can have.

The server draws each control as HTML (:func:`lever_html`); the page's script sets it to the
team's draft and reads it back (``play.js``: ``renderLevers``). Every kind of
:data:`decouple.levers.KINDS` has a control: a slider for a number (``float``, ``int``: its range
and step are the lever's), a switch for ``bool``, a box per sector for ``sectors``. Under its help,
each control has a "Source 原文" disclosure with the passages its help cites, in Chinese and in
English (:func:`decouple.passages.html`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from .. import passages
from ..i18n import gettext as _
from ..levers import Lever


def _number(value: Any) -> str:
    return f"{float(value):g}"


def lever_html(lever: Lever, value: Any, sectors: list[dict[str, str]]) -> str:
    """The control of ``lever`` set to ``value``; ``sectors``: ``{"id", "label"}`` of the world's
    sectors, for a set of sectors. The wrapper carries the lever's path and kind for the script."""
    head = f'<div class="lever" data-path="{escape(lever.path)}" data-kind="{escape(lever.kind)}">'
    label, help_ = escape(lever.label), f'<div class="muted">{escape(lever.help)}</div>'
    help_ += passages.html(passages.passages_for(lever.help, strict=False), lever.label)
    if lever.kind == "sectors":
        chosen = set(value or [])
        boxes = "".join(
            f'<label><input type="checkbox" value="{escape(s["id"])}" data-sector="{escape(s["id"])}"'
            f"{' checked' if s['id'] in chosen else ''}> {escape(s['label'])}</label>"
            for s in sectors
        )
        return f'{head}<label>{label}</label>{help_}<div class="sectors">{boxes}</div></div>'
    if lever.kind == "bool":
        checked = " checked" if value else ""
        return f'{head}<label><input type="checkbox" data-switch{checked}> {label}</label>{help_}</div>'
    if lever.kind in ("float", "int"):
        rng = f'min="{_number(lever.min)}" max="{_number(lever.max)}" step="{_number(lever.step)}"'
        slider = f'<input type="range" {rng} value="{_number(value)}">'
        return f'{head}<label>{label}<span class="value">{_number(value)}</span></label>{slider}{help_}</div>'
    raise ValueError(f"lever {lever.id}: kind {lever.kind!r} has no control")


def mechanisms_html(rows: list[dict]) -> str:
    """The debrief's mechanisms (``[[debrief]]`` of seeds/roleplay.toml, as
    :func:`decouple.play.teams.debrief_passages` gives them), each with the indicator it moves and
    a "Source 原文" disclosure of the passages it rests on: the team page's list."""
    items = []
    for row in rows:
        mechanism = _(row["mechanism"]) if row["mechanism"] else ""
        found = passages.passages_for(row["passage"], strict=False)
        subject = f"{row['label']}: {mechanism}"
        items.append(
            f'<li data-measure="{escape(row["key"])}"><strong>{escape(row["label"])}</strong> — {escape(mechanism)}'
            f"{passages.html(found, subject)}</li>"
        )
    return f'<ul class="mechanisms">{"".join(items)}</ul>'
