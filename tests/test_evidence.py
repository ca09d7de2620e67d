"""The evidence base itself: facts well formed and all used; every parameter cites a fact or
states an assumption; calibration stored, in use and reproducible."""

from __future__ import annotations

import re
import tomllib

import pytest

from decouple.config import get_path, load_registry, load_scenario
from decouple.paths import evidence_dir, scenarios_dir
from decouple.validation import calibration
from decouple.validation.checks import all_checks
from decouple.validation.facts import load_facts, references

SEED_FILES = ("parameters.toml", "sectors.toml", "countries.toml")


def seed_sources():
    for name in SEED_FILES:
        text = (evidence_dir() / name).read_text()
        for m in re.finditer(r'source = "([^"]*)"', text):
            yield name, m.group(1)


def test_facts_are_well_formed():
    facts = load_facts()
    assert len(facts) >= 50
    roles = {f.role for f in facts.values()}
    assert roles == {"parameter", "calibration target", "validation target"}


def test_every_parameter_cites_a_fact_or_states_an_assumption():
    facts = load_facts()
    for name, source in seed_sources():
        ids = references(source)
        for i in ids:
            assert i in facts, f"{name}: '{source}' cites unknown fact '{i}'"
        if source.startswith("calibration:"):
            assert ids, f"{name}: calibrated value must name the facts it was fitted to: '{source}'"
        elif not ids:
            assert source.startswith("assumption:") and len(source.split(":", 1)[1].strip()) >= 8, (
                f"{name}: '{source}' neither cites a fact nor gives an assumption with its reason"
            )


def cited_everywhere() -> dict[str, set[str]]:
    where: dict[str, set[str]] = {"seeds": set(), "scenarios": set(), "calibration": set(), "checks": set()}
    for _, source in seed_sources():
        where["seeds"].update(references(source))
    for path in scenarios_dir().glob("*.toml"):
        where["scenarios"].update(references(path.read_text()))
    for target in calibration.load().get("target", []):
        where["calibration"].update(target["facts"])
    for check in all_checks():
        where["checks"].update(check.facts)
    return where


def test_every_fact_is_referenced():
    where = cited_everywhere()
    used = set().union(*where.values())
    unused = sorted(set(load_facts()) - used)
    assert not unused, f"facts cited nowhere: {unused}"


def test_roles_match_their_use():
    facts = load_facts()
    checks = all_checks()
    fitted = {f for c in checks if c.kind == "calibration" for f in c.facts}
    validated = {f for c in checks if c.kind != "calibration" for f in c.facts}
    for f in fitted:
        assert facts[f].role == "calibration target", f
    for f in validated:
        assert facts[f].role == "validation target", f
    assert not fitted & validated, "a figure is both fitted and used to validate"
    for f in facts.values():
        if f.role == "calibration target":
            assert f.id in fitted, f"{f.id} is a calibration target no fit uses"
        if f.role == "validation target":
            assert f.id in validated, f"{f.id} is a validation target no check uses"
        if f.role == "parameter":
            where = cited_everywhere()
            assert f.id in where["seeds"] | where["scenarios"], f"parameter fact {f.id} sets no value"


def test_validation_figures_behind_starting_data_are_declared():
    facts = load_facts()
    start = {i for _, source in seed_sources() for i in references(source)}
    for check in all_checks():
        for f in check.facts:
            if facts[f].role == "validation target" and f in start:
                assert check.restates_start, f"{check.id}: its figure {f} also set starting data; say so"


def test_conflicting_figures_stand_side_by_side():
    facts = load_facts()
    for a, b in (("cn_fdi_us_2018", "cn_investment_us_aei"), ("coauthor_nature", "coauthor_wos")):
        assert b in facts[a].note and a in facts[b].note


def test_historical_events_cite_their_evidence():
    text = (scenarios_dir() / "historical.toml").read_text()
    table = tomllib.loads(text)
    for event in table["events"]:
        note = event.get("note", "")
        assert references(note) or "public record" in note, f"event {event['year']} cites no fact: {note}"


def stored():
    record = calibration.load()
    return record, {(p["path"], p["event"]): p["value"] for p in record["parameter"]}


def test_calibrated_values_are_the_ones_in_use(world):
    _, values = stored()
    registry = load_registry()
    historical = load_scenario("historical", sectors=world.sectors)
    for (path, event), value in values.items():
        if event:
            (match,) = [e for e in historical.events if e.id == event]
            assert match.changes[path] == pytest.approx(value, abs=1e-9), f"{event}:{path}"
        else:
            assert registry[path].default == pytest.approx(value, abs=1e-9), path
            assert get_path(historical.resolved(), path) == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize("fit, free", [("replay", calibration.REPLAY_FREE), ("satellite", calibration.SATELLITE_FREE)])
def test_stored_fit_is_reproduced(fit, free):
    record, values = stored()
    checks = [
        c for c in calibration.calibration_checks() if (c.id == calibration.SATELLITE_CHECK) == (fit == "satellite")
    ]
    x = [values[(p.path, p.event)] for p in free]
    loss, means = calibration.evaluate(free, x, checks, seeds=tuple(record["calibration"]["seeds"]))
    assert loss == pytest.approx(record["fit"][fit]["loss"], abs=1e-5)
    for target in record["target"]:
        if target["fit"] == fit:
            assert means[target["check"]] == pytest.approx(target["model"], abs=1e-6)
