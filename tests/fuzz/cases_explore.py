"""The fuzz corpus, continued: discover, search and ema (issue 20).

--where texts, output folders, search files and shards, ema arguments. Cases are data, added with
the helpers of :mod:`tests.fuzz.cases` (its docstring says what each kind must satisfy). Every
refused input here is refused before any run: the few accepted cases run a search of two futures
and one policy to 2018.5."""

from __future__ import annotations

from .cases import HANG_GUARD, Case, add

FAMILY = "explore"


def _cli(id: str, *argv: str, expect: str = "error", note: str = "", setup: tuple = (), stage: tuple = ()) -> None:
    add(
        Case(
            id=f"explore-{id}",
            family=FAMILY,
            argv=argv,
            expect=expect,
            note=note,
            setup=setup,
            stage=stage,
            hang_guard=HANG_GUARD,
        )
    )


def _api(id: str, code: str, setup_code: str = "", note: str = "", setup: tuple = ()) -> None:
    add(
        Case(
            id=f"explore-api-{id}",
            family=FAMILY,
            kind="api",
            code=code,
            setup_code=setup_code,
            note=note,
            setup=setup,
        )
    )


# ============================================================================ --where
# Over the fuzz fixture's sweep (two runs of the baseline, policy.fence 0.1 and 0.2, trust@2018.25):
# a bad condition is refused after the sweep's table is read and before anything is written.
SWEEP = (("sweep_result", "{work}/sweep"),)
WHERE = {
    "unicode-name": "trüst@2018.25 < 0.5",
    "unicode-digit": "trust@2018.25 < ３",
    "unicode-operator": "trust@2018.25 ≤ 0.5",
    "no-outcome": "1 < 2",
    "no-outcome-scientific": "1e3 > 2.5e2",
    "parens-10000": "(" * 10_000 + "trust@2018.25 < 1" + ")" * 10_000,
    "parens-300": "(" * 300 + "trust@2018.25 < 1" + ")" * 300,
    "not-10000": "not " * 10_000 + "trust@2018.25 < 1",
    "not-400": "not " * 400 + "trust@2018.25 < 1",
    "minus-1500": "-" * 1500 + "trust@2018.25 < 1",
    "plus-chain": " + ".join(["trust@2018.25"] * 120) + " < 1",
    "long-100k": "trust@2018.25 < 1 and " * 5000 + "trust@2018.25 > 0",
    "not-of-number": "not trust@2018.25",
    "compare-comparisons": "(trust@2018.25 < 1) < (trust@2018.25 > 0)",
    "arithmetic-on-comparison": "(trust@2018.25 < 1) + 1 > 0",
    "overflow-literal": "trust@2018.25 < 1e999",
    "5000-digit-number": "trust@2018.25 < " + "9" * 5000,
    "400-digit-number": "trust@2018.25 < " + "9" * 400,
    "single-equals": "trust@2018.25 = 0.5",
    "call": "__import__('os').system('true') < 1",
    "lambda": "(lambda: 1)() < trust@2018.25",
    "attribute": "trust.real < 1",
    "subscript": "gdp[US]@2018.25 < 1",
    "string": "trust@2018.25 < 'a'",
    "nul": "trust@2018.25 <\x00 1",
    "newline": "trust@2018.25 <\n 1",
    "empty": "",
    "spaces": "   ",
    "no-comparison": "trust@2018.25",
    "dangling": "trust@2018.25 <",
    "unknown-outcome": "trusst@2018.25 < 1",
    "year-not-kept": "trust@2030 < 1",
    "true-literal": "trust@2018.25 < True",
    "hex": "trust@2018.25 < 0x1",
    "complex": "trust@2018.25 < 1j",
    "power": "trust@2018.25 ** 2 < 1",
    "bare-exponent": "trust@2018.25 < 1e",
    "scientific-every-run": "trust@2018.25 < 3.7e-1 or trust@2018.25 >= .37",  # read; holds in every run
}
for _id, _text in WHERE.items():
    _cli(f"where-{_id}", "discover", "{work}/sweep", "--where", _text, "--out", "{out}", setup=SWEEP)

