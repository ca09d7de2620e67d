"""The fuzz corpus: bad inputs for the `decouple` command and the Python API.

Each :class:`Case` is data. ``tests/test_fuzz.py`` runs every one and checks what must hold:

- ``kind = "cli"``: ``decouple.cli.main(argv)`` in-process (``subprocess = True``: the real
  ``decouple`` command in a child process), with the working directory set to the case's own
  ``{cwd}``; the exit status must match ``expect`` (see ``EXPECT``), standard error must hold no
  traceback, and no file may appear or change outside the case's output folder (``{out}`` when
  ``--out`` is given, ``{cwd}/results`` otherwise, or ``allowed``).
- ``kind = "api"``: ``setup`` then ``code`` are executed (Python); ``code`` must raise an
  instance of :class:`decouple.DecoupleError` (ConfigError, ...), nothing else.

Placeholders in argv, paths and staged files (``@IN@`` style inside files):
``{in}`` the staged input files, ``{out}`` the output folder (does not exist unless set up),
``{cwd}`` the working directory, ``{work}`` the folder holding those three, ``{tmp}`` the case's
root folder (``{work}`` is four levels below it, so that ``../../`` escapes stay inside it),
``{port}`` a port held busy for the case (``setup`` op ``listen``).

Files: ``stage`` names files of ``files/`` (or of :data:`GENERATED`) copied into ``{in}``;
``setup`` is a list of operations (see ``apply_setup`` in the test).
"""

from __future__ import annotations

from dataclasses import dataclass

from decouple.config import MAX_ERRORS
from decouple.sweeps.engine import SCHEDULER_TIMEOUT

#: Seconds after which a case counts as hung. A hang guard, not a speed test: a refused input is
#: refused before any long work (a right answer takes a second or two, a wrong one never ends: a
#: run of 10**4999 steps, a pipe read for ever), so the guard is generous enough that a busy
#: machine never misses it. What "fails fast" stands for is checked without a clock: a design too
#: big to hold is refused under a memory limit (``memory_limit_gb``), and thousands of problems are
#: reported as a short list (``short_report``).
HANG_GUARD = 120.0
#: the most lines of standard error a ``short_report`` case may print: the first MAX_ERRORS problems
#: (decouple.config), the "... and N more problems like these" line, and one line of context
SHORT_REPORT_LINES = MAX_ERRORS + 2

#: what must hold for a CLI case
EXPECT = {
    # exit status 2 and "decouple: error:" on stderr
    "error": "exit 2 with 'decouple: error:'",
    # argparse usage error: exit 2 and "error:" on stderr
    "usage": "exit 2 with argparse's 'error:'",
    # either of the above
    "error_or_usage": "exit 2 with 'decouple: error:' or argparse's 'error:'",
    # `decouple sweep`: exit 2 with "decouple: error:", or the documented exit 1 when runs failed
    "sweep": "exit 2 with 'decouple: error:', or exit 1 with 'runs failed' (documented)",
    # an input that looks odd but has a right behaviour, which the project documents: exit 0
    "accepted": "exit 0 (a documented behaviour, not an error)",
}


@dataclass(frozen=True)
class Case:
    id: str
    family: str  # scenario | set | experiment | cli | api
    kind: str = "cli"  # cli | api
    argv: tuple[str, ...] = ()
    setup_code: str = ""  # api: statements that must succeed
    code: str = ""  # api: a statement that must raise a DecoupleError
    stage: tuple[str, ...] = ()
    setup: tuple[tuple, ...] = ()
    expect: str = "error"
    allowed: tuple[str, ...] = ()  # folders where writing is allowed (default: see module doc)
    subprocess: bool = False
    env: tuple[tuple[str, str], ...] = ()
    hang_guard: float = HANG_GUARD  # seconds; see HANG_GUARD
    short_report: bool = False  # cli: many problems, reported in at most SHORT_REPORT_LINES lines
    memory_limit_gb: float | None = None  # subprocess only: RLIMIT_AS
    note: str = ""  # why it is bad; "debatable:" where the expectation can be argued


CASES: list[Case] = []


def add(case: Case) -> None:
    CASES.append(case)


RUN = ("run",)
FAST = ("--steps", "2", "--no-plots", "--out", "{out}")


# ============================================================================ generated files
# Files too big, binary or deep to keep in files/: made when a case stages them.


def _deep(open_: str, close: str, n: int, inner: str = "") -> str:
    return open_ * n + inner + close * n


GENERATED = {
    "s_bom.toml": lambda: b"\xef\xbb\xbf[policy]\nfence = 0.5\n",
    "s_binary.toml": lambda: bytes(range(256)) * 16,
    "s_utf16.toml": lambda: "[policy]\nfence = 0.5\n".encode("utf-16"),
    "s_latin1.toml": lambda: '[scenario]\ntitle = "café"\n'.encode("latin-1"),
    "s_nul_byte.toml": lambda: b"[policy]\nfence = 0.5\x00\n",
    "s_cr_only.toml": lambda: b"[policy]\rfence = 0.5\r",
    "s_deep_array_5000.toml": lambda: ("[policy]\nfence = " + _deep("[", "]", 5000) + "\n").encode(),
    "s_deep_array_300.toml": lambda: ("[policy]\nfence = " + _deep("[", "]", 300) + "\n").encode(),
    "s_deep_inline_table_5000.toml": lambda: ("[policy]\nfence = " + _deep("{a=", "}", 5000, "1") + "\n").encode(),
    "s_deep_table_header_5000.toml": lambda: ("[" + ".".join(["a"] * 5000) + "]\nb = 1\n").encode(),
    "s_deep_dotted_key_in_policy.toml": lambda: ("[policy]\n" + ".".join(["a"] * 3000) + " = 1\n").encode(),
    "s_deep_event_set.toml": lambda: (
        "[[events]]\nyear = 2020.0\nset = { " + ".".join(["policy"] + ["a"] * 3000) + " = 1 }\n"
    ).encode(),
    "s_int_5000_digits.toml": lambda: ("[policy]\nfence = " + "9" * 5000 + "\n").encode(),
    "s_steps_5000_digits.toml": lambda: ("[time]\nsteps = " + "1" + "0" * 4999 + "\n").encode(),
    "s_float_5000_digits.toml": lambda: ("[policy]\nfence = 1" + "0" * 5000 + ".5\n").encode(),
    "s_long_string_value.toml": lambda: ('[policy]\nfence = "' + "x" * 1_000_000 + '"\n').encode(),
    "s_long_key.toml": lambda: ("[policy]\n" + "k" * 100_000 + " = 1\n").encode(),
    "s_long_sector.toml": lambda: ('[policy]\nyard = ["' + "s" * 100_000 + '"]\n').encode(),
    "s_many_unknown_keys.toml": lambda: (
        "[policy]\n" + "".join(f"unknown_{i} = {i}\n" for i in range(20_000))
    ).encode(),
    "s_many_bad_sectors.toml": lambda: (
        "[policy]\nyard = [" + ", ".join(f'"x{i}"' for i in range(20_000)) + "]\n"
    ).encode(),
    "s_many_events_conflicting.toml": lambda: "".join(
        f'[[events]]\nyear = 2020.0\nset = {{ "policy.fence" = {i / 10000} }}\n' for i in range(3000)
    ).encode(),
    "bin_blob.toml": lambda: bytes(range(255, -1, -1)) * 8,
    "exp_bom.toml": lambda: b"\xef\xbb\xbf" + _good_experiment(),
    "exp_binary.toml": lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "exp_deep_array_5000.toml": lambda: (
        _good_experiment().decode() + "\n[metrics]\nyears = " + _deep("[", "]", 5000) + "\n"
    ).encode(),
    "exp_deep_table_5000.toml": lambda: (
        _good_experiment().decode().replace("[experiment]\n", "[experiment]\n" + ".".join(["a"] * 5000) + " = 1\n")
    ).encode(),
    "exp_int_5000_digits.toml": lambda: _good_experiment().replace(b"root_seed = 1", b"root_seed = " + b"7" * 5000),
    "exp_long_title_key.toml": lambda: _good_experiment().replace(
        b"[experiment]\n", b"[experiment]\n" + b"t" * 100_000 + b" = 1\n"
    ),
    "exp_scenario_long_name.toml": lambda: _good_experiment().replace(
        b'scenarios = ["baseline"]', b'scenarios = ["' + b"a" * 300 + b'"]'
    ),
    "exp_many_vary_values.toml": lambda: _good_experiment().replace(
        b"values = [0.1, 0.2]", b"values = [" + b", ".join(b"9.5" for _ in range(20_000)) + b"]"
    ),
    "exp_many_figures.toml": lambda: (
        _good_experiment()
        + b'\n[metrics]\nnames = ["trust"]\nyears = [2018.25]\n'
        + b"".join(
            b'\n[[figure]]\nkind = "violin"\nmetrics = ["trust@2018.25"]\nfile = "../f%d.png"\n' % i
            for i in range(2000)
        )
    ),
}


