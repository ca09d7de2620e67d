"""The structure says what it does: every phase of a step names, in its docstring, the parts of
the state it writes, and traced steps show that it writes nothing else."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

from decouple import DecouplingModel
from decouple.model import PHASES, YEARLY

#: the phases as they are, before any test patches them
ORIGINALS = {(o, n): getattr(o, n) for o, n in PHASES}


def test_a_step_calls_exactly_the_declared_phases_in_order(monkeypatch):
    """The first quarter of a year runs every phase (the yearly reviews too); the states' phases
    run once per state (each ally decides), counted once here."""
    model = DecouplingModel("selective_decoupling", seed=3)
    called: list[tuple[object, str]] = []
    for owner, name in PHASES:

        def recorded(*args, _phase=(owner, name), _real=ORIGINALS[(owner, name)], **kwargs):
            if not called or called[-1] != _phase:
                called.append(_phase)
            return _real(*args, **kwargs)

        monkeypatch.setattr(owner, name, recorded)
    model.step()
    assert model.steps == 1  # the first quarter of the start year, so the yearly reviews ran too
    assert called == list(PHASES)
    called.clear()
    model.step()  # the second quarter: every phase but the yearly ones (decouple.model.YEARLY)
    assert set(YEARLY) <= set(PHASES)
    assert called == [phase for phase in PHASES if phase not in YEARLY]


def _writes(doc: str) -> str:
    match = re.search(r"Writes:(.*?)(?:\n\s*\n|$)", doc, re.S)
    assert match, "no 'Writes:' in the docstring"
    return " ".join(match.group(1).split())


@pytest.mark.parametrize("owner, name", PHASES, ids=[f"{o.__name__}.{n}" for o, n in PHASES])
def test_each_phase_documents_what_it_reads_and_writes(owner, name):
    function = getattr(owner, name)
    doc = inspect.getdoc(function) or ""
    assert "Reads:" in doc and "Writes:" in doc, f"{owner.__name__}.{name}"
    if inspect.isfunction(function) and not isinstance(owner, type):  # a mechanism's function
        hints = inspect.get_annotations(function)
        assert hints.get("model") == "DecouplingModel", f"{name}: type-hint its model argument"


def _snapshot(model: DecouplingModel) -> dict[str, object]:
    state = {}
    for part in ("relations", "market", "accounts"):
        for key, value in vars(getattr(model, part)).items():
            state[f"{part}.{key}"] = value.copy() if isinstance(value, (np.ndarray, dict)) else value
    for key, value in vars(model.firms).items():
        if isinstance(value, np.ndarray):
            state[f"firms.{key}"] = value.copy()
    state["policy"] = model.policy
    return state


def _changed(before: dict, after: dict) -> set[str]:
    out = set()
    for key, old in before.items():
        new = after[key]
        if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):  # (an array may replace None)
            same = isinstance(old, np.ndarray) and isinstance(new, np.ndarray) and np.array_equal(old, new)
        else:
            same = old is new if key == "policy" else old == new
        if not same:
            out.add(key)
    return out


@pytest.mark.parametrize("scenario", ["selective_decoupling", "full_decoupling", "adaptive_rivalry"])
def test_traced_steps_write_only_what_each_phase_declares(scenario, monkeypatch):
    model = DecouplingModel(scenario, seed=3)
    written: dict[str, set[str]] = {}

    for owner, name in PHASES:
        real = getattr(owner, name)
        label = f"{owner.__name__}.{name}"

        def traced(*args, _real=real, _label=label, **kwargs):
            before = _snapshot(model)
            result = _real(*args, **kwargs)
            written.setdefault(_label, set()).update(_changed(before, _snapshot(model)))
            return result

        monkeypatch.setattr(owner, name, traced)
    for _ in range(16):  # the policy starts, the entity list grows, allies move
        model.step()
    assert set(written) == {f"{o.__name__}.{n}" for o, n in PHASES}  # every phase ran
    for owner, name in PHASES:
        declared = _writes(inspect.getdoc(ORIGINALS[(owner, name)]) or "")
        for key in written[f"{owner.__name__}.{name}"]:
            attr = key.split(".")[-1]
            assert re.search(rf"\b{re.escape(attr)}\b", declared), f"{owner.__name__}.{name} writes {key}: {declared}"


def test_one_cache_keeps_a_value_while_its_scope_and_source_stand():
    model = DecouplingModel("selective_decoupling", seed=3)
    calls: list[str] = []

    def counted(label, value):
        def compute():
            calls.append(label)
            return value

        return compute

    source = np.zeros(3)
    assert model.cached("k", counted("step", np.ones(2)), source=source) is model.cached(
        "k", counted("again", None), source=source
    )
    model.cached("k", counted("new source", np.ones(2)), source=np.zeros(3))  # the array was replaced
    lever = model.cached("lever", counted("params", np.arange(3.0)), scope="params")
    assert not lever.flags.writeable  # values of the parameters alone are read-only
    model.step()
    model.cached("k", counted("next quarter", np.ones(2)), source=source)
    assert model.cached("lever", counted("params again", None), scope="params") is lever
    model.set_params({"policy.fence": 0.5})
    model.cached("lever", counted("new params", np.arange(3.0)), scope="params")
    assert calls == ["step", "new source", "params", "next quarter", "new params"]
    # the capability gap follows the firms' array, even when they replace it within a quarter
    gap = model.capability_gap().copy()
    model.firms.effective_capability = model.firms.effective_capability * 0.5
    assert not np.array_equal(model.capability_gap(), gap)
