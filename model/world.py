"""The static world: sectors and countries read from ``seeds/`` into numpy arrays.

Every value in ``seeds/sectors.toml`` and ``seeds/countries.toml`` is a table
``{ value = ..., source = "..." }``; the loader checks that each one is present, has a source,
and is in range, and keeps the sources so that output and documentation can cite them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from .errors import EvidenceError
from .paths import evidence_dir
from .tomlfiles import read_toml

#: Country codes fixed by the interface contract, in the order used by every array.
COUNTRIES: tuple[str, ...] = ("US", "CN", "JP", "NL", "KR", "TW", "EU", "IN", "VN", "ROW")
ROLES = ("controller", "target", "ally", "third")

SECTOR_SCALARS = (
    "benefit",
    "political_risk",
    "competitiveness",
    "public_good",
    "market_size",
    "rd_intensity",
    "innovation_rate",
    "catch_up_rate",
    "catch_up_difficulty",
    "quality_sensitivity",
    "price_sensitivity",
    "switching_rate",
    "learning_rate",
    "talent_dependence",
    "material_dependence",
    "offshore_in_cn",
    "profit_margin",
    "value_added_ratio",
    "capacity_growth",
    "china_capability_2035",
    "trade_elasticity",
)
UNIT_INTERVAL = {
    "benefit",
    "political_risk",
    "competitiveness",
    "public_good",
    "catch_up_difficulty",
    "switching_rate",
    "talent_dependence",
    "material_dependence",
    "offshore_in_cn",
    "profit_margin",
    "value_added_ratio",
}
SECTOR_BY_COUNTRY = ("demand_share", "market_share", "capability", "us_content")
#: per-country keys a sector may leave out (then zero everywhere): where its firms' output is made
#: by contract foundries abroad, and where those foundries are
SECTOR_BY_COUNTRY_OPTIONAL = ("foundry_share", "foundry_hosts")
#: country traits with a range other than [0, 1]
COUNTRY_RANGES = {
    "rd_effort_trend": (-0.2, 0.2),
    "china_trade_affinity": (-3.0, 3.0),
    "gdp_2018": (1.0, 200_000.0),  # US$ bn
    "gdp_growth": (-0.05, 0.15),  # real growth per year
}
CHOKEPOINT_KEYS = ("input", "holders", "weight", "difficulty", "governed_by", "source")


@dataclass(frozen=True)
class Chokepoint:
    """An input China's firms in ``sector`` must import, and who holds it."""

    sector: int
    name: str
    holders: np.ndarray  # (C,) share of world supply held by each country
    weight: float  # share of the product's capability that depends on the input
    difficulty: float  # how hard domestic substitution is, in [0, 1]
    governed_by: int  # sector whose control regime applies to the input
    source: str