def _good_experiment() -> bytes:
    from pathlib import Path

    return (Path(__file__).parent / "files" / "good_experiment.toml").read_bytes()


# ============================================================================ 1. scenario files


def scenario(
    id: str,
    file: str,
    note: str = "",
    stage: tuple = (),
    setup: tuple = (),
    also_params: bool = False,
    hang_guard: float = HANG_GUARD,
    short_report: bool = False,
    expect: str = "error",
):
    add(
        Case(
            id=f"scenario-{id}",
            family="scenario",
            argv=RUN + (f"{{in}}/{file}",) + FAST,
            stage=(file,) + stage,
            setup=setup,
            note=note,
            hang_guard=hang_guard,
            short_report=short_report,
            expect=expect,
        )
    )
    if also_params:
        add(
            Case(
                id=f"scenario-params-{id}",
                family="scenario",
                argv=("params", f"{{in}}/{file}"),
                stage=(file,) + stage,
                setup=setup,
                note=note,
                hang_guard=hang_guard,
                short_report=short_report,
                expect=expect,
            )
        )


# encodings and syntax
scenario(
    "empty",
    "s_empty.toml",
    "accepted: an empty scenario file sets nothing, so it is the open baseline "
    "(README: a scenario sets only what differs from the defaults)",
    also_params=True,
    expect="accepted",
)
scenario("comment-only", "s_comment_only.toml", "accepted: as the empty file", expect="accepted")
scenario(
    "bom",
    "s_bom.toml",
    "accepted: a UTF-8 byte-order mark (many Windows editors write one) is skipped",
    also_params=True,
    expect="accepted",
)
scenario("binary", "s_binary.toml", "binary bytes", also_params=True)
scenario("utf16", "s_utf16.toml", "UTF-16 text")
scenario("latin1", "s_latin1.toml", "Latin-1 text, not UTF-8")
scenario("nul-byte", "s_nul_byte.toml", "a NUL byte in the text")
scenario("cr-only", "s_cr_only.toml", "old Mac line ends (bare CR), invalid in TOML")
scenario("invalid-toml", "s_invalid_toml.toml", "syntax error", also_params=True)
scenario("dup-key", "s_dup_key.toml", "a key written twice")
scenario("dup-table", "s_dup_table.toml", "a table written twice")
# types and ranges
scenario("fence-string", "s_fence_string.toml", also_params=True)
scenario("fence-numeric-string", "s_fence_numeric_string.toml", 'fence = "0.5" (a string)')
scenario("fence-bool", "s_fence_bool.toml")
scenario("fence-array", "s_fence_array.toml")
scenario("fence-table", "s_fence_table.toml")
scenario("fence-nan", "s_fence_nan.toml", also_params=True)
scenario("fence-inf", "s_fence_inf.toml")
scenario("fence-neginf", "s_fence_neginf.toml")
scenario("fence-negative", "s_fence_negative.toml")
scenario("fence-above", "s_fence_above.toml", "1.0000001, just above the range")
scenario("fence-huge-float", "s_fence_huge_float.toml")
scenario("fence-overflow-float", "s_fence_overflow_float.toml", "1e400 reads as inf")
scenario("fence-bigint", "s_fence_bigint.toml", "a 29-digit integer")
scenario(
    "fence-int-5000-digits",
    "s_int_5000_digits.toml",
    "an integer of 5,000 digits (beyond Python's int-str limit)",
    also_params=True,
)
scenario("steps-5000-digits", "s_steps_5000_digits.toml", "time.steps of 5,000 digits")
scenario("fence-float-5000-digits", "s_float_5000_digits.toml", "a float literal of 5,000 digits (reads as inf)")
scenario("fence-date", "s_fence_date.toml")
scenario("fence-datetime", "s_fence_datetime.toml")
scenario("steps-float", "s_steps_float.toml")
scenario("steps-zero", "s_steps_zero.toml")
scenario("steps-negative", "s_steps_negative.toml")
scenario("steps-too-many", "s_steps_too_many.toml")
scenario("steps-bigint", "s_steps_bigint.toml")
scenario("steps-bool", "s_steps_bool.toml")
scenario("steps-string", "s_steps_string.toml")
scenario("start-year-nan", "s_start_year_nan.toml")
scenario("start-year-early", "s_start_year_early.toml")
scenario("negotiation-lag-float", "s_negotiation_lag_float.toml", "debatable: an integer parameter written 4.0")
# keys and sections
scenario("unknown-section", "s_unknown_section.toml", also_params=True)
scenario("unknown-key", "s_unknown_key.toml")
scenario("top-level-param", "s_top_level_param.toml")
scenario("section-is-number", "s_section_is_number.toml")
scenario("section-is-array", "s_section_is_array.toml")
scenario("section-is-array-of-tables", "s_section_is_array_of_tables.toml")
scenario("subsection-unknown", "s_subsection_unknown.toml")
scenario("param-has-subkey", "s_param_has_subkey.toml")
# sectors
scenario("yard-unknown-sector", "s_yard_unknown_sector.toml")
scenario("yard-ints", "s_yard_ints.toml")
scenario("yard-nested", "s_yard_nested.toml")
scenario("yard-word", "s_yard_word.toml")
scenario("yard-all-and-more", "s_yard_all_and_more.toml")
scenario("yard-empty-string", "s_yard_empty_string.toml")
scenario(
    "yard-duplicates",
    "s_yard_duplicates.toml",
    "accepted: a sector listed twice is still one controlled sector (the yard is a set)",
    expect="accepted",
)
scenario("yard-case", "s_yard_case.toml")
scenario("yard-table", "s_yard_table.toml")
scenario("yard-long-sector", "s_long_sector.toml", "a 100,000-character sector id")
scenario(
    "yard-20000-bad-sectors",
    "s_many_bad_sectors.toml",
    "20,000 unknown sector ids: the first few are reported, the rest counted",
    short_report=True,
)
scenario("willingness-unknown-country", "s_willingness_unknown_country.toml")
scenario("willingness-lowercase", "s_willingness_lowercase.toml")
scenario("willingness-number", "s_willingness_number.toml", "a section given a number")
scenario("willingness-out-of-range", "s_willingness_out_of_range.toml")
# [scenario] table
scenario("meta-not-table", "s_scenario_not_table.toml")
scenario("meta-unknown-key", "s_scenario_unknown_key.toml")
scenario("meta-title-int", "s_scenario_title_int.toml")
scenario("meta-description-table", "s_scenario_description_table.toml")
scenario("meta-notice-array", "s_scenario_notice_array.toml")
scenario("meta-questions-string", "s_scenario_questions_string.toml")
scenario("meta-questions-ints", "s_scenario_questions_ints.toml")
for _name in (
    "dotdot",
    "abs",
    "empty",
    "dot",
    "dotdot_only",
    "slash",
    "backslash",
    "newline",
    "nul",
    "int",
    "unicode",
    "long",
    "dash",
):
    scenario(f"name-{_name.replace('_', '-')}", f"s_name_{_name}.toml", "a [scenario] name that cannot name a folder")
# the scenario name decides the default output folder: run without --out as well
add(
    Case(
        id="scenario-name-dotdot-default-out",
        family="scenario",
        argv=RUN + ("{in}/s_name_dotdot.toml", "--steps", "2", "--no-plots"),
        stage=("s_name_dotdot.toml",),
        note="name = '../../x' with the default output folder",
    )
)
add(
    Case(
        id="scenario-name-abs-default-out",
        family="scenario",
        argv=RUN + ("{in}/s_name_abs.toml", "--steps", "2", "--no-plots"),
        stage=("s_name_abs.toml",),
        note="name = '/abs' with the default output folder",
    )
)
# deep, long, many
scenario("deep-array-5000", "s_deep_array_5000.toml", "an array nested 5,000 deep", also_params=True)
scenario("deep-array-300", "s_deep_array_300.toml", "an array nested 300 deep (parses)")
scenario("deep-inline-table-5000", "s_deep_inline_table_5000.toml", "inline tables nested 5,000 deep")
scenario(
    "deep-table-header-5000", "s_deep_table_header_5000.toml", "a table header of 5,000 dotted parts", also_params=True
)
scenario("deep-dotted-key-in-policy", "s_deep_dotted_key_in_policy.toml", "a dotted key of 3,000 parts in [policy]")
scenario("deep-event-set", "s_deep_event_set.toml", "an event's set with a dotted key of 3,000 parts")
scenario("long-string-value", "s_long_string_value.toml", "a 1 MB string as the fence")
scenario("long-key", "s_long_key.toml", "a 100,000-character key")
scenario(
    "20000-unknown-keys",
    "s_many_unknown_keys.toml",
    "20,000 unknown keys: the first few are reported, the rest counted",
    short_report=True,
)
scenario(
    "3000-conflicting-events",
    "s_many_events_conflicting.toml",
    "3,000 events in one year, all different",
)
# events
for _name in (
    "same_year_conflict",
    "same_year_conflict_nested",
    "year_after_end",
    "year_after_own_steps",
    "year_before_start",
    "year_far_past",
    "year_string",
    "year_bool",
    "year_nan",
    "year_inf",
    "year_date",
    "year_missing",
    "set_missing",
    "set_empty",
    "set_string",
    "set_array",
    "set_unknown_key",
    "set_structural",
    "set_structural_world",
    "set_out_of_range",
    "set_wrong_type",
    "set_nested_out_of_range",
    "set_section",
    "set_nested_too_deep",
    "set_unknown_sector",
    "unknown_event_key",
    "events_not_array",
    "events_table",
    "events_ints",
    "note_int",
    "id_table",
):
    scenario(
        f"event-{_name.replace('_', '-')}", f"e_{_name}.toml", also_params=_name in ("year_after_end", "set_structural")
    )
