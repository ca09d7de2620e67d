"""Fuzz corpus: every bad input of ``tests/fuzz/cases.py`` must give a clear error.

- Command-line cases run ``decouple.cli.main(argv)`` in-process (a few run the real ``decouple``
  command in a child process, in the background, at most three at a time): the exit status
  must be the expected one (2; argparse usage errors are 2 too; ``decouple sweep`` may exit 1
  when runs failed, as documented), standard error must hold ``decouple: error:`` (or argparse's
  ``error:``) and no traceback, and no file may appear or change outside the case's output
  folder (the case's whole temporary tree and the project folder are compared before and after).
- API cases must raise an instance of :class:`decouple.DecoupleError`, nothing else.
- A case that runs past its ``hang_guard`` fails as hung. That limit is generous (see ``HANG_GUARD``
  in the corpus): no case is timed against the machine.

Set ``DECOUPLE_FUZZ_REPORT=path.json`` to get every case's outcome as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import Popen as _RealPopen

import pytest

from .fuzz.cases import CASES, EXPECT, GENERATED, SHORT_REPORT_LINES, Case

FILES = Path(__file__).parent / "fuzz" / "files"
PROJECT = Path(__file__).resolve().parent.parent
#: project paths not compared (the other parts are edited by people or their tools' caches, or written by a
#: running demo)
PROJECT_SKIP = {
    ".venv",
    ".git",
    "model",
    "tests",
    "decouple.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
}
PROJECT_SKIP_PREFIXES = ("results/demo",)
SUBPROCESS_SLOTS = 3

RESULTS: dict[str, dict] = {}
ORDERED = [c for c in CASES if not c.subprocess] + [c for c in CASES if c.subprocess]


class CaseTimeout(BaseException):
    """Raised in the main thread when an in-process case runs longer than its limit."""


class DemoServerStarted(BaseException):
    """`decouple demo` got as far as starting its web server: it accepted the bad input."""


# ----------------------------------------------------------------------------- folders and files


def layout(root: Path) -> dict[str, Path]:
    work = root / "d1" / "d2" / "d3" / "d4"  # deep, so that ../../ escapes land inside root
    return {"tmp": root, "work": work, "in": work / "in", "cwd": work / "cwd", "out": work / "res" / "out"}


def fill(text: str, P: dict) -> str:
    for key in ("in", "out", "cwd", "work", "tmp", "port"):
        if key in P:
            text = text.replace("{" + key + "}", str(P[key]))
    return text


def fill_bytes(data: bytes, P: dict) -> bytes:
    for key in ("in", "out", "cwd", "work", "tmp"):
        data = data.replace(f"@{key.upper()}@".encode(), str(P[key]).encode())
    return data


def stage(case: Case, P: dict) -> None:
    for name in case.stage:
        dst = P["in"] / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        src = FILES / name
        data = src.read_bytes() if src.is_file() else GENERATED[name]()
        dst.write_bytes(fill_bytes(data, P))


def _sweep_fixture(base: Path) -> Path:
    from decouple.cli import main

    folder = base / "sweep"
    if not (folder / "runs.parquet").is_file():
        text = (FILES / "sweep_fixture.toml").read_text()
        (base / "sweep_fixture.toml").write_text(text)
        assert main(["sweep", str(base / "sweep_fixture.toml"), "--out", str(folder), "--quiet", "--workers", "1"]) == 0
    return folder


def _run_fixture(base: Path) -> Path:
    from decouple.cli import main

    folder = base / "run"
    if not (folder / "indicators.csv").is_file():
        assert main(["run", "baseline", "--steps", "2", "--no-plots", "--out", str(folder)]) == 0
    return folder


def _forge_shard(path: Path, how: str, args: list) -> None:
    """``copy`` another shard's row under this name, ``drop`` or ``text`` a column, ``null`` the
    run id, ``rows`` N copies of the row, ``add`` a column, ``set`` a column to a value."""
    import pyarrow as pa

    def read(p: Path) -> pa.Table:
        with pa.OSFile(str(p), "rb") as source:
            return pa.ipc.open_file(source).read_all()

    table = read(path)
    meta = table.schema.metadata
    if how == "copy":
        table = read(Path(args[0]))
    elif how == "drop":
        table = table.drop_columns([args[0]])
    elif how in ("text", "null", "set"):
        name = "run_id" if how == "null" else args[0]
        value = pa.array(["x"]) if how == "text" else pa.array([None], pa.string()) if how == "null" else None
        if value is None:
            value = pa.array([args[1]], table.schema.field(name).type)
        table = table.set_column(table.schema.get_field_index(name), name, value)
    elif how == "rows":
        table = pa.concat_tables([table] * args[0]) if args[0] else table.slice(0, 0)
    elif how == "add":
        table = table.append_column(args[0], pa.array([1.0]))
    else:
        raise AssertionError(f"unknown shard change {how!r}")
    table = table.replace_schema_metadata(meta)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def apply_setup(case: Case, P: dict, fixtures: Path, held: list) -> None:
    for op, *args in case.setup:
        path = Path(fill(args[0], P)) if args else Path()  # every op but `listen` names a path
        if args and op not in ("listen",):
            path.parent.mkdir(parents=True, exist_ok=True)
        if op == "dir":
            path.mkdir(parents=True, exist_ok=True)
        elif op == "file":
            path.write_text(args[1])
        elif op == "bytes":
            path.write_bytes(bytes.fromhex(args[1]))
        elif op == "remove":
            path.unlink()
        elif op == "symlink":
            os.symlink(fill(args[1], P), path)
        elif op == "fifo":
            os.mkfifo(path)
        elif op == "chain":
            path.mkdir(parents=True, exist_ok=True)
            n = args[1]
            for i in range(1, n + 1):
                text = f'[scenario]\nextends = "c{i + 1:04d}.toml"\n' if i < n else "[policy]\nfence = 0.3\n"
                (path / f"c{i:04d}.toml").write_text(text)
        elif op == "listen":
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(1)
            held.append(sock)
            P["port"] = str(sock.getsockname()[1])
        elif op == "sweep_result":
            shutil.copytree(_sweep_fixture(fixtures), path)
        elif op == "run_result":
            shutil.copytree(_run_fixture(fixtures), path)
        elif op == "manifest_sha":
            manifest = json.loads(path.read_text())
            manifest["experiment"]["sha256"] = "0" * 64
            path.write_text(json.dumps(manifest))
        elif op == "manifest_edit":
            manifest = json.loads(path.read_text())
            manifest["experiment"][args[1]] = args[2]
            path.write_text(json.dumps(manifest))
        elif op == "manifest_text_replace":
            manifest = json.loads(path.read_text())
            old, new = args[1], fill_bytes(args[2].encode(), P).decode()
            assert old in manifest["experiment"]["text"], (old, manifest["experiment"]["text"])
            manifest["experiment"]["text"] = manifest["experiment"]["text"].replace(old, new)
            path.write_text(json.dumps(manifest))
        elif op == "deep_manifest":
            text = "[experiment]\ntitle = 'x'\nscenarios = " + "[" * 5000 + "]" * 5000 + "\n"
            path.write_text(json.dumps({"experiment": {"name": "x", "text": text}}))
        elif op == "parquet":
            import pandas as pd

            if args[1] == "wrong":
                pd.DataFrame({"a": [1, 2]}).to_parquet(path)
            else:
                frame = pd.read_parquet(path)
                frame.iloc[0:0].to_parquet(path)
        elif op == "indicators_text":
            lines = path.read_text().splitlines()
            header = lines[0].split(",")
            rows = [",".join(v if i < 3 else "abc" for i, v in enumerate(line.split(","))) for line in lines[1:]]
            path.write_text("\n".join([",".join(header)] + rows) + "\n")
        elif op == "indicators_header_only":
            path.write_text(path.read_text().splitlines()[0] + "\n")
        elif op == "shard":  # a sweep shard changed but still stamped with its experiment's hash
            _forge_shard(path, args[1], [fill(a, P) if isinstance(a, str) else a for a in args[2:]])
        elif op == "home_copy":
            shutil.copytree(PROJECT / "seeds", path / "seeds")
            shutil.copytree(PROJECT / "scenarios", path / "scenarios")
            shutil.copytree(PROJECT / "experiments", path / "experiments")
        else:
            raise AssertionError(f"unknown setup op {op!r}")


# ----------------------------------------------------------------------------- snapshots


def snapshot_tree(root: Path, skip=(), skip_prefixes=()) -> dict[str, tuple]:
    out = {}
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top):
        rel_dir = os.path.relpath(dirpath, top)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in skip]
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, top)
            if rel.startswith(skip_prefixes):
                continue
            try:
                st = os.lstat(path)
            except OSError:
                continue
            kind = stat.S_IFMT(st.st_mode)
            out[path] = (kind, 0, 0) if kind == stat.S_IFDIR else (kind, st.st_size, st.st_mtime_ns)
    return out


def snapshot(P: dict) -> dict[str, tuple]:
    snap = snapshot_tree(P["tmp"])
    snap.update(snapshot_tree(PROJECT, PROJECT_SKIP, PROJECT_SKIP_PREFIXES))
    return snap


def allowed_folders(case: Case, P: dict) -> list[Path]:
    if case.allowed:
        return [Path(fill(a, P)) for a in case.allowed]
    if "--out" in case.argv and case.argv.index("--out") + 1 < len(case.argv):
        given = fill(case.argv[case.argv.index("--out") + 1], P)
        return [P["cwd"] / given]  # relative to the working directory; an absolute path stays as it is
    return [P["cwd"] / "results"]


def written_outside(before: dict, after: dict, allowed: list[Path]) -> list[str]:
    allowed_abs = [os.path.abspath(a) for a in allowed]

    def ok(path: str, kind: int) -> bool:
        for a in allowed_abs:
            if path == a or path.startswith(a.rstrip("/") + "/"):
                return True
            if kind == stat.S_IFDIR and a.startswith(path.rstrip("/") + "/"):
                return True  # a parent folder of the output folder
        return False

    problems = []
    for path, sig in after.items():
        if path not in before:
            if not ok(path, sig[0]):
                problems.append(f"created {path}")
        elif before[path] != sig and not ok(path, sig[0]):
            problems.append(f"changed {path}")
    return sorted(problems)


# ----------------------------------------------------------------------------- running


def _alarm(signum, frame):
    raise CaseTimeout()


def _fake_popen(*args, **kwargs):
    raise DemoServerStarted("decouple demo accepted the input and started its web server")


def run_in_process(case: Case, argv: list[str], P: dict, capsys, monkeypatch) -> dict:
    from decouple.cli import main

    monkeypatch.chdir(P["cwd"])
    if argv and argv[0] == "demo":
        monkeypatch.setattr(subprocess, "Popen", _fake_popen)
    capsys.readouterr()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, case.hang_guard)
    started = time.perf_counter()
    tb = ""
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CaseTimeout:
        rc = "timeout"
    except DemoServerStarted:
        rc = "server-started"
    except BaseException:  # the real command would print this traceback
        rc = "exception"
        tb = traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    if tb:
        err += tb
    return {"rc": rc, "stdout": out, "stderr": err, "seconds": seconds}


def _command() -> list[str]:
    script = Path(sys.executable).parent / "decouple"
    return [str(script)] if script.exists() else [sys.executable, "-m", "decouple.cli"]


def run_subprocess(case: Case, base: Path, fixtures: Path, lock: threading.Lock) -> dict:
    """Stage, run the real command, compare snapshots (in a background thread)."""
    P = layout(base / case.id)
    for key in ("in", "cwd"):
        P[key].mkdir(parents=True, exist_ok=True)
    P["out"].parent.mkdir(parents=True, exist_ok=True)
    stage(case, P)
    held: list = []
    with lock:  # the fixtures are built once, in-process
        apply_setup(case, P, fixtures, held)
    argv = [fill(a, P) for a in case.argv]
    env = {**os.environ, "MPLBACKEND": "Agg", **{k: fill(v, P) for k, v in case.env}}
    command = _command() + argv
    if case.memory_limit_gb:
        command = ["sh", "-c", f'ulimit -v {int(case.memory_limit_gb * 1024 * 1024)} && exec "$@"', "sh"] + command
    before = snapshot(P)
    started = time.perf_counter()
    proc = _RealPopen(
        command, cwd=P["cwd"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=case.hang_guard)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        rc = "timeout"
    seconds = time.perf_counter() - started
    for sock in held:
        sock.close()
    after = snapshot(P)
    return {
        "rc": rc,
        "stdout": out.decode(errors="replace"),
        "stderr": err.decode(errors="replace"),
        "seconds": seconds,
        "outside": written_outside(before, after, allowed_folders(case, P)),
        "argv": argv,
    }


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz_fixtures")


@pytest.fixture(scope="module")
def fixture_lock():
    return threading.Lock()


@pytest.fixture(scope="module")
def background(request, tmp_path_factory, fixtures, fixture_lock):
    """The selected child-process cases (all of them unless ``-k`` chose some), started with the first
    case and run alongside the others."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if getattr(item, "callspec", None) is not None and isinstance(item.callspec.params.get("case"), Case)
    }
    base = tmp_path_factory.mktemp("fuzz_sub")
    with fixture_lock:  # build the fixtures before the threads need them
        _sweep_fixture(fixtures)
        _run_fixture(fixtures)
    pool = ThreadPoolExecutor(max_workers=SUBPROCESS_SLOTS)
    futures = {
        c.id: pool.submit(run_subprocess, c, base, fixtures, fixture_lock)
        for c in CASES
        if c.subprocess and c.id in selected
    }
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------- judging