@dataclass
class World:
    """Sectors × countries, as arrays indexed like ``sectors`` and ``countries``."""

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    country_labels: dict[str, str]
    sector_labels: dict[str, str]
    role: np.ndarray  # (C,) str
    security_dependence: np.ndarray  # (C,)
    trust_in_us_continuity: np.ndarray  # (C,)
    autonomy: np.ndarray  # (C,)
    friendshore_weight: np.ndarray  # (C,)
    rd_effort_trend: np.ndarray  # (C,)
    china_trade_affinity: np.ndarray  # (C,)
    gdp_2018: np.ndarray  # (C,) US$ bn
    small_yard: np.ndarray  # (S,) bool
    scalars: dict[str, np.ndarray]  # name -> (S,)
    demand_share: np.ndarray  # (S, C)
    market_share: np.ndarray  # (S, C)
    capability: np.ndarray  # (S, C), 0 where the country has no firms
    us_content: np.ndarray  # (S, C)
    chokepoints: list[Chokepoint]
    foundry_share: np.ndarray  # (S, C) share of each country's firms' output made by foundries abroad
    foundry_hosts: np.ndarray  # (S, C) where the sector's contract foundries make it (rows sum to 1 or 0)
    sources: dict[str, str] = field(default_factory=dict)  # "sector.key" -> source
    #: per country, the projected real growth path: (years, rates), linear between the years and
    #: flat beyond them (countries.toml's gdp_growth, a number or a table of year = rate)
    gdp_growth_path: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    #: per sector, the growth path of its world spending in 2018 US$ (sectors.toml's
    #: demand_growth, a number or a table of year = rate)
    demand_growth_path: tuple[tuple[np.ndarray, np.ndarray], ...] = ()

    def __getattr__(self, name: str) -> np.ndarray:
        # sector scalars read as attributes: world.benefit, world.innovation_rate, ...
        scalars = self.__dict__.get("scalars", {})
        if name in scalars:
            return scalars[name]
        raise AttributeError(name)

    def trend_gdp(self, start_year: float, steps: int) -> np.ndarray:
        """(steps + 1, C) each economy's trend GDP relative to ``start_year`` along its projected
        growth path, quarter by quarter (row q is the end of quarter q)."""
        return _compound(self.gdp_growth_path, start_year, steps)

    def demand_trend(self, start_year: float, steps: int, scale: float = 1.0) -> np.ndarray:
        """(steps + 1, S) each sector's world spending relative to ``start_year`` along its growth
        path (every rate times ``scale``), quarter by quarter (row q is the end of quarter q)."""
        paths = tuple((years, rates * scale) for years, rates in self.demand_growth_path)
        return _compound(paths, start_year, steps)

    @property
    def n_countries(self) -> int:
        return len(self.countries)

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)

    def country_index(self, code: str) -> int:
        """Position of country ``code`` in every (..., C) array."""
        return self.countries.index(code)

    def sector_index(self, sector: str) -> int:
        """Position of ``sector`` in every (S, ...) array."""
        return self.sectors.index(sector)

    @cached_property
    def allies(self) -> np.ndarray:
        return np.flatnonzero(self.role == "ally")

    @cached_property
    def third(self) -> np.ndarray:
        return np.flatnonzero(self.role == "third")


def _compound(paths: tuple[tuple[np.ndarray, np.ndarray], ...], start_year: float, steps: int) -> np.ndarray:
    """(steps + 1, len(paths)) levels relative to the start, compounding each path's rate of the
    year each quarter starts in, a quarter at a time."""
    quarters = start_year + np.arange(steps) / 4.0
    rates = np.stack([np.interp(quarters, ys, rs) for ys, rs in paths], axis=1) if steps else np.zeros((0, len(paths)))
    growth = np.log1p(rates) / 4.0
    return np.exp(np.vstack([np.zeros((1, len(paths))), np.cumsum(growth, axis=0)]))


def _entry(file: Path, where: str, table: dict, key: str):
    if key not in table:
        raise EvidenceError(f"{file}: [{where}] has no '{key}'; every sector and country needs it")
    entry = table[key]
    if not isinstance(entry, dict) or "value" not in entry or "source" not in entry:
        raise EvidenceError(
            f"{file}: [{where}] key '{key}' = {entry!r}; expected a table "
            '{ value = ..., source = "..." } that names where the value comes from'
        )
    source = entry["source"]
    if not isinstance(source, str) or not source.strip():
        raise EvidenceError(
            f"{file}: [{where}] key '{key}' has an empty source; cite a seed section or write 'assumption: <reason>'"
        )
    return entry["value"], source


def _by_country(file: Path, where: str, key: str, value, *, total: float | None) -> np.ndarray:
    if not isinstance(value, dict):
        raise EvidenceError(f"{file}: [{where}] key '{key}' = {value!r}; expected a table of country codes")
    out = np.zeros(len(COUNTRIES))
    for code, v in value.items():
        if code not in COUNTRIES:
            raise EvidenceError(
                f"{file}: [{where}] key '{key}' has unknown country '{code}'; allowed: {', '.join(COUNTRIES)}"
            )
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
            raise EvidenceError(f"{file}: [{where}] key '{key}.{code}' = {v!r}; allowed: a number from 0 to 1")
        out[COUNTRIES.index(code)] = float(v)
    if total is not None and abs(out.sum() - total) > 1e-6:
        raise EvidenceError(f"{file}: [{where}] key '{key}' sums to {out.sum():.6f}; the shares must sum to {total}")
    return out


