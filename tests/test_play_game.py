"""The role-play's game against a curious class, and `decouple play`'s life (issue 20).

Rounds advance once however often the request comes; a what-if uses only what has been revealed;
every lever kind refuses every value outside its kind and range with a clear, short error; the
command refuses non-finite numbers, bad hosts and results folders it could not export to before it
serves; and the server stops on SIGTERM or Ctrl-C with its what-if workers, without a traceback.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from decouple import ConfigError, levers
from decouple.play import server as play_server
from decouple.play.debrief import check_results
from decouple.play.game import STATEMENT_CHARS, Game, RoundAlreadyAdvanced, run_projection
from decouple.world import shared_world

EXE = Path(sys.executable).parent / "decouple"
#: A polling deadline for a server to print its links on a busy machine; it times nothing.
START_WAIT = 180.0
#: A hang guard for a stopped server and its workers to be gone; it times nothing.
STOP_WAIT = 60.0


def _short_game() -> Game:
    """Two rounds (2030-2035, 2035-2035.75): cheap to play to the end."""
    return Game(team_spec="US,CN", start_year=2030.0, round_years=5.0)


# ------------------------------------------------------------------ rounds


def test_an_advance_that_names_its_round_happens_once():
    game = _short_game()
    assert game.public()["round"] == 1
    assert game.advance(expected_round=1)["round"] == 1
    state = (game.round, len(game.events), len(game.score_history), game.version, game.year)
    for repeated in (1, 1):  # the same request again (a retry, a double click): nothing happens
        with pytest.raises(RoundAlreadyAdvanced, match=r"round 1 asked, but round 2 is open.*allowed: round 2"):
            game.advance(expected_round=repeated)
        assert (game.round, len(game.events), len(game.score_history), game.version, game.year) == state
    for bad in (True, "2", 2.0, [2]):
        with pytest.raises(ConfigError, match="allowed: the number of the open round, 2"):
            game.advance(expected_round=bad)  # type: ignore[arg-type]
    assert game.round == 1
    game.advance(expected_round=2)
    assert game.over
    with pytest.raises(RoundAlreadyAdvanced, match="round 2 asked, but the game is over"):
        game.advance(expected_round=2)
    assert issubclass(RoundAlreadyAdvanced, ConfigError)  # the command line and the server know it


def test_an_advance_without_a_round_still_advances_the_open_one():
    game = _short_game()
    game.advance()
    assert game.round == 1 and game.year == 2035.0


# ------------------------------------------------------------------ what-ifs


def test_a_what_if_uses_only_choices_already_revealed():
    """China's what-if is the same whether or not the US has submitted a choice for the open
    round; once the round is advanced, the US choice is revealed and the what-if follows it."""
    game = Game(team_spec="US,CN")
    draft = {"china.state_support": 2.0}
    before = game.projection_job("cn", draft)
    hidden = {"policy.fence": 0.95, "policy.yard": ["logic_chips", "chip_tools", "ai_compute", "telecom"]}
    game.submit("us", hidden, "we will hold the line")
    after = game.projection_job("cn", draft)
    assert after == before
    np.testing.assert_array_equal(run_projection(after)["gap_small_yard"], run_projection(before)["gap_small_yard"])
    # the US's own what-if does use its own draft (the check above compares like with like)
    assert game.projection_job("us", {"policy.fence": 0.95}) != game.projection_job("us", {})
    game.advance()  # now revealed: the class's path holds it, and so does China's what-if
    revealed = game.projection_job("cn", draft)
    assert revealed[2][0][1]["policy.fence"] == 0.95
    assert revealed[2][-1][1]["policy.fence"] == 0.95


# ------------------------------------------------------------------ lever values

HUGE = 10**5000  # Python cannot print it (more than 4300 digits)
NOT_NUMBERS = [HUGE, -HUGE, float("inf"), json.loads("1e309"), float("-inf"), float("nan"), "0.5", [0.5],
               {"v": 0.5}, None, True, False]  # fmt: skip
SECTORS_BAD = [
    "logic_chips",
    ["moon_bases"],
    ["logic_chips", "logic_chips"],
    [1],
    [["logic_chips"]],
    {"logic_chips": True},
    [True],
    HUGE,
    float("nan"),
    ["s" * 100_000],
]
#: an int lever (seeds/levers.toml declares none; the registry has int parameters)
INT_ROW = """
["allies.negotiation_lag"]
label = "Talks"
help = "S2"
kind = "int"
path = "allies.negotiation_lag"
step = 1
"""


def _deep(n: int) -> list:
    out: list = []
    for _ in range(n):
        out = [out]
    return out


def _refused(lever, value, sectors) -> str:
    with pytest.raises(ConfigError) as caught:
        lever.check(value, sectors)
    message = str(caught.value)
    assert message.startswith(f"lever {lever.id}:") and "allowed:" in message, message
    assert len(message) < 400, f"{len(message)} characters: {message[:200]}"
    return message


def test_every_lever_kind_refuses_values_outside_its_kind_and_range(tmp_path):
    sectors = shared_world().sectors
    by_kind = {lever.kind: lever for lever in levers.all()}
    assert set(by_kind) == {"float", "bool", "sectors"}  # the kinds seeds/levers.toml declares
    (tmp_path / "levers.toml").write_text(INT_ROW, encoding="utf-8")
    (by_kind["int"],) = levers.all(file=tmp_path / "levers.toml")
    deep = _deep(100_000)
    for kind in ("float", "int"):
        lever = by_kind[kind]
        for value in [*NOT_NUMBERS, lever.max + 0.5, lever.min - 1, 10**30, -(10**30), deep]:
            _refused(lever, value, sectors)
        assert lever.check(lever.max, sectors) == lever.max
    assert "an integer of about 5001 digits" in _refused(by_kind["float"], HUGE, sectors)
    assert "nan is not a finite number" in _refused(by_kind["float"], float("nan"), sectors)
    assert "inf is not a finite number" in _refused(by_kind["float"], json.loads("1e309"), sectors)
    assert "allowed: a whole number" in _refused(by_kind["int"], 2.5, sectors)
    assert by_kind["int"].check(3.0, sectors) == 3 and isinstance(by_kind["int"].check(3.0, sectors), int)
    for value in [*NOT_NUMBERS[:-2], 0, 1, 0.0, 1.0, "true", [True], deep]:
        assert "allowed: true or false" in _refused(by_kind["bool"], value, sectors)
    for value in [*SECTORS_BAD, deep]:
        _refused(by_kind["sectors"], value, sectors)
    assert "given twice" in _refused(by_kind["sectors"], ["chip_tools", "logic_chips", "chip_tools"], sectors)
    assert by_kind["sectors"].check(["chip_tools", "logic_chips"], sectors) == ["logic_chips", "chip_tools"]


def test_a_teams_choice_refuses_bad_values_and_records_nothing():
    game = Game(team_spec="US,CN")
    chosen = {team: dict(choice) for team, choice in game.choices.items()}
    for value in NOT_NUMBERS:
        with pytest.raises(ConfigError, match=r"lever policy\.fence: .*allowed: a number from 0 to 1"):
            game.submit("us", {"policy.fence": value})
        with pytest.raises(ConfigError, match=r"lever china\.state_support: "):
            game.projection_job("cn", {"china.state_support": value})
    for value in SECTORS_BAD:
        with pytest.raises(ConfigError, match=r"lever yard: .*allowed: a list of distinct sector ids"):
            game.submit("us", {"policy.yard": value})
    for values in ([("policy.fence", 0.5)], "policy.fence=0.5", HUGE):
        with pytest.raises(ConfigError, match="allowed: an object of lever paths and values"):
            game.submit("us", values)  # type: ignore[arg-type]
    with pytest.raises(PermissionError, match=r"lever 'x{27}\.\.\.x{28}' is not one of United States's"):
        game.submit("us", {"x" * 100_000: 0.5})
    assert not game.submitted and game.choices == chosen


def test_a_statement_is_one_short_line_of_text():
    game = Game(team_spec="US,CN")
    for bad in (123, None, ["peace"], {"text": "peace"}, True, HUGE):
        with pytest.raises(ConfigError, match=rf"statement: .*allowed: a text of at most {STATEMENT_CHARS}"):
            game.submit("us", {"policy.fence": 0.5}, bad)  # type: ignore[arg-type]
    for long in ("x" * (STATEMENT_CHARS + 1), "x" * 10_000_000):
        with pytest.raises(ConfigError, match=r"statement: [\d,]+ characters; allowed: a text of at most"):
            game.submit("us", {"policy.fence": 0.5}, long)
    assert not game.submitted and not game.statements  # a refused statement refuses the choice too
    game.submit("us", {"policy.fence": 0.5}, "  we\n\nwill\x00 \u200b\ttalk  " + "y" * (STATEMENT_CHARS - 15))
    assert game.statements["us"] == "we will talk " + "y" * (STATEMENT_CHARS - 15)
    assert len(game.statements["us"]) <= STATEMENT_CHARS and game.submitted["us"]["policy.fence"] == 0.5


def test_game_settings_must_be_finite_numbers():
    for kwargs, flag in (
        ({"round_years": float("nan")}, "--round-years nan"),
        ({"round_years": float("inf")}, "--round-years inf"),
        ({"round_years": 1e308}, "--round-years 1e+308"),
        ({"round_years": "2"}, "--round-years '2'"),
        ({"round_years": True}, "--round-years True"),
        ({"start_year": float("-inf")}, "--start-year -inf"),
        ({"start_year": HUGE}, "--start-year an integer of about 5001 digits"),
        ({"start_year": 1e308}, "--start-year 1e+308"),
        ({"start_year": -1e308}, "--start-year -1e+308"),
    ):
        with pytest.raises(ConfigError, match=re.escape(flag) + r".*allowed:"):
            Game(**kwargs)


# ------------------------------------------------------------------ the command's settings


class Served(Exception):
    """The command got as far as starting its what-if workers: it accepted every setting."""


@pytest.fixture()
def no_serving(monkeypatch):
    def refuse_to_serve(*args, **kwargs):
        raise Served()

    monkeypatch.setattr(play_server, "make_pool", refuse_to_serve)
    monkeypatch.setattr(play_server.Game, "debrief", lambda self: {})


def _play(capsys, *argv: str) -> tuple[int, str]:
    from decouple.cli import main

    try:
        rc = main(["play", "--no-open", *argv])
    except SystemExit as exc:  # argparse
        rc = exc.code if isinstance(exc.code, int) else 1
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("--round-years", "nan"), "--round-years nan"),
        (("--round-years", "inf"), "--round-years inf"),
        (("--round-years=-inf",), "--round-years -inf"),
        (("--round-years", "1e309"), "--round-years inf"),
        (("--round-years", "1e308"), "--round-years 1e+308"),
        (("--round-years", "-2"), "--round-years -2"),
        (("--start-year", "nan"), "--start-year nan"),
        (("--start-year", "inf"), "--start-year inf"),
        (("--start-year=-1e309",), "--start-year -inf"),
        (("--start-year", "1e308"), "--start-year 1e+308"),
        (("--seed", "-1"), "--seed"),
        (("--seed", "9" * 40), "--seed"),
        (("--seed", "nan"), "--seed"),
        (("--workers", "0"), "--workers"),
        (("--workers", "1000000"), "--workers 1000000"),
        (("--workers", "inf"), "--workers"),
        (("--port", "-1"), "--port -1"),
        (("--port", "65536"), "--port 65536"),
        (("--port", "nan"), "--port"),
        (("--host", ""), "--host ''"),
        (("--host", "a\x00b"), "--host 'a\\x00b'"),
        (("--host", "h\udcff"), "--host 'h\\udcff'"),
    ],
)
def test_the_command_refuses_bad_numbers_and_hosts_before_serving(no_serving, capsys, tmp_path, argv, named):
    rc, err = _play(capsys, "--port", "0", "--out", str(tmp_path / "results"), *argv)
    assert rc == 2 and "error:" in err and named in err and "Traceback" not in err, err


@pytest.mark.parametrize("kind", ["file", "under-file", "proc", "sys", "symlink-loop", "long", "non-utf8", "read-only"])
def test_an_unwritable_out_is_refused_before_serving(no_serving, capsys, tmp_path, kind):
    out = {
        "file": tmp_path / "f",
        "under-file": tmp_path / "f" / "results",
        "proc": Path("/proc/decouple_play_test/results"),
        "sys": Path("/sys/decouple_play_test"),
        "symlink-loop": tmp_path / "loop",
        "long": tmp_path / ("o" * 300),
        "non-utf8": tmp_path / "r\udcffsults",
        "read-only": tmp_path / "locked",
    }[kind]
    (tmp_path / "f").write_text("a file")
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    (tmp_path / "locked").mkdir(mode=0o555)
    if kind == "read-only" and os.access(tmp_path / "locked", os.W_OK):
        pytest.skip("this user (root?) may write in a read-only folder")
    before = sorted(p.name for p in tmp_path.iterdir())
    rc, err = _play(capsys, "--port", "0", "--out", str(out))
    assert rc == 2 and "decouple: error: --out" in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing made, nothing served


def test_a_writable_out_passes_the_check_and_nothing_is_written(tmp_path):
    assert check_results(tmp_path / "new" / "results") == tmp_path / "new" / "results"
    assert [p.name for p in tmp_path.rglob("*")] == ["new"]  # its parent, as an export needs
    (tmp_path / "mine").mkdir()
    check_results(tmp_path / "mine")
    assert not any((tmp_path / "mine").iterdir())


# ------------------------------------------------------------------ stopping the server


def _descendants(pid: int) -> list:
    import psutil

    return psutil.Process(pid).children(recursive=True)


def _alive(process) -> bool:
    import psutil

    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize(
    ("signum", "to_group", "returncode"),
    [
        (signal.SIGTERM, False, 0),  # `kill PID`
        (signal.SIGINT, True, 0),  # Ctrl-C in a terminal reaches every process of the group
        (signal.SIGHUP, True, 0),  # the terminal closed
        (signal.SIGKILL, False, -signal.SIGKILL),  # nothing runs in the server: its workers still go
    ],
    ids=["sigterm", "ctrl-c", "hangup", "sigkill"],
)
def test_stopping_the_server_stops_its_workers_without_a_traceback(tmp_path, signum, to_group, returncode):
    pytest.importorskip("psutil")
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(
            [str(EXE), "play", "--no-open", "--port", "0", "--workers", "2", "--teams", "US,CN",
             "--out", str(tmp_path / "results")],
            stdout=stdout, stderr=stderr, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_WAIT
        while "Ctrl-C stops" not in out.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()[-2000:]
            time.sleep(0.3)
        base = re.search(r"facilitator page: (http://\S+?)/facilitator", out.read_text()).group(1)
        while True:  # serving: the signal reaches uvicorn, not the start-up
            try:
                urllib.request.urlopen(f"{base}/", timeout=5)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, err.read_text()[-2000:]
                time.sleep(0.3)
        workers = _descendants(proc.pid)
        assert len(workers) >= 2, workers
        if to_group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        assert proc.wait(timeout=STOP_WAIT) == returncode, err.read_text()[-2000:]
        deadline = time.monotonic() + STOP_WAIT
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [w.pid for w in workers if _alive(w)], "what-if workers outlived the server"
        assert "Traceback" not in err.read_text(), err.read_text()[-3000:]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=STOP_WAIT)
