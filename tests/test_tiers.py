"""The test tiers of conftest.TIERS (see CONTRIBUTING.md, "Test tiers"): every pattern names tests
that exist, so a renamed test cannot leave its tier silently."""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from .conftest import SLOW_FIXTURES, TIERS, tier_marks

ROOT = Path(__file__).resolve().parent.parent


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test")}


def _fixtures(path: Path) -> set[str]:
    """Functions decorated as pytest fixtures in ``path``."""
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list)
    }


@pytest.mark.parametrize("mark,pattern", [(m, p) for m, patterns in TIERS.items() for p in patterns])
def test_every_tier_pattern_names_a_test(mark, pattern):
    file, _, name = pattern.partition("::")
    path = ROOT / file
    assert path.is_file(), f"TIERS[{mark!r}]: {pattern!r} names no test file"
    assert any(fnmatchcase(f, name) for f in _test_functions(path)), f"TIERS[{mark!r}]: no test matches {pattern!r}"


@pytest.mark.parametrize("files,fixture", SLOW_FIXTURES)
def test_every_slow_fixture_exists(files, fixture):
    defined = [p for p in sorted(ROOT.glob(files)) if fixture in _fixtures(p)]
    assert defined, f"SLOW_FIXTURES: no fixture {fixture!r} in {files}"


def test_marks_follow_node_ids_parameters_and_fixtures():
    assert tier_marks("tests/test_fuzz.py::test_fuzz_case[scenario-empty]") == ["fuzz"]
    assert tier_marks("tests/test_sweeps.py::test_resume_computes_only_missing_runs") == ["slow"]
    assert tier_marks("tests/test_sweeps.py::test_resume_computes_only_missing_runs_twice") == []
    assert tier_marks("tests/test_patterns.py::test_any", ("world", "pattern_runs")) == ["slow"]
    assert tier_marks("tests/test_lesson.py::test_any", ("results",)) == ["slow"]
    assert tier_marks("tests/test_play.py::test_any", ("results",)) == []  # another file's fixture
    assert tier_marks("tests/test_structure.py::test_any", ("world",)) == []
