"""The source documents in the original (issue 22, "sources in the original"): every citation the
project makes resolves to a passage of seeds/passages.toml, each passage is the document's own text
in the section it names (checked against the documents where they are present), and the role-play
and the classroom app show them."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from decouple import levers as levers_module
from decouple import passages as P
from decouple.i18n import language
from decouple.paths import evidence_dir, project_root

from .test_demo import app_url  # noqa: F401 (the classroom app served by `decouple demo`, for a browser test)
from .test_play import served  # noqa: F401 (the role-play served by `decouple play`, for a browser test)

ROOT = project_root()
CJK = re.compile(r"[\u3400-\u9fff]")


# ------------------------------------------------------------------------------ reading citations
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(S1 一(一); S2 一(一))", ["S1 一(一)", "S2 一(一)"]),
        ("share of refused sales licensed anyway (S2 四(一): nearly all approved in 2020-21)", ["S2 四(一)"]),
        ("S1 一(三) (tariffs), 一(二) (CHIPS Act subsidies), 二(一) (China's state support); mechanisms.md",
         ["S1 一(三)", "S1 一(二)", "S1 二(一)"]),
        ("S0 二是数据 and 四是市场 (2019 NDAA procurement ban)", ["S0 二是数据", "S0 四是市场"]),
        ("S4 五(1)-(2)", ["S4 五(1)", "S4 五(2)"]),
        ("S4 四 (五) (the alliance's second layer)", ["S4 四(5)"]),
        ("S4 五(二) and 五(五): interests", ["S4 五(2)", "S4 五(5)"]),
        ("S4 五 (allies follow only partly: (1) US–EU conflicts, (2) doubts)", ["S4 五"]),
        ("S0 limit 3; S0 长期趋势, third limit; S0 长期趋势, limit 3", ["S0 长期趋势 limit 3"]),
        ("S0 长期趋势 limits 1-2", ["S0 长期趋势 limit 1", "S0 长期趋势 limit 2"]),
        ("S0 长期趋势 (second limit: losing the China market; third limit: state support)", ["S0 长期趋势"]),
        ("S0 五; S1 一(五)", ["S0 五是人才", "S1 一(五)"]),
        ("S3 2.2.1-2.2.2: benefit x risk; S3 3.1-3.2", ["S3 2.2.1", "S3 2.2.2", "S3 3.1", "S3 3.2"]),
        ("S3 2.2, 3.1; S3 4(4) (precise decoupling)", ["S3 2.2", "S3 3.1", "S3 4(4)"]),
        ("S2 三(一), citing Nature 2022", ["S2 三(一)"]),
        ("S2 二(一)1 (chips underpin AI)", ["S2 二(一)"]),
        ("S2\n四(一) (a line break inside)", ["S2 四(一)"]),
        ("S0-S4, SS1, S5, MS1 and M13", []),
    ],
)  # fmt: skip
def test_citations_are_read_in_the_forms_the_project_writes(text, expected):
    assert P.citations(text) == expected


def test_a_lever_that_names_a_mechanism_gets_that_mechanisms_passages():
    """The adaptive switches' help names a mechanism (M13) and no document: their passages are the
    mechanism module's Sources."""
    us = P.passages_for("each year: yard, fence, … (M13)")
    assert [p.cite for p in us][:2] == ["S0 深层动因", "S2 二"]
    assert P.passages_for("each year (M13)", mechanisms=False) == []
    assert P.passages_for("no citation at all") == []


def test_a_citation_without_a_passage_is_a_clear_error():
    with pytest.raises(P.PassageError, match=r"'S2 九\(一\)'.*no passage"):
        P.passage("S2 九(一)")
    with pytest.raises(P.PassageError, match="reads as"):
        P.passage("S1 一(一); S2 一(一)")
    assert P.passages_for("S2 九(一); S4 一", strict=False)[0].cite == "S4 一"


# ------------------------------------------------------------------------------ what the project cites
def _mechanism_docstrings() -> dict[str, str]:
    folder = ROOT / "model" / "mechanisms"
    return {
        p.stem: ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or ""
        for p in sorted(folder.glob("*.py"))
        if p.name != "__init__.py"
    }


