"""Invariants hold every step in every scenario, and the checker does catch violations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from decouple import DecouplingModel, InvariantError
from decouple.metrics import check_invariants
from decouple.state import STATE_PARTS, StatePart, shape_of

from .conftest import SCENARIOS


@pytest.mark.parametrize("scenario", [*SCENARIOS, "adaptive_rivalry", "precise"])
def test_invariants_every_step(scenario, world):
    # check=True makes the model verify its invariants after every step
    model = DecouplingModel(scenario, seed=7, world=world, check=True).run()
    frame = model.table.frame(scenario, 7)
    assert frame["value"].notna().all() and np.isfinite(frame["value"]).all()
    shares = frame[frame.metric == "market_share"].groupby(["step", "sector"], observed=True)["value"].sum()
    assert np.allclose(shares, 1.0, atol=1e-9)
    for metric in ("capability", "revenue", "rd_spending", "sales", "production"):
        assert (frame[frame.metric == metric]["value"] >= 0).all(), metric
    for metric in ("compliance", "trust", "self_sufficiency", "market_share"):
        v = frame[frame.metric == metric]["value"]
        assert ((v >= 0) & (v <= 1 + 1e-12)).all(), metric
    # joint programmes may lift collaboration above its 2018 level (1), by at most their lift
    v = frame[frame.metric == "collaboration"]["value"]
    assert ((v >= 0) & (v <= 1 + model.params.coopetition.programme_lift + 1e-12)).all()
    assert (model.market.segment_demand(model.layout, model.policy.coverage) >= 0).all()


def test_at_least_200_firms(world):
    model = DecouplingModel("baseline", seed=0, world=world)
    assert model.firms.n >= 200
    assert len(model.agents) == world.n_countries  # the states; the firms are one vectorised set


def test_quarterly_steps_cover_2018_to_2035(world):
    model = DecouplingModel("baseline", seed=0, world=world).run()
    assert model.table.years[0] == 2018.0 and model.table.years[1] == 2018.25
    assert model.table.years[-1] == 2035.75 and not model.running


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda m: m.relations.compliance.__setitem__((m.world.country_index("JP"), 0), 1.5), "compliance outside"),
        (lambda m: setattr(m.relations, "trust", -0.2), "trust outside"),
        (lambda m: m.firms.capability.__setitem__(0, -1.0), "negative firm capability"),
        (lambda m: m.market.market_share.__setitem__((0, 0), m.market.market_share[0, 0] + 0.1), "market shares"),
        (lambda m: m.table.values[-1].__setitem__(0, np.nan), "NaN"),
    ],
)
def test_checker_catches_violations(world, corrupt, message):
    model = DecouplingModel("baseline", seed=0, world=world)
    model.step()
    corrupt(model)
    with pytest.raises(InvariantError, match=message):
        check_invariants(model)


def _declared_parts(model):
    return [(name, getattr(model, name)) for name in STATE_PARTS if isinstance(getattr(model, name), StatePart)]


def test_every_declared_bound_is_checked(world):
    """Each field that declares bounds, pushed out of them in turn (one element above, then one
    below), is named by the generic check; put back, the model passes again."""
    model = DecouplingModel("selective_decoupling", seed=0, world=world)
    model.step()
    check_invariants(model)
    declared = [
        (name, part, field, bounds) for name, part in _declared_parts(model) for field, bounds in part.bounded()
    ]
    assert {f"{name}.{field}" for name, _, field, _ in declared} >= {
        "relations.trust",
        "relations.compliance",
        "relations.collaboration",
        "market.sales",
        "firms.capability",
        "firms.shares",
    }
    for _, part, field, bounds in declared:
        original = getattr(part, field)
        low, high = bounds.at(model.params)
        for wrong in (high + 0.5, low - 0.5) if np.isfinite(high) else (low - 0.5,):
            if isinstance(original, np.ndarray):
                value = original.astype(float)  # (a copy: the state's array is put back below)
                value.flat[-1] = wrong
            else:
                value = wrong
            setattr(part, field, value)
            with pytest.raises(InvariantError, match=rf"\b{part.label} {field}\b"):
                check_invariants(model)
            setattr(part, field, original)
        check_invariants(model)


def test_state_parts_keep_their_declared_shapes(world):
    model = run_steps_to_year(DecouplingModel("full_decoupling", seed=0, world=world), 2020.0)
    for name, part in _declared_parts(model):
        for field in dataclasses.fields(part):
            shape, value = field.metadata.get("shape"), getattr(part, field.name)
            if shape and value is not None:
                assert np.shape(value) == shape_of(shape, model.dims), f"{name}.{field.name}"


def run_steps_to_year(model, year):
    while model.year < year:
        model.step()
    return model


def test_finished_model_is_garbage_collected(world):
    """Mesa 3.3.1 keeps models alive in Agent._ids (Mesa #3179); a finished run must release
    itself so that a sweep worker's memory stays flat."""
    import gc
    import weakref

    from decouple import load_scenario

    model = DecouplingModel(load_scenario("baseline", ("time.steps=3",), sectors=world.sectors), seed=0, world=world)
    model.run()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
