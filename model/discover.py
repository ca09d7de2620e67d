"""Scenario discovery: under which combinations of uncertain conditions does a policy fail?

``decouple discover`` takes a finished sweep folder (its varied parameters are the candidate
conditions) or runs an exploration itself: a Latin hypercube over the registry's uncertainties,
each over its plausible range (:attr:`decouple.config.ParamSpec.plausible`), through the sweep
engine — seeded, sharded and resumable like any sweep. A condition on the kept outcomes
(``--where "gap_controlled@2030 < 0.1"``) marks the runs of interest, and the Patient Rule
Induction Method (PRIM; Friedman and Fisher 1999, as EMA Workbench implements it) or a
classification tree (CART) finds the box of conditions where they concentrate.

Written to the output folder: ``peeling_trajectory.png`` (PRIM: coverage against density of the
boxes it peels), ``box_limits.csv`` (the chosen box's limits per uncertainty with quasi-p-values),
``pairs_scatter.png`` (the box's dimensions two by two), ``boxes.csv`` (CART: every leaf box) and
``report.md``, a summary a researcher can paste.
"""

from __future__ import annotations

import ast
import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from .config import load_registry, shown
from .errors import ConfigError, DecoupleError, suggest
from .measure import Measure

#: a kept outcome in a condition: ``name@year`` (a quarterly outcome) or a whole-run outcome's name
METRIC = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:@[0-9]+(?:\.[0-9]+)?)?")
#: a number in a condition: 3, 0.37, .5, 5., 3.7e-1, 1E3
NUMBER = re.compile(r"(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: the operators and brackets of a condition
OPERATOR = re.compile(r"<=|>=|==|!=|<|>|\+|-|\*|/|\(|\)")
#: the outcomes an exploration keeps besides those its condition names
EXPLORED = ("gap_controlled", "gap_small_yard", "us_revenue", "cn_self_sufficiency", "welfare_usd_WORLD")
DENSITY = 0.8  # PRIM's default density threshold for the chosen box
#: what a condition may hold, for the errors
WHERE_ALLOWED = (
    "comparisons (< <= > >= == !=) of kept outcomes (NAME@YEAR, or a whole-run outcome's name) with numbers "
    "(3, 0.1, .5, 3.7e-1) or with each other, + - * / and brackets, joined by and / or / not, "
    'e.g. "gap_controlled@2030 < 0.1 and us_revenue@2030 > 1500"'
)
#: a condition longer than this, or nested deeper, is refused before it is parsed (a condition a
#: person writes is a line; Python's parser and an evaluator that recurses are not made for more)
WHERE_MAX_LENGTH = 2000
WHERE_MAX_DEPTH = 50

_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Name,
    ast.Load,
    ast.Constant,
)


@dataclass(frozen=True)
class Condition:
    """A parsed ``--where`` condition: its text, the metrics it reads, and its syntax tree."""

    text: str
    metrics: tuple[str, ...]
    tree: ast.Expression
    names: dict[str, str]  # placeholder -> metric

    def evaluate(self, runs: pd.DataFrame) -> np.ndarray:
        """(runs,) bool: where the condition holds (NaN never satisfies it)."""
        values = {ph: runs[m].to_numpy(dtype=float) for ph, m in self.names.items()}
        with np.errstate(all="ignore"):  # a division by zero gives inf or NaN, which the mask handles
            out = np.broadcast_to(np.asarray(_eval(self.tree.body, values), dtype=bool), (len(runs),))
        finite = np.all([np.isfinite(v) for v in values.values()], axis=0)
        return out & finite


def _eval(node: ast.AST, values: dict[str, np.ndarray]) -> Any:
    """The value of a checked tree (its depth is bounded by :data:`WHERE_MAX_DEPTH`)."""
    if isinstance(node, ast.BoolOp):
        parts = [_eval(v, values) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, values)
        if isinstance(node.op, ast.Not):
            return np.logical_not(inner)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values)
        result = None
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, values)
            step = {
                ast.Lt: np.less,
                ast.LtE: np.less_equal,
                ast.Gt: np.greater,
                ast.GtE: np.greater_equal,
                ast.Eq: np.equal,
                ast.NotEq: np.not_equal,
            }[type(op)](left, right)
            result = step if result is None else result & step
            left = right
        return result
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        return {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}[type(node.op)](a, b)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    raise AssertionError(node)  # parse_condition lets nothing else through