# the same kinds when an exploration would run: refused before its runs
for _id, _text in {
    "unicode-name": "gäp_controlled@2030 < 0.1",
    "no-outcome": "1 < 2",
    "parens-10000": "(" * 10_000 + "gap_controlled@2030 < 1" + ")" * 10_000,
    "not-10000": "not " * 10_000 + "gap_controlled@2030 < 1",
    "year-past-end": "gap_controlled@2040 < 0.1",
    "unknown-outcome": "gap_controled@2030 < 0.1",
    "whole-run-with-year": "yard_wide_year@2030 < 2030",
}.items():
    _cli(f"explore-where-{_id}", "discover", "--runs", "10", "--where", _text, "--out", "{out}")

# ============================================================================ discover: arguments, folders
GOOD = "trust@2018.25 < 0.5"
_cli("runs-huge", "discover", "--runs", "100000000", "--where", "gap_controlled@2030 < 0.1", "--out", "{out}")
_cli("runs-too-few", "discover", "--runs", "3", "--where", "gap_controlled@2030 < 0.1", "--out", "{out}")
_cli("runs-and-results", "discover", "{work}/sweep", "--runs", "10", "--where", GOOD, setup=SWEEP)
_cli("method-unknown", "discover", "{work}/sweep", "--where", GOOD, "--method", "svm", "--out", "{out}", setup=SWEEP)
_cli("density-nan", "discover", "{work}/sweep", "--where", GOOD, "--density", "nan", "--out", "{out}", setup=SWEEP)
_cli("year-nan", "discover", "--runs", "10", "--year", "nan", "--where", "gap_controlled@2030 < 0.1", "--out", "{out}")
_cli("year-past-end", "discover", "--runs", "10", "--year", "2050", "--where", "gap_controlled@2030 < 0.1")
_cli("results-missing", "discover", "{work}/nothing", "--where", GOOD, "--out", "{out}")
_cli(
    "results-a-run", "discover", "{work}/run", "--where", GOOD, "--out", "{out}", setup=(("run_result", "{work}/run"),)
)
_cli(
    "results-garbage-parquet",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}",
    setup=SWEEP + (("bytes", "{work}/sweep/runs.parquet", "50415231deadbeef"),),
)
_cli(
    "results-wrong-parquet",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}",
    setup=SWEEP + (("parquet", "{work}/sweep/runs.parquet", "wrong"),),
)
_cli(
    "results-manifest-wrong-types",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}",
    setup=SWEEP + (("file", "{work}/sweep/manifest.json", '{"experiment": {"name": 5, "text": []}}'),),
)
_cli(
    "results-manifest-truncated",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}",
    setup=SWEEP + (("file", "{work}/sweep/manifest.json", '{"experiment": {"na'),),
)
# output folders: refused before the analysis (and, with --runs, before any run)
_cli(
    "out-foreign-files",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}",
    setup=SWEEP + (("file", "{out}/thesis.tex", "mine"),),
)
_cli(
    "out-foreign-files-exploration",
    "discover",
    "--runs",
    "10",
    "--where",
    "gap_controlled@2030 < 0.1",
    "--out",
    "{out}",
    setup=(("file", "{out}/notes.txt", "mine"),),
)
_cli(
    "out-is-file",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}",
    setup=SWEEP + (("file", "{out}", "x"),),
)
_cli(
    "out-under-file",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}/sub",
    setup=SWEEP + (("file", "{out}", "x"),),
)
_cli("out-is-the-sweep", "discover", "{work}/sweep", "--where", GOOD, "--out", "{work}/sweep", setup=SWEEP)
_cli("out-name-too-long", "discover", "{work}/sweep", "--where", GOOD, "--out", "{out}/" + "n" * 300, setup=SWEEP)
_cli(
    "out-of-a-run",
    "discover",
    "{work}/sweep",
    "--where",
    GOOD,
    "--out",
    "{out}",
    setup=SWEEP + (("file", "{out}/.decouple", '{"kind": "run"}'),),
)