scenario(
    "event-same-year-conflict-extends",
    "e_same_year_conflict_extends.toml",
    "the file and the file it extends set the fence differently in one year",
    stage=("e_parent_events.toml",),
)
# extends
for _name in (
    "int",
    "list",
    "table",
    "missing_name",
    "missing_file",
    "empty",
    "blank",
    "abs_missing",
    "dev_null",
    "dot",
    "dotdot_slash",
    "url",
    "home",
    "newline",
):
    scenario(f"extends-{_name.replace('_', '-')}", f"ext_extends_{_name}.toml", "bad 'extends'")
scenario("extends-folder", "ext_extends_folder.toml", "extends names a folder", setup=(("dir", "{in}/adir.toml"),))
scenario(
    "extends-folder-noext", "ext_extends_folder_noext.toml", "extends names a folder", setup=(("dir", "{in}/adir"),)
)
scenario("extends-self", "ext_extends_self.toml", "a cycle of one", also_params=True)
scenario("extends-self-by-name", "ext_extends_self_by_name.toml", "a cycle of one, by bare name")
scenario("extends-cycle-2", "ext_cycle_a.toml", "a -> b -> a", stage=("ext_cycle_b.toml",))
scenario(
    "extends-cycle-3-relative",
    "ext_cycle3_a.toml",
    "a -> b -> sub/c -> ../a (relative paths)",
    stage=("ext_cycle3_b.toml", "sub/ext_cycle3_c.toml"),
)
scenario("extends-etc-passwd", "ext_extends_etc_passwd.toml", "extends climbs out with ../ to /etc/passwd")
scenario("extends-proc-file", "ext_extends_proc_file.toml", "extends /proc/self/status")
scenario("extends-binary", "ext_extends_binary.toml", "extends a binary file", stage=("bin_blob.toml",))
scenario("extends-parent-bad-value", "ext_extends_parent_bad_value.toml", stage=("ext_parent_bad_value.toml",))
scenario("extends-parent-bad-meta", "ext_extends_parent_bad_meta.toml", stage=("ext_parent_bad_meta.toml",))
scenario("extends-parent-invalid-toml", "ext_extends_parent_invalid_toml.toml", stage=("ext_parent_invalid_toml.toml",))
scenario(
    "extends-long-name",
    "ext_extends_long_name.toml",
    "extends a 300-byte name (over the 255-byte file-name limit)",
    also_params=True,
)
scenario("extends-long-path", "ext_extends_long_path.toml", "extends a 5,400-byte path (over PATH_MAX)")
scenario("extends-nul", "ext_extends_nul.toml", "extends a name with a NUL character", also_params=True)
scenario(
    "extends-symlink-loop",
    "ext_extends_symlink_loop.toml",
    "extends a symlink that points to itself",
    setup=(("symlink", "{in}/loop.toml", "loop.toml"),),
)
scenario(
    "extends-fifo",
    "ext_extends_fifo.toml",
    "extends a named pipe (reading it would block)",
    setup=(("fifo", "{in}/a_fifo.toml"),),
)
scenario(
    "extends-chain-1100",
    "ext_extends_chain_head.toml",
    "a chain of 1,100 files each extending the next (at most 50 are allowed)",
    setup=(("chain", "{in}/chain", 1100),),
)
scenario("extends-bad-child-of-good", "ext_extends_bad_child_of_good.toml", "fence = 1.5 over selective_decoupling")
scenario(
    "extends-historical-start-2030",
    "ext_extends_events_conflict_parent.toml",
    "extends historical but starts in 2030: its events fall before the start",
)
# the scenario argument itself
for _id, _arg, _note in (
    ("missing-file", "{in}/nosuch.toml", ""),
    ("folder", "{in}", "a folder"),
    ("folder-toml", "{in}/adir.toml", "a folder named .toml"),
    ("fifo", "{in}/a_fifo.toml", "a named pipe"),
    ("dev-null", "/dev/null", ""),
    ("etc-passwd", "/etc/passwd", "not TOML"),
    ("proc-status", "/proc/self/status", "not TOML"),
    ("dot", ".", ""),
    ("dotdot", "..", ""),
    ("root", "/", ""),
    ("empty", "", ""),
    ("blank", "   ", ""),
    ("long-name", "a" * 300, "a 300-byte name"),
    ("long-path", "/".join(["abcdefgh"] * 600), "a 5,400-byte path"),
    ("unknown-name", "nosuch", ""),
    ("typo", "baselin", ""),
    ("name-with-toml", "baseline.toml", "not in the working directory"),
    ("newline", "baseline\n", ""),
    ("unicode", "基线", ""),
    ("glob", "*", ""),
):
    add(
        Case(
            id=f"scenario-arg-{_id}",
            family="scenario",
            argv=RUN + (_arg,) + FAST,
            note=_note or f"scenario {_arg!r}",
            setup=(("dir", "{in}/adir.toml"), ("fifo", "{in}/a_fifo.toml")),
        )
    )
add(Case(id="scenario-params-unknown-name", family="scenario", argv=("params", "nosuch")))
add(Case(id="scenario-params-role-unknown", family="scenario", argv=("params", "baseline", "--role", "levers")))
add(
    Case(
        id="scenario-params-role-empty",
        family="scenario",
        argv=("params", "baseline", "--role", ""),
        note="--role '' is not a role",
    )
)


# ============================================================================ 2. --set


def override(
    id: str,
    *sets: str,
    note: str = "",
    steps: bool = True,
    scenario_name: str = "baseline",
    hang_guard: float = HANG_GUARD,
    expect: str = "error",
):
    argv = RUN + (scenario_name,) + (("--steps", "2") if steps else ()) + ("--no-plots", "--out", "{out}")
    for s in sets:
        argv += ("--set", s)
    add(Case(id=f"set-{id}", family="set", argv=argv, note=note, hang_guard=hang_guard, expect=expect))