def _shown_texts() -> list[tuple[str, str]]:
    """The texts the role-play, the classroom app and the debrief show with their citations."""
    from decouple.play.teams import debrief_passages

    roleplay = tomllib.loads((evidence_dir() / "roleplay.toml").read_text(encoding="utf-8"))
    texts = [(f"lever {lv.id}", lv.help) for lv in levers_module.all()]
    for role, spec in roleplay["roles"].items():
        texts += [(f"objective of {role}", o["source"]) for o in spec.get("objectives", [])]
    texts += [(f"briefing of {t['countries']}", t["briefing"]) for t in roleplay["teams"]]
    texts += [(f"debrief {row['key']}", row["passage"]) for row in debrief_passages()]
    texts += [(f"mechanism {name}", doc) for name, doc in _mechanism_docstrings().items()]
    texts += [("model/play/debrief.py", (ROOT / "model" / "play" / "debrief.py").read_text(encoding="utf-8"))]
    return texts


def test_every_citation_of_the_levers_roleplay_mechanisms_and_debrief_has_a_passage():
    known = P.passages()
    cited: dict[str, list[str]] = {}
    for where, text in _shown_texts():
        for cite in P.citations(text):
            cited.setdefault(cite, []).append(where)
    missing = {cite: where for cite, where in cited.items() if cite not in known}
    assert missing == {}
    # what is cited there, at least: every lever with a document in its help, every objective,
    # briefing and debrief row, and every numbered mechanism's Sources
    for where, text in _shown_texts():
        if where.startswith(("objective", "briefing", "debrief ")) or ("S" in text and re.search(r"\bS[0-4] ", text)):
            assert P.passages_for(text), where
    assert len(cited) >= 45 and {"S0 深层动因", "S1 一(一)", "S2 三(二)", "S3 2.2.2", "S4 五(4)"} <= set(cited)
    # every lever has passages: its own citations, or its mechanism's
    for lever in levers_module.all():
        assert P.passages_for(lever.help), lever.id


def _project_texts():
    patterns = ["seeds/*.toml", "seeds/*.md", "model/**/*.py", "docs/**/*.md", "scenarios/*.toml",
                "experiments/**/*.toml", "*.md"]  # fmt: skip
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path.name not in ("passages.toml", "passages.py") and path.is_file():
                yield path, path.read_text(encoding="utf-8")


def test_every_citation_anywhere_in_the_project_has_a_passage():
    """The seed files' sources, the docs, the scenarios and the code cite the same documents: a new
    citation anywhere needs its passage."""
    known = P.passages()
    missing = {}
    for path, text in _project_texts():
        for cite in P.citations(text):
            if cite not in known:
                missing.setdefault(cite, str(path.relative_to(ROOT)))
    assert missing == {}


# ------------------------------------------------------------------------------ the data
def test_every_passage_has_chinese_english_a_document_and_a_section():
    passages = P.passages()
    assert len(passages) >= 58
    for cite, p in passages.items():
        assert p.cite == cite and P.citations(cite) == [cite]
        assert p.document.code == cite[:2]
        assert p.section and all(s.strip() for s in p.section) and p.section_en.strip()
        assert CJK.search(p.zh), cite
        assert p.en.strip() and not CJK.search(p.en), cite
        assert p.en.count("…") == p.zh.count(P.GAP), cite  # each piece left out is marked in both
        assert all(piece.strip() for piece in p.zh.split(P.GAP)), cite
        headings = [h for _, h in p.document.headings]
        assert all(s in headings for s in p.section), cite
    docs = {p.document.code: p.document for p in passages.values()}
    assert sorted(docs) == ["S0", "S1", "S2", "S3", "S4"]
    assert docs["S1"].lang == "zh-Hant" and {d.lang for c, d in docs.items() if c != "S1"} == {"zh-Hans"}


def _bad(tmp_path: Path, change) -> Path:
    data = (evidence_dir() / P.PASSAGES_FILE).read_text(encoding="utf-8")
    path = tmp_path / "passages.toml"
    path.write_text(change(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('[passages."S4 一"]', '[passages."S4 一 (the yard)"]', 1), "canonical form"),
        (lambda t: t.replace('section = ["一、拜登政府“技术联盟”的动因"]', 'section = ["一、动因"]', 1),
         "not among documents.S4.headings"),
        (lambda t: t.replace('lang = "zh-Hant"', 'lang = "zh-TW"', 1), "allowed: 'zh-Hans', 'zh-Hant'"),
        (lambda t: t.replace("[documents.S3]", "[documents.S5]", 1), "one table each for S0, S1, S2, S3, S4"),
    ],
)  # fmt: skip
def test_a_bad_passages_file_is_refused_naming_the_key(tmp_path, change, message):
    with pytest.raises(P.PassageError, match=re.escape(message)):
        P.load(_bad(tmp_path, change))