# ============================================================================ search files
SEARCH = """
[search]
title = "fuzz search"
scenario = "baseline"
year = 2018.5
futures = 2
root_seed = 1
method = "exhaustive"
uncertainties = ["china.state_support"]

[levers]
"policy.fence" = [0.5]

[[objective]]
metric = "gap_small_yard@2018.5"
direction = "max"
"""
FENCE = '"policy.fence" = [0.5]'
BAD_SEARCH = {
    "fence-string": (FENCE, '"policy.fence" = ["0.5"]'),
    "fence-bool": (FENCE, '"policy.fence" = [true]'),
    "fence-table": (FENCE, '"policy.fence" = [{ low = 0.1 }]'),
    "fence-bounds-table": (FENCE, '"policy.fence" = { low = 0.9, high = 0.1 }'),
    "fence-nan": (FENCE, '"policy.fence" = [nan]'),
    "fence-inf": (FENCE, '"policy.fence" = [-inf]'),
    "fence-above-range": (FENCE, '"policy.fence" = [1.5]'),
    "fence-empty": (FENCE, '"policy.fence" = []'),
    "fence-duplicate": (FENCE, '"policy.fence" = [0.5, 0.5]'),
    "fence-not-list": (FENCE, '"policy.fence" = 0.5'),
    "fence-nested-list": (FENCE, '"policy.fence" = [[0.5]]'),
    "int-lever-float": (FENCE, '"policy.negotiation_lag" = [2.5]'),
    "switch-string": (FENCE, '"adaptive.us_yard" = ["false"]'),
    "switch-int": (FENCE, '"adaptive.us_yard" = [0]'),
    "unknown-lever": (FENCE, '"policy.fense" = [0.5]'),
    "uncertainty-as-lever": (FENCE, '"china.state_support" = [0.5]'),
    "yard-ints": (FENCE, '"policy.yard" = [1, 2]'),
    "yard-unknown": (FENCE, '"policy.yard" = ["chips"]'),
    "yard-empty": (FENCE, '"policy.yard" = []'),
    "yard-duplicate": (FENCE, '"policy.yard" = ["chip_tools", "chip_tools"]'),
    "uncertainty-twice": ('["china.state_support"]', '["china.state_support", "china.state_support"]'),
    "uncertainty-unknown": ('["china.state_support"]', '["china.state_suport"]'),
    "uncertainty-is-lever": ('["china.state_support"]', '["policy.fence"]'),
    "uncertainties-empty": ('["china.state_support"]', "[]"),
    "futures-string": ("futures = 2", 'futures = "2"'),
    "futures-huge-budget": ("futures = 2", "futures = 10000\n"),  # with a big lever list below
    "year-past-end": ("year = 2018.5", "year = 2040.0"),
    "year-nan": ("year = 2018.5", "year = nan"),
    "method-unknown": ('method = "exhaustive"', 'method = "random"'),
    "population-zero": ('method = "exhaustive"', 'method = "nsga2"\npopulation = 0'),
    "metric-unknown": ('metric = "gap_small_yard@2018.5"', 'metric = "gap_smal_yard@2018.5"'),
    "metric-unicode": ('metric = "gap_small_yard@2018.5"', 'metric = "gäp_small_yard@2018.5"'),
    "metric-other-year": ('metric = "gap_small_yard@2018.5"', 'metric = "gap_small_yard@2030"'),
    "threshold-nan": ('direction = "max"', 'direction = "max"\nrobustness = "satisficing"\nthreshold = nan'),
    "compare-unknown": ("root_seed = 1", 'root_seed = 1\ncompare = ["nosuch"]'),
    "no-objective": ('[[objective]]\nmetric = "gap_small_yard@2018.5"\ndirection = "max"', ""),
}
for _id, (_old, _new) in BAD_SEARCH.items():
    assert _old in SEARCH, _id
    _text = SEARCH.replace(_old, _new)
    if _id == "futures-huge-budget":
        _text = _text.replace(FENCE, '"policy.fence" = [' + ", ".join(str(i / 1000) for i in range(1000)) + "]")
    _cli(
        f"search-{_id}",
        "search",
        "{in}/bad_search.toml",
        "--out",
        "{out}",
        setup=(("file", "{in}/bad_search.toml", _text),),
    )
_cli("search-empty-file", "search", "{in}/s.toml", "--out", "{out}", setup=(("file", "{in}/s.toml", ""),))
_cli("search-binary-file", "search", "{in}/s.toml", "--out", "{out}", setup=(("bytes", "{in}/s.toml", "00ff10fe"),))
_cli("search-missing-file", "search", "{in}/nosuch.toml", "--out", "{out}")
_cli(
    "search-backend-unknown",
    "search",
    "{in}/s.toml",
    "--backend",
    "mpi",
    "--out",
    "{out}",
    setup=(("file", "{in}/s.toml", SEARCH),),
)