def _kind(node: ast.AST) -> str:
    """``"bool"`` or ``"number"``: what a checked node gives; ``"bad"`` where the parts do not fit
    (``not`` of a number, a comparison of comparisons, arithmetic on a comparison)."""
    if isinstance(node, ast.BoolOp):
        return "bool" if all(_kind(v) == "bool" for v in node.values) else "bad"
    if isinstance(node, ast.UnaryOp):
        want = "bool" if isinstance(node.op, ast.Not) else "number"
        return want if _kind(node.operand) == want else "bad"
    if isinstance(node, ast.Compare):
        return "bool" if all(_kind(v) == "number" for v in [node.left, *node.comparators]) else "bad"
    if isinstance(node, ast.BinOp):
        return "number" if _kind(node.left) == _kind(node.right) == "number" else "bad"
    return "number"  # a name or a number


def _depth(tree: ast.AST) -> int:
    """The depth of a syntax tree, counted without recursion."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _tokens(text: str, refuse) -> list[tuple[str, str]]:
    """(kind, token) of a condition's text: ``metric``, ``word`` (and, or, not), ``number``,
    ``op``; any other character is refused, naming it and where it is."""
    out: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        number = NUMBER.match(text, at)
        metric = METRIC.match(text, at) if number is None else None
        op = OPERATOR.match(text, at) if number is None and metric is None else None
        if number is not None:
            out.append(("number", number.group(0)))
            at = number.end()
        elif metric is not None:
            token = metric.group(0)
            out.append(("word" if token in ("and", "or", "not") else "metric", token))
            at = metric.end()
        elif op is not None:
            out.append(("op", op.group(0)))
            at = op.end()
        else:
            char = text[at]
            what = "a character outside ASCII" if not char.isascii() else "a character"
            refuse(f"{what} {char!r} (at position {at + 1}) is not allowed")
    return out


def parse_condition(text: str, available: list[str] | None, origin: str = "--where") -> Condition:
    """Parse ``text`` against the ``available`` metric columns (None: check the syntax only); a
    clear error names the option, the text and the problem (syntax, an unknown metric, a year not
    kept, a text too long or nested too deep), and says what is allowed."""

    def refuse(problem: str, allowed: str = WHERE_ALLOWED) -> NoReturn:
        raise ConfigError(f"{origin} = {shown(text)}: {problem}; allowed: {allowed}")

    if not isinstance(text, str) or not text.strip():
        refuse("no condition")
    if len(text) > WHERE_MAX_LENGTH:
        refuse(f"{len(text):,} characters, more than the {WHERE_MAX_LENGTH:,} a condition may have")
    tokens = _tokens(text, refuse)
    nesting = deepest = 0
    for kind, token in tokens:
        nesting += {"(": 1, ")": -1}.get(token, 0) if kind == "op" else 0
        deepest = max(deepest, nesting)
    if deepest > WHERE_MAX_DEPTH:
        refuse(f"brackets nested {deepest} deep, more than {WHERE_MAX_DEPTH}")
    names: dict[str, str] = {}
    parts = []
    for kind, token in tokens:
        if kind == "metric":
            name, _, year = token.partition("@")
            token = f"{name}@{float(year):g}" if year else name  # 2030.50 is the column 2030.5
            if token not in names.values():
                names[f"_m{len(names)}"] = token
            token = next(ph for ph, m in names.items() if m == token)
        parts.append(token)
    try:
        tree = ast.parse(" ".join(parts), mode="eval")
    except SyntaxError as exc:
        refuse(f"not a valid condition ({exc.msg})")
    except (RecursionError, MemoryError, ValueError, OverflowError):
        refuse(f"too deeply nested to read (at most {WHERE_MAX_DEPTH} levels)")
    if _depth(tree) > WHERE_MAX_DEPTH * 2:
        refuse(f"nested more than {WHERE_MAX_DEPTH * 2} operations deep")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            refuse(f"{type(node).__name__} is not allowed")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                refuse(f"the constant {shown(node.value)} is not allowed")
            try:
                finite = math.isfinite(float(node.value))
            except OverflowError:
                finite = False
            if not finite:
                refuse(f"the number {shown(node.value)} is too large (it reads as infinite)")
    if not names:
        refuse("names no outcome, so it holds in every run or in none")
    kind = _kind(tree.body)
    if kind == "number":
        refuse('not a condition (no comparison); e.g. "gap_controlled@2030 < 0.1"')
    if kind == "bad":
        refuse("parts that do not fit: 'not' of a number, and/or of numbers, or arithmetic on comparisons")
    metrics = list(names.values())
    if available is not None:
        kept = list(available)
        for metric in metrics:
            if metric in kept:
                continue
            base = metric.split("@")[0]
            years = sorted({c.split("@")[1] for c in kept if c.split("@")[0] == base and "@" in c})
            if years:
                raise ConfigError(
                    f"{origin} = {shown(text)}: {metric!r}: year not kept; the results keep {base} at "
                    f"{', '.join(years)}"
                )
            raise ConfigError(
                f"{origin} = {shown(text)}: {metric!r}{suggest(metric, kept)} is not a kept outcome; "
                f"allowed: {', '.join(kept)}"
            )
    return Condition(text, tuple(metrics), tree, names)


# ---------------------------------------------------------------- the conditions: x
#: uncertainties that only act when a switch of ``[adaptive]`` hands a lever to a decision rule
RULE_PARAMETERS = {
    "us.": ("us_yard", "us_fence", "us_entity_list", "us_ally_pressure", "us_licences"),
    "third.": ("third_hedging",),
    "china.patience": ("china_countermeasures",),
    "china.support_focus": ("china_support",),
    "china.partner_": ("china_partners",),
    "china.talent_return": ("china_talent",),
    "allies.joint_rd": ("allies_joint_rd",),
}


def active_uncertainties(scenario: str) -> list[str]:
    """The numeric uncertainties that act in ``scenario``: all but the coefficients of decision
    rules the scenario leaves switched off (they would only add noise dimensions to a box)."""
    from .config import load_scenario
    from .world import load_world

    adaptive = load_scenario(scenario, sectors=load_world().sectors).params.adaptive
    out = []
    for path, spec in load_registry().items():
        if spec.role != "uncertainty" or spec.plausible is None or spec.type != "float":
            continue
        switches = next((s for prefix, s in RULE_PARAMETERS.items() if path.startswith(prefix)), None)
        if switches is None or any(getattr(adaptive, s) for s in switches):
            out.append(path)
    return out


def exploration_table(scenario: str, runs: int, year: float, condition_metrics: list[str], root_seed: int) -> dict:
    """An experiment (as a table for the sweep engine) over the plausible ranges of the numeric
    uncertainties that act in ``scenario``: a Latin hypercube of ``runs`` points, one seed each,
    run to ``year``."""
    registry = load_registry()
    vary = []
    for path in active_uncertainties(scenario):
        low, high = registry[path].plausible or registry[path].range or (0.0, 1.0)  # (numeric: always plausible)
        vary.append({"path": path, "low": low, "high": high, "label": path})
    names = list(dict.fromkeys([m.split("@")[0] for m in condition_metrics if "@" in m] + list(EXPLORED)))
    years = sorted({float(m.split("@")[1]) for m in condition_metrics if "@" in m} | {float(year)})
    start = registry["time.start_year"].default
    steps = int(round((max(years) - start) * 4))
    return {
        "experiment": {
            "title": f"Exploration of {scenario} over the uncertainties",
            "description": "Latin hypercube over every numeric uncertainty's plausible range (decouple discover).",
            "scenarios": [scenario],
            "replicates": 1,
            "root_seed": root_seed,
            "steps": steps,
            "sampler": "lhs",
            "samples": runs,
        },
        "vary": vary,
        "metrics": {"names": names, "years": years},
    }


def conditions_of(folder: Path) -> tuple[pd.DataFrame, list[str], str]:
    """(runs, varied parameter columns, experiment title) of a finished sweep folder. A varied
    parameter that is not a number (a set of sectors) is kept as a categorical column, which PRIM
    and CART box by the values they keep."""
    from .sweeps.engine import MANIFEST, RUNS, read_manifest

    folder = Path(folder)
    manifest = read_manifest(folder)
    stored = manifest.get("experiment") if manifest else None
    if not isinstance(stored, dict) or not (folder / RUNS).is_file():
        raise DecoupleError(
            f"{folder}: not a finished sweep folder (it needs a readable {MANIFEST} and {RUNS}); run "
            "`decouple sweep` or `decouple discover --runs N` first"
        )
    if not isinstance(stored.get("text"), str) or not isinstance(stored.get("name"), str):
        raise DecoupleError(
            f"{folder / MANIFEST}: the experiment's text or name is missing; run the sweep again with --resume"
        )
    from .sweeps.experiment import experiment_from_table, experiment_from_text

    try:  # an experiment file's text is TOML; one built in code (an exploration) is stored as JSON
        raw = json.loads(stored["text"])
    except json.JSONDecodeError:
        raw = None
    try:
        if isinstance(raw, dict):
            exp = experiment_from_table(raw, stored["name"], stored["text"], check_scenarios=False)
        else:
            exp = experiment_from_text(stored["text"], stored["name"], check_scenarios=False)
    except DecoupleError as exc:
        raise DecoupleError(f"{folder / MANIFEST}: the experiment it stores cannot be read: {exc}") from None
    try:
        runs = pd.read_parquet(folder / RUNS)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        raise DecoupleError(
            f"{folder / RUNS}: not a readable table ({type(exc).__name__}); run the sweep again with --resume"
        ) from None
    missing = [c for c in ("status", "point") if c not in runs.columns]
    if missing:
        raise DecoupleError(f"{folder / RUNS}: no column {', '.join(missing)}; is this the table of a sweep?")
    runs = runs[(runs["status"] == "done") & (runs["point"] >= 0)].reset_index(drop=True)
    x_cols = [v.path for v in exp.spec.vary if v.path in runs.columns]
    if not x_cols:
        raise DecoupleError(f"{folder}: the sweep varies no parameter, so there are no conditions to box")
    for column in x_cols:
        if not pd.api.types.is_numeric_dtype(runs[column]):
            runs[column] = pd.Categorical(runs[column].map(_category))
    return runs, x_cols, exp.section.title


def _category(value: Any) -> str:
    """A readable label of a non-numeric parameter's value: a set of sectors (stored as a JSON list)
    as ``chip_tools+logic_chips``, the empty set as ``(none)``."""
    try:
        decoded = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if isinstance(decoded, list):
        return "+".join(map(str, decoded)) or "(none)"
    return str(decoded)


def _is_categorical(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.CategoricalDtype)


# ---------------------------------------------------------------- PRIM and CART
def run_prim(x: pd.DataFrame, y: np.ndarray, density: float = DENSITY) -> dict:
    """PRIM's peeling trajectory and the chosen box: the largest coverage among the boxes of at
    least ``density`` (else the densest)."""
    with warnings.catch_warnings():  # EMA warns at import that an optional back-end is missing
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        # a tiny threshold: peel all the way (EMA returns an empty box when the threshold is not met),
        # then choose on the whole trajectory
        finder = prim.Prim(x, y, threshold=1e-3)
        box = finder.find_box()
    trajectory = box.peeling_trajectory
    dense = trajectory[trajectory["density"] >= density]
    if len(dense):
        chosen = int(dense["coverage"].idxmax())
    else:  # no box is that dense: the densest that still covers half the runs of interest
        covering = trajectory[trajectory["coverage"] >= 0.5]
        chosen = int((covering if len(covering) else trajectory)["density"].idxmax())
    box.select(chosen)
    stats = trajectory.iloc[chosen]
    # the box's limits and quasi-p-values, read as EMA's inspect(style="data") does, which cannot
    # hold the value sets of a categorical dimension
    rows = []
    for name, (qp_low, qp_high) in box.qp[chosen].items():
        limits = box.box_lims[chosen][name]
        categorical = _is_categorical(x[name])
        rows.append(
            {
                "uncertainty": name,
                "min": np.nan if categorical else float(limits.iloc[0]),
                "max": np.nan if categorical else float(limits.iloc[1]),
                "values": " | ".join(sorted(map(str, limits.iloc[0]))) if categorical else "",
                "qp_low": np.nan if qp_low == -1 else float(qp_low),
                "qp_high": np.nan if qp_high == -1 else float(qp_high),
            }
        )
    table = pd.DataFrame(rows, columns=["uncertainty", "min", "max", "values", "qp_low", "qp_high"])
    return {"box": box, "trajectory": trajectory, "chosen": chosen, "stats": stats, "limits": table}


def run_cart(x: pd.DataFrame, y: np.ndarray, mass_min: float = 0.05) -> dict:
    """A classification tree's leaf boxes with their coverage and density."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import cart

        # EMA makes the least leaf int(mass_min * runs), which must be at least one run
        tree = cart.CART(x, y, mass_min=max(mass_min, 1.01 / len(y)))
        tree.build_tree()
    rows = []
    for i, (limits, stats) in enumerate(zip(tree.boxes, tree.stats)):
        restricted = []
        for c in limits.columns:
            if _is_categorical(x[c]):
                kept = set(limits[c][0])
                if kept != set(x[c].cat.categories):
                    restricted.append(f"{c} in {{{', '.join(sorted(map(str, kept)))}}}")
            elif (limits[c][0], limits[c][1]) != (x[c].min(), x[c].max()):
                restricted.append(f"{c} in [{limits[c][0]:.4g}, {limits[c][1]:.4g}]")
        rows.append(
            {
                "box": i,
                "coverage": float(stats["coverage"]),
                "density": float(stats["density"]),
                "mass": float(stats["mass"]),
                "limits": "; ".join(restricted),
            }
        )
    return {"boxes": pd.DataFrame(rows)}