override("typo", "policy.fenc=1")
override("unknown-top", "nosuch=1")
override("unknown-section", "polcy.fence=0.5")
override("section", "policy=1", note="a whole section")
override("section-table", "policy={fence=0.5}", note="a section given an inline table")
override("too-deep", "policy.fence.x=1")
override("empty-key", "=1")
override("blank-key", "   =1")
override("no-equals", "policy.fence")
override("empty", "")
override("empty-value", "policy.fence=")
override("double-equals", "policy.fence==1")
override("double-dot", "policy..fence=1")
override("leading-dot", ".policy.fence=1")
override("trailing-dot", "policy.fence.=1")
override("space-in-key", "policy. fence=1")
override("inf", "policy.fence=inf")
override("1e999", "policy.fence=1e999")
override("nan", "policy.fence=nan")
override("neg-inf", "policy.fence=-inf")
override("5000-digit-int", "policy.fence=" + "9" * 5000)
override("5000-digit-float", "policy.fence=1" + "0" * 5000 + ".0")
override("5000-digit-steps", "time.steps=" + "9" * 5000, steps=False)
override("nested-array-5000", "policy.fence=" + _deep("[", "]", 5000))
override("nested-array-300", "policy.fence=" + _deep("[", "]", 300))
override("nested-table-5000", "policy.fence=" + _deep("{a=", "}", 5000, "1"))
override("nested-array-yard-5000", "policy.yard=" + _deep("[", "]", 5000, '"logic_chips"'))
override("bool", "policy.fence=true")
override("quoted-number", 'policy.fence="0.5"')
override("single-quoted", "policy.fence='0.5'")
override("hex", "policy.fence=0x10")
override("underscore-int", "policy.fence=1_000")
override("date", "policy.fence=2022-01-01")
override("list-of-numbers", "policy.fence=0.5,0.6")
override("steps-float", "time.steps=2.5", steps=False)
override("steps-zero", "time.steps=0", steps=False)
override("steps-401", "time.steps=401", steps=False)
override("steps-huge", "time.steps=99999999999999999999999", steps=False)
override(
    "steps-overridden-by-flag", "time.steps=0", note="--set time.steps=0 and --steps 2 together; the flag silently wins"
)
override(
    "start-year-vs-events",
    "time.start_year=2050.0",
    scenario_name="historical",
    steps=False,
    note="historical's events fall before a 2050 start",
)
override("firms-scale-zero", "world.firms_scale=0")
override("firms-scale-huge", "world.firms_scale=1000000000")
override("negotiation-lag-float", "allies.negotiation_lag=1.0", note="debatable: an integer written 1.0")
override("negotiation-lag-bool", "allies.negotiation_lag=true")
override("yard-typo", "policy.yard=logic_chip")
override("yard-one-bad", "policy.yard=logic_chips,nosuch")
override("yard-all-and-more", "policy.yard=all,logic_chips")
override("yard-ints", "policy.yard=1,2")
override("yard-only-commas", "policy.yard=,,,", note="no sector ids between the commas")
override("yard-number", "policy.yard=5")
override("programme-all-all", "coopetition.programme_sectors=all,all")
override("willingness-unknown-country", "allies.willingness.XX=1")
override("willingness-section", "allies.willingness=1")
override("willingness-lowercase", "allies.willingness.nl=1")
override("unicode-key", "policy.fénce=1")
override("fullwidth-digits", "policy.fence=０.５")
override("emoji-key", "🙂=1")
override("long-key", "k" * 100_000 + "=1")
override("long-value", "policy.fence=" + "x" * 100_000)
override("dotted-5000-parts", ".".join(["a"] * 5000) + "=1")
override(
    "newline-injection",
    "policy.fence=0.5\npolicy.nosuch=1",
    note="a value with a newline: the rest is read as more TOML and silently dropped",
)
override(
    "newline-injection-table", "policy.fence=0.5\n[policy]\nfence=0.9", note="a value with a newline and a table header"
)
override("comment-only-value", "policy.fence=# nothing")
override("out-of-range-after-valid", "policy.fence=0.5", "policy.fence=7")
override("start-year-string", "policy.start_year=soon")
override("start-year-1e308", "policy.start_year=1e308")
add(Case(id="set-params-typo", family="set", argv=("params", "baseline", "--set", "policy.fenc=1")))
add(Case(id="set-params-empty-key", family="set", argv=("params", "baseline", "--set", "=1")))
add(
    Case(
        id="set-params-nested-5000",
        family="set",
        argv=("params", "baseline", "--set", "policy.fence=" + _deep("[", "]", 5000)),
    )
)
add(
    Case(
        id="set-validate-typo",
        family="set",
        argv=("validate", "--only", "pat_pv", "--out", "{out}", "--quiet", "--set", "policy.fenc=1"),
    )
)
add(
    Case(
        id="set-validate-steps-zero",
        family="set",
        argv=("validate", "--only", "pat_pv", "--out", "{out}", "--quiet", "--set", "time.steps=0"),
    )
)
add(
    Case(
        id="set-compare-typo",
        family="set",
        argv=(
            "compare",
            "baseline",
            "--replicates",
            "1",
            "--steps",
            "2",
            "--quiet",
            "--out",
            "{out}",
            "--set",
            "policy.fenc=1",
        ),
    )
)
add(
    Case(
        id="set-compare-out-of-range",
        family="set",
        argv=(
            "compare",
            "baseline",
            "--replicates",
            "1",
            "--steps",
            "2",
            "--quiet",
            "--out",
            "{out}",
            "--set",
            "policy.fence=2",
        ),
    )
)
add(Case(id="set-missing-value", family="set", argv=("run", "baseline", "--set"), expect="usage"))


# ============================================================================ 3. experiment files


def experiment(
    id: str,
    file: str,
    note: str = "",
    stage: tuple = (),
    extra: tuple = (),
    workers: bool = True,
    hang_guard: float = HANG_GUARD,
    short_report: bool = False,
    subprocess: bool = False,
    memory_limit_gb: float | None = None,
    expect: str = "sweep",
    setup: tuple = (),
):
    argv = ("sweep", f"{{in}}/{file}", "--out", "{out}", "--quiet") + (("--workers", "1") if workers else ()) + extra
    add(
        Case(
            id=f"experiment-{id}",
            family="experiment",
            argv=argv,
            stage=(file,) + stage,
            note=note,
            expect=expect,
            hang_guard=hang_guard,
            short_report=short_report,
            subprocess=subprocess,
            memory_limit_gb=memory_limit_gb,
            setup=setup,
        )
    )


for _name in (
    "unknown_top_key",
    "unknown_exp_key",
    "missing_experiment",
    "missing_title",
    "scenarios_empty",
    "scenarios_string",
    "scenarios_missing",
    "scenario_unknown",
    "scenario_twice",
    "scenario_int",
    "baseline_unknown",
    "baseline_int",
    "replicates_zero",
    "replicates_negative",
    "replicates_too_many",
    "replicates_float",
    "replicates_string",
    "root_seed_negative",
    "root_seed_too_big",
    "root_seed_float",
    "steps_zero",
    "steps_too_many",
    "steps_string",
    "sampler_unknown",
    "sampler_int",
    "random_samples_zero",
    "random_samples_negative",
    "random_no_vary",
    "random_with_values",
    "grid_with_low_high",
    "grid_empty_values",
    "vary_dup_path",
    "vary_unknown_path",
    "vary_section_path",
    "vary_empty_path",
    "vary_missing_path",
    "vary_out_of_range",
    "vary_wrong_type",
    "vary_nan",
    "vary_values_not_list",
    "vary_structural_bad",
    "vary_structural_wrong_type",
    "vary_bad_sector",
    "vary_unknown_key",
    "low_gt_high",
    "low_eq_high",
    "low_out_of_range",
    "high_inf",
    "low_nan",
    "low_string",
    "random_sectors",
    "random_bool",
    "samples_over_limit",
    "samples_1e12",
    "metrics_unknown",
    "metrics_names_string",
    "metrics_whole_run_name",
    "metrics_on_request",
    "metrics_year_after",
    "metrics_year_before",
    "metrics_year_not_quarter",
    "metrics_year_nan",
    "metrics_year_string",
    "metrics_unknown_key",
    "figure_file_dotdot",
    "figure_file_abs",
    "figure_file_sub_dotdot",
    "figure_file_backslash",
    "figure_file_hidden",
    "figure_file_int",
    "figure_kind_unknown",
    "figure_kind_missing",
    "figure_metric_unknown",
    "figure_metric_year_not_kept",
    "figure_metric_bad_year",
    "figure_heatmap_one_vary",
    "figure_heatmap_no_metric",
    "figure_sensitivity_grid",
    "figure_bands_no_keep",
    "figure_relative_no_baseline",
    "figure_relative_unknown",
    "figure_share_of_no_per",
    "figure_per_without_share_of",
    "figure_per_not_kept",
    "figure_per_int",
    "figure_unknown_key",
    "figure_not_array",
    "fixed_unknown_key",
    "fixed_no_equals",
    "fixed_string",
    "fixed_out_of_range",
    "fixed_table",
    "keep_timeseries_string",
    "title_int",
    "invalid_toml",
    "empty",
    "experiment_not_table",
    "vary_not_array",
):
    experiment(_name.replace("_", "-"), f"exp_{_name}.toml")
experiment(
    "two-scenarios-same-name",
    "exp_two_scenarios_same_name.toml",
    "two scenario files both named 'same'",
    stage=("same_name_a.toml", "same_name_b.toml"),
)
experiment(
    "scenario-named-like-builtin",
    "exp_scenario_named_like_builtin.toml",
    "a scenario file named 'baseline' beside the built-in baseline",
    stage=("named_baseline.toml",),
)
experiment(
    "scenario-bad-file", "exp_scenario_bad_file.toml", "a scenario file with fence = nan", stage=("s_fence_nan.toml",)
)
experiment(
    "vary-start-year-vs-events",
    "exp_vary_start_year_vs_events.toml",
    "debatable: varying time.start_year to 2050 on historical, whose events then fall before the start; "
    "every run fails (exit 1) unless refused up front",
)
experiment("figure-file-long", "exp_figure_file_long.toml", "a 300-byte figure file name")
experiment(
    "figure-file-manifest",
    "exp_figure_file_manifest.toml",
    "the figure file is manifest.json, which the figure would overwrite",
)
experiment(
    "figure-file-runs-parquet",
    "exp_figure_file_runs_parquet.toml",
    "the figure file is runs.parquet, which the figure would overwrite",
)
experiment("figure-file-shards-dir", "exp_figure_file_shards_dir.toml", "the figure file is the shards/ folder")
experiment("2000-figures-escaping", "exp_many_figures.toml", "2,000 figures all with file = '../fN.png'")
experiment(
    "bom", "exp_bom.toml", "accepted: a UTF-8 byte-order mark is skipped, as in scenario files", expect="accepted"
)
for _name in ("binary", "deep_array_5000", "deep_table_5000", "int_5000_digits", "long_title_key"):
    experiment(_name.replace("_", "-"), f"exp_{_name}.toml")
