"""The technologies of S3 and the model sectors their work falls in.

S3 (Yin Zhixin et al., CASTED 2023) takes 20 technologies from Karplus, Morgan & Victor (2021)
and places them in four quadrants of collaboration benefit × political risk (S3 2.2.1 defines
the two axes, S3 2.2.2 places the technologies). Its own second framework, competitiveness ×
public good (defined in S3 3.1, applied in S3 3.2), places some of them. ``seeds/technologies.toml``
keeps these placements as words and maps each technology to a sector of ``seeds/sectors.toml``
(or to ``"none"``). :func:`sector_placements` sums up, per sector, where its technologies sit:
the sector's numeric ``benefit`` and ``political_risk`` should lie on the same side of 0.5.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, suggest
from .paths import evidence_dir

#: S3 2.2.2's quadrants, in the order S3 lists them: (benefit, political risk)
QUADRANTS: dict[str, tuple[str, str]] = {
    "low_benefit_low_risk": ("low", "low"),
    "low_benefit_high_risk": ("low", "high"),
    "high_benefit_high_risk": ("high", "high"),
    "high_benefit_low_risk": ("high", "low"),
}
#: allowed values of each placement key: S3 2.2.2 places every technology on both axes; S3 3.2
#: places only some on competitiveness and public good
PLACEMENTS: dict[str, tuple[str, ...]] = {
    "benefit": ("high", "low"),
    "political_risk": ("high", "low"),
    "competitiveness": ("high", "low", "unplaced"),
    "public_good": ("high", "low", "unplaced"),
}
TEXT_KEYS = ("label", "sector", "fit", "source")
REQUIRED_KEYS = ("label", *PLACEMENTS, "sector", "fit", "source")
OPTIONAL_KEYS = ("disputed",)
#: the ``sector`` of a technology no model sector covers
NO_SECTOR = "none"
_ID = re.compile(r"[a-z][a-z0-9_]*")
_CITES_S3 = re.compile(r"\bS3 \d")


@dataclass(frozen=True)
class Technology:
    """One technology of S3 with its placements (words, not numbers) and model sector."""

    id: str
    label: str
    benefit: str  # S3 2.2.2: "high" or "low"
    political_risk: str  # S3 2.2.2: "high" or "low"
    competitiveness: str  # S3 3.2: "high", "low" or "unplaced"
    public_good: str  # S3 3.2: "high", "low" or "unplaced"
    sector: str  # a sector id of sectors.toml, or "none"
    fit: str
    source: str
    disputed: str | None = None

    @property
    def quadrant(self) -> str:
        """The S3 2.2.2 quadrant, e.g. ``"high_benefit_low_risk"``."""
        return f"{self.benefit}_benefit_{self.political_risk}_risk"


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror or e})") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from e


def _quoted(values: Iterable[str]) -> str:
    items = [f"'{v}'" for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _technology(path: Path, tid: str, table: object, sectors: tuple[str, ...]) -> Technology:
    where = f"{path}: [{tid}]"
    if not _ID.fullmatch(tid):
        raise ConfigError(f"{path}: technology id '{tid}'; allowed: snake_case (lower-case letters, digits, _)")
    if not isinstance(table, dict):
        raise ConfigError(f"{where} = {table!r}; expected a table of {', '.join(REQUIRED_KEYS)}")
    missing = [k for k in REQUIRED_KEYS if k not in table]
    if missing:
        raise ConfigError(f"{where} is missing key(s) {missing}; required: {', '.join(REQUIRED_KEYS)}")
    unknown = sorted(set(table) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        keys = (*REQUIRED_KEYS, *OPTIONAL_KEYS)
        raise ConfigError(
            f"{where} has unknown key(s) {unknown}{suggest(unknown[0], keys)}; allowed: {', '.join(keys)}"
        )
    for key in (*TEXT_KEYS, *(k for k in OPTIONAL_KEYS if k in table)):
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} key '{key}' = {value!r}; allowed: a non-empty string")
    for key, options in PLACEMENTS.items():
        value = table[key]
        if value not in options:
            raise ConfigError(f"{where} key '{key}' = {value!r}{suggest(value, options)}; allowed: {_quoted(options)}")
    if table["sector"] != NO_SECTOR and table["sector"] not in sectors:
        raise ConfigError(
            f"{where} key 'sector' = {table['sector']!r}{suggest(table['sector'], sectors)}; allowed: a sector id "
            f"of sectors.toml ({', '.join(sectors)}) or '{NO_SECTOR}'"
        )
    if not _CITES_S3.search(table["source"]):
        raise ConfigError(
            f"{where} key 'source' = {table['source']!r}; allowed: a source naming S3's section, e.g. 'S3 2.2.2'"
        )
    return Technology(id=tid, **table)


def load_technologies(path: str | Path | None = None, sectors: Iterable[str] | None = None) -> list[Technology]:
    """Read ``technologies.toml`` (default: ``seeds/technologies.toml``), in file order.

    ``sectors`` are the sector ids a technology may map to (default: the tables of
    ``seeds/sectors.toml``). Placements must be those S3 uses: high or low on the S3 2.2.2 axes,
    high, low or unplaced on the S3 3.2 axes. A bad file raises :class:`ConfigError` naming the
    file, the technology, the key, the value and what is allowed.
    """
    file = Path(path) if path is not None else evidence_dir() / "technologies.toml"
    if sectors is None:
        sectors = _read(evidence_dir() / "sectors.toml")
    known = tuple(sectors)
    tables = _read(file)
    if not tables:
        raise ConfigError(f"{file}: no technologies defined; expected one table per technology of S3 2.2.2")
    return [_technology(file, tid, table, known) for tid, table in tables.items()]


def sector_placements(technologies: Iterable[Technology], sectors: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For each model sector: its technologies and how they split over S3 2.2.2's quadrants.

    Returns ``{sector: {"technologies": [ids], "quadrants": {quadrant: share}, "high_benefit":
    share, "high_risk": share}}`` for every sector in ``sectors`` (shares are 0 for a sector with
    no technologies). Technologies mapped to ``"none"`` are left out; one mapped to a sector not in
    ``sectors`` raises :class:`ConfigError`.
    """
    out: dict[str, dict[str, Any]] = {}
    for s in sectors:
        out[s] = {"technologies": [], "quadrants": dict.fromkeys(QUADRANTS, 0.0), "high_benefit": 0.0, "high_risk": 0.0}
    members: dict[str, list[Technology]] = {s: [] for s in out}
    for t in technologies:
        if t.sector == NO_SECTOR:
            continue
        if t.sector not in members:
            raise ConfigError(
                f"technology '{t.id}' maps to sector '{t.sector}', which is not among the sectors given "
                f"({', '.join(out)})"
            )
        members[t.sector].append(t)
    for s, techs in members.items():
        if not techs:
            continue
        n = len(techs)
        entry = out[s]
        entry["technologies"] = [t.id for t in techs]
        for t in techs:
            entry["quadrants"][t.quadrant] += 1 / n
        entry["high_benefit"] = sum(t.benefit == "high" for t in techs) / n
        entry["high_risk"] = sum(t.political_risk == "high" for t in techs) / n
    return out


def quadrant_counts(technologies: Iterable[Technology]) -> Mapping[str, int]:
    """How many technologies sit in each S3 2.2.2 quadrant."""
    counts = dict.fromkeys(QUADRANTS, 0)
    for t in technologies:
        counts[t.quadrant] += 1
    return counts