#: the files :func:`discover` may write into its folder (and the exploration's sweep folder)
DISCOVERY_FILES = (
    "peeling_trajectory.png",
    "box_limits.csv",
    "pairs_scatter.png",
    "boxes.csv",
    "report.md",
    "discovery.json",
)
#: a box whose every restriction has a quasi-p-value above this is not told apart from chance
NOISE_QP = 0.1


def _legible_pairs(fig, dims: int) -> None:
    """EMA's pairs plot made legible: at least 2.8 inches a panel (a one-dimension box came out
    2.6 inches wide), laid out by matplotlib's constrained layout, and seaborn's legend (titled
    'y', at the right, where it covered a panel once its title was longer) replaced by one below
    the panels that says what its colours mean; a legend without entries is dropped."""
    width, height = fig.get_size_inches()
    scale = max(1.0, (2.8 * dims + 1.0) / height)
    fig.set_size_inches(width * scale, height * scale)
    entries = []
    for legend in list(fig.legends):
        names = {"True": "the condition holds", "False": "it does not"}
        entries += [
            (h, names.get(t.get_text(), t.get_text())) for h, t in zip(legend.legend_handles, legend.get_texts())
        ]
        legend.remove()
    fig.set_layout_engine("constrained")
    if entries:
        handles, labels = zip(*entries)
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)


