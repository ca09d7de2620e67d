"""The fuzz corpus, continued: sweeps and faults (issue 20).

Scenario files edited mid-sweep, shards, driver errors, output checks, symlinks, encodings, the
time horizon. Cases are data, added with the helpers of :mod:`tests.fuzz.cases` (its docstring
says what each kind must satisfy)."""

from __future__ import annotations

from .cases import GENERATED, Case, add, api, cli

SHARD = "{out}/shards/baseline__p00000__r000.arrow"
OTHER_SHARD = "{out}/shards/baseline__p00001__r000.arrow"
FAILED = "{out}/failed/baseline__p00000__r000.json"
#: finish the fuzz fixture's sweep (2 runs, 2 steps) into {out}, which setup fills with its result
RESUME = ("sweep", "{in}/sweep_fixture.toml", "--out", "{out}", "--quiet", "--workers", "1", "--resume")
RUN2 = ("run", "baseline", "--steps", "2", "--no-plots")
CMP2 = ("compare", "baseline", "--replicates", "1", "--steps", "2", "--workers", "1", "--quiet")
SWEEP2 = ("sweep", "{in}/sweep_fixture.toml", "--quiet", "--workers", "1")


def _experiment(steps: int, extra: str = "") -> bytes:
    return (
        f'[experiment]\ntitle = "horizon"\nscenarios = ["baseline"]\nsteps = {steps}\n'
        f'[[vary]]\npath = "policy.fence"\nvalues = [0.1]\n{extra}'
    ).encode()


GENERATED.update(
    {
        "exp_steps_129.toml": lambda: _experiment(129),
        "exp_steps_400.toml": lambda: _experiment(400),
        "exp_steps_10e30.toml": lambda: _experiment(10**30),
        "exp_fixed_steps_200.toml": lambda: _experiment(2).replace(
            b'scenarios = ["baseline"]', b'scenarios = ["baseline"]\nfixed = ["time.steps=200"]'
        ),
        "exp_vary_steps_past_max.toml": lambda: _experiment(2).replace(
            b'path = "policy.fence"\nvalues = [0.1]', b'path = "time.steps"\nvalues = [4, 129]'
        ),
        "s_steps_129.toml": lambda: b"[time]\nsteps = 129\n",
        "s_extends_steps_200.toml": lambda: b'[scenario]\nextends = "baseline"\n[time]\nsteps = 200\n',
        "s_start_2100.toml": lambda: b"[time]\nstart_year = 2100.0\nsteps = 2\n",
        "基线.toml": lambda: b"[policy]\nfence = 0.5\n",
        "résumé.toml": lambda: b"[policy]\nfence = 0.5\n",
    }
)


# ============================================================================ shards on --resume
# A shard still stamped with the experiment's hash but wrong inside is never adopted: its run is
# computed again (a warning names the file), so the sweep finishes (exit 0).


def shard_case(id: str, *setup: tuple, note: str = "", expect: str = "accepted") -> None:
    add(
        Case(
            id=f"faults-shard-{id}",
            family="faults",
            argv=RESUME,
            stage=("sweep_fixture.toml",),
            setup=(("sweep_result", "{out}"),) + setup,
            expect=expect,
            note=note or "documented: an invalid shard is computed again, with a warning naming it",
        )
    )


