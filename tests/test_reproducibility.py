"""Same scenario, seed and parameters give bit-identical results; different seeds differ."""

from __future__ import annotations

import hashlib

import pandas as pd

from decouple.compare import comparison, run_comparison
from decouple.output import write_csv
from decouple.runner import run_one


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_csv_bytes(tmp_path):
    a = run_one("selective_decoupling", 5, ("time.steps=24",))
    b = run_one("selective_decoupling", 5, ("time.steps=24",))
    write_csv(tmp_path / "a.csv", a.frame)
    write_csv(tmp_path / "b.csv", b.frame)
    assert digest(tmp_path / "a.csv") == digest(tmp_path / "b.csv")
    assert a.final == b.final


def test_different_seeds_differ():
    a = run_one("coopetition", 1, ("time.steps=24",))
    b = run_one("coopetition", 2, ("time.steps=24",))
    assert not a.frame["value"].equals(b.frame["value"])
    assert a.final != b.final


def test_worker_count_does_not_change_results(tmp_path):
    exp = comparison(["baseline", "full_decoupling"], 2, 3, ["time.steps=12"])
    serial = run_comparison(exp, tmp_path / "one", workers=1, progress=False)
    parallel = run_comparison(exp, tmp_path / "two", workers=2, progress=False)
    one = pd.read_parquet(serial.out / "timeseries.parquet")
    two = pd.read_parquet(parallel.out / "timeseries.parquet")
    assert list(dict.fromkeys(one["scenario"])) == ["baseline", "full_decoupling"]
    assert set(one["seed"]) == set(exp.seeds()) and len(set(exp.seeds())) == 2
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_set_params_reaches_values_cached_from_parameters(world):
    """Arrays derived from the parameters are cached per parameter set; a live change must
    replace them from the next step on."""
    import numpy as np

    from decouple import DecouplingModel
    from decouple.mechanisms import knowledge, market

    model = DecouplingModel("selective_decoupling", seed=3, world=world)
    for _ in range(8):
        model.step()
    before = model.derived(market.switching_of_firms)
    model.set_params(
        {
            "policy.yard": ["logic_chips"],
            "market.switching_scale": 0.5,
            "coopetition.programme_sectors": ["quantum"],
            "coopetition.programme_intensity": 1.0,
        }
    )
    model.step()
    assert np.flatnonzero(model.policy.controlled).tolist() == [world.sector_index("logic_chips")]
    switching = model.derived(market.switching_of_firms)
    assert switching is not before
    assert np.array_equal(switching, np.clip(world.switching_rate * 0.5, 0.0, 1.0)[model.firms.sector])
    shield, lift = model.derived(knowledge.programme_shield)
    assert np.flatnonzero(shield).tolist() == np.flatnonzero(lift).tolist() == [world.sector_index("quantum")]


def test_a_cached_value_follows_its_array_even_when_a_freed_array_id_is_reused(world, monkeypatch):
    """The best-capability cache once keyed on id() of the firms' array: when the firms replaced
    it and the new array took the freed one's id, the cache answered with the old values (runs
    then depended on the process's memory history). Every id() in the model's module answering
    the same number stands for that reuse."""
    import numpy as np

    import decouple.model
    from decouple import DecouplingModel

    model = DecouplingModel("selective_decoupling", seed=1, world=world)
    model.step()
    monkeypatch.setattr(decouple.model, "id", lambda obj: 1, raising=False)
    model.best_effective_capability()
    model.firms.effective_capability = model.firms.effective_capability * 0.5  # same step, new array
    np.testing.assert_allclose(
        model.best_effective_capability(), model.firms.best_by_country(model.firms.effective_capability)
    )