# the budget flags (--futures, --population, --generations): refused before any run
NSGA = SEARCH.replace('method = "exhaustive"', 'method = "nsga2"\npopulation = 4\ngenerations = 1')
BIG_NSGA = NSGA.replace(FENCE, '"policy.fence" = [' + ", ".join(str(i / 1000) for i in range(1000)) + "]")
for _id, _flags, _text, _expect in (
    ("futures-zero", ("--futures", "0"), NSGA, "error"),
    ("futures-one", ("--futures", "1"), NSGA, "error"),
    ("futures-negative", ("--futures", "-3"), NSGA, "error"),
    ("futures-huge-int", ("--futures", "99999999999999999999"), NSGA, "error"),
    ("futures-text", ("--futures", "many"), NSGA, "usage"),
    ("futures-float", ("--futures", "2.5"), NSGA, "usage"),
    ("futures-empty", ("--futures", ""), NSGA, "usage"),
    ("population-zero", ("--population", "0"), NSGA, "error"),
    ("population-exhaustive", ("--population", "8"), SEARCH, "error"),
    ("generations-exhaustive", ("--generations", "3"), SEARCH, "error"),
    ("generations-above-bound", ("--generations", "10001"), NSGA, "error"),
    (
        "budget-over-run-limit",
        ("--futures", "10000", "--population", "10000", "--generations", "100"),
        BIG_NSGA,
        "error",
    ),
):
    _cli(
        f"search-flag-{_id}",
        "search",
        "{in}/s.toml",
        *_flags,
        "--out",
        "{out}",
        expect=_expect,
        setup=(("file", "{in}/s.toml", _text),),
    )

# search folders: refused before any run
GOOD_SEARCH = (("file", "{in}/s.toml", SEARCH),)
for _id, _setup in {
    "foreign-files": (("file", "{out}/notes.txt", "mine"),),
    "is-file": (("file", "{out}", "x"),),
    "other-search-done": (("file", "{out}/search.json", '{"name": "x", "hash": "other", "status": "done"}'),),
    "running-in-a-live-process": (
        ("file", "{out}/search.json", '{"name": "x", "hash": "other", "status": "running", "pid": 1}'),
    ),
    "of-a-sweep": (("file", "{out}/manifest.json", "{}"), ("dir", "{out}/shards")),
    "of-a-run": (("file", "{out}/.decouple", '{"kind": "run"}'),),
}.items():
    _cli(f"search-out-{_id}", "search", "{in}/s.toml", "--out", "{out}", setup=GOOD_SEARCH + _setup)
_cli(
    "search-out-under-file",
    "search",
    "{in}/s.toml",
    "--out",
    "{out}/sub",
    setup=GOOD_SEARCH + (("file", "{out}", "x"),),
)
# a stale or damaged stamp does not block its folder: the (tiny) search runs
for _id, _stamp in {
    "dead-process": '{"name": "x", "hash": "other", "status": "running", "pid": 999999999}',
    "truncated": '{"name": "x", "ha',
    "empty": "",
    "wrong-types": '{"hash": 5, "status": []}',
}.items():
    _cli(
        f"search-stale-stamp-{_id}",
        "search",
        "{in}/s.toml",
        "--out",
        "{out}",
        "--quiet",
        "--workers",
        "1",
        expect="accepted",
        note="accepted: a stamp left by a dead process, or one that cannot be read, is stale",
        setup=GOOD_SEARCH + (("file", "{out}/search.json", _stamp),),
    )

