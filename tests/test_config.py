"""Scenario files and overrides are validated, and errors name file, key, value and what is allowed."""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

import decouple
from decouple import ConfigError, list_scenarios, load_scenario
from decouple.config import load_registry, parse_value

SHIPPED = ["baseline", "full_decoupling", "selective_decoupling", "coopetition"]


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_load(name, world):
    scenario = load_scenario(name, sectors=world.sectors)
    assert scenario.name == name
    assert scenario.title and scenario.description
    assert scenario.file_hash == hashlib.sha256(scenario.file.read_bytes()).hexdigest()


def test_scenario_list_has_the_four(world):
    names = [n for n, *_ in list_scenarios()]
    assert set(SHIPPED) <= set(names)


def test_registry_documents_every_parameter():
    registry = load_registry()
    assert len(registry) > 80
    for path, spec in registry.items():
        assert spec.meaning and spec.unit and spec.source, path
        if spec.type in ("float", "int"):
            lo, hi = spec.range
            assert lo <= spec.default <= hi, path


def test_unknown_key_names_file_key_and_allowed_keys(tmp_path, world):
    path = write(tmp_path, "[policy]\nfenc = 0.5\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(path, sectors=world.sectors)
    msg = str(err.value)
    assert str(path) in msg and "policy.fenc" in msg and "did you mean 'fence'" in msg
    assert "allowed keys in [policy]" in msg and "licence_approval" in msg


def test_unknown_section(tmp_path, world):
    path = write(tmp_path, "[polcy]\nfence = 0.5\n")
    with pytest.raises(ConfigError, match=r"unknown key 'polcy'.*did you mean 'policy'"):
        load_scenario(path, sectors=world.sectors)


def test_out_of_range_value(tmp_path, world):
    path = write(tmp_path, "[policy]\nfence = 1.5\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(path, sectors=world.sectors)
    msg = str(err.value)
    assert str(path) in msg and "policy.fence" in msg and "1.5" in msg
    assert "out of range" in msg and "from 0 to 1" in msg


def test_wrong_type(tmp_path, world):
    path = write(tmp_path, '[policy]\nfence = "high"\n')
    with pytest.raises(
        ConfigError, match=r"policy.fence' = 'high' is wrong type \(str\); allowed: a number from 0 to 1"
    ):
        load_scenario(path, sectors=world.sectors)


def test_bool_is_not_a_number(tmp_path, world):
    path = write(tmp_path, "[policy]\nfence = true\n")
    with pytest.raises(ConfigError, match="policy.fence"):
        load_scenario(path, sectors=world.sectors)


def test_unknown_sector_in_list(tmp_path, world):
    path = write(tmp_path, '[policy]\nyard = ["logic_chips", "potatoes"]\n')
    with pytest.raises(ConfigError) as err:
        load_scenario(path, sectors=world.sectors)
    msg = str(err.value)
    assert "policy.yard" in msg and "potatoes" in msg and "logic_chips" in msg and '"all"' in msg


def test_all_expands_to_every_sector(tmp_path, world):
    path = write(tmp_path, '[policy]\nyard = "all"\n')
    assert load_scenario(path, sectors=world.sectors).params.policy.yard == list(world.sectors)


def test_several_errors_reported_together(tmp_path, world):
    path = write(tmp_path, "[policy]\nfence = 2.0\nlicence_approval = -1.0\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(path, sectors=world.sectors)
    assert "policy.fence" in str(err.value) and "policy.licence_approval" in str(err.value)


def test_invalid_toml(tmp_path, world):
    path = write(tmp_path, "[policy\nfence = 0.5\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(path, sectors=world.sectors)


def test_unknown_scenario_lists_known_ones(world):
    with pytest.raises(ConfigError, match="known scenarios: .*baseline"):
        load_scenario("no_such_scenario", sectors=world.sectors)


def test_set_override_applies(world):
    s = load_scenario("baseline", ("policy.fence=0.7", "policy.yard=logic_chips,chip_tools"), sectors=world.sectors)
    assert s.params.policy.fence == 0.7
    assert s.params.policy.yard == ["logic_chips", "chip_tools"]
    assert s.overrides == ["policy.fence=0.7", "policy.yard=logic_chips,chip_tools"]


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("policy.fenc=0.7", "unknown key 'policy.fenc' (did you mean 'policy.fence'?)"),
        ("policy.fence=7", "policy.fence' = 7 is out of range; allowed: a number from 0 to 1"),
        ("policy.fence=high", "policy.fence' = 'high' is wrong type"),
        ("policy.fence", "expected KEY=VALUE"),
    ],
)
def test_set_override_errors(override, fragment, world):
    with pytest.raises(ConfigError) as err:
        load_scenario("baseline", (override,), sectors=world.sectors)
    assert fragment in str(err.value)
    assert "baseline.toml" in str(err.value) or "KEY=VALUE" in str(err.value)


def test_the_fast_path_of_parse_value_reads_as_toml_does():
    """Plain decimals skip the TOML parser (a sweep's cost): every form must read as TOML reads it."""
    import random
    import tomllib

    rng = random.Random(0)
    texts = [repr(rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30)) for _ in range(500)]
    texts += ["0.5", "-0.0", "+1.25", "1.0e-05", "1.5E+300", "true", "false", "1e-05", "inf", "nan", "1_000.5"]
    texts += ["01.5", "1.", ".5", "1.5e", "True", "0x10", "1__0.5"]
    for text in texts:
        try:
            expected = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            expected = text  # not TOML: a bare word
        got = parse_value(text)
        assert type(got) is type(expected) and (got == expected or (got != got and expected != expected)), text


def test_parse_value():
    assert parse_value("0.8") == 0.8
    assert parse_value("3") == 3
    assert parse_value("true") is True
    assert parse_value('["a", "b"]') == ["a", "b"]
    assert parse_value("a,b") == ["a", "b"]
    assert parse_value("all") == "all"


def test_extends_and_events(tmp_path, world):
    path = write(
        tmp_path,
        """
[scenario]
extends = "selective_decoupling"
title = "Selective, Dutch refuse"

[allies.willingness]
NL = -6.0

[[events]]
year = 2022.75
set = { "policy.fence" = 0.7, "policy.country_wide" = ["logic_chips"] }
note = "October 2022 rules"
""",
    )
    s = load_scenario(path, sectors=world.sectors)
    assert s.params.policy.yard == ["logic_chips", "chip_tools", "ai_compute", "quantum"]  # inherited
    assert s.params.allies.willingness.NL == -6.0
    assert s.events[0].year == 2022.75 and s.events[0].changes["policy.fence"] == 0.7


def test_extends_cycle(tmp_path, world):
    a = write(tmp_path, f'[scenario]\nextends = "{tmp_path / "b.toml"}"\n', "a.toml")
    write(tmp_path, f'[scenario]\nextends = "{a}"\n', "b.toml")
    with pytest.raises(ConfigError, match="cycle"):
        load_scenario(a, sectors=world.sectors)


@pytest.mark.parametrize(
    "event, fragment",
    [
        ('year = 2022.75\nset = { "policy.fenc" = 0.5 }', "unknown key 'policy.fenc'"),
        ('year = 2022.75\nset = { "policy.fence" = 5.0 }', "out of range"),
        ('year = 2050.0\nset = { "policy.fence" = 0.5 }', "within the run"),
        ('year = 2022.75\nset = { "world.firms_scale" = 3 }', "cannot change during a run"),
        ('year = "soon"\nset = { "policy.fence" = 0.5 }', "key 'year'"),
        ('year = 2022.75\nsett = { "policy.fence" = 0.5 }', "unknown key(s) ['sett']"),
    ],
)
def test_bad_events(tmp_path, world, event, fragment):
    path = write(tmp_path, f"[[events]]\n{event}\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(path, sectors=world.sectors)
    assert fragment in str(err.value) and str(path) in str(err.value)


def test_unknown_scenario_metadata_key(tmp_path, world):
    path = write(tmp_path, '[scenario]\ntitel = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['titel'\] in \[scenario\]"):
        load_scenario(path, sectors=world.sectors)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[scenario]\nnotice = 3\n", "scenario.notice"),
        ('[scenario]\nquestions = "why?"\n', "scenario.questions"),
        ('[scenario]\nquestions = ["why?", 2]\n', "an array of strings"),
    ],
)
def test_classroom_notes_are_checked(tmp_path, world, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=fragment) as err:
        load_scenario(path, sectors=world.sectors)
    assert str(path) in str(err.value)


def test_classroom_notes_are_inherited(tmp_path, world):
    child = write(tmp_path, '[scenario]\nextends = "selective_decoupling"\ntitle = "NL refuses"\n')
    scenario = load_scenario(child, sectors=world.sectors)
    parent = load_scenario("selective_decoupling", sectors=world.sectors)
    assert scenario.notice == parent.notice and scenario.questions == parent.questions


# ----------------------------------------------------------------------------- how the modules depend on each other

#: the modules that read files, parameters and scenarios, and the world they are checked against,
#: each with the ones it may import; config only re-exports the others' names
MAY_IMPORT = {
    "tomlfiles": set(),
    "world": {"tomlfiles"},
    "parameters": {"tomlfiles"},
    "scenarios": {"tomlfiles", "parameters", "world"},
    "config": {"tomlfiles", "parameters", "scenarios", "world"},
}
PACKAGE = Path(decouple.__file__).parent

#: imports ``decouple.<module>`` without running the package's ``__init__`` (which imports the
#: whole model) and prints the package modules that came with it
IMPORT_ALONE = """
import sys, types
package = types.ModuleType("decouple")
package.__path__ = [sys.argv[1]]
sys.modules["decouple"] = package
__import__("decouple." + sys.argv[2])
print(" ".join(sorted(name.removeprefix("decouple.") for name in sys.modules if name.startswith("decouple."))))
"""


def package_imports(module: str) -> list[tuple[str, bool]]:
    """(module imported, whether inside a function) for each import of another package module."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    local = {id(node) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for node in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [alias.name for alias in node.names]
            found += [(name.split(".")[0], id(node) in local) for name in names]
    return found


@pytest.mark.parametrize("module", sorted(MAY_IMPORT))
def test_each_module_imports_alone_and_brings_only_what_it_may(module):
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALONE, str(PACKAGE), module], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    loaded = set(proc.stdout.split())
    assert module in loaded
    others = set(MAY_IMPORT) - {module}
    assert loaded & others <= MAY_IMPORT[module], f"{module} brings {sorted(loaded & others - MAY_IMPORT[module])}"


def test_reading_files_knows_nothing_of_parameters_or_the_world():
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALONE, str(PACKAGE), "tomlfiles"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    # (and the catalogues its messages come from: decouple.i18n imports nothing of the package)
    assert set(proc.stdout.split()) == {"errors", "i18n", "tomlfiles"}


@pytest.mark.parametrize("module", sorted(MAY_IMPORT))
def test_no_import_among_them_hides_in_a_function(module):
    hidden = [name for name, in_function in package_imports(module) if in_function and name in MAY_IMPORT]
    assert not hidden, f"{module}.py imports {hidden} inside a function; import at the top, without a cycle"


def test_their_imports_form_no_cycle():
    graph = {m: {name for name, _ in package_imports(m) if name in MAY_IMPORT} for m in MAY_IMPORT}
    assert all(graph[m] <= MAY_IMPORT[m] for m in graph), graph
    done: set[str] = set()
    while len(done) < len(graph):  # peel off the modules whose imports are all done
        ready = {m for m in graph if m not in done and graph[m] <= done}
        assert ready, f"a cycle among {sorted(set(graph) - done)}: {graph}"
        done |= ready