def judge_cli(case: Case, result: dict) -> list[str]:
    rc, err = result["rc"], result["stderr"]
    problems = []
    if rc == "timeout":
        problems.append(f"did not finish within {case.hang_guard:g} s")
    elif rc == "server-started":
        problems.append("accepted: `decouple demo` would have started its web server")
    elif rc == "exception":
        problems.append("uncaught exception (the command would print a traceback)")
    else:
        clear = "decouple: error:" in err
        usage = "error:" in err
        if case.expect == "error":
            good = rc == 2 and clear
        elif case.expect == "usage":
            good = rc == 2 and usage
        elif case.expect == "error_or_usage":
            good = rc == 2 and (clear or usage)
        elif case.expect == "sweep":
            good = (rc == 2 and clear) or (rc == 1 and "runs failed" in err)
        elif case.expect == "accepted":
            good = rc == 0
        else:
            raise AssertionError(case.expect)
        if not good:
            problems.append(f"exit status {rc}, expected {EXPECT[case.expect]}")
    if "Traceback" in err and rc != "exception":
        problems.append("traceback on stderr")
    if result.get("outside"):
        problems.append(
            "wrote outside its output folder: "
            + "; ".join(result["outside"][:5])
            + (f" (+{len(result['outside']) - 5} more)" if len(result["outside"]) > 5 else "")
        )
    if case.short_report and len(err.splitlines()) > SHORT_REPORT_LINES:
        problems.append(f"{len(err.splitlines()):,} lines on stderr, more than {SHORT_REPORT_LINES}")
    return problems