def discover(
    runs: pd.DataFrame,
    x_cols: list[str],
    condition: Condition,
    out: Path,
    method: str = "prim",
    title: str = "",
    density: float = DENSITY,
) -> list[Path]:
    """Box the runs where ``condition`` holds; write the figures, tables and report to ``out``."""
    from .output import atomic_write, check_out, mark_out, write_csv, write_json

    if method not in ("prim", "cart"):
        raise ConfigError(f"--method = {method!r}; allowed: prim, cart")
    out = check_out(out, "discover", DISCOVERY_FILES + ("exploration",))
    y = condition.evaluate(runs)
    x = runs[x_cols].reset_index(drop=True)
    x = pd.DataFrame({c: x[c] if _is_categorical(x[c]) else x[c].astype(float) for c in x_cols})
    constant = [c for c in x_cols if x[c].nunique() <= 1]
    x = x.drop(columns=constant)
    if y.all() or not y.any():
        share = "every" if y.all() else "no"
        raise DecoupleError(
            f"the condition {condition.text!r} holds in {share} run of {len(y)}: there is nothing to tell apart; "
            "choose a threshold inside the range of the outcome"
        )
    if x.shape[1] == 0:
        raise DecoupleError(
            f"the varied parameters ({', '.join(x_cols)}) take one value in every run: there are no conditions to box"
        )
    mark_out(out, "discover")
    written: list[Path] = []
    categorical = [c for c in x.columns if _is_categorical(x[c])]
    lines = [
        f"# Scenario discovery: {condition.text}",
        "",
        f"{title}. {len(y)} runs; the condition holds in {int(y.sum())} ({y.mean():.1%}). Method: "
        f"{method.upper()} over {x.shape[1]} uncertain conditions"
        + (
            f", of which {len(categorical)} categorical ({', '.join(categorical)}: boxed by the values kept)"
            if categorical
            else ""
        )
        + ".",
        "",
    ]
    if constant:
        lines += [f"Left out, as they take one value in every run: {', '.join(constant)}.", ""]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    noise = ""
    if method == "prim":
        found = run_prim(x, y, density)
        trajectory, limits, stats = found["trajectory"], found["limits"], found["stats"]
        rule = (
            f"the largest coverage with density at least {density:g}"
            if stats["density"] >= density
            else f"no box reaches density {density:g}: the densest that covers at least half the runs of interest"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig = found["box"].show_tradeoff()
            fig.set_size_inches(8, 6)
            ax = fig.axes[0]
            ax.set_title("PRIM peeling trajectory (colour: dimensions restricted)")
            ax.scatter([stats["coverage"]], [stats["density"]], s=160, facecolors="none", edgecolors="black")
        path = out / "peeling_trajectory.png"
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight", dpi=110))
        plt.close(fig)
        written.append(path)
        table = limits.copy()
        table["qp"] = table[["qp_low", "qp_high"]].max(axis=1)
        table = table.sort_values("qp", na_position="last").reset_index(drop=True)
        table["plausible_low"] = [np.nan if c in categorical else x[c].min() for c in table["uncertainty"]]
        table["plausible_high"] = [np.nan if c in categorical else x[c].max() for c in table["uncertainty"]]
        table["plausible_values"] = [
            " | ".join(sorted(map(str, x[c].cat.categories))) if c in categorical else "" for c in table["uncertainty"]
        ]
        path = out / "box_limits.csv"
        write_csv(path, table)
        written.append(path)
        # the four most significant numeric restrictions: a pairs plot of dozens of dimensions is
        # unreadable, and EMA's cannot draw a categorical one
        dims = [c for c in table["uncertainty"] if c not in categorical][:4]
        if len(dims) >= 1:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    grid = found["box"].show_pairs_scatter(found["chosen"], dims=dims)
                pair_fig = grid.figure if hasattr(grid, "figure") else getattr(grid, "fig", plt.gcf())
                _legible_pairs(pair_fig, len(dims))
                path = out / "pairs_scatter.png"
                atomic_write(path, lambda tmp: pair_fig.savefig(tmp, format="png", bbox_inches="tight", dpi=90))
                written.append(path)
            except (ValueError, TypeError, KeyError) as exc:  # a figure must not cost the analysis
                lines.append(f"(No pairs scatter: {exc})")
            plt.close("all")
        significant = table["qp"] <= NOISE_QP  # NaN (no quasi-p) is not significant
        if len(table) == 0:
            noise = "not distinguishable from noise: the box restricts no condition; run more samples"
        elif not significant.any():
            noise = f"not distinguishable from noise: every restriction has quasi-p > {NOISE_QP:g}; run more samples"
        else:
            noise = ""
        if noise:
            lines[2:2] = [f"**Warning: {noise}.**", ""]
        lines += [
            f"PRIM's chosen box ({rule}, box {found['chosen']} of "
            f"{len(trajectory)}): **coverage {stats['coverage']:.2f}** (share of the runs of interest inside it), "
            f"**density {stats['density']:.2f}** (share of the runs inside it that are of interest), mass "
            f"{stats['mass']:.2f}, {int(stats['res_dim'])} dimension(s) restricted.",
            "",
            "| uncertainty | box | plausible range | quasi-p-value |",
            "|---|---|---|---|",
        ]
        for _, row in table.iterrows():
            if row["uncertainty"] in categorical:
                box_text, plausible = f"one of {row['values']}", f"one of {row['plausible_values']}"
            else:
                box_text = f"{row['min']:.4g} to {row['max']:.4g}"
                plausible = f"{row['plausible_low']:.4g} to {row['plausible_high']:.4g}"
            lines.append(f"| `{row['uncertainty']}` | {box_text} | {plausible} | {row['qp']:.2g} |")
        lines += [
            "",
            "Quasi-p-values below 0.05 mark restrictions unlikely to be chance (Bryant and Lempert 2010)"
            + (f"; {noise}." if noise else "."),
        ]
    elif method == "cart":
        boxes = run_cart(x, y)["boxes"].sort_values("density", ascending=False)
        path = out / "boxes.csv"
        write_csv(path, boxes)
        written.append(path)
        lines += ["| box | coverage | density | mass | limits |", "|---|---|---|---|---|"]
        for _, row in boxes.iterrows():
            lines.append(
                f"| {row['box']} | {row['coverage']:.2f} | {row['density']:.2f} | {row['mass']:.2f} | {row['limits']} |"
            )
    path = out / "report.md"
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda tmp: _write_text(tmp, text))
    written.append(path)
    path = out / "discovery.json"
    write_json(
        path,
        {
            "condition": condition.text,
            "method": method,
            "runs": int(len(y)),
            "of_interest": int(y.sum()),
            "noise": bool(noise),
            # what `decouple discover` prints on standard error ('' for a box told apart from chance)
            "warning": f"PRIM's box for {condition.text!r} is {noise}" if noise else "",
            "left_out": constant,
        },
    )
    written.append(path)
    for name in set(DISCOVERY_FILES) - {p.name for p in written}:  # an earlier discovery's, now stale
        (out / name).unlink(missing_ok=True)
    return written