def test_an_empty_english_rendering_is_refused(tmp_path):
    def empty(text: str) -> str:
        start = text.index('[passages."S4 一"]')
        at = text.index("en = ", text.index("zh = ", start))
        end = text.index("\n\n", at)
        return text[:at] + 'en = ""' + text[end:]

    with pytest.raises(P.PassageError, match=r'passages\."S4 一": en = \'\'; allowed: a non-empty string'):
        P.load(_bad(tmp_path, empty))


# ------------------------------------------------------------------------------ against the documents
@pytest.fixture(scope="module")
def documents() -> Path:
    folder = P.documents_dir()
    if folder is None:
        pytest.skip(
            f"the source documents are not here (set ${P.DOCUMENTS_ENV}, or keep the design repository's "
            "shared/seeds beside the project): the passages are checked against them where they are"
        )
    return folder


def _line_starts(text: str) -> tuple[str, list[int]]:
    """The document without whitespace, and where each of its lines starts in it."""
    starts, squeezed = [], []
    length = 0
    for line in text.split("\n"):
        starts.append(length)
        piece = P.squeeze(line)
        squeezed.append(piece)
        length += len(piece)
    return "".join(squeezed), starts


def test_every_passage_is_its_documents_text_in_the_section_it_names(documents):
    """Each document is the version the passages were copied from (its SHA-256); its title and its
    headings are in it (each heading opening a line, in order); every piece of every passage is in
    it, whitespace aside, in order, after its section's heading and before the next heading of the
    same or a higher level."""
    by_doc: dict[str, list] = {}
    for p in P.passages().values():
        by_doc.setdefault(p.document.code, []).append(p)
    checked = 0
    for code, passages in by_doc.items():
        doc = passages[0].document
        path = documents / doc.file
        assert P.sha256(path) == doc.sha256, f"{code}: {path} is not the version the passages were copied from"
        text = path.read_text(encoding="utf-8")
        squeezed, starts = _line_starts(text)
        lines = [P.squeeze(line) for line in text.split("\n")]
        assert P.squeeze(doc.title) in squeezed, code
        at, heads = 0, []
        for depth, heading in doc.headings:
            while at < len(lines) and not lines[at].startswith(P.squeeze(heading)):
                at += 1
            assert at < len(lines), f"{code}: heading {heading!r} does not open a line after the one before it"
            heads.append((depth, heading, starts[at]))
            at += 1
        for p in passages:
            pos, chosen = 0, None
            for heading in p.section:
                chosen = next((h for h in heads if h[1] == heading and h[2] >= pos), None)
                assert chosen is not None, (p.cite, heading)
                pos = chosen[2]
            depth, _, start = chosen
            end = next((h[2] for h in heads if h[2] > start and h[0] <= depth), len(squeezed))
            cursor = start
            for piece in p.zh.split(P.GAP):
                found = squeezed.find(P.squeeze(piece), cursor)
                assert found >= 0, f"{p.cite}: not in {doc.file} after its section's heading: {piece[:40]}…"
                assert found + len(P.squeeze(piece)) <= end, f"{p.cite}: runs past its section: {piece[:40]}…"
                cursor = found + len(P.squeeze(piece))
                checked += 1
    assert checked >= 140


def test_the_documents_are_found_beside_the_project_or_where_the_variable_says(tmp_path, monkeypatch):
    monkeypatch.setenv(P.DOCUMENTS_ENV, str(tmp_path))
    assert P.documents_dir() is None  # an empty folder is not the documents
    (tmp_path / "000_x.txt").write_text("…", encoding="utf-8")
    assert P.documents_dir() == tmp_path


