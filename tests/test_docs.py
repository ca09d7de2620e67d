"""The documentation: the site builds strictly and offline, the README's links reach files and its
timings come from the benchmark's report, and CITATION.cff cites this version."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
#: the pages `python -m decouple.documentation --out docs` writes from the code
GENERATED = ("odd.md", "trace.md", "reference/parameters.md", "reference/outcomes.md", "reference/validation.md")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def relative_links(text: str) -> list[str]:
    """The targets of a markdown text's links and images that point into the repository (code
    blocks and code spans hold no links)."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_every_relative_link_of_the_readme_reaches_a_file():
    links = relative_links((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(links) >= 10  # the figure and the documentation's pages
    missing = [t for t in links if not (ROOT / t.split("#", 1)[0]).is_file()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_the_link_reader_finds_links_and_images_and_skips_the_web():
    text = "![fig](docs/a.png) [page](docs/b.md#part) [web](https://x.org/a.md) [top](#start) `[no](code)`"
    text += "\n```\n[no](block.md)\n```\n[`code` in a link](docs/c.md)"
    assert relative_links(text) == ["docs/a.png", "docs/b.md#part", "docs/c.md"]


def test_the_readmes_timings_are_the_benchmarks():
    """A time the README gives is one a benchmark's report gives (`benchmarks/results.md` for the
    model and the sweeps, `benchmarks/newcomer.md` for `make run` and `make test` on a fresh
    clone), never an estimate."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How long things take", 1)[1].split("\n## ", 1)[0]
    reports = [ROOT / "benchmarks" / name for name in ("results.md", "newcomer.md")]
    report = "\n".join(path.read_text(encoding="utf-8") for path in reports)
    timings = re.findall(r"(\d[\d,]*(?:\.\d+)?) ?(?:s\b|x\b|runs/s)", section)
    assert len(timings) >= 3 and all(f"benchmarks/{path.name}" in section for path in reports)
    assert [t for t in timings if t not in report] == [], "README timings missing from the benchmarks' reports"


def test_citation_cites_this_version_under_its_license():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = pyproject()["project"]
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "license"} <= set(cff)
    assert str(cff["version"]) == project["version"], "CITATION.cff's version differs from pyproject.toml's"
    assert cff["license"] == project["license"]
    assert all("name" in a or "family-names" in a for a in cff["authors"])


def test_the_docs_extra_and_the_test_extra_bring_mkdocs_material():
    extras = pyproject()["project"]["optional-dependencies"]
    for name in ("docs", "test"):
        assert any(d.startswith("mkdocs-material") for d in extras[name]), name


def test_the_site_is_configured_to_build_offline_and_strictly():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["font"] is False  # no Google Fonts
    assert config["strict"] is True
    assert [p if isinstance(p, str) else next(iter(p)) for p in config["plugins"]] == ["search"]
    pages = []

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            walk(value) if isinstance(value, list) else pages.append(value)

    walk(config["nav"])
    assert {
        "index.md",
        "model.md",
        "evidence.md",
        "outputs.md",
        "results.md",
        "sweeps.md",
        "exploration.md",
        "classroom.md",
        "roleplay.md",
        "contributing.md",
        "changelog.md",
    } <= set(pages)
    assert {f for f in GENERATED} <= set(pages)
    written = {p for p in pages if p not in GENERATED}
    assert [p for p in written if not (ROOT / "docs" / p).is_file()] == []


def test_lists_after_a_paragraph_line_get_their_blank_line_outside_code():
    spec = importlib.util.spec_from_file_location("hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = (
        "It writes:\n- a file\n  that goes on\n- another\n\n```\nshell:\n- not a list\n```\n"
        "| a | b |\n- after a table\nSteps:\n1. first\n## Head\n- item\n2018 was\n- late"
    )
    assert hooks.blank_line_before_lists(page) == (
        "It writes:\n\n- a file\n  that goes on\n- another\n\n```\nshell:\n- not a list\n```\n"
        "| a | b |\n- after a table\nSteps:\n\n1. first\n## Head\n- item\n2018 was\n\n- late"
    )
    assert hooks.blank_line_before_lists("one\n-1 is a number") == "one\n-1 is a number"


def test_mkdocs_builds_the_site_strictly_and_offline(tmp_path):
    """`mkdocs build --strict` on a copy of docs/ (so that the generated pages can be written
    without touching the repository): every nav page, link, anchor and included file must be
    there, and the built pages fetch nothing from the network."""
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install -e '.[docs]' (or make docs)")
    pytest.importorskip("material", reason="mkdocs-material is not installed: pip install -e '.[docs]'")
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    try:
        from decouple import documentation  # noqa: F401  (the ODD+D, TRACE and reference generator)
    except ImportError:
        documentation = None
    if documentation is not None:
        subprocess.run([sys.executable, "-m", "decouple.documentation", "--out", str(docs)], check=True)
    else:  # before the generator lands, stand-ins keep the rest of the site under test
        for page in GENERATED:
            if not (docs / page).exists():
                (docs / page).parent.mkdir(parents=True, exist_ok=True)
                (docs / page).write_text(f"# {page}\n\nWritten by `python -m decouple.documentation`.\n")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(docs)
    config["site_dir"] = str(tmp_path / "site")
    config["hooks"] = [str(ROOT / h) for h in config["hooks"]]
    for ext in config["markdown_extensions"]:
        if isinstance(ext, dict) and "pymdownx.snippets" in ext:
            ext["pymdownx.snippets"]["base_path"] = [str(ROOT)]
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    site = tmp_path / "site"
    for page in ("index", "model", "evidence", "results", "contributing", "changelog", "reference/validation"):
        assert (site / f"{page}.html").is_file(), page
    html = "".join(p.read_text(encoding="utf-8") for p in site.glob("*.html"))
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html
    assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=\"https?://", html), "a page loads something from the web"
    assert "Test tiers" in (site / "contributing.html").read_text(encoding="utf-8")  # CONTRIBUTING.md included
    assert "[\u2212" in (site / "results.html").read_text(encoding="utf-8")
    outputs = (site / "outputs.html").read_text(encoding="utf-8")
    assert "<li><code>timeseries.csv</code>" in outputs  # a list right after "writes to DIR:" is a list
