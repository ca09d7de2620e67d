"""The documentation's results page, written from a ``decouple compare`` folder.

``make docs`` runs ``python -m decouple.results_page results/compare --out docs/results.md``. The
page's words are the template ``docs/templates/results.md``; every number on it comes from the
folder, so the page says what the run says and nothing copied by hand. The folder's files read:
``summary.json`` (the runs' provenance, each scenario's outcomes in the last quarter as mean and
10th/90th percentile across seeds, each run's final values, and the welfare change against the
baseline with the same seed), ``indicators.csv`` (every quarterly outcome, for values in earlier
years) and, only when a template asks for a tidy metric, ``timeseries.parquet``.

A template writes a number as a token in double braces:

====================================  ===============================================================
``{{runs}}``                          what was run: scenarios, seeds, root seed, version, last quarter
``{{table headlines}}``               the headline outcomes (``decouple.outcomes.headlines``) of every
                                      scenario: mean [10th to 90th percentile]
``{{table welfare}}``                 welfare against the baseline per region, US$ bn a year
``{{table welfare-gdp}}``             the same in % of the baseline's GDP
``{{table checks}}``                  GDP (%) and the ACR cross-check (% of GDP) against the baseline
``{{final SCENARIO OUTCOME}}``        the seed mean in the last quarter, in the outcome's format
``{{band SCENARIO OUTCOME}}``         the same with its [10th to 90th percentile]
``{{at SCENARIO OUTCOME YEAR}}``      the seed mean in the first quarter of YEAR
``{{change SCENARIO OUTCOME}}``       the mean % change against the baseline run of the same seed
``{{welfare SCENARIO REGION M}}``     the mean change against the baseline, M one of ``usd`` (US$ bn a
                                      year), ``pct`` (% of GDP), ``gdp`` (GDP, %), ``acr`` (% of GDP)
``{{tidy-change SCENARIO METRIC COUNTRY SECTOR}}``  the mean % change of a tidy metric against the
                                      baseline run of the same seed, last quarter
``{{claim A OP B}}``                  prints nothing; stops the page when ``A OP B`` is false (OP one of
                                      ``<``, ``<=``, ``>``, ``>=``; A and B a value token above or a
                                      number), so that the words around a number cannot outlive it
====================================  ===============================================================

Negative numbers print with a minus sign (U+2212) and ranges as ``[−751 to −723]`` (the spaces
around "to" do not break).
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import outcomes
from .errors import DecoupleError, suggest
from .indicators import FILE as INDICATORS
from .output import atomic_write
from .paths import project_root

REFERENCE = "baseline"
SUMMARY = "summary.json"
TIDY = "timeseries.parquet"
TOKEN = re.compile(r"\{\{(.*?)\}\}")
GROUPABLE = re.compile(r"\{:(?P<head>[^.}]*?)(?P<precision>\.\d+)?(?P<type>[fdg])\}")
WELFARE_MEASURES = {  # token word: (column of the summary, unit, format)
    "usd": ("welfare_change_usd_bn", "US$ bn/yr", "{:+,.0f}"),
    "pct": ("welfare_change_pct_gdp", "% of GDP", "{:+.2f}"),
    "gdp": ("gdp_change_pct", "%", "{:+.2f}"),
    "acr": ("acr_change_pct_gdp", "% of GDP", "{:+.2f}"),
}
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
KINDS = ("runs", "table", "final", "band", "at", "change", "welfare", "tidy-change", "claim")
TABLES = ("headlines", "welfare", "welfare-gdp", "checks")


def default_template() -> Path:
    return project_root() / "docs" / "templates" / "results.md"


def number(fmt: str, value: float) -> str:
    """``value`` in ``fmt`` with thousands separators and a true minus sign; a signed format prints
    a value that rounds to zero without its sign."""
    if not math.isfinite(value):
        return "n/a"
    spec = GROUPABLE.fullmatch(fmt)
    if spec and "," not in fmt:  # "{:+.2f}" -> "{:+,.2f}": the grouping goes before the precision
        fmt = "{:" + spec["head"] + "," + (spec["precision"] or "") + spec["type"] + "}"
    text = fmt.format(value)
    if not any(ch in "123456789" for ch in text):  # rounds to zero: no "−0.00" or "+0"
        text = text.lstrip("+-")
    return text.replace("-", "\u2212")


#: joins a band's bounds: "to" between no-break spaces, so that a narrow table cell wraps before
#: the bracket and never inside it
TO = "\u00a0to\u00a0"


def band(fmt: str, mean: float, low: float, high: float) -> str:
    """``mean [low to high]``: a band never reads as ``[-745--723]``."""
    return f"{number(fmt, mean)} [{number(fmt, low)}{TO}{number(fmt, high)}]"


def quarter(year: float) -> str:
    """2035.75 as ``2035 Q4``."""
    whole = math.floor(year)
    return f"{whole} Q{int(round((year - whole) * 4)) + 1}"


@dataclass
class Value:
    number: float
    text: str


class CompareFolder:
    """What a ``decouple compare`` folder says, read once each."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        path = self.folder / SUMMARY
        if not path.is_file():
            raise DecoupleError(
                f"{self.folder}: no {SUMMARY}; give the output folder of `decouple compare` "
                f"(make it with: decouple compare --out {self.folder})"
            )
        try:
            self.summary = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise DecoupleError(f"{path}: cannot be read ({exc}); run `decouple compare` again") from None
        for key in ("provenance", "final", "runs"):
            if key not in self.summary:
                raise DecoupleError(f"{path}: has no '{key}'; it is not the summary of `decouple compare`")
        self.scenarios: list[str] = list(self.summary["final"])
        self.titles = {r["scenario"]: r.get("title") or r["scenario"] for r in self.summary["provenance"]["runs"]}
        self.against: dict = self.summary.get("against_baseline", {}).get("scenarios", {})
        self._indicators: pd.DataFrame | None = None
        self._last_tidy: pd.DataFrame | None = None
        self.registry = outcomes.registry()

    # -- what the folder holds ---------------------------------------------------------------
    @property
    def indicators(self) -> pd.DataFrame:
        if self._indicators is None:
            path = self.folder / INDICATORS
            if not path.is_file():
                raise DecoupleError(f"{self.folder}: no {INDICATORS}; run `decouple compare` again")
            self._indicators = pd.read_csv(path)
        return self._indicators

    @property
    def last_tidy(self) -> pd.DataFrame:
        """The tidy time series of every run in the last quarter (read once, that quarter only)."""
        if self._last_tidy is None:
            import pyarrow.parquet as pq

            path = self.folder / TIDY
            if not path.is_file():
                raise DecoupleError(f"{self.folder}: no {TIDY}; run `decouple compare` again")
            frame = pq.read_table(path, filters=[("year", "=", self.last_year)]).to_pandas()
            for column in ("scenario", "metric", "country", "partner", "sector"):
                frame[column] = frame[column].astype(str)
            self._last_tidy = frame
        return self._last_tidy

    @property
    def last_year(self) -> float:
        return float(self.indicators["year"].max())

    def scenario(self, name: str) -> str:
        if name not in self.scenarios:
            raise DecoupleError(
                f"scenario '{name}'{suggest(name, self.scenarios)}; the run has: {', '.join(self.scenarios)}"
            )
        return name

    def outcome(self, name: str) -> str:
        final = self.summary["final"][self.scenarios[0]]
        if name not in final:
            raise DecoupleError(f"outcome '{name}'{suggest(name, list(final))} is not in {self.folder / SUMMARY}")
        return name

    def fmt(self, name: str) -> str:
        found = self.registry.get(name)
        return found.fmt if found is not None else "{:.3g}"

    def welfare_entry(self, scen: str, region: str, measure: str) -> dict:
        if not self.against:
            raise DecoupleError(f"{self.folder / SUMMARY}: no welfare against the baseline (was '{REFERENCE}' run?)")
        if scen not in self.against:
            raise DecoupleError(
                f"scenario '{scen}'{suggest(scen, list(self.against))}: no welfare change against the baseline; "
                f"allowed: {', '.join(self.against)}"
            )
        regions = self.against[scen]
        if region not in regions:
            raise DecoupleError(f"region '{region}'{suggest(region, list(regions))}; allowed: {', '.join(regions)}")
        if measure not in WELFARE_MEASURES:
            raise DecoupleError(
                f"welfare measure '{measure}'{suggest(measure, WELFARE_MEASURES)}; "
                f"allowed: {', '.join(WELFARE_MEASURES)}"
            )
        column = WELFARE_MEASURES[measure][0]
        if column not in regions[region]:
            raise DecoupleError(f"{self.folder / SUMMARY}: no '{column}' for {scen}, {region}")
        return regions[region][column]

    def region_label(self, region: str) -> str:
        found = self.registry.get(f"welfare_usd_{region}")
        label = found.label.split(", ", 1)[-1] if found is not None else region
        return label[:1].upper() + label[1:]

    def finals(self, scen: str, name: str) -> dict[int, float]:
        return {r["seed"]: float(r["final"][name]) for r in self.summary["runs"] if r["scenario"] == scen}

    # -- values ------------------------------------------------------------------------------
    def final(self, scen: str, name: str) -> Value:
        entry = self.summary["final"][self.scenario(scen)][self.outcome(name)]
        return Value(float(entry["mean"]), number(self.fmt(name), float(entry["mean"])))

    def band(self, scen: str, name: str) -> Value:
        entry = self.summary["final"][self.scenario(scen)][self.outcome(name)]
        return Value(float(entry["mean"]), band(self.fmt(name), entry["mean"], entry["p10"], entry["p90"]))

    def at(self, scen: str, name: str, year: str) -> Value:
        self.scenario(scen), self.outcome(name)
        try:
            when = float(year)
        except ValueError:
            raise DecoupleError(f"year '{year}' is not a number") from None
        table = self.indicators
        rows = table[(table["scenario"] == scen) & (table["year"] == when)]
        if rows.empty:
            years = table["year"]
            raise DecoupleError(f"year {year}: not in the run ({years.min():g} to {years.max():g}, by quarters)")
        mean = float(rows[name].mean())
        return Value(mean, number(self.fmt(name), mean))

    def change(self, scen: str, name: str) -> Value:
        self.scenario(REFERENCE), self.outcome(name)
        base, runs = self.finals(REFERENCE, name), self.finals(self.scenario(scen), name)
        return self._paired_change(base, runs, f"{scen} {name}")

    def tidy_change(self, scen: str, metric: str, country: str, sector: str) -> Value:
        self.scenario(scen), self.scenario(REFERENCE)
        tidy = self.last_tidy
        frame = tidy[(tidy["metric"] == metric) & (tidy["country"] == country) & (tidy["sector"] == sector)]
        if frame.empty:
            raise DecoupleError(
                f"{self.folder / TIDY}: no rows of metric '{metric}', country '{country}', sector '{sector}' "
                f"in {self.last_year:g}"
            )
        pick = {s: frame[frame["scenario"] == s].groupby("seed")["value"].sum().to_dict() for s in (REFERENCE, scen)}
        return self._paired_change(pick[REFERENCE], pick[scen], f"{scen} {metric} {country} {sector}")

    @staticmethod
    def _paired_change(base: dict, runs: dict, what: str) -> Value:
        pairs = [(runs[s], base[s]) for s in runs if s in base and base[s] != 0]
        if not pairs:
            raise DecoupleError(f"{what}: no run shares its seed with a baseline run of a non-zero value")
        mean = sum(100.0 * (x / b - 1.0) for x, b in pairs) / len(pairs)
        return Value(mean, number("{:+.0f}", mean) + " %")

    def welfare(self, scen: str, region: str, measure: str) -> Value:
        entry = self.welfare_entry(scen, region, measure)
        fmt = WELFARE_MEASURES[measure][2]
        unit = " bn" if measure == "usd" else " %"
        return Value(float(entry["mean"]), number(fmt, float(entry["mean"])) + unit)

    # -- blocks ------------------------------------------------------------------------------
    def runs_text(self) -> str:
        prov = self.summary["provenance"]
        first = prov["runs"][0] if prov["runs"] else {}
        names = ", ".join(f"`{s}`" for s in self.scenarios)
        text = (
            f"{len(self.scenarios)} scenarios ({names}) × {len(prov['seeds'])} seeds from "
            f"`numpy.random.SeedSequence({prov['root_seed']})`, the same seeds for every scenario; "
            f"decouple {first.get('package_version', '?')}, Mesa {first.get('mesa', '?')}; "
            f"values in the last quarter, {quarter(self.last_year)}"
        )
        if prov.get("overrides"):
            text += "; with " + ", ".join(f"`--set {o}`" for o in prov["overrides"])
        return text

    def table(self, which: str) -> str:
        if which == "headlines":
            header = [""] + [self.titles[s] for s in self.scenarios]
            rows = []
            for o in outcomes.headlines():
                if o.name in self.summary["final"][self.scenarios[0]]:
                    cells = [self.band(s, o.name).text for s in self.scenarios]
                    unit = re.sub(r"\s*\((.*)\)", r", \1", o.unit)  # "index (2018 = 100)": one pair of brackets
                    rows.append([f"{o.label} ({unit})"] + cells)
            return _markdown(header, rows)
        if which not in ("welfare", "welfare-gdp", "checks"):
            raise DecoupleError(f"table '{which}'{suggest(which, TABLES)}; allowed: {', '.join(TABLES)}")
        scens = [s for s in self.scenarios if s in self.against]
        if not scens:
            raise DecoupleError(f"{self.folder / SUMMARY}: no welfare against the baseline (was '{REFERENCE}' run?)")
        regions = list(self.against[scens[0]])
        header = [""] + [self.titles[s] for s in scens]
        rows = []
        for region in regions:
            cells = []
            for s in scens:
                if which == "checks":
                    gdp, acr = self.welfare(s, region, "gdp").text, self.welfare(s, region, "acr").text
                    cells.append(f"GDP {gdp}; ACR {acr}")
                else:
                    measure = "usd" if which == "welfare" else "pct"
                    entry = self.welfare_entry(s, region, measure)
                    cells.append(band(WELFARE_MEASURES[measure][2], entry["mean"], entry["p10"], entry["p90"]))
            rows.append([f"{self.region_label(region)} (`{region}`)"] + cells)
        return _markdown(header, rows)

    # -- tokens ------------------------------------------------------------------------------
    def value(self, words: list[str]) -> Value:
        """A value token's words (``final full_decoupling trust``) or a number."""
        if len(words) == 1:
            try:
                return Value(float(words[0]), words[0])
            except ValueError:
                pass
        kind, args = words[0], words[1:]
        handlers: dict[str, tuple[int, Callable[..., Value]]] = {
            "final": (2, self.final),
            "band": (2, self.band),
            "at": (3, self.at),
            "change": (2, self.change),
            "welfare": (3, self.welfare),
            "tidy-change": (4, self.tidy_change),
        }
        if kind not in handlers:
            raise DecoupleError(f"'{kind}'{suggest(kind, KINDS)} is not a kind of token; allowed: {', '.join(KINDS)}")
        count, handler = handlers[kind]
        if len(args) != count:
            raise DecoupleError(f"'{kind}' takes {count} words after it, not {len(args)}")
        return handler(*args)

    def token(self, text: str) -> str:
        words = text.split()
        if not words:
            raise DecoupleError("an empty token '{{}}'")
        kind = words[0]
        if kind == "runs" and len(words) == 1:
            return self.runs_text()
        if kind == "table" and len(words) == 2:
            return self.table(words[1])
        if kind == "claim":
            ops = [i for i, w in enumerate(words) if w in COMPARE]
            if len(ops) != 1 or ops[0] in (1, len(words) - 1):
                raise DecoupleError(f"a claim is 'claim A OP B' with one OP of {', '.join(COMPARE)}")
            i = ops[0]
            left, right = self.value(words[1:i]), self.value(words[i + 1 :])
            if not COMPARE[words[i]](left.number, right.number):
                raise DecoupleError(
                    f"the claim '{text.strip()}' is false for this run ({left.text} {words[i]} {right.text} "
                    "does not hold): the words around it no longer describe the results; rewrite them"
                )
            return ""
        return self.value(words).text


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(folder: Path | str, template: Path | str) -> str:
    """The page: the template with every token replaced by what the folder says. An error names
    the template, the line and the token."""
    source = CompareFolder(folder)
    template = Path(template)
    try:
        text = template.read_text(encoding="utf-8")
    except OSError as exc:
        raise DecoupleError(f"{template}: cannot be read ({exc.strerror or exc})") from None
    out = []
    for number_, line in enumerate(text.splitlines(keepends=True), start=1):

        def replace(match: re.Match, number_: int = number_) -> str:
            try:
                return source.token(match.group(1))
            except DecoupleError as exc:
                raise DecoupleError(f"{template}:{number_}: {{{{{match.group(1).strip()}}}}}: {exc}") from None

        out.append(TOKEN.sub(replace, line))
    if "{{" in "".join(out):
        raise DecoupleError(f"{template}: a '{{{{' without its closing '}}}}'")
    return "".join(out)


def write_page(folder: Path | str, out: Path | str, template: Path | str | None = None) -> Path:
    page = render(folder, template or default_template())
    out = Path(out)
    atomic_write(out, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m decouple.results_page",
        description="Write the documentation's results page from a `decouple compare` folder.",
    )
    parser.add_argument("folder", nargs="?", default="results/compare", help="compare folder (default results/compare)")
    parser.add_argument("--out", default="docs/results.md", help="the page to write (default docs/results.md)")
    parser.add_argument("--template", help="the page's template (default docs/templates/results.md)")
    args = parser.parse_args(argv)
    try:
        path = write_page(args.folder, args.out, args.template)
    except DecoupleError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: written from {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