# ------------------------------------------------------------------------------ on a page
def test_the_disclosure_shows_chinese_and_english_with_document_and_section():
    found = P.passages_for("(S1 一(一); S4 一)")
    page = P.html(found, "Controlled sectors (the yard)")
    assert page.startswith('<details class="sources"><summary id="sources-') and page.endswith("</details>")
    assert '<summary id="fence-sources">' in P.html(found, "Fence", "fence-sources")
    assert 'lang="zh-Hant"' in page and 'lang="zh-Hans"' in page and 'lang="en"' in page
    assert "技術封鎖是美國遏制中國科技發展的核心手段" in page and "small yard, high fence" in page
    assert "S1《中美科技脱鈎的分析》一、美對華科技脱鈎的主要模式 › (一)技術封鎖模式" in page
    assert "The main modes of US technology decoupling from China: (1) technology blockade" in page
    assert "for: Controlled sectors (the yard)" in page and 'class="sr-only"' in page
    assert P.html([], "nothing") == ""
    with language("zh"):
        chinese = P.html(found, "管制行业")
    assert "原文" in chinese and "Source" not in chinese and "small yard, high fence" in chinese


# ------------------------------------------------------------------------------ the role-play's server
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One room for the module: these tests only read from it (one device joins the US team)."""
    from starlette.testclient import TestClient

    from decouple.play import server as play_server
    from decouple.play.game import Game

    room = play_server.Room(Game(), tmp_path_factory.mktemp("passages") / "results")
    return room, TestClient(play_server.create_app(room, None), base_url="http://127.0.0.1:8766")


def test_the_server_gives_a_levers_passages_in_its_control_and_by_citation(client):
    room, c = client
    seat = c.post("/api/join", json={"room": room.code, "code": room.team_codes["us"], "device": "d"}).json()["seat"]
    state = c.get("/api/state", headers={"X-Seat": seat}).json()
    fence = next(lv for lv in state["team"]["levers"] if lv["path"] == "policy.fence")
    assert '<details class="sources">' in fence["html"] and 'data-cite="S4 一"' in fence["html"]
    assert "小院高墙" in fence["html"] and "small yard, high fence" in fence["html"]
    # every lever of the team has its disclosure (the adaptive switch: its mechanism's passages)
    assert all('<details class="sources">' in lv["html"] for lv in state["team"]["levers"])

    answer = c.get("/api/passages", params={"cite": "S2 三(二); S4 五(4)"})
    assert answer.status_code == 200
    data = answer.json()
    assert [p["cite"] for p in data["passages"]] == ["S2 三(二)", "S4 五(4)"]
    first = data["passages"][0]
    assert first["document"] == "S2" and first["title"] == "中美构建科技竞合关系的必要与可能"
    assert first["section"][-1] == "（二）损害全球创新体系及其他国家利益" and "Netherlands" in first["en"]
    assert "荷兰" in first["zh"] and data["html"].count('class="passage"') == 2
    zh = c.get("/api/passages", params={"cite": "S4 一", "lang": "zh"}).json()["html"]
    assert "Source" not in zh and "原文" in zh
    # errors name the value and what is allowed
    unknown = c.get("/api/passages", params={"cite": "S2 九(一)"})
    assert unknown.status_code == 404 and "no passage" in unknown.json()["error"]
    none = c.get("/api/passages", params={"cite": "the yard"})
    assert none.status_code == 404 and "names no section" in none.json()["error"]
    assert c.get("/api/passages", params={"cite": "S" * 500}).status_code == 400
    bad = c.get("/api/passages", params={"cite": "S4 一", "lang": "fr"})
    assert bad.status_code == 400 and "'fr'" in bad.json()["error"]


def test_the_server_gives_each_debrief_mechanism_with_its_passages(client):
    from decouple.play.teams import debrief_passages

    _, c = client
    data = c.get("/api/mechanisms").json()
    rows = debrief_passages()
    assert [m["key"] for m in data["mechanisms"]] == [r["key"] for r in rows]
    for m in data["mechanisms"]:
        assert m["passages"] and m["mechanism"] and m["label"], m["key"]
        assert [p["cite"] for p in m["passages"]] == P.citations(m["passage"])
    talent = next(m for m in data["mechanisms"] if m["key"] == "collaboration_mean")
    assert [p["cite"] for p in talent["passages"]] == ["S0 五是人才", "S1 一(五)", "S2 一(四)"]
    assert data["html"].count("<li ") == len(rows) and data["html"].count('<details class="sources">') == len(rows)
    ids = re.findall(r'<summary id="([^"]+)"', data["html"])
    assert len(ids) == len(set(ids)) == len(rows)  # each disclosure a control of its own (keyboard, Tab order)
    # in Chinese: the indicators, mechanisms and words around the passages
    chinese = c.get("/api/mechanisms", params={"lang": "zh"}).json()
    assert all(CJK.search(m["label"]) and CJK.search(m["mechanism"]) for m in chinese["mechanisms"])
    assert "Source" not in chinese["html"] and "small yard, high fence" in chinese["html"]
    # the pages that show them load the script and the style sheet, which the server serves
    for page in ("/team", "/facilitator"):
        text = c.get(page).text
        assert '<script src="/static/sources.js" defer></script>' in text
        assert '<link rel="stylesheet" href="/static/sources.css">' in text
    assert 'id="mechanisms"' in c.get("/team").text
    js, css = c.get("/static/sources.js"), c.get("/static/sources.css")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "/api/mechanisms" in js.text and css.status_code == 200 and ".sources .passage" in css.text


@pytest.mark.parametrize(
    "cite",
    ["S", "S1", "S1 一(", "S1 一)", "S1 ((((((", "S0 limits 9-1", "S3 9.9.9.9", "M99", "M1" * 150, "\u0000S4 一",
     "S4 一\u202e", "S2 一(一)" * 40, "S1 一(一) (" * 30, "SS SS S4", "S4 五(9)-(1)", "%", "<script>"],
)  # fmt: skip
def test_odd_citations_get_an_answer_or_a_clear_error_never_a_failure(client, cite):
    _, c = client
    answer = c.get("/api/passages", params={"cite": cite})
    assert answer.status_code in (200, 400, 404), (cite, answer.status_code, answer.text[:200])
    assert answer.status_code == 200 or answer.json()["error"]
    assert answer.headers["content-type"].startswith("application/json")  # never a page that runs what was sent


# ------------------------------------------------------------------------------ in a real browser
def _boxes(page, selector: str) -> dict:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; }""",
        selector,
    )