def _tail(text: str, lines: int = 6, width: int = 300) -> str:
    return "\n".join(line[:width] for line in text.strip().splitlines()[-lines:])


def record(case: Case, passed: bool, problems: list[str], result: dict, argv=None) -> None:
    RESULTS[case.id] = {
        "family": case.family,
        "passed": passed,
        "problems": problems,
        "note": case.note,
        "rc": result.get("rc"),
        "seconds": round(result.get("seconds", 0.0), 3),
        "stderr_tail": _tail(result.get("stderr", ""), 40),
        "input": (
            [a if len(a) <= 200 else a[:120] + f"...({len(a):,} chars)" for a in argv]
            if argv is not None
            else case.code
        ),
        "setup": case.setup_code,
        "stage": list(case.stage),
    }


# ----------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", ORDERED, ids=[c.id for c in ORDERED])
def test_fuzz_case(case: Case, tmp_path, capsys, monkeypatch, fixtures, fixture_lock, background):
    if case.kind == "api":
        _api_case(case, tmp_path, monkeypatch, fixtures)
        return
    if case.subprocess:
        result = background[case.id].result()
        argv = result["argv"]
    else:
        P = layout(tmp_path)
        for key in ("in", "cwd"):
            P[key].mkdir(parents=True, exist_ok=True)
        P["out"].parent.mkdir(parents=True, exist_ok=True)
        stage(case, P)
        held: list = []
        with fixture_lock:
            apply_setup(case, P, fixtures, held)
        argv = [fill(a, P) for a in case.argv]
        before = snapshot(P)
        try:
            result = run_in_process(case, argv, P, capsys, monkeypatch)
        finally:
            for sock in held:
                sock.close()
        result["outside"] = written_outside(before, snapshot(P), allowed_folders(case, P))
    problems = judge_cli(case, result)
    record(case, not problems, problems, result, argv)
    assert not problems, (
        f"{case.id}: {'; '.join(problems)}\nargv: {argv!r:.500}\nnote: {case.note}\n"
        f"stderr (end):\n{_tail(result['stderr'], 12)}"
    )


