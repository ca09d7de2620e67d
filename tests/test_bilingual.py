"""The classroom app, the figures and the command line in English and Simplified Chinese (issue 22):
a figure drawn in Chinese has Chinese titles, labels and legends, drawn with the shipped font (no
"Glyph missing" warning) and laid out as clearly as the English (tests/layout.py); the command line
speaks the language of --lang or DECOUPLE_LANG, names a bad value, and writes the same files for
programs in both; the classroom page speaks Chinese and switches language from the keyboard.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from decouple import fonts, outcomes, plots  # noqa: E402
from decouple.cli import main  # noqa: E402
from decouple.i18n import N_, language  # noqa: E402
from decouple.phrase import Phrase, text_width, tr, wrap_lines  # noqa: E402

from .layout import layout_problems  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HANZI = re.compile(r"[\u4e00-\u9fff]")
#: texts of a figure that are numbers, codes or units the same in every language
NEUTRAL = re.compile(r"^[\s\d.,:+\-−–%()/$×x=]*$|^(GDP|ACR|FDPR)$")


def figure_texts(fig: Figure) -> dict[str, list[str]]:
    """The words a reader sees in a figure, by kind: titles (the figure's and each panel's), axis
    labels, legend entries and other texts (captions, a colour bar's label)."""
    out: dict[str, list[str]] = {"title": [], "label": [], "legend": [], "text": []}
    if fig._suptitle is not None and fig._suptitle.get_text():
        out["title"].append(fig._suptitle.get_text())
    legends = list(fig.legends)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        out["title"] += [t for t in (ax.get_title(), ax.get_title("left")) if t]
        out["label"] += [t for t in (ax.get_xlabel(), ax.get_ylabel()) if t]
        out["text"] += [t.get_text() for t in ax.texts if t.get_text().strip()]
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    out["legend"] = [t.get_text() for legend in legends for t in legend.get_texts()]
    return out


def unchinese(texts: dict[str, list[str]], kinds=("title", "label", "legend")) -> list[str]:
    """The words of ``kinds`` that are neither Chinese nor the same in every language."""
    return [t for kind in kinds for t in texts[kind] if not HANZI.search(t) and not NEUTRAL.match(t.strip())]


@pytest.fixture
def saved(monkeypatch):
    """{file name: (layout problems, texts)} of every figure saved while the test runs, measured
    as drawn on its canvas and not written (as tests/test_plots.py measures the English ones)."""
    found: dict[str, tuple[list[str], dict[str, list[str]]]] = {}

    def savefig(fig, fname, *args, **kwargs):
        name = Path(fname).name
        if name.startswith(".") and name.endswith(".tmp"):  # atomic_write's '.NAME.XXXX.tmp'
            name = name[1:-4].rsplit(".", 1)[0]
        found[name] = (layout_problems(fig), figure_texts(fig))

    monkeypatch.setattr(Figure, "savefig", savefig)
    return found


@pytest.fixture(scope="module")
def short_runs() -> pd.DataFrame:
    """Every scenario, seed 1, ten quarters (as tests/test_plots.py draws them)."""
    from decouple.runner import run_one

    return pd.concat([run_one(name, 1, ("time.steps=10",)).indicators for name in plots.SCENARIO_COLOURS])


# ---------------------------------------------------------------- texts told in two languages


def test_a_phrase_is_its_english_and_tells_itself_in_chinese():
    label = Phrase(N_("Compliance with US controls, {country}"), country="Netherlands")
    assert label == "Compliance with US controls, Netherlands" and isinstance(label, str)
    assert pickle.loads(pickle.dumps(label)).template == label.template  # a sweep's worker gets it whole
    with language("zh"):
        assert tr(label) == "对美国管制的遵从度：荷兰"
        assert tr("A text no catalogue holds") == "A text no catalogue holds"
    assert tr(label) == label  # English: the text itself


def test_the_registry_keeps_english_labels_and_shows_them_in_the_current_language():
    """Files and tables read ``label`` (English in every language); figures and the command line
    read ``shown`` and ``titled``, one pair of parentheses whatever the unit's own."""
    reg = outcomes.registry()
    welfare = reg["welfare_CN"]
    with language("zh"):
        assert welfare.label == "Consumers' index, China" and welfare.unit == "index (2018 = 100)"
        assert welfare.shown == "消费者指数：中国"
        assert welfare.titled == "消费者指数：中国（指数，2018 = 100）"
        summed = outcomes.resolve("welfare_usd[NL+JP]")
        assert summed.label == "Welfare, NL + JP" and summed.shown == "福利：NL + JP"
        untranslated = [o.name for o in reg.values() if not HANZI.search(o.shown) or not HANZI.search(o.titled)]
    assert untranslated == []
    assert welfare.titled == "Consumers' index, China (index, 2018 = 100)"


def test_chinese_text_is_measured_and_wrapped_by_its_width():
    assert text_width("中国") == 4 and text_width("China") == 5
    lines = wrap_lines("美国企业占全球逻辑芯片销售的份额，小院部门", 16)
    # at most 16 wide, but for a closing mark kept at the end of its line rather than opening the next
    assert len(lines) > 1 and all(text_width(line.rstrip("，。）")) <= 16 for line in lines)
    assert not any(line.startswith("，") for line in lines)  # no line opens with a comma
    assert wrap_lines("US firms' share of world sales", 12) == ["US firms'", "share of", "world sales"]


# ---------------------------------------------------------------- figures in Chinese


def test_figures_in_chinese_speak_chinese_in_the_shipped_font_and_stay_clear(short_runs, saved, tmp_path):
    """Every comparison figure, of seven scenarios and of one run: titles, axis labels and legend
    entries in Chinese, no glyph missing from the fonts (a warning made an error), and the layout
    measure of tests/layout.py finds nothing (Chinese titles are wider per character)."""
    with warnings.catch_warnings(), language("zh"):
        warnings.simplefilter("error")  # matplotlib's "Glyph ... missing from font(s)" among them
        drawn = plots.plot_figures(short_runs, tmp_path / "all", "七个情景")
        one = short_runs.xs("full_decoupling", level="scenario", drop_level=False)
        alone = plots.plot_figures(one, tmp_path / "one", plots.label("full_decoupling"))
    assert len(saved) == len(drawn) == len(plots.FIGURES) + 1 and len(alone) >= 7
    problems = {name: found for name, (found, _texts) in saved.items() if found}
    assert problems == {}
    for name, (_found, texts) in saved.items():
        assert texts["title"] and texts["legend"], name
        assert unchinese(texts) == [], (name, unchinese(texts))
    legend = saved["dashboard.png"][1]["legend"]
    assert "全面脱钩" in legend  # the scenario's name, translated (one run: the last figures drawn)
    welfare_titles = " ".join(saved["welfare.png"][1]["title"])
    assert "水平值" in welfare_titles  # a level for want of a baseline says so, in Chinese


def test_figures_in_english_are_drawn_as_before(short_runs, saved, tmp_path):
    """The English figures keep their words and family (the Chinese font is only a fallback
    added in another language)."""
    with plt.rc_context(plots.style()):
        assert fonts.FAMILY not in plt.rcParams["font.family"]
    plots.plot_figures(short_runs, tmp_path, "Seven scenarios")
    texts = saved["dashboard.png"][1]
    assert texts["title"][0] == "Seven scenarios" and "Full decoupling" in texts["legend"]
    assert not any(HANZI.search(t) for kind in texts.values() for t in kind)
    with language("zh"), plt.rc_context(plots.style()):
        assert plt.rcParams["font.family"][-1] == fonts.FAMILY


def test_sweep_and_search_figures_in_chinese(saved, tmp_path):
    """A heatmap, violins and Sobol bars of the experiment files, and the search's Pareto figure,
    drawn from made-up results in Chinese: their titles, labels and legends come from the
    catalogues (the experiment files' own texts too), clear of each other."""
    import numpy as np

    from decouple.search import _figure, load_search
    from decouple.sweeps import figures
    from decouple.sweeps.experiment import load_experiment

    rng = np.random.default_rng(3)
    with warnings.catch_warnings(), language("zh"):
        warnings.simplefilter("error")
        for name in ("yard_vs_fence", "scenario_uncertainty", "sensitivity"):
            exp = load_experiment(ROOT / "experiments" / f"{name}.toml")
            specs = [f for f in exp.spec.figure if f.kind != "bands"]
            metrics = {m for f in specs for m in ([f.metric] if f.metric else []) + list(f.metrics)}
            metrics |= {f.per for f in specs if f.per}
            runs = pd.DataFrame(
                [
                    {"run_id": r.run_id, "scenario": r.scenario, "point": r.point, "replicate": r.replicate}
                    | {"status": "done"}
                    | {m: float(rng.normal(100.0, 40.0)) for m in sorted(metrics)}
                    for r in exp.iter_runs()
                ]
            )
            for spec in specs:
                draw = {"heatmap": figures.heatmap, "violin": figures.violin}.get(spec.kind, figures.sensitivity)
                draw(exp, runs, spec, tmp_path)
        search = load_search(ROOT / "experiments" / "precise_yard.toml")
        cols = [o.label or o.metric for o in search.spec.objective]
        policies = pd.DataFrame(rng.random((40, 3)), columns=cols)
        policies["on_front"] = rng.random(40) < 0.3
        named = pd.DataFrame([{"scenario": "precise", cols[0]: 0.5, cols[1]: 0.5, cols[2]: 0.5}])
        _figure(search, policies, named, tmp_path / "pareto.png", cols)
    assert len(saved) >= 6 and "pareto.png" in saved
    assert {name: found for name, (found, _texts) in saved.items() if found} == {}
    for name, (_found, texts) in saved.items():
        assert unchinese(texts, ("title", "label")) == [], (name, unchinese(texts, ("title", "label")))


# ---------------------------------------------------------------- the command line


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_lang_chooses_the_language_before_or_after_the_command_and_a_bad_value_is_named(capsys, monkeypatch):
    monkeypatch.delenv("DECOUPLE_LANG", raising=False)
    status, out, _err = run_cli(capsys, "scenarios")
    assert status == 0 and "Full decoupling" in out and not HANZI.search(out)
    for args in (("--lang", "zh", "scenarios"), ("scenarios", "--lang", "zh-CN"), ("scenarios", "--lang=中文")):
        status, out, _err = run_cli(capsys, *args)
        assert status == 0 and "全面脱钩" in out and "小院高墙" in out, args
    status, out, err = run_cli(capsys, "scenarios", "--lang", "fr")
    assert status == 2 and out == ""
    assert "--lang 'fr'" in err and "allowed:" in err and "en" in err and "zh" in err
    monkeypatch.setenv("DECOUPLE_LANG", "zh")
    status, out, _err = run_cli(capsys, "scenarios")
    assert "全面脱钩" in out
    status, out, _err = run_cli(capsys, "scenarios", "--lang", "en")  # the flag wins over the variable
    assert "Full decoupling" in out and not HANZI.search(out)
    monkeypatch.setenv("DECOUPLE_LANG", "klingon")
    status, _out, err = run_cli(capsys, "scenarios")
    assert status == 2 and "DECOUPLE_LANG='klingon'" in err and "allowed:" in err


def test_errors_and_help_in_chinese_and_the_same_errors_in_english(capsys, monkeypatch):
    monkeypatch.delenv("DECOUPLE_LANG", raising=False)
    status, _out, err = run_cli(capsys, "run", "fully_decoupled", "--lang", "zh", "--no-plots")
    assert status == 2 and "找不到情景" in err and "'fully_decoupled'" in err and "full_decoupling" in err
    status, _out, err = run_cli(capsys, "run", "fully_decoupled", "--no-plots")
    assert status == 2 and "not found in" in err and "full_decoupling" in err and not HANZI.search(err)
    status, _out, err = run_cli(capsys, "params", "baseline", "--set", "policy.fence=2", "--lang", "zh")
    assert status == 2 and "超出范围" in err and "policy.fence" in err
    with pytest.raises(SystemExit):
        main(["compare", "--help", "--lang", "zh"])
    assert "每个情景的随机种子数" in capsys.readouterr().out


def test_tables_for_programs_stay_english_in_chinese(capsys, monkeypatch):
    """``--csv`` writes a table for programs: the same bytes in either language."""
    monkeypatch.delenv("DECOUPLE_LANG", raising=False)
    for args in (("outcomes", "--csv"), ("params", "selective_decoupling", "--csv")):
        english = run_cli(capsys, *args)
        chinese = run_cli(capsys, *args, "--lang", "zh")
        assert english == chinese and english[0] == 0 and len(english[1]) > 1000, args
    status, out, _err = run_cli(capsys, "outcomes", "--lang", "zh")
    assert status == 0 and "中美能力差距，小院行业" in out and "季度结果指标" in out


def test_compare_in_chinese_writes_the_same_files_and_draws_chinese_figures(capsys, saved, tmp_path, monkeypatch):
    """The files programs read (indicators.csv, the tidy time series, the welfare table) are the
    same bytes whatever the language; the printed table and the figures are in Chinese."""
    monkeypatch.delenv("DECOUPLE_LANG", raising=False)
    common = ("baseline", "full_decoupling", "--replicates", "2", "--steps", "6", "--workers", "1", "--quiet")
    assert main(["compare", *common, "--out", str(tmp_path / "en")]) == 0
    english_out = capsys.readouterr().out
    saved.clear()
    assert main(["compare", *common, "--out", str(tmp_path / "zh"), "--lang", "zh"]) == 0
    chinese_out = capsys.readouterr().out
    assert "Mean [10th to 90th percentile]" in english_out and "各随机种子的均值" in chinese_out
    assert "中美能力差距，小院行业" in chinese_out
    files = sorted(p.name for p in (tmp_path / "en").iterdir() if p.suffix in (".csv", ".parquet"))
    assert "indicators.csv" in files and "welfare_vs_baseline.csv" in files
    for name in files:
        assert (tmp_path / "en" / name).read_bytes() == (tmp_path / "zh" / name).read_bytes(), name
    assert saved and all(not unchinese(texts) for _found, texts in saved.values())
    assert saved["dashboard.png"][1]["title"][0] == "技术脱钩情景，2018–2035年"


# ---------------------------------------------------------------- the classroom app's model side


def test_the_classroom_figures_chart_and_notes_speak_chinese():
    from decouple.demo import figures, projection
    from decouple.demo.live import ClassroomModel

    with warnings.catch_warnings(), language("zh"):
        warnings.simplefilter("error")
        model = ClassroomModel("adaptive_rivalry", 2)
        levers = {lever.name: lever for lever in model.levers()}
        for step in range(8):
            if step == 3:
                model.move(levers["policy.fence"], 0.8)
                model.move(levers["allies.willingness.NL"], -6.0)
            model.step()
        for draw in (*figures.TIME_SERIES, lambda m: figures.flows(m, "chip_tools")):
            fig = draw(model)
            FigureCanvasAgg(fig)
            assert layout_problems(fig) == [], draw
            texts = figure_texts(fig)
            assert unchinese(texts, ("title", "label", "legend", "text")) == [], texts
        flows = figures.flows(model, "chip_tools")
        ticks = [t.get_text() for t in flows.axes[0].get_xticklabels() + flows.axes[0].get_yticklabels()]
        assert len(ticks) == 20 and all(HANZI.search(t) for t in ticks), ticks  # 美国, 中国 ... not US, CN
        assert "高墙 0.8" in figure_texts(figures.capability_gap(model))["text"][0]
        spec = projection.chart(model, None)
        titles = [panel["title"] for row in spec["vconcat"] for panel in row["hconcat"]]
        assert titles[0] == "中美能力差距，小院" and all(HANZI.search(t) for t in titles)
        assert "Noto Sans SC" in spec["config"]["font"]
        assert set(projection.chart_data(model, None)["line"]) <= {"已运行部分", "推演", "开放基线"}
        assert projection.status(model, None, True) == "正在推演至运行结束……"
        assert model.quarter_label == "2020年第1季度"
        assert all(HANZI.search(tr(lever.label)) and HANZI.search(tr(lever.help)) for lever in model.levers())
        assert HANZI.search(tr(model.scenario.notice)) and all(HANZI.search(tr(q)) for q in model.scenario.questions)
        assert all(HANZI.search(line) for line in figures.decision_log(model))
    english = projection.chart(model, None)
    assert "font" not in english["config"]  # English keeps its look
    assert english["vconcat"][0]["hconcat"][0]["title"] == "US–China capability gap, small yard"


# ---------------------------------------------------------------- the classroom page in a browser


def test_the_classroom_page_in_chinese_and_its_keyboard_language_switch():
    """`decouple demo --lang zh` at 1280×800: the page speaks Chinese (controls, levers, notes,
    chart), the shipped font is loaded for it, the page still fits the projector, and the
    language switch goes to English and back from the keyboard. The screenshot is the one of
    docs/classroom.zh.md."""
    from .browser import launch_chromium
    from .test_demo import BROWSER_WAIT, PROJECTOR, SHUTDOWN_WAIT, _inside, _start_demo

    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright_api.expect.set_options(timeout=BROWSER_WAIT * 1000)
    expect = playwright_api.expect
    proc, url, _log = _start_demo("demo-zh.log", "--seed", "1", "--lang", "zh")
    try:
        with playwright_api.sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page(viewport=PROJECTOR)
            page.set_default_timeout(BROWSER_WAIT * 1000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url)
            page.wait_for_selector(".plot-chip_shares img")
            page.wait_for_selector(".projection svg")
            # the preset's own path, projected on arrival (the status says so in Chinese)
            page.wait_for_function(
                "(() => { const s = document.querySelector('.projection-status');"
                " return s && s.innerText.startsWith('虚线') && !s.innerText.includes('正在更新'); })()"
            )
            top = page.inner_text(".topbar")
            assert "技术脱钩——课堂演示" in top and "重置" in top and "单步" in top
            assert "选择性脱钩（小院高墙）" in top  # the preset, by its Chinese name
            assert page.title() == "技术脱钩——课堂演示"
            notes = page.inner_text(".notes")
            assert "课堂提问" in notes and "随机种子 1" in notes and "小院高墙" in notes
            assert "高墙高度" in page.inner_text(".levers-column")  # 小院高墙, the documents' term
            assert "中美能力差距，小院" in page.inner_html(".projection svg")
            # the Chinese is drawn with the shipped font, not boxes: the page loaded it
            loaded = page.evaluate(
                "async () => { await document.fonts.ready; return [...document.fonts]"
                ".filter(f => f.family.includes('Noto Sans SC')).map(f => f.status); }"
            )
            assert "loaded" in loaded, loaded
            levers = page.locator(".lever")
            assert levers.count() == 16
            for i in range(levers.count()):
                assert _inside(levers.nth(i).evaluate(_BOX), PROJECTOR["width"], PROJECTOR["height"])
            assert page.evaluate("document.scrollingElement.scrollHeight") <= PROJECTOR["height"]

            # a few quarters on, for the screenshot of the Chinese lesson plan
            step = page.get_by_role("button", name="单步", exact=True)
            for n in range(1, 9):
                step.click()
                page.wait_for_function(f"document.querySelector('.run-status').innerText.includes('第 {n} 步')")
            page.wait_for_function("document.querySelector('.notes').innerText.includes('第 8 步')")
            # experiment 2 of the lesson: the Netherlands refuses in 2020 Q1 (the lever's floor, −6)
            thumb = page.locator(".lever-allies-willingness-NL [role=slider]").first
            thumb.focus()
            page.keyboard.press("Home")
            expect(page.locator(".lever-allies-willingness-NL .lever-value")).to_have_text("-6")
            expect(page.locator(".projection-status")).to_contain_text("调整了 1 次政策工具")
            page.wait_for_selector(".plot-compliance.moves-1 img")  # the plots mark the move
            page.wait_for_timeout(1500)
            out = ROOT / "results" / "demo"
            out.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out / "app-zh-1280x800.png"))
            assert (out / "app-zh-1280x800.png").stat().st_size > 50_000

            # the switch, from the keyboard: English, then Chinese again; the run goes on
            page.locator(".language-en").focus()
            page.keyboard.press("Enter")
            expect(page.locator(".notes")).to_contain_text("Ask the class")
            expect(page.locator(".topbar")).to_contain_text("Reset")
            expect(page.locator(".notes")).to_contain_text("step 8 of")
            page.keyboard.press("Tab")  # to 中文
            page.keyboard.press("Space")
            expect(page.locator(".notes")).to_contain_text("课堂提问")
            # ?lang= in the address chooses too
            page.goto(url + "?lang=en")
            expect(page.locator(".notes")).to_contain_text("Ask the class")
            assert not errors, errors
            browser.close()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=SHUTDOWN_WAIT)


_BOX = "(e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def test_the_lesson_numbers_print_in_chinese():
    """``DECOUPLE_LANG=zh python -m decouple.demo.lesson``'s words (its variants, and who China
    buys from) come from the catalogue; the tables keep their English keys."""
    from decouple.demo.lesson import LESSON_EXPERIMENTS

    variants = [v.label for exp in LESSON_EXPERIMENTS for v in exp.variants]
    assert "open world" in variants
    with language("zh"):
        assert all(HANZI.search(tr(v)) for v in variants)
        assert tr(Phrase(N_("China buys {sector} from {code}"), sector="chip_tools", code="NL")).startswith("中国从")


def test_the_command_line_module_runs_in_chinese_as_a_program():
    """``python -m decouple`` reads DECOUPLE_LANG from its environment, as the installed command does."""
    env = {**os.environ, "DECOUPLE_LANG": "zh"}
    proc = subprocess.run(
        [sys.executable, "-m", "decouple.cli", "scenarios"], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0 and "全面脱钩" in proc.stdout