experiment("scenario-long-name", "exp_scenario_long_name.toml", "a scenario name of 300 bytes")
experiment(
    "20000-vary-values-out-of-range",
    "exp_many_vary_values.toml",
    "20,000 grid values, all out of range: the first few are reported, the rest counted",
    short_report=True,
)
# huge designs: refused with a clear message before they are built (in a child process under a memory
# limit, so that building one fails)
experiment("huge-grid-1e10", "exp_huge_grid_1e10.toml", "10 parameters x 10 values = 1e10 points")
experiment(
    "huge-grid-1e10-force",
    "exp_huge_grid_1e10.toml",
    "1e10 points with --force",
    extra=("--force",),
)
experiment("huge-grid-1e20", "exp_huge_grid_1e20.toml", "20 parameters x 10 values = 1e20 points")
experiment("huge-random", "exp_huge_random.toml", "random, samples = 1e6, 20 parameters, 10 replicates")
experiment("huge-sobol", "exp_huge_sobol.toml", "sobol, samples = 1e6, 20 parameters")
experiment(
    "huge-grid-1e20-force",
    "exp_huge_grid_1e20.toml",
    "1e20 points with --force: beyond any memory",
    extra=("--force",),
)
experiment(
    "huge-lhs",
    "exp_huge_lhs.toml",
    "lhs, samples = 1e6, 20 parameters",
    subprocess=True,
    memory_limit_gb=6,
)
experiment(
    "huge-morris",
    "exp_huge_morris.toml",
    "morris, samples = 1e6, 20 parameters",
    subprocess=True,
    memory_limit_gb=6,
)
experiment(
    "huge-morris-force",
    "exp_huge_morris.toml",
    "morris, samples = 1e6, 20 parameters, --force (refused by "
    "the memory check on a machine with less than ~28 GB available)",
    extra=("--force",),
    subprocess=True,
    memory_limit_gb=6,
)
experiment("huge-replicates-grid", "exp_huge_replicates_grid.toml", "1,000 points x 10,000 replicates")
# the experiment argument and the sweep's flags
for _id, _arg, _note in (
    ("missing-file", "{in}/nosuch.toml", ""),
    ("folder", "{in}", "a folder"),
    ("folder-toml", "{in}/adir.toml", "a folder named .toml"),
    ("unknown-name", "nosuch", ""),
    ("empty", "", ""),
    ("long-name", "a" * 300, "a 300-byte name"),
    ("long-path", "/".join(["abcdefgh"] * 600), "a 5,400-byte path"),
    ("dev-null", "/dev/null", ""),
    ("etc-passwd", "/etc/passwd", ""),
    ("scenario-file", "{in}/good_scenario.toml", "a scenario file given as an experiment"),
    ("fifo", "{in}/a_fifo.toml", "a named pipe (reading it would block)"),
):
    add(
        Case(
            id=f"experiment-arg-{_id}",
            family="experiment",
            argv=("sweep", _arg, "--out", "{out}", "--quiet", "--workers", "1"),
            stage=("good_scenario.toml",),
            setup=(("dir", "{in}/adir.toml"), ("fifo", "{in}/a_fifo.toml")),
            note=_note or f"experiment {_arg!r}",
            expect="sweep",
        )
    )
GOOD = ("sweep", "{in}/good_experiment.toml", "--out", "{out}", "--quiet")
for _id, _extra, _expect, _note in (
    ("workers-zero", ("--workers", "0"), "usage", ""),
    ("workers-negative", ("--workers", "-2"), "usage", ""),
    ("workers-float", ("--workers", "1.5"), "usage", ""),
    ("backend-unknown", ("--backend", "mpi"), "usage", ""),
    (
        "scheduler-with-local-backend",
        ("--workers", "1", "--scheduler", "tcp://127.0.0.1:1"),
        "sweep",
        "--scheduler without --backend dask",
    ),
):
    add(
        Case(
            id=f"experiment-flag-{_id}",
            family="experiment",
            argv=GOOD + _extra,
            stage=("good_experiment.toml",),
            expect=_expect,
            note=_note,
        )
    )
add(
    Case(
        id="experiment-out-is-file",
        family="experiment",
        argv=GOOD + ("--workers", "1"),
        stage=("good_experiment.toml",),
        setup=(("file", "{out}", "not a folder"),),
    )
)
add(
    Case(
        id="experiment-out-under-file",
        family="experiment",
        argv=("sweep", "{in}/good_experiment.toml", "--out", "{work}/afile/out", "--quiet", "--workers", "1"),
        stage=("good_experiment.toml",),
        setup=(("file", "{work}/afile", "x"),),
    )
)
add(
    Case(
        id="experiment-out-proc",
        family="experiment",
        argv=("sweep", "{in}/good_experiment.toml", "--out", "/proc/decouple_fuzz_sweep", "--quiet", "--workers", "1"),
        stage=("good_experiment.toml",),
    )
)
add(
    Case(
        id="experiment-out-foreign-folder",
        family="experiment",
        argv=GOOD + ("--workers", "1"),
        stage=("good_experiment.toml",),
        setup=(("file", "{out}/thesis.docx", "my thesis"),),
        note="--out holds someone's files",
    )
)
add(
    Case(
        id="experiment-resume-foreign-folder",
        family="experiment",
        argv=GOOD + ("--workers", "1", "--resume"),
        stage=("good_experiment.toml",),
        setup=(("file", "{out}/thesis.docx", "my thesis"),),
        note="--resume into a folder that holds someone's files and no sweep",
    )
)
add(
    Case(
        id="experiment-out-other-sweep",
        family="experiment",
        argv=GOOD + ("--workers", "1", "--resume"),
        stage=("good_experiment.toml",),
        setup=(("sweep_result", "{out}"), ("manifest_sha", "{out}/manifest.json")),
        note="--resume into a sweep of another experiment",
    )
)
add(
    Case(
        id="experiment-out-corrupt-manifest",
        family="experiment",
        argv=GOOD + ("--workers", "1", "--resume"),
        stage=("good_experiment.toml",),
        setup=(("sweep_result", "{out}"), ("file", "{out}/manifest.json", "{not json")),
        note="--resume into a folder whose manifest is corrupt and whose shards are of another experiment",
    )
)
# Dask: an unreachable scheduler must be reported, not waited on for ever (child processes). The
# client gives up after SCHEDULER_TIMEOUT; the limit adds room for starting Python and Dask on a
# busy machine, so that it catches a hang without timing the machine.
HANG_LIMIT = SCHEDULER_TIMEOUT + 50.0
for _id, _addr, _note in (
    ("unreachable", "tcp://127.0.0.1:1", "nothing listens on port 1"),
    ("bad-scheme", "nonsense://x:1", ""),
    ("port-out-of-range", "tcp://127.0.0.1:99999", ""),
    ("unresolvable-host", "tcp://nosuchhost.invalid:8786", ""),
    ("empty", "", "--scheduler '' is no address"),
):
    add(
        Case(
            id=f"experiment-dask-{_id}",
            family="experiment",
            argv=GOOD + ("--backend", "dask", "--scheduler", _addr),
            stage=("good_experiment.toml",),
            subprocess=True,
            hang_guard=HANG_LIMIT,
            note=_note or f"--scheduler {_addr}",
        )
    )


# ============================================================================ 4. command-line flags


def cli(
    id: str,
    *argv: str,
    expect: str = "error",
    note: str = "",
    setup: tuple = (),
    stage: tuple = (),
    allowed: tuple = (),
    hang_guard: float = HANG_GUARD,
    subprocess: bool = False,
    env: tuple = (),
):
    add(
        Case(
            id=f"cli-{id}",
            family="cli",
            argv=argv,
            expect=expect,
            note=note,
            setup=setup,
            stage=stage,
            allowed=allowed,
            hang_guard=hang_guard,
            subprocess=subprocess,
            env=env,
        )
    )