def _api_namespace(P: dict) -> dict:
    import numpy as np

    import decouple
    from decouple import DecouplingModel, load_scenario, outcomes
    from decouple.config import apply_changes, parse_override
    from decouple.model import check_seed
    from decouple.sweeps.engine import run_sweep
    from decouple.sweeps.experiment import experiment_from_table, experiment_from_text, load_experiment

    return {
        "decouple": decouple,
        "DecouplingModel": DecouplingModel,
        "load_scenario": load_scenario,
        "outcomes": outcomes,
        "apply_changes": apply_changes,
        "parse_override": parse_override,
        "check_seed": check_seed,
        "run_sweep": run_sweep,
        "experiment_from_table": experiment_from_table,
        "experiment_from_text": experiment_from_text,
        "load_experiment": load_experiment,
        "np": np,
        "Path": Path,
        "IN": P["in"],
        "OUT": P["out"],
        "TMP": P["tmp"],
        "CWD": P["cwd"],
    }


def _api_case(case: Case, tmp_path: Path, monkeypatch, fixtures: Path) -> None:
    from decouple import DecoupleError

    P = layout(tmp_path)
    for key in ("in", "cwd"):
        P[key].mkdir(parents=True, exist_ok=True)
    P["out"].parent.mkdir(parents=True, exist_ok=True)
    stage(case, P)
    apply_setup(case, P, fixtures, [])
    monkeypatch.chdir(P["cwd"])
    ns = _api_namespace(P)
    if case.setup_code:
        exec(case.setup_code, ns)  # must succeed: it is not the input under test
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, case.hang_guard)
    started = time.perf_counter()
    raised: BaseException | None = None
    tb = ""
    try:
        exec(case.code, ns)
    except CaseTimeout:
        raised = CaseTimeout()
    except BaseException as exc:  # noqa: BLE001 - judged below
        raised = exc
        tb = traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - started
    if raised is None:
        problems = ["no exception: the bad input was accepted"]
    elif isinstance(raised, CaseTimeout):
        problems = [f"did not finish within {case.hang_guard:g} s"]
    elif not isinstance(raised, DecoupleError):
        problems = [
            f"raised {type(raised).__module__}.{type(raised).__qualname__}, not a DecoupleError: {str(raised)[:300]}"
        ]
    else:
        problems = []
    result = {
        "rc": type(raised).__name__ if raised else None,
        "seconds": seconds,
        "stderr": tb if problems else f"{type(raised).__name__}: {str(raised)[:300]}",
    }
    record(case, not problems, problems, result)
    assert not problems, f"{case.id}: {'; '.join(problems)}\ncode: {case.code}\nnote: {case.note}\n{_tail(tb, 12)}"


def test_fuzz_corpus_size_and_summary(capsys):
    """The corpus has at least 200 cases; prints how many pass, by family."""
    assert len(CASES) >= 200, len(CASES)
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    families = Counter(c.family for c in CASES)
    passed = Counter(r["family"] for r in RESULTS.values() if r["passed"])
    ran = Counter(r["family"] for r in RESULTS.values())
    lines = [
        f"fuzz corpus: {len(CASES)} cases, {len(RESULTS)} run, "
        f"{sum(passed.values())} pass, {len(RESULTS) - sum(passed.values())} fail"
    ]
    for family in sorted(families):
        lines.append(
            f"  {family:11s} {families[family]:4d} cases  {ran[family]:4d} run  {passed[family]:4d} pass  "
            f"{ran[family] - passed[family]:4d} fail"
        )
    report = os.environ.get("DECOUPLE_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(RESULTS, indent=1, ensure_ascii=False))
        lines.append(f"  report: {report}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
