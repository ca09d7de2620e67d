"""The lever declaration (seeds/levers.toml, decouple.levers): every row is checked against the
parameter registry, bad rows are clear errors, and what a lever sets is declared once."""

from __future__ import annotations

import pytest

from decouple import ConfigError, levers
from decouple.config import load_registry
from decouple.demo.levers import PANEL
from decouple.world import shared_world


def test_every_declared_lever_sets_parameters_of_the_registry_within_their_ranges():
    registry = load_registry()
    found = levers.all(shared_world())
    assert {lever.kind for lever in found} >= {"float", "bool", "sectors"}
    for lever in found:
        assert lever.paths and all(p in registry for p in lever.paths), lever.id
        spec = registry[lever.path]
        if lever.kind in ("float", "int"):
            assert spec.type == lever.kind and spec.range is not None
            assert spec.range[0] <= lever.min < lever.max <= spec.range[1], lever.id
            assert 0 < lever.step <= lever.max - lever.min


def test_the_yard_also_sets_country_wide_rules_and_the_fdpr_in_one_place():
    yard = levers.get("policy.yard")  # by the parameter it sets, as search and EMA name it
    assert yard.id == "yard" and yard.kind == "sectors"
    assert yard.changes(["logic_chips"]) == {
        "policy.yard": ["logic_chips"],
        "policy.country_wide": ["logic_chips"],
        "policy.fdpr": ["logic_chips"],
    }
    assert [lv.id for lv in levers.of_parameter("policy.fdpr")] == ["yard", "fdpr"]


def test_switches_set_what_they_declare_on_and_off():
    fdpr = levers.get("fdpr")
    assert fdpr.changes(True) == {"policy.fdpr": "all"} and fdpr.changes(False) == {"policy.fdpr": []}
    us = levers.get("adaptive_us")
    assert set(us.changes(True).values()) == {True} and set(us.changes(False).values()) == {False}
    assert "adaptive.us_yard" in us.changes(True)
    programmes = levers.get("programmes").changes(True)
    assert programmes["coopetition.programme_intensity"] > 0 and programmes["coopetition.programme_sectors"]
    assert levers.get("programmes").changes(False) == {"coopetition.programme_intensity": 0.0}


def test_per_country_rows_give_one_lever_per_country_named_in_the_worlds_words():
    world = shared_world()
    lean = [lv for lv in levers.all(world) if lv.row == "third.declared_lean.{code}"]
    assert [lv.country for lv in lean] == [c for c in world.countries if f"third.declared_lean.{c}" in load_registry()]
    assert lean[0].label == f"Lean: {world.country_labels[lean[0].country]}"


def test_values_are_checked_against_the_levers_kind_and_range():
    sectors = shared_world().sectors
    fence = levers.get("policy.fence")
    assert fence.check(0.5, sectors) == 0.5
    for bad, message in ((1.5, "out of range"), ("high", "allowed: a number"), (True, "allowed: a number")):
        with pytest.raises(ConfigError, match=message):
            fence.check(bad, sectors)
    with pytest.raises(ConfigError, match="unknown sector"):
        levers.get("yard").check(["moon_bases"], sectors)
    with pytest.raises(ConfigError, match="allowed: true or false"):
        levers.get("fdpr").check(1, sectors)
    with pytest.raises(ConfigError, match="no lever 'policy.fense'.*policy.fence"):
        levers.get("policy.fense")


def test_the_classroom_panel_names_declared_levers_only():
    rows = {lever.row for lever in levers.all()}
    assert [key for key in PANEL if key not in rows] == []


GOOD = """
["allies.negotiation_lag"]
label = "Talks before allies move (quarters)"
help = "S2 三(二)"
kind = "int"
path = "allies.negotiation_lag"
step = 1
"""


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            'kind = "float"\npath = "policy.fense"\nstep = 0.1',
            r"key 'path' = 'policy.fense'; allowed: a parameter of seeds/parameters.toml.*policy.fence",
        ),
        (
            'kind = "float"\npath = "policy.fence"\nstep = 0.1\nmax = 2.0',
            r"key 'min, max' = \[0.0, 2.0\]; allowed: a range inside \[0, 1\]",
        ),
        (
            'kind = "int"\npath = "policy.fence"\nstep = 1',
            r"key 'kind' = 'int'; allowed: float, the type of policy.fence",
        ),
        ('kind = "float"\npath = "policy.fence"', r"key 'step' = None; allowed: a step"),
        ('kind = "knob"', r"key 'kind' = 'knob'; allowed: float, int, bool, sectors"),
        ('kind = "bool"\nsets = ["policy.fence"]', r"key 'sets' = 'policy.fence'; allowed: switches"),
        (
            'kind = "sectors"\npath = "policy.yard"\nalso = ["policy.fence"]',
            r"key 'also' = 'policy.fence'; allowed: parameters of type sectors",
        ),
        (
            'kind = "float"\npath = "policy.fence"\nstep = 0.1\nruled_by = "adaptive.nobody"',
            r"key 'ruled_by' = 'adaptive.nobody'",
        ),
        (
            'kind = "float"\npath = "policy.fence"\nstep = 0.1\nfixed = { "policy.licence_approval" = 3.0 }',
            r"key 'fixed.policy.licence_approval' = 3.0; allowed: a number from 0 to 1",
        ),
        (
            'kind = "float"\npath = "policy.fence"\nstep = 0.1\ncolour = "red"',
            r"key 'colour' = 'red'; allowed: label, help",
        ),
    ],
)
def test_bad_rows_are_clear_errors_naming_file_key_value_and_what_is_allowed(tmp_path, row, message):
    file = tmp_path / "levers.toml"
    file.write_text(GOOD + '\n[bad]\nlabel = "Bad"\nhelp = "a bad row"\n' + row + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        levers.all(file=file)
    assert str(file) in str(caught.value) and "lever 'bad'" in str(caught.value)


def test_an_int_lever_is_read_and_checked_as_whole_numbers(tmp_path):
    file = tmp_path / "levers.toml"
    file.write_text(GOOD, encoding="utf-8")
    (lag,) = levers.all(file=file)
    assert (lag.kind, lag.min, lag.max) == ("int", 0.0, 40.0)
    assert lag.check(8, ()) == 8 and lag.changes(8) == {"allies.negotiation_lag": 8}
    with pytest.raises(ConfigError, match="allowed: a whole number"):
        lag.check(2.5, ())