def _growth_path(
    file: Path, where: str, value, key: str = "gdp_growth", bounds: tuple[float, float] = COUNTRY_RANGES["gdp_growth"]
) -> tuple[np.ndarray, np.ndarray]:
    """A growth path: a number (the same rate every year) or a table ``{ 2018 = 0.066, 2030 =
    0.035 }`` of years and rates, linear between the years and flat beyond them."""
    lo, hi = bounds
    allowed = f"a number from {lo} to {hi}, or a table of years (1900-2200) and such numbers"
    table = value if isinstance(value, dict) else {"2018": value}
    if not table:
        raise EvidenceError(f"{file}: [{where}] key '{key}' is an empty table; allowed: {allowed}")
    years, rates = [], []
    for year, rate in table.items():
        ok_year = isinstance(year, str) and year.isdigit() and 1900 <= int(year) <= 2200
        ok_rate = isinstance(rate, (int, float)) and not isinstance(rate, bool) and lo <= rate <= hi
        if not (ok_year and ok_rate):
            raise EvidenceError(f"{file}: [{where}] key '{key}' = {value!r}; allowed: {allowed}")
        years.append(float(year))
        rates.append(float(rate))
    order = np.argsort(years)
    return np.array(years)[order], np.array(rates)[order]


def load_world(folder: Path | None = None) -> World:
    """Read ``sectors.toml`` and ``countries.toml`` from ``folder`` (default: ``seeds/``)."""
    folder = Path(folder) if folder is not None else evidence_dir()
    sectors_file, countries_file = folder / "sectors.toml", folder / "countries.toml"
    sector_tables = read_toml(sectors_file, EvidenceError)
    country_tables = read_toml(countries_file, EvidenceError)
    return build_world(sector_tables, country_tables, sectors_file, countries_file)


