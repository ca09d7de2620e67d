"""The documents generated from the code (docs/odd.md, docs/trace.md, docs/reference/*.md) stay in
step with it: regenerated, they must equal the committed files (run `python -m
decouple.documentation` after changing a parameter, outcome, mechanism or check)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from decouple import documentation
from decouple.model import PHASES
from decouple.parameters import ParamSpec
from decouple.paths import project_root

DOCS = project_root() / "docs"
#: the elements of ODD in the order of its 2020 update (Grimm et al. 2020, JASSS 23(2) 7)
ODD_2020 = [
    "Purpose and patterns",
    "Entities, state variables and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialization",
    "Input data",
    "Submodels",
]
#: the elements of TRACE (Grimm et al. 2014, Ecological Modelling 280)
TRACE_2014 = [
    "Problem formulation",
    "Model description",
    "Data evaluation",
    "Conceptual model evaluation",
    "Implementation verification",
    "Model output verification",
    "Model analysis",
    "Model output corroboration",
]


@pytest.fixture(scope="module")
def sources():
    return documentation.gather()


@pytest.fixture(scope="module")
def generated(sources):
    return documentation.generate(sources)


def _headings(text: str) -> list[str]:
    return re.findall(r"^## \d+\. (.+)$", text, re.M)


def test_committed_documents_are_what_the_code_generates(generated, tmp_path):
    """Regenerated into a temporary folder, every document equals the committed one; a failure
    names the file, the first differing line and the command that brings them back in step."""
    documentation.write(tmp_path, generated)
    fresh = {name: (tmp_path / name).read_text(encoding="utf-8") for name in documentation.FILES}
    problems = documentation.divergences(DOCS, fresh)
    assert not problems, "code and documents diverged:\n" + "\n".join(problems)


def test_odd_follows_the_2020_element_order_and_trace_its_eight_elements(generated):
    assert _headings(generated["odd.md"]) == ODD_2020
    assert _headings(generated["trace.md"]) == TRACE_2014
    design = generated["odd.md"].split("## 4. Design concepts")[1].split("## 5.")[0]
    for concept in ("Basic principles", "Emergence", "Individual decision-making", "Learning", "Individual sensing"):
        assert f"{concept}" in design
    for concept in ("Individual prediction", "Interaction", "Collectives", "Heterogeneity", "Stochasticity"):
        assert f"{concept}" in design
    assert "### 4.11 Observation" in design


def test_every_mechanism_module_is_a_submodel_with_its_passages(generated, sources):
    submodels = generated["odd.md"].split("## 7. Submodels")[1]
    for path in sorted((project_root() / "model" / "mechanisms").glob("*.py")):
        if path.name == "__init__.py":
            continue
        assert re.search(rf"^### 7\.\d+ .*\(`model/mechanisms/{path.name}`\)$", submodels, re.M), path.name
    # a passage of a source document names the document's file
    assert "**S0 深层动因** (`000_0b924e61fed50819.txt`)" in submodels


def test_the_schedule_lists_the_steps_phases_in_order(generated):
    schedule = generated["odd.md"].split("## 3. Process overview and scheduling")[1].split("## 4.")[0]
    listed = re.findall(r"^\| \d+ \| `([^`]+)` \| (every quarter|first quarter of a year) \|", schedule, re.M)
    assert [name for name, _ in listed] == [documentation.phase_name(o, n) for o, n in PHASES]
    assert {name for name, when in listed if when != "every quarter"} == {
        "Controller.review",
        "Target.review_ties",
        "ThirdCountry.hedge",
    }


def test_every_parameter_outcome_and_check_appears(generated, sources):
    parameters, outcomes = generated["reference/parameters.md"], generated["reference/outcomes.md"]
    for path in sources.registry:
        assert f"| `{path}` |" in parameters, path
        assert f"| `{path}` |" in generated["odd.md"], path
    for name in sources.outcomes:
        assert f"| `{name}` |" in outcomes, name
    for check in sources.checks:
        assert f"| `{check.id}` |" in generated["reference/validation.md"], check.id


def test_a_new_parameter_makes_the_documents_diverge(generated, sources, tmp_path):
    """A parameter added to the registry and not documented fails the check, which names the file
    and the first line that differs."""
    documentation.write(tmp_path, generated)
    visa = ParamSpec(
        path="policy.visa_limit",
        type="float",
        role="lever",
        default=0.0,
        unit="share of researchers",
        meaning="share of Chinese researchers refused US visas",
        source="assumption: a test",
        range=(0.0, 1.0),
    )
    changed = documentation.generate(dataclasses.replace(sources, registry={**sources.registry, visa.path: visa}))
    problems = documentation.divergences(tmp_path, changed)
    named = {p.split(":")[0].removeprefix(str(tmp_path) + "/") for p in problems}
    assert named == {"odd.md", "trace.md", "reference/parameters.md"}
    (message,) = [p for p in problems if "parameters.md" in p]
    assert re.match(rf"{re.escape(str(tmp_path))}/reference/parameters\.md:\d+: ", message)
    assert f"The {len(sources.registry) + 1} parameters" in message and documentation.REGENERATE in message
    assert "| `policy.visa_limit` | lever | 0 | 0 to 1 | share of researchers |" in changed["odd.md"]


def test_the_command_writes_and_checks(generated, sources, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(documentation, "gather", lambda: sources)
    assert documentation.main(["--out", str(tmp_path)]) == 0
    odd = tmp_path / "odd.md"
    lines = odd.read_text(encoding="utf-8").splitlines()
    lines[10] = "edited by hand"
    odd.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "reference" / "outcomes.md").unlink()
    capsys.readouterr()
    assert documentation.main(["--out", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert f"{odd}:11: the document differs" in err and "committed: edited by hand" in err
    assert f"{tmp_path / 'reference' / 'outcomes.md'}: missing" in err
    with pytest.raises(SystemExit):
        documentation.main(["--out", str(odd)])  # a file, not a folder


def test_first_difference_names_the_line():
    assert documentation.first_difference("a\nb\n", "a\nb\n") is None
    assert documentation.first_difference("a\nb\n", "a\nc\n") == (2, "b", "c")
    assert documentation.first_difference("a\n", "a\nb\n") == (2, "<end of file>", "b")