RB = ("run", "baseline", "--steps", "2", "--no-plots")
# seeds and steps
cli("seed-negative", *RB, "--seed", "-1", "--out", "{out}")
cli("seed-2p63", *RB, "--seed", "9223372036854775808", "--out", "{out}")
cli("seed-2p64", *RB, "--seed", "18446744073709551616", "--out", "{out}")
cli("seed-float", *RB, "--seed", "1.5", "--out", "{out}", expect="usage")
cli("seed-word", *RB, "--seed", "abc", "--out", "{out}", expect="usage")
cli("seed-hex", *RB, "--seed", "0x10", "--out", "{out}", expect="usage")
cli("seed-5000-digits", *RB, "--seed", "9" * 5000, "--out", "{out}", expect="error_or_usage")
cli("seed-missing-value", *RB, "--seed", expect="usage")
cli("steps-zero", "run", "baseline", "--steps", "0", "--no-plots", "--out", "{out}", expect="usage")
cli("steps-negative", "run", "baseline", "--steps", "-1", "--no-plots", "--out", "{out}", expect="usage")
cli("steps-float", "run", "baseline", "--steps", "1.5", "--no-plots", "--out", "{out}", expect="usage")
cli("steps-401", "run", "baseline", "--steps", "401", "--no-plots", "--out", "{out}")
cli("steps-huge", "run", "baseline", "--steps", "99999999999999999999", "--no-plots", "--out", "{out}")
# --out
cli("out-is-file", *RB, "--out", "{out}", setup=(("file", "{out}", "x"),))
cli("out-under-file", *RB, "--out", "{work}/afile/out", setup=(("file", "{work}/afile", "x"),))
cli("out-300-byte-name", *RB, "--out", "{work}/res/" + "o" * 300)
cli("out-5000-byte-path", *RB, "--out", "{work}/res/" + "/".join(["abcdefgh"] * 600))
cli("out-proc", *RB, "--out", "/proc/decouple_fuzz_out")
cli("out-proc-deep", *RB, "--out", "/proc/decouple_fuzz/a/b")
cli("out-sys", *RB, "--out", "/sys/decouple_fuzz_out")
cli("out-dev-null", *RB, "--out", "/dev/null")
cli("out-root", *RB, "--out", "/", note="the file-system root (holds other files)")
cli("out-empty", *RB, "--out", "", note="--out '' is no folder")
cli(
    "out-dot-with-files",
    *RB,
    "--out",
    ".",
    setup=(("file", "{cwd}/notes.txt", "mine"),),
    note="--out . where the working directory holds someone's files",
    allowed=("{cwd}",),
)
cli("out-foreign-folder", *RB, "--out", "{out}", setup=(("file", "{out}/thesis.docx", "mine"),))
cli("out-symlink-loop", *RB, "--out", "{out}", setup=(("symlink", "{out}", "{out}"),))
cli("out-work-folder", *RB, "--out", "{work}", note="--out is a folder holding the inputs", allowed=("{work}",))
# scenario names and commands
cli("no-command", expect="usage")
cli("unknown-command", "runn", "baseline", expect="usage")
cli("run-no-scenario", "run", expect="usage")
cli("run-dash-scenario", "run", "-x", expect="usage")
cli("run-extra-arg", *RB, "--out", "{out}", "extra", expect="usage")
cli("scenarios-extra-arg", "scenarios", "extra", expect="usage")
cli("outcomes-extra-arg", "outcomes", "--csv", "extra", expect="usage")
cli("unknown-flag", *RB, "--out", "{out}", "--colour", "red", expect="usage")
# compare
CB = ("compare", "baseline", "--steps", "2", "--quiet")
cli("compare-replicates-zero", *CB, "--replicates", "0", "--out", "{out}", expect="usage")
cli("compare-replicates-negative", *CB, "--replicates", "-1", "--out", "{out}", expect="usage")
cli("compare-replicates-too-many", *CB, "--replicates", "10001", "--out", "{out}")
cli(
    "compare-replicates-huge-force",
    *CB,
    "--replicates",
    "100000000000000",
    "--force",
    "--out",
    "{out}",
    note="1e14 seeds with --force: must be refused by the size check, before the seeds are drawn",
)
cli("compare-workers-zero", *CB, "--workers", "0", "--out", "{out}", expect="usage")
cli("compare-workers-negative", *CB, "--workers", "-1", "--out", "{out}", expect="usage")
cli("compare-unknown-scenario", "compare", "nosuch", "--quiet", "--out", "{out}")
cli(
    "compare-scenario-twice",
    "compare",
    "baseline",
    "baseline",
    "--replicates",
    "1",
    "--steps",
    "2",
    "--quiet",
    "--out",
    "{out}",
)
cli(
    "compare-same-name",
    "compare",
    "baseline",
    "{in}/named_baseline.toml",
    "--replicates",
    "1",
    "--steps",
    "2",
    "--quiet",
    "--out",
    "{out}",
    stage=("named_baseline.toml",),
    note="two scenarios both named 'baseline'",
)
cli(
    "compare-long-name",
    "compare",
    "c" * 300,
    "--replicates",
    "1",
    "--steps",
    "2",
    "--quiet",
    "--out",
    "{out}",
    note="a 300-byte scenario name",
)
cli("compare-seed-negative", *CB, "--seed", "-1", "--out", "{out}")
cli("compare-seed-too-big", *CB, "--seed", "9223372036854775808", "--out", "{out}")
cli("compare-out-is-file", *CB, "--replicates", "1", "--out", "{out}", setup=(("file", "{out}", "x"),))
cli("compare-out-proc", *CB, "--replicates", "1", "--out", "/proc/decouple_fuzz_cmp")
cli(
    "compare-out-foreign-folder",
    *CB,
    "--replicates",
    "1",
    "--workers",
    "1",
    "--out",
    "{out}",
    setup=(("file", "{out}/thesis.docx", "mine"),),
    note="--out holds someone's files: refused, and nothing left beside it",
)
cli("compare-out-300-byte-name", *CB, "--replicates", "1", "--out", "{work}/res/" + "o" * 300)
# validate
cli("validate-only-unknown", "validate", "--only", "nosuch", "--out", "{out}", "--quiet")
cli("validate-only-commas", "validate", "--only", ",", "--out", "{out}", "--quiet", note="--only ',' names no check")
cli("validate-replicates-zero", "validate", "--replicates", "0", "--only", "pat_pv", "--out", "{out}", expect="usage")
cli("validate-replicates-too-many", "validate", "--replicates", "100000", "--only", "pat_pv", "--out", "{out}")
cli("validate-seed-negative", "validate", "--seed", "-1", "--only", "pat_pv", "--out", "{out}")
cli(
    "validate-seed-overflow",
    "validate",
    "--seed",
    "9223372036854775807",
    "--replicates",
    "2",
    "--only",
    "pat_pv",
    "--out",
    "{out}",
    note="the last seed passes 2**63 - 1",
)
cli(
    "validate-out-is-file", "validate", "--only", "pat_pv", "--quiet", "--out", "{out}", setup=(("file", "{out}", "x"),)
)
cli("validate-out-proc", "validate", "--only", "pat_pv", "--quiet", "--out", "/proc/decouple_fuzz_val")
# calibrate (flag errors only: a real calibration takes minutes)
cli("calibrate-points-one", "calibrate", "--points", "1", expect="usage")
cli("calibrate-evaluations-zero", "calibrate", "--evaluations", "0", expect="usage")
cli("calibrate-workers-zero", "calibrate", "--workers", "0", expect="usage")
cli("calibrate-points-word", "calibrate", "--points", "many", expect="usage")
cli(
    "calibrate-out-under-file",
    "calibrate",
    "--points",
    "2",
    "--evaluations",
    "1",
    "--workers",
    "1",
    "--out",
    "{work}/afile/cal.toml",
    setup=(("file", "{work}/afile", "x"),),
    subprocess=True,
    note="--out lies under a file: should be refused before the calibration runs",
)
# demo (the web server is never started: see the test)
cli("demo-port-70000", "demo", "--port", "70000", "--no-open")
cli("demo-port-negative", "demo", "--port", "-1", "--no-open")
cli("demo-port-huge", "demo", "--port", "99999999999999999999", "--no-open")
cli("demo-port-word", "demo", "--port", "http", "--no-open", expect="usage")
cli("demo-port-busy", "demo", "--port", "{port}", "--no-open", setup=(("listen",),))
cli("demo-preset-unknown", "demo", "--preset", "nosuch", "--no-open")
cli("demo-preset-empty", "demo", "--preset", "", "--no-open")
cli("demo-seed-negative", "demo", "--seed", "-1", "--port", "0", "--no-open")
cli("demo-seed-too-big", "demo", "--seed", "9223372036854775808", "--port", "0", "--no-open")
cli("demo-host-not-local", "demo", "--host", "192.0.2.1", "--port", "0", "--no-open", note="TEST-NET address, not ours")
cli("demo-host-unresolvable", "demo", "--host", "no such host", "--port", "0", "--no-open")
cli("demo-host-bad-ip", "demo", "--host", "999.1.1.1", "--port", "0", "--no-open")
# plot
cli("plot-file", "plot", "{in}/good_scenario.toml", stage=("good_scenario.toml",))
cli("plot-missing", "plot", "{work}/nosuch")
cli("plot-empty-folder", "plot", "{out}", setup=(("dir", "{out}"),), allowed=("{out}",))
cli("plot-empty-arg", "plot", "", note="plot '' is the (empty) working directory", allowed=("{cwd}",))
cli("plot-proc", "plot", "/proc/self", note="a folder that is not a results folder")
cli("plot-long-name", "plot", "r" * 300, note="a 300-byte folder name")
for _id, _setup, _note in (
    ("manifest-garbage", (("dir", "{out}"), ("file", "{out}/manifest.json", "{not json")), ""),
    ("manifest-list", (("dir", "{out}"), ("file", "{out}/manifest.json", "[]")), ""),
    ("manifest-binary", (("dir", "{out}"), ("bytes", "{out}/manifest.json", "89504e470d0a1a0aff00fe")), ""),
    ("manifest-is-folder", (("dir", "{out}/manifest.json"),), ""),
    ("manifest-no-text", (("dir", "{out}"), ("file", "{out}/manifest.json", '{"experiment": {"name": "x"}}')), ""),
    (
        "manifest-text-invalid-toml",
        (("dir", "{out}"), ("file", "{out}/manifest.json", '{"experiment": {"name": "x", "text": "[experiment"}}')),
        "",
    ),
    (
        "manifest-text-not-experiment",
        (("dir", "{out}"), ("file", "{out}/manifest.json", '{"experiment": {"name": "x", "text": "x = 1"}}')),
        "",
    ),
    (
        "manifest-text-deep",
        (("dir", "{out}"), ("deep_manifest", "{out}/manifest.json")),
        "the stored experiment text holds an array nested 5,000 deep",
    ),
    (
        "manifest-name-not-string",
        (("sweep_result", "{out}"), ("manifest_edit", "{out}/manifest.json", "name", 5)),
        "the manifest's experiment name is a number: the manifest is not one this project wrote",
    ),
    (
        "manifest-text-figure-escape",
        (
            ("sweep_result", "{out}"),
            ("manifest_text_replace", "{out}/manifest.json", 'file = "violins.png"', 'file = "../../escape.png"'),
        ),
        "the stored experiment's figure file climbs out of the folder",
    ),
    (
        "manifest-text-figure-abs",
        (
            ("sweep_result", "{out}"),
            ("manifest_text_replace", "{out}/manifest.json", 'file = "violins.png"', 'file = "@TMP@/abs.png"'),
        ),
        "the stored experiment's figure file is an absolute path",
    ),
    (
        "manifest-text-unknown-metric",
        (
            ("sweep_result", "{out}"),
            ("manifest_text_replace", "{out}/manifest.json", '"trust@2018.25"]', '"nosuch@2018.25"]'),
        ),
        "",
    ),
    ("sweep-no-runs-parquet", (("sweep_result", "{out}"), ("remove", "{out}/runs.parquet")), ""),
    ("sweep-runs-parquet-garbage", (("sweep_result", "{out}"), ("file", "{out}/runs.parquet", "garbage")), ""),
    ("sweep-runs-parquet-empty", (("sweep_result", "{out}"), ("file", "{out}/runs.parquet", "")), ""),
    (
        "sweep-runs-parquet-folder",
        (("sweep_result", "{out}"), ("remove", "{out}/runs.parquet"), ("dir", "{out}/runs.parquet")),
        "",
    ),
    ("sweep-runs-parquet-wrong-columns", (("sweep_result", "{out}"), ("parquet", "{out}/runs.parquet", "wrong")), ""),
    (
        "sweep-runs-parquet-no-rows",
        (("sweep_result", "{out}"), ("parquet", "{out}/runs.parquet", "norows")),
        "runs.parquet has the right columns but no run: nothing to draw",
    ),
    (
        "run-indicators-garbage",
        (("run_result", "{out}"), ("bytes", "{out}/indicators.csv", "89504e470d0a1a0aff00fe")),
        "",
    ),
    ("run-indicators-empty", (("run_result", "{out}"), ("file", "{out}/indicators.csv", "")), ""),
    ("run-indicators-missing-columns", (("run_result", "{out}"), ("file", "{out}/indicators.csv", "a,b\n1,2\n")), ""),
    (
        "run-indicators-keys-only",
        (("run_result", "{out}"), ("file", "{out}/indicators.csv", "scenario,seed,year\nbaseline,0,2018.0\n")),
        "",
    ),
    (
        "run-indicators-non-numeric",
        (("run_result", "{out}"), ("indicators_text", "{out}/indicators.csv")),
        "every outcome value is the word 'abc'",
    ),
    ("run-indicators-header-only", (("run_result", "{out}"), ("indicators_header_only", "{out}/indicators.csv")), ""),
    (
        "run-indicators-folder",
        (("run_result", "{out}"), ("remove", "{out}/indicators.csv"), ("dir", "{out}/indicators.csv")),
        "",
    ),
    (
        "run-no-indicators",
        (("run_result", "{out}"), ("remove", "{out}/indicators.csv")),
        "a run folder of an older version: only timeseries files",
    ),
):
    cli(f"plot-{_id}", "plot", "{out}", setup=_setup, note=_note, allowed=("{out}",))