def build_world(
    sector_tables: dict,
    country_tables: dict,
    sectors_file: Path = Path("sectors.toml"),
    countries_file: Path = Path("countries.toml"),
) -> World:
    """Build a :class:`World` from parsed tables (tests use this for small hand-made worlds)."""
    sources: dict[str, str] = {}
    C = len(COUNTRIES)
    missing = [c for c in COUNTRIES if c not in country_tables]
    unknown = [c for c in country_tables if c not in COUNTRIES]
    if missing or unknown:
        raise EvidenceError(
            f"{countries_file}: countries must be exactly {', '.join(COUNTRIES)} "
            f"(missing: {missing or 'none'}; unknown: {unknown or 'none'})"
        )
    role = np.empty(C, dtype=object)
    traits = {
        k: np.zeros(C)
        for k in (
            "security_dependence",
            "trust_in_us_continuity",
            "autonomy",
            "friendshore_weight",
            "rd_effort_trend",
            "china_trade_affinity",
            "gdp_2018",
        )
    }
    labels = {}
    growth_paths: list[tuple[np.ndarray, np.ndarray]] = []
    for i, code in enumerate(COUNTRIES):
        t = country_tables[code]
        labels[code] = t.get("label", code)
        r, src = _entry(countries_file, code, t, "role")
        if r not in ROLES:
            raise EvidenceError(f"{countries_file}: [{code}] key 'role' = {r!r}; allowed: {', '.join(ROLES)}")
        role[i] = r
        sources[f"{code}.role"] = src
        v, src = _entry(countries_file, code, t, "gdp_growth")
        growth_paths.append(_growth_path(countries_file, code, v))
        sources[f"{code}.gdp_growth"] = src
        needed = ["rd_effort_trend", "gdp_2018"]
        if r == "ally":
            needed += ["security_dependence", "trust_in_us_continuity", "autonomy", "china_trade_affinity"]
        if r == "third":
            needed += ["friendshore_weight", "china_trade_affinity"]
        for key in needed:
            v, src = _entry(countries_file, code, t, key)
            lo, hi = COUNTRY_RANGES.get(key, (0.0, 1.0))
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
                raise EvidenceError(
                    f"{countries_file}: [{code}] key '{key}' = {v!r}; allowed: a number from {lo} to {hi}"
                )
            traits[key][i] = float(v)
            sources[f"{code}.{key}"] = src
    if (role == "controller").sum() != 1 or (role == "target").sum() != 1:
        raise EvidenceError(f"{countries_file}: exactly one country must have role 'controller' and one 'target'")
    if role[COUNTRIES.index("US")] != "controller" or role[COUNTRIES.index("CN")] != "target":
        raise EvidenceError(f"{countries_file}: US must be the controller and CN the target")

    sectors = tuple(sector_tables)
    if not sectors:
        raise EvidenceError(f"{sectors_file}: no sectors defined")
    S = len(sectors)
    scalars = {k: np.zeros(S) for k in SECTOR_SCALARS}
    by_country = {k: np.zeros((S, C)) for k in SECTOR_BY_COUNTRY + SECTOR_BY_COUNTRY_OPTIONAL}
    small_yard = np.zeros(S, dtype=bool)
    sector_labels: dict[str, str] = {}
    pending_chokepoints: list[tuple[int, dict]] = []
    demand_paths: list[tuple[np.ndarray, np.ndarray]] = []
    allowed_keys = (
        set(SECTOR_SCALARS)
        | {"demand_growth"}
        | set(SECTOR_BY_COUNTRY)
        | set(SECTOR_BY_COUNTRY_OPTIONAL)
        | {"label", "small_yard", "chokepoints"}
    )
    for j, sec in enumerate(sectors):
        t = sector_tables[sec]
        extra = set(t) - allowed_keys
        if extra:
            raise EvidenceError(
                f"{sectors_file}: [{sec}] has unknown key(s) {sorted(extra)}; allowed: {sorted(allowed_keys)}"
            )
        sector_labels[sec] = t.get("label", sec)
        v, src = _entry(sectors_file, sec, t, "small_yard")
        if not isinstance(v, bool):
            raise EvidenceError(f"{sectors_file}: [{sec}] key 'small_yard' = {v!r}; allowed: true or false")
        small_yard[j] = v
        sources[f"{sec}.small_yard"] = src
        v, src = _entry(sectors_file, sec, t, "demand_growth")
        demand_paths.append(_growth_path(sectors_file, sec, v, "demand_growth", (-0.5, 2.0)))
        sources[f"{sec}.demand_growth"] = src
        for key in SECTOR_SCALARS:
            v, src = _entry(sectors_file, sec, t, key)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or (key in UNIT_INTERVAL and v > 1):
                allowed = "a number from 0 to 1" if key in UNIT_INTERVAL else "a number >= 0"
                raise EvidenceError(f"{sectors_file}: [{sec}] key '{key}' = {v!r}; allowed: {allowed}")
            scalars[key][j] = float(v)
            sources[f"{sec}.{key}"] = src
        for key in SECTOR_BY_COUNTRY:
            v, src = _entry(sectors_file, sec, t, key)
            total = 1.0 if key in ("demand_share", "market_share") else None
            by_country[key][j] = _by_country(sectors_file, sec, key, v, total=total)
            sources[f"{sec}.{key}"] = src
        for key in SECTOR_BY_COUNTRY_OPTIONAL:
            if key in t:
                v, src = _entry(sectors_file, sec, t, key)
                total = 1.0 if key == "foundry_hosts" else None
                by_country[key][j] = _by_country(sectors_file, sec, key, v, total=total)
                sources[f"{sec}.{key}"] = src
        if by_country["foundry_share"][j].any() and not by_country["foundry_hosts"][j].any():
            raise EvidenceError(
                f"{sectors_file}: [{sec}] key 'foundry_share' needs 'foundry_hosts' (where the foundries are, "
                "shares summing to 1)"
            )
        china_foundry = by_country["foundry_share"][j, COUNTRIES.index("CN")]
        if china_foundry > 0:
            raise EvidenceError(
                f"{sectors_file}: [{sec}] key 'foundry_share.CN' = {china_foundry:g}; allowed: 0 (the "
                "model's Chinese firms make their output at home)"
            )
        active = by_country["market_share"][j] > 0
        cap = by_country["capability"][j]
        if np.any(active & (cap <= 0)):
            bad = [COUNTRIES[i] for i in np.flatnonzero(active & (cap <= 0))]
            raise EvidenceError(
                f"{sectors_file}: [{sec}] key 'capability' has no value for {bad}, which have a market "
                "share; every selling country needs a capability in (0, 1]"
            )
        if abs(cap[active].max() - 1.0) > 1e-9:
            raise EvidenceError(
                f"{sectors_file}: [{sec}] key 'capability' peaks at {cap[active].max()}; the world's best "
                "firm must be at 1.0"
            )
        if not active[COUNTRIES.index("CN")] or not active[COUNTRIES.index("US")]:
            raise EvidenceError(
                f"{sectors_file}: [{sec}] key 'market_share' must give US and CN a share > 0 (the model "
                "follows their firms in every sector)"
            )
        by_country["capability"][j] = np.where(active, cap, 0.0)
        for cp in t.get("chokepoints", []):
            pending_chokepoints.append((j, cp))

    chokepoints = []
    for j, cp in pending_chokepoints:
        where = f"{sectors[j]}.chokepoints"
        extra = set(cp) - set(CHOKEPOINT_KEYS)
        lacking = set(CHOKEPOINT_KEYS) - set(cp)
        if extra or lacking:
            raise EvidenceError(
                f"{sectors_file}: [[{where}]] keys must be {', '.join(CHOKEPOINT_KEYS)} (unknown: "
                f"{sorted(extra) or 'none'}; missing: {sorted(lacking) or 'none'})"
            )
        if cp["governed_by"] not in sectors:
            raise EvidenceError(
                f"{sectors_file}: [[{where}]] '{cp['input']}' key 'governed_by' = {cp['governed_by']!r}; "
                f"allowed: a sector id ({', '.join(sectors)})"
            )
        holders = _by_country(sectors_file, where, "holders", cp["holders"], total=1.0)
        if holders[COUNTRIES.index("CN")] > 0:
            raise EvidenceError(
                f"{sectors_file}: [[{where}]] '{cp['input']}' lists CN as a holder; chokepoints are "
                "inputs China must import"
            )
        for key in ("weight", "difficulty"):
            if not isinstance(cp[key], (int, float)) or not 0 <= cp[key] <= 1:
                raise EvidenceError(
                    f"{sectors_file}: [[{where}]] '{cp['input']}' key '{key}' = {cp[key]!r}; allowed: a "
                    "number from 0 to 1"
                )
        chokepoints.append(
            Chokepoint(
                j,
                cp["input"],
                holders,
                float(cp["weight"]),
                float(cp["difficulty"]),
                sectors.index(cp["governed_by"]),
                cp["source"],
            )
        )
    weight_sum = np.zeros(S)
    for cp in chokepoints:
        weight_sum[cp.sector] += cp.weight
    if np.any(weight_sum > 1 + 1e-9):
        bad = [sectors[j] for j in np.flatnonzero(weight_sum > 1 + 1e-9)]
        raise EvidenceError(f"{sectors_file}: chokepoint weights of {bad} sum to more than 1")

    return World(
        countries=COUNTRIES,
        sectors=sectors,
        country_labels=labels,
        sector_labels=sector_labels,
        role=role,
        small_yard=small_yard,
        scalars=scalars,
        chokepoints=chokepoints,
        sources=sources,
        gdp_growth_path=tuple(growth_paths),
        demand_growth_path=tuple(demand_paths),
        **by_country,
        **traits,
    )


@lru_cache(maxsize=1)
def shared_world() -> World:
    """The world of ``seeds/``, read once per process: for workers that run many models (sweeps,
    searches, EMA experiments), where reading it costs more than a run. Treat it as read-only."""
    return load_world()
