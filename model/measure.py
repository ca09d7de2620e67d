"""One language for what is measured: an outcome, when, against what, per what.

A :class:`Measure` names an outcome of :mod:`decouple.outcomes` and how it is read:

- ``year``: the state at that year, after the quarter that ends then, as the DataCollector
  records it (a quarterly outcome), or none for a whole-run outcome or "the end of the run";
- ``against``: minus the value of a reference scenario run with the same seed and the same
  parameters otherwise (common random numbers), e.g. ``against baseline``;
- ``per``: divided by another outcome in the same year, in per cent; with ``against`` the
  divisor is the reference run's (a welfare change in % of the baseline's GDP).

Its text form, which experiment and search files, ``discover --where``, the role-play's file and
the validation checks all use, is parsed and printed here only::

    gap_small_yard@2035
    welfare_usd[US]@2035 against baseline per gdp[US]
    revenue[NL+JP]@2030 against open per revenue[NL+JP]       (a change in per cent)

``name@year`` is also the column of a sweep's table (:meth:`Measure.column`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from . import outcomes
from .errors import ConfigError
from .i18n import N_
from .i18n import gettext as _
from .phrase import Phrase

if TYPE_CHECKING:
    from .outcomes import Outcome
    from .world import World

#: a name the registry can hold: ``gdp_US``, ``gdp[US]``, ``revenue[NL+JP]``
NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\[[A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*\])?"
NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_TEXT = re.compile(
    rf"(?P<outcome>{NAME})(?:@(?P<year>{NUMBER}))?"
    rf"(?:\s+against\s+(?P<against>[A-Za-z0-9_\-]+))?"
    rf"(?:\s+per\s+(?P<per>{NAME}))?"
)
GRAMMAR = "OUTCOME[@YEAR] [against SCENARIO] [per OUTCOME], e.g. 'welfare_usd[US]@2035 against baseline per gdp[US]'"

#: reads an outcome's value at a year (None: the run's last quarter, or the whole-run value)
Reader = Callable[[str, "float | None"], float]


@dataclass(frozen=True)
class Measure:
    """An outcome, read at a year, optionally against a reference run and per another outcome."""

    outcome: str
    year: float | None = None
    against: str | None = None
    per: str | None = None

    # ------------------------------------------------------------------ text
    @classmethod
    def parse(cls, text: str, origin: str = "") -> Measure:
        """The measure ``text`` names (see the module's grammar); a clear error otherwise."""
        where = f"{origin}: " if origin else ""
        if not isinstance(text, str):
            raise ConfigError(
                _("{where}measure {text} is not text; allowed: {grammar}").format(
                    where=where, text=repr(text), grammar=GRAMMAR
                )
            )
        match = _TEXT.fullmatch(text.strip())
        if match is None or not text.isascii():
            raise ConfigError(
                _("{where}measure {text} cannot be read; allowed: {grammar}").format(
                    where=where, text=repr(text), grammar=GRAMMAR
                )
            )
        year = match["year"]
        return cls(match["outcome"], float(year) if year else None, match["against"], match["per"])

    def __str__(self) -> str:
        text = self.column()
        if self.against:
            text += f" against {self.against}"
        if self.per:
            text += f" per {self.per}"
        return text

    def column(self) -> str:
        """``name@year`` (or the name): the column a sweep's table keeps the raw value under."""
        return self.outcome if self.year is None else f"{self.outcome}@{self.year:g}"

    # ------------------------------------------------------------------ meaning
    def check(self, world: World | None = None, origin: str = "") -> Measure:
        """The measure with its outcomes resolved to their registry names (aliases and
        ``family[REGION]`` forms of one recorded outcome become its name); a clear error when an
        outcome is unknown or a whole-run outcome is given a year."""
        where = f"{origin}: " if origin else ""
        try:
            found = outcomes.resolve(self.outcome, world)
            per = outcomes.resolve(self.per, world) if self.per else None
        except ConfigError as exc:
            raise ConfigError(f"{where}measure '{self}': {exc}") from None
        if found.whole_run and self.year is not None:
            raise ConfigError(
                _(
                    "{where}measure '{measure}': '{name}' is a whole-run outcome; allowed: its name without @YEAR"
                ).format(where=where, measure=self, name=found.name)
            )
        if per is not None and per.whole_run:
            raise ConfigError(
                _("{where}measure '{measure}': 'per {per}'; allowed: a quarterly outcome").format(
                    where=where, measure=self, per=self.per
                )
            )
        if self.year is not None and not math.isfinite(self.year):
            raise ConfigError(
                _("{where}measure '{measure}': year {year}; allowed: a finite year").format(
                    where=where, measure=self, year=self.year
                )
            )
        return replace(self, outcome=found.name, per=per.name if per else None)

    def resolved(self, world: World | None = None) -> Outcome:
        return outcomes.resolve(self.outcome, world)

    def at(self, year: float | None) -> Measure:
        return replace(self, year=year)

    @property
    def reads(self) -> tuple[str, ...]:
        """The outcomes this measure reads, from its own run (and the reference's with ``against``)."""
        return tuple(dict.fromkeys(n for n in (self.outcome, self.per) if n))

    def label(self, world: World | None = None) -> str:
        """Words for a figure or table: the outcome's label and what it is compared with (English;
        a :class:`~decouple.phrase.Phrase` that :func:`~decouple.phrase.tr` translates)."""
        text: str = self.resolved(world).label
        if self.against:
            text = Phrase(N_("{label}, change against {reference}"), label=text, reference=self.against)
        if self.year is not None:
            text = Phrase(N_("{label}, {year:g}"), label=text, year=self.year)
        return text

    def unit(self, world: World | None = None) -> str:
        """The unit (English, translated by :func:`~decouple.phrase.tr`)."""
        if self.per:
            if self.per == self.outcome:
                return "%"
            per = outcomes.resolve(self.per, world).label
            what = per.values["what"] if isinstance(per, Phrase) and "what" in per.values else per.split(",")[0]
            return Phrase(N_("% of {what}"), what=what)
        return self.resolved(world).unit

    def better(self, world: World | None = None) -> str | None:
        """The outcome's direction (a change or a ratio moves the same way)."""
        return self.resolved(world).better

    # ------------------------------------------------------------------ values
    def value(self, read: Reader, reference: Reader | None = None) -> float:
        """The measure from a run's values (``read(outcome, year)``) and, with ``against``, the
        reference run's (same seed)."""
        value = read(self.outcome, self.year)
        if self.against:
            if reference is None:
                raise ValueError(f"measure '{self}' needs the run of '{self.against}' with the same seed")
            value = value - reference(self.outcome, self.year)  # a reader may hand out a view: never write into it
            base = reference
        else:
            base = read
        if self.per:
            return 100.0 * value / base(self.per, self.year)
        return value

    def of(self, values: Mapping[str, float], reference: Mapping[str, float] | None = None) -> float:
        """The measure from tables keyed by column (``name@year`` or whole-run name)."""

        def reader(table: Mapping[str, float]) -> Reader:
            return lambda name, year: float(table[name if year is None else f"{name}@{year:g}"])

        return self.value(reader(values), reader(reference) if reference is not None else None)


def parse_all(texts, origin: str = "", world: World | None = None) -> list[Measure]:
    """Each text parsed and checked."""
    return [Measure.parse(t, origin).check(world, origin) for t in texts]
