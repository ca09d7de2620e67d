"""The controls of a team's page, one per lever, drawn for every kind a lever can have.

The server draws each control as HTML (:func:`lever_html`); the page's script sets it to the
team's draft and reads it back (``play.js``: ``renderLevers``). Every kind of
:data:`decouple.levers.KINDS` has a control: a slider for a number (``float``, ``int``: its range
and step are the lever's), a switch for ``bool``, a box per sector for ``sectors``. Under its help,
each control has a "Source 原文" disclosure with the passages its help cites, in Chinese and in
English (:func:`decouple.passages.html`).
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from .. import passages
from ..i18n import gettext as _
from ..levers import Lever


def _number(value: Any) -> str:
    return f"{float(value):g}"


def control_id(path: str) -> str:
    """The id of a lever's control on the page (ids of its name and help add ``-name``, ``-help``):
    ``lever-`` and the lever's path with anything but letters, digits, ``-`` and ``_`` made ``-``."""
    return "lever-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


def lever_html(
    lever: Lever, value: Any, sectors: list[dict[str, str]], label: str | None = None, help: str | None = None
) -> str:
    """The control of ``lever`` set to ``value``; ``sectors``: ``{"id", "label"}`` of the world's
    sectors, for a set of sectors; ``label`` and ``help``: the lever's in the page's language
    (default: its own). The wrapper carries the lever's path and kind for the script.

    For screen readers, each control is named by the lever's label and described by its help
    (``aria-labelledby``, ``aria-describedby``): a slider by the label alone (not the value printed
    beside it, which the slider announces itself), a switch (``role="switch"``) by its label, and
    the boxes of a set of sectors form a group named by the lever."""
    cid = control_id(lever.path)
    name, help_id = f"{cid}-name", f"{cid}-help"
    head = f'<div class="lever" data-path="{escape(lever.path)}" data-kind="{escape(lever.kind)}"'
    shown_label = lever.label if label is None else label
    shown_help = lever.help if help is None else help
    label, help_ = escape(shown_label), f'<div class="muted" id="{help_id}">{escape(shown_help)}</div>'
    # the passages its help cites (the lever's own help: a translation keeps the citations)
    help_ += passages.html(passages.passages_for(lever.help, strict=False), shown_label, f"{cid}-sources")
    if lever.kind == "sectors":
        chosen = set(value or [])
        boxes = "".join(
            f'<label><input type="checkbox" value="{escape(s["id"])}" data-sector="{escape(s["id"])}"'
            f"{' checked' if s['id'] in chosen else ''}> {escape(s['label'])}</label>"
            for s in sectors
        )
        group = f' role="group" aria-labelledby="{name}" aria-describedby="{help_id}">'
        title = f'<div class="name" id="{name}">{label}</div>'
        return f'{head}{group}{title}{help_}<div class="sectors">{boxes}</div></div>'
    if lever.kind == "bool":
        checked = " checked" if value else ""
        switch = f'<input type="checkbox" role="switch" id="{cid}" data-switch aria-describedby="{help_id}"{checked}>'
        return f'{head}><label>{switch} <span id="{name}">{label}</span></label>{help_}</div>'
    if lever.kind in ("float", "int"):
        rng = f'min="{_number(lever.min)}" max="{_number(lever.max)}" step="{_number(lever.step)}"'
        aria = f'id="{cid}" aria-labelledby="{name}" aria-describedby="{help_id}"'
        slider = f'<input type="range" {aria} {rng} value="{_number(value)}">'
        shown = f'<span class="value">{_number(value)}</span>'
        return f'{head}><label for="{cid}"><span id="{name}">{label}</span>{shown}</label>{slider}{help_}</div>'
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
            f"{passages.html(found, subject, 'mechanism-' + re.sub(r'[^A-Za-z0-9_-]', '-', row['key']))}</li>"
        )
    return f'<ul class="mechanisms">{"".join(items)}</ul>'
