"""The controls of a team's page, one per lever, drawn for every kind a lever can have.

The server draws each control as HTML (:func:`lever_html`); the page's script sets it to the
team's draft and reads it back (``play.js``: ``renderLevers``). Every kind of
:data:`decouple.levers.KINDS` has a control: a slider for a number (``float``, ``int``: its range
and step are the lever's), a switch for ``bool``, a box per sector for ``sectors``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..levers import Lever


def _number(value: Any) -> str:
    return f"{float(value):g}"


def lever_html(
    lever: Lever, value: Any, sectors: list[dict[str, str]], label: str | None = None, help: str | None = None
) -> str:
    """The control of ``lever`` set to ``value``; ``sectors``: ``{"id", "label"}`` of the world's
    sectors, for a set of sectors; ``label`` and ``help``: the lever's in the page's language
    (default: its own). The wrapper carries the lever's path and kind for the script."""
    head = f'<div class="lever" data-path="{escape(lever.path)}" data-kind="{escape(lever.kind)}">'
    shown_label = lever.label if label is None else label
    shown_help = lever.help if help is None else help
    label, help_ = escape(shown_label), f'<div class="muted">{escape(shown_help)}</div>'
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
