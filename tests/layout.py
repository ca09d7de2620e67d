"""Measures a drawn matplotlib figure for what makes it unreadable on a page or a projector.

:func:`layout_problems` draws the figure and walks every visible axes, legend and text, reading
their window extents (display pixels), and returns one sentence per problem:

- a legend that covers the plotting area of any axes (legends belong outside the data), or any
  text: a tick label, an axis label, a title, an annotation or another legend;
- a text that covers another text (crowded tick labels, a title running into its neighbour's,
  two annotations on top of each other), or the plotting area of an axes it does not belong to;
- a text cut off: outside the figure's canvas (``savefig(bbox_inches="tight")`` widens a PNG to
  what sticks out, but a figure shown as drawn, in a window or an app, loses it; and a legend placed
  at a fixed offset below the axes sat over the year labels that way), or outside its clip box;
- a tick label smaller than :data:`MIN_TICK_PT` points at the size the figure is saved at.

Two boxes overlap when they share more than :data:`TOLERANCE_PX` pixels both across and down: a
glyph's box touching a neighbour's is not a defect a reader sees. The figure is drawn at its own
dpi, which is the one ``savefig`` uses unless given another; the layout scales with the dpi.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox

TOLERANCE_PX = 2.0
MIN_TICK_PT = 10.0


def overlap(a: Bbox, b: Bbox, tolerance: float = TOLERANCE_PX) -> bool:
    """The boxes share more than ``tolerance`` pixels across and down."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width > tolerance and height > tolerance


def inside(inner: Bbox, outer: Bbox, tolerance: float = TOLERANCE_PX) -> bool:
    return (
        inner.x0 >= outer.x0 - tolerance
        and inner.y0 >= outer.y0 - tolerance
        and inner.x1 <= outer.x1 + tolerance
        and inner.y1 <= outer.y1 + tolerance
    )


def _drawn_tick_labels(ax: Axes) -> tuple[list[Text], set[int]]:
    """The tick labels matplotlib draws (inside the view limits, visible, not empty), and the ids
    of every tick label of the axes, drawn or not."""
    drawn, every = [], set()
    for axis in (ax.xaxis, ax.yaxis):  # Axis._update_ticks is what Axis.draw uses to pick them
        ticks = axis.get_major_ticks() + axis.get_minor_ticks()
        every |= {id(label) for tick in ticks for label in (tick.label1, tick.label2)}
        if not (ax.axison and axis.get_visible()):  # ax.axis("off"): no axis is drawn
            continue
        for tick in axis._update_ticks():  # the ticks inside the view, as Axis.draw draws them
            for label in (tick.label1, tick.label2):
                if label.get_visible() and label.get_text().strip():
                    drawn.append(label)
    return drawn, every


def _name(artist: Text | Legend | Axes) -> str:
    if isinstance(artist, Text):
        return f"text {artist.get_text()!r}"
    if isinstance(artist, Legend):
        return f"legend ({', '.join(t.get_text() for t in artist.get_texts()[:3])}, ...)"
    title = artist.get_title() or artist.get_ylabel() or artist.get_label() or "untitled"
    return f"axes '{title}'"


def _visible(artist, hidden: set[int]) -> bool:
    """Drawn: the artist, its axes and (for an axis label) its axis are visible."""
    if not artist.get_visible() or id(artist) in hidden:
        return False
    return isinstance(artist, Axes) or artist.axes is None or artist.axes.get_visible()


def _hidden_axis_texts(ax: Axes) -> set[int]:
    """The ids of the axis labels and offset texts of an axis that is not drawn."""
    return {
        id(text)
        for axis in (ax.xaxis, ax.yaxis)
        if not (ax.axison and axis.get_visible())
        for text in (axis.label, axis.get_offset_text())
    }


def layout_problems(fig: Figure) -> list[str]:
    """Every problem :mod:`this module <tests.layout>` measures in ``fig``, as sentences."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    legends = [leg for leg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)] if leg and leg.get_visible()]
    in_legends = {id(t) for leg in legends for t in [*leg.get_texts(), leg.get_title()]}
    drawn_ticks: list[Text] = []
    tick_ids: set[int] = set()
    hidden: set[int] = set()
    for ax in axes:
        drawn, every = _drawn_tick_labels(ax)
        drawn_ticks += drawn
        tick_ids |= every
        hidden |= _hidden_axis_texts(ax)
    texts = [
        t
        for t in fig.findobj(Text)
        if id(t) not in in_legends
        and id(t) not in tick_ids
        and t.get_text().strip()
        and _visible(t, hidden)
        and t.get_alpha() != 0
    ] + drawn_ticks
    boxes = {id(t): t.get_window_extent(renderer) for t in texts}
    problems: list[str] = []
    figure_box = fig.bbox
    for t in texts:
        box = boxes[id(t)]
        if not inside(box, figure_box):
            problems.append(f"{_name(t)} is cut off by the figure's edge")
        clip = t.get_clip_box()
        if t.get_clip_on() and clip is not None and not inside(box, clip):
            problems.append(f"{_name(t)} is cut off by its clip box (the axes' edge)")
    for t in drawn_ticks:
        if t.get_fontsize() < MIN_TICK_PT:
            problems.append(f"tick label {t.get_text()!r} is {t.get_fontsize():g} pt (at least {MIN_TICK_PT:g})")
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if overlap(boxes[id(a)], boxes[id(b)]):
                problems.append(f"{_name(a)} overlaps {_name(b)}")
        owner = a.axes
        for ax in axes:
            if ax is owner or (owner is not None and ax.bbox.bounds == owner.bbox.bounds):  # its own, or a twin
                continue
            if overlap(boxes[id(a)], ax.bbox):
                problems.append(f"{_name(a)} overlaps the plotting area of {_name(ax)}")
    for i, leg in enumerate(legends):
        box = leg.get_window_extent(renderer)
        if not inside(box, figure_box):
            problems.append(f"{_name(leg)} is cut off by the figure's edge")
        for ax in axes:
            if overlap(box, ax.bbox):
                problems.append(f"{_name(leg)} covers the plotting area of {_name(ax)}")
        for t in texts:
            if overlap(box, boxes[id(t)]):
                problems.append(f"{_name(leg)} covers {_name(t)}")
        for other in legends[i + 1 :]:
            if overlap(box, other.get_window_extent(renderer)):
                problems.append(f"{_name(leg)} overlaps {_name(other)}")
    return problems