shard_case("other-runs-row", ("shard", SHARD, "copy", OTHER_SHARD), note="another run's row under this run's name")
shard_case("both-swapped", ("shard", SHARD, "copy", OTHER_SHARD), ("shard", OTHER_SHARD, "set", "run_id", "x"))
shard_case("metric-column-missing", ("shard", SHARD, "drop", "trust@2018.25"))
shard_case("whole-run-column-missing", ("shard", SHARD, "drop", "compliance_lag"))
shard_case("parameter-column-missing", ("shard", SHARD, "drop", "policy.fence"))
shard_case("seed-column-missing", ("shard", SHARD, "drop", "seed"))
shard_case("run-id-column-missing", ("shard", SHARD, "drop", "run_id"))
shard_case("metric-as-text", ("shard", SHARD, "text", "trust@2018.25"))
shard_case("seed-as-text", ("shard", SHARD, "text", "seed"))
shard_case("run-id-null", ("shard", SHARD, "null"))
shard_case("run-id-other", ("shard", SHARD, "set", "run_id", "baseline__p00001__r000"))
shard_case("seed-other", ("shard", SHARD, "set", "seed", 12345))
shard_case("parameter-value-other", ("shard", SHARD, "set", "policy.fence", 0.99), note="another point's value")
shard_case("parameter-as-text", ("shard", SHARD, "text", "policy.fence"))
shard_case("status-failed", ("shard", SHARD, "set", "status", "failed"))
shard_case("two-rows", ("shard", SHARD, "rows", 2))
shard_case("zero-rows", ("shard", SHARD, "rows", 0))
shard_case("extra-column", ("shard", SHARD, "add", "not_a_metric"))
shard_case("truncated", ("bytes", SHARD, "4152524f57310000ffff"))
shard_case("parquet-not-arrow", ("file", SHARD, "x"), ("parquet", SHARD, "wrong"))
shard_case("garbage", ("bytes", SHARD, "50415231" + "ab" * 200))
shard_case("empty-file", ("file", SHARD, ""))
shard_case("every-shard-broken", ("file", SHARD, ""), ("file", OTHER_SHARD, "x"))
shard_case("failed-record-without-keys", ("file", FAILED, '{"run_id": "baseline__p00000__r000"}'))
shard_case("failed-record-not-a-table", ("file", FAILED, "[1, 2, 3]"))
shard_case(
    "failed-record-values-not-a-table",
    ("file", FAILED, '{"run_id": "a", "scenario": "b", "seed": 1, "error": "e", "values": 5}'),
)
shard_case("unknown-run-shard", ("file", "{out}/shards/not_a_run.arrow", "x"), note="ignored: not a run of the design")


# ============================================================================ output checks
# Every --out is checked where the command will write, before the work: /proc lies in a folder
# root may write in, so a probe of the parent passes and the command fails only at its end.

for _id, _path in (
    ("proc", "/proc/decouple_fuzz_calibration.toml"),
    ("proc-self", "/proc/self/decouple_fuzz_calibration.toml"),
    ("sys", "/sys/decouple_fuzz_calibration.toml"),
    ("dev-null", "/dev/null"),
    ("dev-full", "/dev/full"),
    ("folder", "{work}"),
    ("trailing-slash", "{work}/res/out/"),
    ("under-file", "{work}/afile/calibration.toml"),
    ("long-name", "{work}/res/" + "c" * 300 + ".toml"),
):
    cli(
        f"faults-calibrate-out-{_id}",
        "calibrate",
        "--points",
        "2",
        "--evaluations",
        "1",
        "--out",
        _path,
        setup=(("file", "{work}/afile", "x"),),
        allowed=("{work}/res",),
        note="calibrate --out refused before minutes of fitting",
    )
for _id, _target in (("loop", "{work}/res/link.toml"), ("into-proc", "/proc/decouple_fuzz.toml")):
    cli(
        f"faults-calibrate-out-link-{_id}",
        "calibrate",
        "--out",
        "{work}/res/link.toml",
        setup=(("symlink", "{work}/res/link.toml", _target),),
        allowed=("{work}/res",),
        note="calibrate --out: a link is written through, so its target is what is checked",
    )
for _id, _path in (("proc-self", "/proc/self"), ("proc", "/proc"), ("sys-kernel", "/sys/kernel")):
    cli(f"faults-sweep-out-{_id}", *SWEEP2, "--out", _path, stage=("sweep_fixture.toml",))
    cli(f"faults-compare-out-{_id}-child", *CMP2, "--out", f"{_path}/decouple_fuzz")
cli("faults-sweep-out-dev", *SWEEP2, "--out", "/dev", stage=("sweep_fixture.toml",), note="holds other files")
cli("faults-plot-proc-self", "plot", "/proc/self", note="plot writes its figures into the folder")
cli("faults-plot-inputs-folder", "plot", "{in}", stage=("sweep_fixture.toml",), allowed=("{in}",))
cli("faults-validate-out-proc-child", "validate", "--replicates", "1", "--quiet", "--out", "/proc/decouple_fuzz")