def test_a_team_opens_a_levers_source_and_reads_the_chinese_in_the_shipped_font(served):  # noqa: F811
    """On a phone, the US team opens the "Source 原文" of its fence lever from the keyboard: the
    Chinese passage (S4 一, lang zh-Hans) is drawn by the font the server ships, not as boxes (this
    machine has no CJK font: a family it lacks draws two different words as the same boxes), with
    the English rendering stacked under it, each with document and section. The list of the
    debrief's mechanisms has one disclosure per mechanism (S1's passage, in traditional
    characters, is marked zh-Hant); on a projector it shows the two languages side by side. The
    facilitator's debrief opens the same passages."""
    from decouple import fonts

    from .browser import launch_chromium

    playwright_api = pytest.importorskip("playwright.sync_api")
    out = Path("results") / "play"
    out.mkdir(parents=True, exist_ok=True)
    lever = ".lever[data-path='policy.fence']"
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(served["joins"]["United States"])
        page.wait_for_selector(f"{lever} details.sources", timeout=30_000)
        summary = page.locator(f"{lever} details.sources > summary")
        named = summary.evaluate("(e) => e.textContent")
        assert named.startswith("Source 原文") and "Fence height" in named and "S4 一" in named
        assert page.locator(f"{lever} .passage-zh").is_hidden()  # closed until asked
        summary.focus()
        page.keyboard.press("Enter")
        assert page.locator(f"{lever} details.sources").evaluate("(e) => e.open") is True
        zh = page.locator(f"{lever} .passage-zh blockquote")
        en = page.locator(f"{lever} .passage-en blockquote")
        zh.wait_for(state="visible", timeout=10_000)
        assert page.locator(f"{lever} .passage-zh").get_attribute("lang") == "zh-Hans"
        assert page.locator(f"{lever} .passage-en").get_attribute("lang") == "en"
        text = zh.inner_text()
        assert "小院高墙" in text and "small yard, high fence" in en.inner_text()
        assert (
            "S4《拜登政府的“技术联盟”:动因、内容与挑战》一、拜登政府“技术联盟”的动因"
            in page.locator(f"{lever} .passage-zh .passage-where").inner_text()
        )
        assert "International Forum 2021(6)" in page.locator(f"{lever} .passage-en .passage-where").inner_text()
        assert page.get_by_role("group", name="S4 一").count() == 1
        # stacked on a phone: the English under the Chinese
        z, e = _boxes(page, f"{lever} .passage-zh"), _boxes(page, f"{lever} .passage-en")
        assert e["top"] >= z["bottom"] - 1 and z["width"] > 250, (z, e)

        # the passage's hanzi are drawn by the shipped web font (asked through the DevTools protocol)
        page.evaluate("document.fonts.ready")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f"{lever} .passage-zh blockquote"})["nodeId"]
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        hanzi = len(CJK.findall(text))
        shipped = [f for f in used if f["familyName"] == fonts.FAMILY]
        assert shipped and shipped[0]["isCustomFont"] and shipped[0]["glyphCount"] >= hanzi, (used, hanzi)
        # the same words in the shipped font and in a family this machine does not have
        words = CJK.findall(text)
        first, second = "".join(words[:4]), "".join(words[4:8])
        page.evaluate(
            """([a, b]) => { const box = document.createElement('div'); box.id = 'probes';
                 for (const [id, family, t] of [['a', '"Noto Sans SC"', a], ['b', '"Noto Sans SC"', b],
                                                ['c', 'decouple-no-such-font', a], ['d', 'decouple-no-such-font', b]]) {
                   const span = document.createElement('span'); span.id = 'probe-' + id; span.textContent = t;
                   span.style.cssText = `font: 28px ${family}; display: inline-block; padding: 4px; background: #fff`;
                   box.append(span); }
                 document.querySelector('header').append(box); }""",
            [first, second],
        )
        shot = {k: page.locator(f"#probe-{k}").screenshot() for k in "abcd"}
        widths = {k: page.locator(f"#probe-{k}").bounding_box()["width"] for k in "abcd"}
        print(f"widths of {first}/{second}, shipped font and none: {widths}; fonts of the passage: {used}")
        assert shot["a"] != shot["b"]  # real glyphs: two different words look different
        assert widths["a"] >= 4 * 28 and widths["b"] >= 4 * 28  # four full-width glyphs of 28 px
        if shot["c"] == shot["d"]:  # no CJK font on this machine: both words are the same boxes
            assert shot["a"] != shot["c"]
        page.evaluate("document.getElementById('probes').remove()")
        page.locator(f"{lever} details.sources").screenshot(path=str(out / "source_390x844.png"))
        summary.focus()
        page.keyboard.press("Enter")  # and closed again from the keyboard
        assert page.locator(f"{lever} details.sources").evaluate("(e) => e.open") is False

        # the debrief's mechanisms, each with its passages
        page.wait_for_selector("#mechanisms[data-loaded]", timeout=30_000)
        items = page.locator("#mechanisms li")
        assert items.count() == int(page.get_attribute("#mechanisms", "data-loaded")) >= 9
        import_replacement = page.locator("#mechanisms li[data-measure='cn_self_sufficiency']")
        import_replacement.locator("summary").click()
        cites = import_replacement.locator(".passage").evaluate_all("(ps) => ps.map((p) => p.dataset.cite)")
        assert cites == ["S0 长期趋势 limit 3", "S1 二(一)", "S2 二(一)"]
        s1 = import_replacement.locator(".passage[data-cite='S1 二(一)']")
        assert s1.locator(".passage-zh").get_attribute("lang") == "zh-Hant"
        assert "新型舉國體制" in s1.locator(".passage-zh blockquote").inner_text()
        assert "whole-nation system" in s1.locator(".passage-en").inner_text()

        z, e = (
            _boxes(page, "#mechanisms li[data-measure='cn_self_sufficiency'] .passage-zh"),
            _boxes(page, "#mechanisms li[data-measure='cn_self_sufficiency'] .passage-en"),
        )
        assert e["top"] >= z["bottom"] - 1, (z, e)  # stacked on a phone here too

        # on a projector: side by side in the full-width list of mechanisms, stacked in the
        # levers' column (too narrow for two columns of text)
        wide = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        wide.goto(served["joins"]["United States"])
        wide.wait_for_selector("#mechanisms[data-loaded]", timeout=30_000)
        mechanism = "#mechanisms li[data-measure='gap_small_yard']"
        wide.locator(f"{mechanism} summary").click()
        z, e = _boxes(wide, f"{mechanism} .passage-zh"), _boxes(wide, f"{mechanism} .passage-en")
        assert abs(z["top"] - e["top"]) < 2 and z["right"] <= e["left"] and z["width"] > 300, (z, e)
        wide.locator(f"{mechanism} details.sources").screenshot(path=str(out / "sources_1280x800.png"))
        wide.locator(f"{lever} details.sources > summary").click()
        z, e = _boxes(wide, f"{lever} .passage-zh"), _boxes(wide, f"{lever} .passage-en")
        assert e["top"] >= z["bottom"] - 1, (z, e)

        # the facilitator's debrief: each mechanism it lists opens its passages too
        facilitator = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        facilitator.on("pageerror", lambda exc: errors.append(str(exc)))
        facilitator.goto(served["facilitator"])
        facilitator.get_by_role("button", name="Show the debrief").click()
        facilitator.wait_for_selector("#debrief ol li details.sources", timeout=120_000)
        first = facilitator.locator("#debrief ol li").first
        first.locator("summary").click()
        assert CJK.search(first.locator(".passage-zh blockquote").first.inner_text())
        assert errors == []
        browser.close()