# the environment (child processes: the evidence base is read once per process)
cli(
    "env-home-missing",
    *RB,
    "--out",
    "{out}",
    subprocess=True,
    env=(("DECOUPLE_HOME", "{work}/nosuch"),),
    note="DECOUPLE_HOME names a missing folder",
)
cli(
    "env-home-empty",
    *RB,
    "--out",
    "{out}",
    subprocess=True,
    env=(("DECOUPLE_HOME", "{work}/home"),),
    setup=(("dir", "{work}/home"),),
    note="DECOUPLE_HOME names an empty folder",
)
cli(
    "env-home-corrupt-registry",
    *RB,
    "--out",
    "{out}",
    subprocess=True,
    env=(("DECOUPLE_HOME", "{work}/home"),),
    setup=(("home_copy", "{work}/home"), ("file", "{work}/home/seeds/parameters.toml", "[time.steps]\ntype = 5\n")),
    note="seeds/parameters.toml corrupt",
)
cli(
    "env-home-binary-sectors",
    *RB,
    "--out",
    "{out}",
    subprocess=True,
    env=(("DECOUPLE_HOME", "{work}/home"),),
    setup=(("home_copy", "{work}/home"), ("bytes", "{work}/home/seeds/sectors.toml", "fffe00ff")),
    note="seeds/sectors.toml binary",
)
# a few real-command checks of what the in-process cases test (the console script's own path)
cli("real-set-typo", *RB, "--out", "{out}", "--set", "policy.fenc=1", subprocess=True)
cli(
    "real-scenario-binary",
    "run",
    "{in}/s_binary.toml",
    "--steps",
    "2",
    "--no-plots",
    "--out",
    "{out}",
    stage=("s_binary.toml",),
    subprocess=True,
)
cli("real-steps-zero", "run", "baseline", "--steps", "0", "--out", "{out}", expect="usage", subprocess=True)


# ============================================================================ 5. the Python API


def api(id: str, code: str, setup_code: str = "", note: str = "", stage: tuple = (), setup: tuple = ()):
    add(
        Case(
            id=f"api-{id}",
            family="api",
            kind="api",
            code=code,
            setup_code=setup_code,
            note=note,
            stage=stage,
            setup=setup,
        )
    )