# ============================================================================ Python API
_api("parse-condition-unicode", "from decouple.discover import parse_condition; parse_condition('é < 1', ['x'])")
_api("parse-condition-none", "from decouple.discover import parse_condition; parse_condition(None, ['x'])")
_api("parse-condition-bytes", "from decouple.discover import parse_condition; parse_condition(b'x < 1', ['x'])")
_api(
    "parse-condition-deep-not",
    "from decouple.discover import parse_condition; parse_condition('not ' * 5000 + 'x < 1', ['x'])",
)
_api("explore-density-string", "from decouple.discover import explore; explore('x < 1', runs=10, density='0.8')")
_api("explore-runs-bool", "from decouple.discover import explore; explore('x < 1', runs=True)")
_api("explore-runs-float", "from decouple.discover import explore; explore('gap_controlled@2030 < 1', runs=10.5)")
_api("explore-workers-zero", "from decouple.discover import explore; explore('x < 1', runs=10, workers=0)")
_api(
    "explore-year-string",
    "from decouple.discover import explore; explore('gap_controlled@2030 < 1', runs=10, year='2030')",
)
_api(
    "explore-seed-negative",
    "from decouple.discover import explore; explore('gap_controlled@2030 < 1', runs=10, seed=-1)",
)
_api("explore-method-list", "from decouple.discover import explore; explore('x < 1', runs=10, method=['prim'])")
_api("conditions-of-missing", "from decouple.discover import conditions_of; conditions_of(TMP / 'nothing')")
_api(
    "conditions-of-garbage",
    "from decouple.discover import conditions_of; conditions_of(TMP / 'sweep')",
    setup=(("sweep_result", "{tmp}/sweep"), ("bytes", "{tmp}/sweep/runs.parquet", "00")),
)
_api("load-search-none", "from decouple.search import load_search; load_search(IN / 'nosuch.toml')")
_api(
    "load-search-lever-table",
    "from decouple.search import load_search; load_search(IN / 's.toml')",
    setup=(("file", "{in}/s.toml", SEARCH.replace(FENCE, '"policy.fence" = [{ a = 1 }]')),),
)
_api("run-search-not-a-search", "from decouple.search import run_search; run_search('precise_yard', OUT)")
_api(
    "run-search-workers-zero",
    "from decouple.search import load_search, run_search; run_search(load_search(IN / 's.toml'), OUT, workers=0)",
    setup=GOOD_SEARCH,
)
EMA = "import decouple.ema as ema; "
for _id, _code in {
    "unknown-parameter": "ema.changes_of({'policy.fense': 0.5})",
    "unknown-sector-flag": "ema.changes_of({'policy.yard:chips': True})",
    "switch-false-string": "ema.changes_of({'adaptive.us_yard': 'False'})",
    "switch-no": "ema.changes_of({'adaptive.us_yard': 'no'})",
    "switch-two": "ema.changes_of({'adaptive.us_yard': 2})",
    "yard-flag-string": "ema.changes_of({'policy.yard:chip_tools': 'yes'})",
    "number-string": "ema.changes_of({'policy.fence': '0.5'})",
    "number-nan": "ema.changes_of({'policy.fence': float('nan')})",
    "int-fraction": "ema.changes_of({'allies.negotiation_lag': 2.5})",
    "not-a-mapping": "ema.changes_of([('policy.fence', 0.5)])",
    "year-past-end": "ema.run_experiment('selective_decoupling', 0, 2040.0, ('gap_small_yard',))",
    "year-before-start": "ema.run_experiment('selective_decoupling', 0, 2010.0, ('gap_small_yard',))",
    "year-after-short-run": "ema.run_experiment('baseline', 0, 2020.0, ('gap_small_yard',), **{'time.steps': 2})",
    "year-string": "ema.run_experiment('baseline', 0, '2019', ('gap_small_yard',))",
    "outcome-unknown": "ema.run_experiment('baseline', 0, 2019.0, ('gap_smal_yard',))",
    "outcome-text": "ema.run_experiment('baseline', 0, 2019.0, 'gap_small_yard')",
    "outcome-whole-run": "ema.run_experiment('baseline', 0, 2019.0, ('yard_wide_year',))",
    "scenario-unknown": "ema.run_experiment('nosuch', 0, 2019.0, ('gap_small_yard',))",
    "seed-negative": "ema.run_experiment('baseline', -1, 2019.0, ('gap_small_yard',))",
    "model-outcomes-text": "ema.model(outcomes='gap_small_yard')",
    "model-outcomes-empty": "ema.model(outcomes=[])",
    "model-year-inf": "ema.model(year=float('inf'))",
    "model-uncertainty-int": "ema.model(uncertainties=[5])",
    "model-name-space": "ema.model(name='two words')",
}.items():
    _api(f"ema-{_id}", EMA + _code)