# ------------------------------------------------------------------------------ the classroom app
def test_the_classroom_app_has_a_panel_of_each_levers_passages():
    """Under the live levers, one closed panel that opens to every lever's own "Source 原文"
    disclosure (the adaptive switches: their mechanism's passages)."""
    import ipyvuetify
    import solara

    from decouple.demo.levers import levers
    from decouple.demo.sources import LeverSources, panel_html
    from decouple.world import shared_world

    class Model:  # what the panel reads of the classroom's model
        def levers(self):
            return levers(shared_world())

    title, shown = panel_html(Model().levers())
    assert title.startswith("Sources of the levers, in the original") and 'lang="zh-Hans">原文' in title
    assert shown.count('<div class="lever-source"') == len(Model().levers()) == 16
    assert shown.count('<details class="sources">') == 16 and 'data-lever="policy.fence"' in shown
    assert "小院高墙" in shown and "small yard, high fence" in shown
    with language("zh"):
        assert panel_html(Model().levers())[0] == "各政策工具的原文出处"
    box, rc = solara.render(LeverSources(Model()), handle_error=False)

    def drawn() -> list[str]:
        found, todo = [], [box]
        while todo:  # the widgets the panel drew
            widget = todo.pop()
            todo += list(getattr(widget, "children", ()) or ())
            if getattr(widget, "unsafe_innerHTML", None):
                found.append(widget.unsafe_innerHTML)
        return found

    assert drawn() == ["▸ " + title]  # closed: the title only, the passages not drawn until opened
    toggle = rc.find(ipyvuetify.Btn).widget
    assert toggle.attributes["aria-expanded"] == "false"
    toggle.click()
    assert sorted(drawn()) == sorted(["▾ " + title, shown])
    assert rc.find(ipyvuetify.Btn).widget.attributes["aria-expanded"] == "true"
    rc.close()