# ============================================================================ symbolic links
# A symlinked --out is written through (the link stays a link, nothing hidden is left beside it);
# a link to a file, a loop, or into /proc is refused.

LINK = "{work}/res/out"
for _id, _argv, _target, _extra in (
    ("run-to-new-folder", RUN2, "{work}/res/real", ()),
    ("run-to-results", RUN2, "{work}/res/real", (("run_result", "{work}/res/real"),)),
    ("run-dangling-deep", RUN2, "{work}/res/a/b/real", ()),
    ("run-link-chain", RUN2, "{work}/res/hop", (("symlink", "{work}/res/hop", "{work}/res/real"),)),
    ("compare-to-new-folder", CMP2, "{work}/res/real", ()),
    ("sweep-to-new-folder", SWEEP2, "{work}/res/real", ()),
):
    cli(
        f"faults-symlink-{_id}",
        *_argv,
        "--out",
        LINK,
        stage=("sweep_fixture.toml",),
        setup=_extra + (("symlink", LINK, _target),),
        allowed=("{work}/res",),
        expect="accepted",
        note="documented: results are written through a symlinked --out",
    )
cli(
    "faults-symlink-to-file",
    *RUN2,
    "--out",
    LINK,
    setup=(("file", "{work}/res/f", "x"), ("symlink", LINK, "{work}/res/f")),
)
cli(
    "faults-symlink-loop-pair",
    *RUN2,
    "--out",
    LINK,
    setup=(("symlink", LINK, "{work}/res/b"), ("symlink", "{work}/res/b", LINK)),
)
cli("faults-symlink-into-proc", *RUN2, "--out", LINK, setup=(("symlink", LINK, "/proc/self/decouple_fuzz"),))
cli(
    "faults-symlink-to-foreign-folder",
    *RUN2,
    "--out",
    LINK,
    setup=(("file", "{work}/res/mine/thesis.txt", "mine"), ("symlink", LINK, "{work}/res/mine")),
)
cli(
    "faults-symlink-sweep-to-file",
    *SWEEP2,
    "--out",
    LINK,
    stage=("sweep_fixture.toml",),
    setup=(("file", "{work}/res/f", "x"), ("symlink", LINK, "{work}/res/f")),
)


# ============================================================================ terminals and locales
# The real command, with the terminal's encoding set at start-up.

ASCII = (("PYTHONIOENCODING", "ascii"),)
LATIN1 = (("PYTHONIOENCODING", "latin-1"),)
C_LOCALE = (("LC_ALL", "C"), ("PYTHONUTF8", "0"), ("PYTHONIOENCODING", ""))
for _env_id, _env in (("ascii", ASCII), ("latin1", LATIN1), ("c-locale", C_LOCALE)):
    cli(f"faults-{_env_id}-params", "params", "baseline", expect="accepted", subprocess=True, env=_env)
    cli(f"faults-{_env_id}-run", *RUN2, "--out", "{out}", expect="accepted", subprocess=True, env=_env)
    cli(f"faults-{_env_id}-bad-set", "params", "baseline", "--set", "policy.fence=中", subprocess=True, env=_env)
    cli(f"faults-{_env_id}-unknown-scenario", "run", "基线", "--out", "{out}", subprocess=True, env=_env)
cli("faults-cp1252-outcomes", "outcomes", expect="accepted", subprocess=True, env=(("PYTHONIOENCODING", "cp1252"),))
for _id, _name in (("latin-name", "résultats"), ("chinese-name", "结果"), ("mixed-name", "out-é-结")):
    cli(f"faults-c-locale-run-out-{_id}", *RUN2, "--out", "{work}/res/" + _name, subprocess=True, env=C_LOCALE)
