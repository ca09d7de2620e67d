"""Robust policy search (decouple search): robustness measures, enumeration, resumption, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from decouple.errors import ConfigError
from decouple.search import load_search, robust, run_search

SMALL = """
[search]
title = "small search"
scenario = "selective_decoupling"
year = 2021.0
futures = 3
root_seed = 5
method = "{method}"
population = 6
generations = 2
compare = ["selective_decoupling"]
uncertainties = ["china.state_support", "innovation.rd_elasticity"]

[levers]
"policy.yard" = ["logic_chips", "chip_tools"]
"policy.fence" = [0.2, 0.8]

[[objective]]
metric = "gap_small_yard@2021"
direction = "max"
robustness = "{robustness}"

[[objective]]
metric = "welfare_usd_WORLD@2021"
direction = "max"
against_baseline = true
per = "gdp_WORLD@2021"
"""


def write(tmp_path, method="exhaustive", robustness="mean", **replace):
    text = SMALL.format(method=method, robustness=robustness)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "small.toml"
    path.write_text(text)
    return load_search(path)


def test_robustness_measures_on_known_numbers(tmp_path):
    search = write(tmp_path, robustness="regret")
    values = {  # (futures, objectives): policy a is best in futures 0 and 1, b in future 2
        "a": np.array([[3.0, 0.0], [2.0, 0.0], [0.0, 0.0]]),
        "b": np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]),
    }
    table = robust(search, values)
    regret = table.iloc[:, 0]
    assert regret["a"] == pytest.approx(1.0) and regret["b"] == pytest.approx(2.0)  # largest shortfall
    mean = robust(write(tmp_path, robustness="mean"), values).iloc[:, 0]
    assert mean["a"] == pytest.approx(5 / 3) and mean["b"] == pytest.approx(1.0)
    sat = robust(
        write(
            tmp_path,
            robustness="satisficing",
            **{'robustness = "satisficing"': 'robustness = "satisficing"\nthreshold = 1.5'},
        ),
        values,
    )
    assert sat.iloc[:, 0]["a"] == pytest.approx(2 / 3) and sat.iloc[:, 0]["b"] == 0.0


def test_an_enumerated_search_finds_the_front_and_resumes_from_its_shards(tmp_path):
    search = write(tmp_path)
    first = run_search(search, tmp_path / "out", workers=1, log=lambda *a: None)
    policies = first["policies"]
    assert len(policies) == 8  # 2 x 2 yards x 2 fences
    assert first["front"]["policy"].isin(policies["policy"]).all() and len(first["front"]) >= 1
    # no policy off the front dominates one on it
    objs = [c for c in policies.columns if "(" in c]
    for _, f in first["front"].iterrows():
        at_least = (policies[objs] >= f[objs].to_numpy()).all(axis=1)
        better = at_least & (policies[objs] > f[objs].to_numpy()).any(axis=1)
        assert not better.any()
    assert (tmp_path / "out" / "pareto.png").stat().st_size > 10_000
    assert first["named"]["scenario"].tolist() == ["selective_decoupling"]
    shards = len(list((tmp_path / "out" / "evaluations" / "shards").glob("*.arrow")))
    assert shards == 8 * 3 + 3 + 3  # the policies, the baseline and the named scenario in 3 futures
    again = run_search(search, tmp_path / "out", workers=2, log=lambda *a: None)
    assert again["summary"]["runs_computed"] == 0  # all read back from the shards
    pd.testing.assert_frame_equal(again["policies"], policies)


def test_nsga2_runs_within_its_budget(tmp_path):
    result = run_search(write(tmp_path, method="nsga2"), tmp_path / "out", workers=1, log=lambda *a: None)
    assert (
        1 <= len(result["policies"]) <= 8
        and json.loads((tmp_path / "out" / "search.json").read_text())["status"] == "done"
    )


def test_bad_search_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="levers.policy.yard"):
        write(tmp_path, **{'"policy.yard" = ["logic_chips", "chip_tools"]': '"policy.yard" = ["chips"]'})
    with pytest.raises(ConfigError, match="levers.policy.fense"):
        write(tmp_path, **{'"policy.fence" =': '"policy.fense" ='})
    with pytest.raises(ConfigError, match="NAME@2021"):
        write(tmp_path, **{'metric = "gap_small_yard@2021"': 'metric = "gap_small_yard@2030"'})
    with pytest.raises(ConfigError, match="satisficing' needs a threshold"):
        write(tmp_path, robustness="satisficing")
    with pytest.raises(ConfigError, match="uncertainties"):
        write(tmp_path, **{'"china.state_support", ': '"china.stat_support", '})


def test_another_search_into_the_same_folder_is_refused(tmp_path):
    run_search(write(tmp_path), tmp_path / "out", log=lambda *a: None)
    other = write(tmp_path, **{"futures = 3": "futures = 2"})
    with pytest.raises(ConfigError, match="different search file"):
        run_search(other, tmp_path / "out", log=lambda *a: None)


TINY = {"futures = 3": "futures = 2", '"policy.fence" = [0.2, 0.8]': '"policy.fence" = [0.5]'}


def test_the_front_is_the_same_whatever_the_worker_count(tmp_path):
    search = write(tmp_path, **TINY)
    run_search(search, tmp_path / "one", workers=1, log=lambda *a: None)
    run_search(search, tmp_path / "two", workers=2, log=lambda *a: None)
    for name in ("front.csv", "policies.csv", "named.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_a_failed_evaluation_is_recorded_named_and_retried_on_resume(tmp_path, monkeypatch):
    from decouple.errors import DecoupleError
    from decouple.sweeps import engine

    search = write(tmp_path, **TINY)
    real = engine.build

    def failing(point, world):
        if point.scenario == "baseline":
            raise RuntimeError("deliberate failure")
        return real(point, world)

    monkeypatch.setattr(engine, "build", failing)
    with pytest.raises(DecoupleError, match=r"2 evaluation\(s\) failed, e.g. reference_baseline__f0000.*deliberate"):
        run_search(search, tmp_path / "out", log=lambda *a: None)
    assert len(list((tmp_path / "out" / "evaluations" / "failed").glob("*.json"))) == 2
    monkeypatch.setattr(engine, "build", real)
    again = run_search(search, tmp_path / "out", log=lambda *a: None)
    assert again["summary"]["runs_computed"] == 2 + 4 * 2 + 2  # the failed ones, then the policies and named


def test_objectives_are_measures_and_take_their_outcomes_direction(tmp_path):
    search = write(
        tmp_path,
        **{
            'metric = "welfare_usd_WORLD@2021"\ndirection = "max"\nagainst_baseline = true\nper = "gdp_WORLD@2021"': (
                'metric = "welfare_usd[WORLD]@2021 against baseline per gdp[WORLD]"'
            ),
            'metric = "gap_small_yard@2021"\ndirection = "max"': 'metric = "gap_small_yard@2021"',
        },
    )
    assert [str(m) for m in search.measures] == [
        "gap_small_yard@2021",
        "welfare_usd_WORLD@2021 against baseline per gdp_WORLD",  # the registry's names
    ]
    assert search.directions == ["max", "max"]  # the US seeks a larger gap; every country its welfare
    legacy = write(tmp_path)
    assert [m.against for m in legacy.measures] == [None, "baseline"] and legacy.measures[1].per == "gdp_WORLD"
    with pytest.raises(ConfigError, match="objective.direction.*no actor steers"):
        write(tmp_path, **{'metric = "gap_small_yard@2021"\ndirection = "max"': 'metric = "yard_size@2021"'})


# ---------------------------------------------------------------- issue 20: robustness
FENCE = '"policy.fence" = [0.2, 0.8]'


@pytest.mark.parametrize(
    "levers, problem",
    [
        ('"policy.fence" = ["0.5"]', "value '0.5'; allowed: a list of finite numbers from 0 to 1"),
        ('"policy.fence" = [true]', "value True; allowed"),
        ('"policy.fence" = [{ a = 1 }]', "value {'a': 1}; allowed"),
        ('"policy.fence" = [nan]', "value nan; allowed"),
        ('"policy.fence" = [inf]', "value inf; allowed"),
        ('"policy.fence" = [1.5]', "value 1.5; allowed"),
        ('"policy.fence" = [0.2, 0.2]', "a value listed twice"),
        ('"policy.fence" = []', "is empty"),
        ('"policy.fence" = { low = 0.8, high = 0.2 }', "levers.policy.fence.low"),
        ('"policy.fence" = "0.2"', "levers.policy.fence"),
        ('"policy.fense" = [0.2]', "did you mean 'policy.fence'"),
        ('"policy.yard" = [1, 2]\n' + FENCE, "levers.policy.yard"),
        ('"policy.yard" = ["chip_tools", "chip_tools"]\n' + FENCE, "a sector listed twice"),
    ],
)
def test_lever_values_of_the_wrong_kind_are_clear_errors(tmp_path, levers, problem):
    with pytest.raises(ConfigError, match="small.toml") as caught:
        write(tmp_path, **{'"policy.yard" = ["logic_chips", "chip_tools"]\n' + FENCE: levers})
    assert problem in str(caught.value)


def test_a_lever_written_as_an_unquoted_dotted_key_is_read(tmp_path):
    search = write(tmp_path, **{FENCE: "policy.fence = [0.2, 0.8]"})
    assert search.value_levers == {"policy.fence": [0.2, 0.8]}


def test_an_uncertainty_that_is_also_a_lever_or_listed_twice_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="twice"):
        write(tmp_path, **{'"china.state_support", ': '"china.state_support", "china.state_support", '})
    with pytest.raises(ConfigError, match="threshold.*allowed: a finite number"):
        write(
            tmp_path,
            robustness="satisficing",
            **{'robustness = "satisficing"': 'robustness = "satisficing"\nthreshold = nan'},
        )


def test_a_search_too_big_is_refused_before_any_run(tmp_path, capsys, monkeypatch):
    from decouple.cli import main
    from decouple.sweeps import engine

    monkeypatch.setattr(engine, "build", lambda *a: pytest.fail("a run started"))
    big = write(
        tmp_path,
        method="nsga2",
        **{
            "futures = 3": "futures = 10000",
            "population = 6": "population = 10000",
            "generations = 2": "generations = 10000",
            FENCE: f'"policy.fence" = [{", ".join(str(v / 100) for v in range(100))}]',
        },
    )
    assert big.n_runs() == (4 * 100 + 2) * 10_000  # the policies, the baseline and a named scenario
    with pytest.raises(ConfigError, match="more than the 1,000,000 a search runs without --force"):
        run_search(big, tmp_path / "out", log=lambda *a: None)
    assert main(["search", str(tmp_path / "small.toml"), "--out", str(tmp_path / "cli")]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "cli").exists()


def test_search_refuses_a_folder_of_someone_elses_files_before_any_run(tmp_path, capsys, monkeypatch):
    from decouple.cli import main
    from decouple.sweeps import engine

    monkeypatch.setattr(engine, "build", lambda *a: pytest.fail("a run started"))
    write(tmp_path, **TINY)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    assert main(["search", str(tmp_path / "small.toml"), "--out", str(theirs)]) == 2
    assert "holds files that `decouple search` did not write (notes.txt)" in capsys.readouterr().err
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]
    (tmp_path / "afile").write_text("x")
    assert main(["search", str(tmp_path / "small.toml"), "--out", str(tmp_path / "afile")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_refused_or_failed_search_leaves_no_running_stamp(tmp_path, monkeypatch):
    from decouple.errors import DecoupleError
    from decouple.sweeps import engine

    out = tmp_path / "out"
    with pytest.raises(ConfigError):  # refused while loading: nothing is written
        write(tmp_path, **{FENCE: '"policy.fence" = ["high"]'})
    assert not out.exists()
    search = write(tmp_path, **TINY)

    def failing(point, world):
        raise RuntimeError("deliberate failure")

    monkeypatch.setattr(engine, "build", failing)
    with pytest.raises(DecoupleError, match="deliberate"):
        run_search(search, out, log=lambda *a: None)
    assert not (out / "search.json").exists()  # no stamp was there before: none is left


@pytest.mark.parametrize(
    "stamp",
    [
        '{"name": "x", "hash": "other", "status": "running", "pid": 999999999}',  # a process that died
        '{"name": "x", "hash": "other", "status": "running"}',  # an earlier version's, without a pid
        '{"name": "x", "hash": ',  # truncated
        "",
        '{"hash": 5}',
        "[1, 2]",
    ],
)
def test_a_stale_or_damaged_stamp_does_not_block_its_folder(tmp_path, stamp):
    out = tmp_path / "out"
    out.mkdir()
    (out / "search.json").write_text(stamp)
    result = run_search(write(tmp_path, **TINY), out, log=lambda *a: None)
    assert result["summary"]["status"] == "done"
    assert json.loads((out / "search.json").read_text())["status"] == "done"


def test_a_search_running_in_a_live_process_blocks_the_folder(tmp_path):
    import os

    out = tmp_path / "out"
    out.mkdir()
    (out / "search.json").write_text(json.dumps({"hash": "x", "status": "running", "pid": os.getppid()}))
    with pytest.raises(ConfigError, match=f"a search is running into it \\(process {os.getppid()}\\)"):
        run_search(write(tmp_path, **TINY), out, log=lambda *a: None)
    assert json.loads((out / "search.json").read_text())["pid"] == os.getppid()  # left as it was


def test_policies_whose_objectives_are_not_numbers_are_failed_not_on_the_front(tmp_path, monkeypatch):
    from decouple.sweeps import engine

    real = engine.read

    def nan_at_high_fence(model, measures, until):
        values = real(model, measures, until)
        if model.scenario.name == "selective_decoupling" and model.params.policy.fence == 0.8:
            values = {k: float("nan") for k in values}
        return values

    monkeypatch.setattr(engine, "read", nan_at_high_fence)
    notes = []
    result = run_search(write(tmp_path), tmp_path / "out", log=notes.append)
    policies = pd.read_csv(tmp_path / "out" / "policies.csv")
    failed = policies["policy.fence"] == 0.8
    assert (policies.loc[failed, "status"] != "done").all() and (policies.loc[~failed, "status"] == "done").all()
    assert not policies.loc[failed, "on_front"].any() and policies.loc[~failed, "on_front"].any()
    front = pd.read_csv(tmp_path / "out" / "front.csv")
    assert (front["policy.fence"] == 0.2).all() and len(front) >= 1
    objs = [c for c in front.columns if "(" in c]
    assert np.isfinite(front[objs].to_numpy()).all()
    assert result["summary"]["failed"] == 4 and any("4 of 8 policies" in n for n in notes)


def test_damaged_evaluation_shards_are_computed_again(tmp_path):
    search = write(tmp_path, **TINY)
    first = run_search(search, tmp_path / "out", log=lambda *a: None)
    shards = sorted((tmp_path / "out" / "evaluations" / "shards").glob("*.arrow"))
    shards[0].write_bytes(shards[0].read_bytes()[:40])  # truncated
    shards[1].write_bytes(b"")  # empty
    shards[2].write_bytes(b"PAR1 not a table at all")  # garbage
    again = run_search(search, tmp_path / "out", log=lambda *a: None)
    assert again["summary"]["runs_computed"] == 3
    pd.testing.assert_frame_equal(again["policies"], first["policies"])


# ---------------------------------------------------------------- budget flags


@pytest.mark.parametrize(
    "flags, problem",
    [
        ({"futures": 1}, "--futures 1: allowed: a whole number from 2 to 10,000"),
        ({"futures": 0}, "--futures 0: allowed: a whole number from 2 to 10,000"),
        ({"population": -5}, "--population -5: allowed: a whole number from 4 to 10,000"),
        ({"generations": 0}, "--generations 0: allowed: a whole number from 1 to 10,000"),
        ({"generations": 10_001}, "--generations 10001: allowed: a whole number from 1 to 10,000"),
        ({"population": True}, "--population True: allowed: a whole number"),
        ({"futures": 2.5}, "--futures 2.5: allowed: a whole number"),
    ],
)
def test_budget_flags_out_of_bounds_are_clear_errors(tmp_path, flags, problem):
    search = write(tmp_path, method="nsga2")
    with pytest.raises(ConfigError) as err:
        search.with_budget(**flags)
    assert problem in str(err.value)


def test_budget_flags_replace_the_files_budget_and_change_its_hash(tmp_path):
    search = write(tmp_path, method="nsga2")
    assert search.with_budget(futures=3, population=6, generations=None) is search  # the file's own values
    given = search.with_budget(futures=4, population=None, generations=5)
    s = given.spec.search
    assert (s.futures, s.population, s.generations) == (4, 6, 5)
    assert given.budget == (("futures", 4), ("generations", 5)) and given.hash() != search.hash()
    assert given.budget_record() == {
        "futures": 4,
        "population": 6,
        "generations": 5,
        "from_flags": ["--futures", "--generations"],
    }
    assert given.with_budget(futures=4).hash() == given.hash()
    assert given.n_runs() == (8 + 2) * 4  # all 8 policies (fewer than 6 x 5), the baseline and a named scenario
    assert search.spec.search.futures == 3  # the loaded search is left as it was
    with pytest.raises(ConfigError, match="--population 8: search 'small' enumerates every policy"):
        write(tmp_path).with_budget(population=8)
    assert write(tmp_path).with_budget(futures=2).spec.search.futures == 2  # an enumeration takes --futures


def test_budget_flags_are_held_to_the_run_limit(tmp_path, capsys, monkeypatch):
    from decouple.cli import main
    from decouple.sweeps import engine

    monkeypatch.setattr(engine, "build", lambda *a: pytest.fail("a run started"))
    fences = f'"policy.fence" = [{", ".join(str(v / 100) for v in range(100))}]'
    assert write(tmp_path, method="nsga2", **{FENCE: fences}).n_runs() == (6 * 2 + 2) * 3  # within the limit
    argv = ["search", str(tmp_path / "small.toml"), "--out", str(tmp_path / "cli")]
    flags = ["--futures", "10000", "--population", "1000", "--generations", "200"]
    assert main([*argv, *flags]) == 2  # 400 policies (fewer than 1000 x 200), a baseline and a named scenario
    err = capsys.readouterr().err
    assert "up to 4,020,000 runs (10,000 futures" in err and "pass --force" in err
    assert main([*argv, "--population", "0"]) == 2
    assert "decouple: error: --population 0: allowed: a whole number from 4 to 10,000" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*argv, "--futures", "many"])
    assert "argument --futures: invalid int value: 'many'" in capsys.readouterr().err
    assert not (tmp_path / "cli").exists()


def test_a_search_with_budget_flags_records_them_and_keeps_its_folder_to_them(tmp_path, capsys):
    from decouple.cli import main

    write(tmp_path, method="nsga2", **TINY)
    out = tmp_path / "out"
    argv = ["search", str(tmp_path / "small.toml"), "--workers", "1", "--quiet", "--out", str(out)]
    assert main([*argv, "--futures", "3", "--population", "4", "--generations", "1"]) == 0
    printed = capsys.readouterr().out
    assert "x 3 futures (budget from --futures, --generations, --population)" in printed
    stamp = json.loads((out / "search.json").read_text())
    assert stamp["status"] == "done" and stamp["futures"] == 3
    assert stamp["budget"] == {
        "futures": 3,
        "population": 4,
        "generations": 1,
        "from_flags": ["--futures", "--generations", "--population"],
    }
    assert stamp["policies"] <= 4  # one generation of a population of 4
    futures = {p.stem.rsplit("__f", 1)[1] for p in (out / "evaluations" / "shards").glob("*.arrow")}
    assert futures == {"0000", "0001", "0002"}
    assert main([*argv, "--futures", "3", "--population", "4", "--generations", "1"]) == 0  # the same: resumed
    assert "0 runs computed" in capsys.readouterr().out
    assert main([*argv]) == 2  # the file's budget into the folder of another
    assert "or with another budget (--futures, --population, --generations)" in capsys.readouterr().err