def test_the_classroom_app_opens_a_levers_source_with_the_chinese_in_the_shipped_font(app_url):  # noqa: F811
    """In the classroom app at 1280×800, the panel under the levers opens from the keyboard, and the
    fence's passage shows its Chinese (lang zh-Hans) drawn by the shipped font, which Solara serves,
    and its English."""
    from decouple import fonts

    from .browser import launch_chromium

    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app_url)
        toggle = page.locator(".lever-sources-toggle")
        toggle.wait_for(timeout=120_000)
        assert page.locator(".lever-source").count() == 0 and toggle.get_attribute("aria-expanded") == "false"
        toggle.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".lever-source", timeout=30_000)
        assert page.locator(".lever-source").count() == page.locator(".lever").count() == 16
        fence = page.locator(".lever-source[data-lever='policy.fence']")
        fence.locator("summary").focus()
        page.keyboard.press("Enter")
        zh = fence.locator(".passage-zh blockquote")
        zh.wait_for(state="visible", timeout=10_000)
        assert fence.locator(".passage-zh").get_attribute("lang") == "zh-Hans" and "小院高墙" in zh.inner_text()
        assert "small yard, high fence" in fence.locator(".passage-en blockquote").inner_text()
        loaded = page.evaluate(
            """async () => { await document.fonts.ready;
                 return [...document.fonts].filter((f) => f.family.includes('Noto Sans SC')).map((f) => f.status); }"""
        )
        assert "loaded" in loaded, loaded
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        selector = ".lever-source[data-lever='policy.fence'] .passage-zh blockquote"
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        shipped = [f for f in used if f["familyName"] == fonts.FAMILY]
        hanzi = len(CJK.findall(zh.inner_text()))
        assert shipped and shipped[0]["isCustomFont"] and shipped[0]["glyphCount"] >= hanzi, (used, hanzi)
        out = Path("results") / "demo"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "sources_1280x800.png"))
        assert errors == []
        browser.close()