cli(
    "faults-c-locale-sweep-out",
    *SWEEP2,
    "--out",
    "{work}/res/结果",
    stage=("sweep_fixture.toml",),
    subprocess=True,
    env=C_LOCALE,
)
# the title made of the file's name goes into the figures (ASCII ids: the case's folder bears its id)
for _id, _file in (("chinese", "基线.toml"), ("latin", "résumé.toml")):
    cli(
        f"faults-c-locale-scenario-file-{_id}",
        "run",
        "{in}/" + _file,
        "--steps",
        "2",
        "--out",
        "{out}",
        stage=(_file,),
        expect="accepted",
        subprocess=True,
        env=C_LOCALE,
        note="documented: a scenario file whose name the locale cannot decode runs, figures and all",
    )
cli("faults-c-locale-compare-out", *CMP2, "--out", "{work}/res/结果", subprocess=True, env=C_LOCALE)


# ============================================================================ the time horizon
# time.steps at most 128 quarters (2018 to 2050); a run past 2035 is warned of.

for _id, _steps in (("129", "129"), ("400", "400"), ("401", "401")):
    cli(f"faults-steps-{_id}", "run", "baseline", "--steps", _steps, "--no-plots", "--out", "{out}")
cli("faults-set-steps-200", *RUN2[:2], "--set", "time.steps=200", "--no-plots", "--out", "{out}")
cli(
    "faults-compare-steps-129",
    "compare",
    "baseline",
    "--replicates",
    "1",
    "--steps",
    "129",
    "--quiet",
    "--out",
    "{out}",
)
cli(
    "faults-scenario-steps-129",
    "run",
    "{in}/s_steps_129.toml",
    "--no-plots",
    "--out",
    "{out}",
    stage=("s_steps_129.toml",),
)
cli(
    "faults-scenario-extends-steps-200",
    "run",
    "{in}/s_extends_steps_200.toml",
    "--no-plots",
    "--out",
    "{out}",
    stage=("s_extends_steps_200.toml",),
)
for _file in ("exp_steps_129.toml", "exp_steps_400.toml", "exp_steps_10e30.toml", "exp_fixed_steps_200.toml"):
    cli(f"faults-sweep-{_file[:-5]}", "sweep", f"{{in}}/{_file}", "--quiet", "--out", "{out}", stage=(_file,))
cli(
    "faults-sweep-vary-steps-past-max",
    "sweep",
    "{in}/exp_vary_steps_past_max.toml",
    "--quiet",
    "--out",
    "{out}",
    stage=("exp_vary_steps_past_max.toml",),
)
cli(
    "faults-run-past-evidence-warned",
    *RUN2,
    "--set",
    "time.start_year=2035.5",
    "--out",
    "{out}",
    expect="accepted",
    note="documented: runs, with one warning line naming the year and the evidence's horizon",
)
cli(
    "faults-run-starting-2100-warned",
    "run",
    "{in}/s_start_2100.toml",
    "--no-plots",
    "--out",
    "{out}",
    stage=("s_start_2100.toml",),
    expect="accepted",
    note="documented: runs, with a warning (it starts past the evidence's horizon)",
)
api("faults-model-steps-129", "DecouplingModel(params={'time.steps': 129})")
api("faults-load-scenario-steps-200", "load_scenario('baseline', ['time.steps=200'])")
api(
    "faults-experiment-steps-129",
    "experiment_from_text(TEXT, 'h')",
    setup_code="TEXT = (IN / 'exp_steps_129.toml').read_text()",
    stage=("exp_steps_129.toml",),
)


# ============================================================================ the API's output checks

api(
    "faults-prepare-file-proc",
    "prepare_file(Path('/proc/decouple_fuzz.toml'))",
    setup_code="from decouple.output import prepare_file",
)
api(
    "faults-prepare-file-folder",
    "prepare_file(IN)",
    setup_code="from decouple.output import prepare_file",
)
api(
    "faults-run-sweep-proc-self",
    "run_sweep(load_experiment(IN / 'sweep_fixture.toml'), Path('/proc/self'), progress=False)",
    stage=("sweep_fixture.toml",),
)
api(
    "faults-result-folder-symlink-loop",
    "with result_folder(OUT, 'run'): pass",
    setup_code=(
        "from decouple.output import result_folder\nOUT.parent.mkdir(parents=True, exist_ok=True)\nOUT.symlink_to(OUT)"
    ),
)