@dataclass
class Exploration:
    """What :func:`explore` did: the folder, the files written (none when runs failed), the runs,
    and a warning when the box found is not told apart from chance ('' otherwise)."""

    out: Path
    files: list[Path]
    runs: int
    failed: int
    workers: int
    warning: str = ""


def condition_measures(where: str) -> list[Measure]:
    """The dated outcomes a ``--where`` condition names, as measures (aliases resolved, years
    checked as numbers), so that an exploration keeps them; names without a year are whole-run
    outcomes, kept by every run."""
    found = []
    for token in parse_condition(where, None).metrics:
        if "@" in token:
            found.append(Measure.parse(token, "--where").check(origin=f"--where = {shown(where)}"))
    return found


def explore(
    where: str,
    results: Path | str | None = None,
    runs: int | None = None,
    *,
    scenario: str = "selective_decoupling",
    year: float = 2030.0,
    seed: int = 0,
    method: str = "prim",
    density: float = DENSITY,
    workers: int | None = None,
    resume: bool = False,
    out: Path | str | None = None,
    progress: bool = True,
    log=print,
) -> Exploration:
    """Scenario discovery over a finished sweep folder (``results``) or over an exploration of
    ``runs`` runs of ``scenario`` over the uncertainties (run on the sweep engine into
    ``out/exploration``): the runs where ``where`` holds are boxed by ``method``. The workflow of
    ``decouple discover``, callable from a notebook."""
    from .config import load_scenario
    from .model import check_seed
    from .output import check_out, mark_out
    from .sweeps.engine import default_workers, run_sweep
    from .sweeps.experiment import experiment_from_table
    from .world import load_world

    if (results is None) == (runs is None):
        raise ConfigError(
            "give a finished sweep folder (RESULTS) or --runs N for an exploration of the uncertainties, not both"
        )
    if method not in ("prim", "cart"):
        raise ConfigError(f"--method = {shown(method)}; allowed: prim, cart")
    if not _real(density) or not 0.0 < density < 1.0:
        raise ConfigError(f"--density = {shown(density)}; allowed: a number between 0 and 1")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise ConfigError(f"--workers = {shown(workers)}; allowed: a whole number of at least 1")
    if results is not None:
        folder = Path(results)
        table, x_cols, title = conditions_of(folder)
        metric_cols = [c for c in table.columns if "@" in c] + [c for c in _whole_run_names() if c in table.columns]
        condition = parse_condition(where, metric_cols)
        target = check_out(Path(out) if out else folder / "discovery", "discover", DISCOVERY_FILES)
        files = discover(table, x_cols, condition, target, method, title, density)
        return Exploration(target, files, len(table), 0, 0, _warning(target))
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 10:
        raise ConfigError(f"--runs = {shown(runs)}; allowed: a whole number of at least 10")
    if not _real(year) or not math.isfinite(year):
        raise ConfigError(f"--year = {shown(year)}; allowed: a year of the scenario's run, e.g. 2030")
    if not isinstance(scenario, (str, Path)):
        raise ConfigError(f"--scenario = {shown(scenario)}; allowed: a scenario's name or file")
    check_seed(seed, "--seed")
    # the condition and its outcomes must be known before the runs: check their names and years first
    probe = condition_measures(where)
    spec = load_scenario(scenario, sectors=load_world().sectors)
    start = spec.params.time.start_year
    end = start + spec.params.time.steps / 4.0
    for label, at in [("--year", year)] + [(f"--where: '{m.column()}'", m.year or year) for m in probe]:
        if not start < at <= end + 1e-9:
            raise ConfigError(
                f"{label}: year {at:g} not kept; allowed: a year after {start:g} up to {end:g} (the scenario's run)"
            )
    exp = experiment_from_table(
        exploration_table(str(scenario), runs, float(year), [m.column() for m in probe], seed),
        f"discover_{spec.name}",
    )
    kept = [f"{n}@{y:g}" for n in exp.spec.metrics.names for y in exp.spec.metrics.years]
    parse_condition(where, kept + _whole_run_names())
    exp.check_size()
    target = check_out(
        Path(out) if out else Path("results") / "discover" / spec.name, "discover", DISCOVERY_FILES + ("exploration",)
    )
    used = workers or min(default_workers(), exp.n_runs())
    mark_out(target, "discover")
    log(
        f"exploring {spec.name}: {runs:,} runs over {len(exp.spec.vary)} uncertainties (Latin hypercube "
        f"over their plausible ranges), {used} worker(s), into {target / 'exploration'}/"
    )
    result = run_sweep(exp, target / "exploration", workers=used, resume=resume, progress=progress)
    if result.failed:
        return Exploration(target, [], result.runs, result.failed, used)
    table, x_cols, title = conditions_of(target / "exploration")
    metric_cols = [c for c in table.columns if "@" in c] + [c for c in _whole_run_names() if c in table.columns]
    condition = parse_condition(where, metric_cols)
    files = discover(table, x_cols, condition, target, method, title, density)
    return Exploration(target, files, len(table), 0, used, _warning(target))


def _warning(folder: Path) -> str:
    """The warning :func:`discover` recorded in ``discovery.json`` ('' for none)."""
    record = json.loads((folder / "discovery.json").read_text(encoding="utf-8"))
    return str(record.get("warning", ""))


def _real(value: Any) -> bool:
    """A real number (an int or a float, not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole_run_names() -> list[str]:
    from . import outcomes

    return [o.name for o in outcomes.whole_run()]


def _write_text(path: Path, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