M = "m = DecouplingModel(params={'time.steps': 2})"
api("model-none", "DecouplingModel(None)")
api("model-int-scenario", "DecouplingModel(5)")
api("model-bytes-scenario", "DecouplingModel(b'baseline')")
api("model-unknown-scenario", "DecouplingModel('nosuch')")
api("model-missing-path", "DecouplingModel(Path('/nonexistent/x.toml'))")
api("model-folder-path", "DecouplingModel(IN)")
api("model-bad-file", "DecouplingModel(IN / 's_fence_nan.toml')", stage=("s_fence_nan.toml",))
api("model-binary-file", "DecouplingModel(IN / 's_binary.toml')", stage=("s_binary.toml",))
api("model-5000-digit-file", "DecouplingModel(IN / 's_int_5000_digits.toml')", stage=("s_int_5000_digits.toml",))
api("model-long-name", "DecouplingModel('a' * 300)")
api("model-nul-name", "DecouplingModel('base\\x00line')")
api("model-seed-float", "DecouplingModel(seed=1.5)")
api("model-seed-negative", "DecouplingModel(seed=-1)")
api("model-seed-2p63", "DecouplingModel(seed=2**63)")
api("model-seed-string", "DecouplingModel(seed='1')")
api("model-seed-bool", "DecouplingModel(seed=True)")
api("model-seed-none", "DecouplingModel(seed=None)", note="debatable: Mesa's own default means 'random'")
api("model-seed-numpy-negative", "DecouplingModel(seed=np.int64(-5))")
api("model-seed-nan", "DecouplingModel(seed=float('nan'))")
api("model-params-typo", "DecouplingModel(params={'policy.fenc': 1})")
api("model-params-string", "DecouplingModel(params='x')")
api("model-params-list", "DecouplingModel(params=[('policy.fence', 0.5)])")
api("model-params-int", "DecouplingModel(params=5)")
api("model-params-out-of-range", "DecouplingModel(params={'policy.fence': 5})")
api("model-params-nan", "DecouplingModel(params={'policy.fence': float('nan')})")
api("model-params-wrong-type", "DecouplingModel(params={'policy.fence': '0.5'})")
api("model-params-steps-zero", "DecouplingModel(params={'time.steps': 0})")
api("model-params-non-string-key", "DecouplingModel(params={1: 2})")
api("model-params-tuple-key", "DecouplingModel(params={('policy', 'fence'): 0.5})")
api(
    "model-params-section",
    "DecouplingModel(params={'policy': {'fence': 0.5}})",
    note="debatable: a nested dict instead of dotted paths",
)
api("model-params-bad-sector", "DecouplingModel(params={'policy.yard': ['nosuch']})")
api("model-params-yard-set", "DecouplingModel(params={'policy.yard': {'logic_chips'}})", note="a set, not a list")
api("model-params-numpy-array", "DecouplingModel(params={'policy.fence': np.array([0.5, 0.6])})")
api("model-keyword-typo", "DecouplingModel(fence=0.5)")
api("model-keyword-dotted-bad", "DecouplingModel(**{'policy.fence': 2})")
api(
    "model-scenario-structural-change",
    "DecouplingModel(spec, params={'time.steps': 3})",
    setup_code="spec = load_scenario('baseline')",
)
api(
    "model-scenario-bad-change",
    "DecouplingModel(spec, params={'policy.fence': -1})",
    setup_code="spec = load_scenario('baseline')",
)
api("model-world-string", "DecouplingModel(world='x')")
api("model-world-none-scenario-obj", "DecouplingModel(spec, world=5)", setup_code="spec = load_scenario('baseline')")
api(
    "params-assign-typo",
    "m.params.policy.fence = 5.0",
    setup_code=M,
    note="the brief's example: field 'fence' exists; assignment must raise ConfigError",
)
api("params-assign-unknown", "m.params.policy.fenc = 0.5", setup_code=M)
api("params-assign-section", "m.params.policy = None", setup_code=M)
api("params-assign-top", "m.params.nosuch = 1", setup_code=M)
api("params-delete", "del m.params.policy.fence", setup_code=M)
api(
    "params-replace-whole",
    "m.params = 5; m.step()",
    setup_code=M,
    note="assigning a non-parameter object to model.params",
)
api("set-params-typo", "m.set_params({'policy.fenc': 1})", setup_code=M)
api("set-params-structural", "m.set_params({'time.steps': 5})", setup_code=M)
api("set-params-string", "m.set_params('policy.fence=0.5')", setup_code=M)
api("set-params-none-value", "m.set_params({'policy.fence': None})", setup_code=M)
api("set-params-list", "m.set_params([('policy.fence', 0.5)])", setup_code=M)
api("outcome-unknown", "m.outcome('nosuch')", setup_code=M)
api("outcome-int", "m.outcome(5)", setup_code=M)
api("scenario-get-unknown", "spec.get('policy.fenc')", setup_code="spec = load_scenario('baseline')")
api("load-scenario-none", "load_scenario(None)")
api("load-scenario-int", "load_scenario(5)")
api("load-scenario-empty", "load_scenario('')")
api("load-scenario-unknown", "load_scenario('nosuch')")
api("load-scenario-folder", "load_scenario(IN)")
api("load-scenario-long-name", "load_scenario('a' * 300)")
api("load-scenario-nul", "load_scenario('a\\x00b')")
api(
    "load-scenario-overrides-string",
    "load_scenario('baseline', overrides='policy.fence=1')",
    note="a string instead of a list: read character by character",
)
api("load-scenario-overrides-int", "load_scenario('baseline', overrides=[5])")
api("load-scenario-overrides-none-item", "load_scenario('baseline', overrides=[None])")
api("load-scenario-overrides-tuple-item", "load_scenario('baseline', overrides=[('policy.fence', 0.5)])")
api("load-scenario-changes-string", "load_scenario('baseline', changes='x')")
api("load-scenario-changes-bad", "load_scenario('baseline', changes={'policy.fence': 2})")
api(
    "load-scenario-deep-file",
    "load_scenario(IN / 's_deep_table_header_5000.toml')",
    stage=("s_deep_table_header_5000.toml",),
)
api("load-scenario-cycle", "load_scenario(IN / 'ext_cycle_a.toml')", stage=("ext_cycle_a.toml", "ext_cycle_b.toml"))
api(
    "with-event-value-unknown",
    "spec.with_event_value('nosuch', 'policy.fence', 0.5)",
    setup_code="spec = load_scenario('historical')",
)
api(
    "with-event-value-bad",
    "spec.with_event_value('cfius_2016', 'policy.fence', 9)",
    setup_code="spec = load_scenario('historical')",
)
api(
    "apply-changes-bad",
    "apply_changes(spec.params, {'policy.fence': 2}, 'test', spec.sectors)",
    setup_code="spec = load_scenario('baseline')",
)
api(
    "apply-changes-not-mapping",
    "apply_changes(spec.params, 'x', 'test', spec.sectors)",
    setup_code="spec = load_scenario('baseline')",
)
api("parse-override-no-equals", "parse_override('policy.fence')")
api("parse-override-int", "parse_override(5)")
api("outcomes-resolve-unknown", "outcomes.resolve('nosuch')")
api("outcomes-resolve-none", "outcomes.resolve(None)")
api("load-experiment-none", "load_experiment(None)")
api("load-experiment-int", "load_experiment(5)")
api("load-experiment-unknown", "load_experiment('nosuch')")
api("load-experiment-folder", "load_experiment(IN)")
api("load-experiment-long-name", "load_experiment('a' * 300)")
api("load-experiment-binary", "load_experiment(IN / 'exp_binary.toml')", stage=("exp_binary.toml",))
api(
    "load-experiment-5000-digits",
    "load_experiment(IN / 'exp_int_5000_digits.toml')",
    stage=("exp_int_5000_digits.toml",),
)
api(
    "load-experiment-deep-table",
    "load_experiment(IN / 'exp_deep_table_5000.toml')",
    stage=("exp_deep_table_5000.toml",),
)
api(
    "load-experiment-figure-escape",
    "load_experiment(IN / 'exp_figure_file_dotdot.toml')",
    stage=("exp_figure_file_dotdot.toml",),
)
api("huge-check-size", "load_experiment(IN / 'exp_huge_sobol.toml').check_size()", stage=("exp_huge_sobol.toml",))
api("experiment-from-text-invalid", "experiment_from_text('[experiment', 'x')")
api("experiment-from-text-empty", "experiment_from_text('', 'x')")
api("experiment-from-table-bad", "experiment_from_table({'experiment': 5}, 'x')")
api("experiment-from-table-not-dict", "experiment_from_table([1, 2], 'x')")
api(
    "experiment-from-table-nan-year",
    "experiment_from_table({'experiment': {'title': 't', 'scenarios': ['baseline'], "
    "'steps': 2}, 'metrics': {'names': ['trust'], 'years': [float('nan')]}}, 'x')",
)
api(
    "run-sweep-out-proc",
    "run_sweep(load_experiment(IN / 'good_experiment.toml'), Path('/proc/decouple_fuzz_api'))",
    stage=("good_experiment.toml",),
)
api(
    "run-sweep-out-is-file",
    "run_sweep(load_experiment(IN / 'good_experiment.toml'), IN / 'good_experiment.toml')",
    stage=("good_experiment.toml",),
)
api(
    "run-sweep-unknown-backend",
    "run_sweep(load_experiment(IN / 'good_experiment.toml'), OUT, workers=2, backend='mpi')",
    stage=("good_experiment.toml",),
)
api("check-seed-string", "check_seed('7')")


# ============================================================================ 6. further families
# Each family below lives in its own module, which calls add() when imported.
from . import cases_explore, cases_faults, cases_play  # noqa: E402, F401
