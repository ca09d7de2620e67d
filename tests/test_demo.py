"""The classroom app: its model side directly, and `decouple demo` in a real headless Chromium.

The browser test starts the app on a free localhost port, checks that the levers and plots
render, moves a lever mid-run, steps and plays the model, checks that the plots' images change,
and saves a screenshot to ``results/demo/``. It needs Debian's ``chromium`` (``make test``
installs it where it can) and skips, saying why, only where no Chromium is found.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from decouple.demo import figures, projection
from decouple.demo.levers import yard_order
from decouple.demo.live import ClassroomModel, parse_seed, presets

from .browser import axe_report, axe_violations, free_port, launch_chromium

ROOT = Path(__file__).resolve().parent.parent
#: How long to wait for a server to answer at all: a polling deadline, generous so that a busy
#: machine does not miss it; it times nothing.
SERVER_START_WAIT = 180.0
#: How long a browser step may wait for the page to show what the server did (Playwright's own
#: default is 30 s): a polling deadline for a busy machine, not a speed test.
BROWSER_WAIT = 120.0
#: How long a stopped server's processes (or a thread that is free to go on) may take to end: a hang guard.
SHUTDOWN_WAIT = 60.0
#: The app's cull timeout for a tab that vanished without closing, set by the closed-tabs test
#: (``decouple demo`` sets 45 s unless the environment says otherwise).
CULL_TIMEOUT = 45.0
#: A hang guard, not a speed test: closed tabs must stop computing within the cull timeout; the
#: margin is room for a busy machine to hear the closes.
STOP_GUARD = CULL_TIMEOUT + 60.0
#: Seconds the probe pauses after each step it counts, so that a run (71 quarters) lasts long enough
#: for the test to close its tab mid-run: unpaced, the server finishes a run before the page shows it.
STEP_PAUSE = 0.2
#: The step counter counts as still when it has not moved for this long: 100 of the app's 50 ms
#: play intervals.
QUIET = 5.0
#: The server returns closed models' memory every 5 s (``_return_memory_soon`` in demo/live.py),
#: right after the garbage collection that frees them: once the closed tabs' models are gone, its
#: memory is read over two such rounds and the least taken.
MEMORY_RETURN_WAIT = 10.0
#: Closed tabs' models that may stay alive: Solara's store of the ``use_reactive`` value in the app
#: (a ``SharedStore``, not scoped to a session) was seen holding the last closed tab's model more
#: than 100 s after its close. One, whatever the number of tabs closed: it is replaced, not added to.
HELD_BY_SOLARA = 1


# ---------------------------------------------------------------- model side, no browser


def test_presets_are_the_scenarios_with_notes():
    names = presets()
    assert names[:4] == ["selective_decoupling", "full_decoupling", "coopetition", "baseline"]
    for name in names:
        model = ClassroomModel(name, 1, reference=False)
        assert model.scenario.notice and len(model.scenario.questions) >= 1, name


def test_yard_order_puts_the_small_yard_first():
    model = ClassroomModel("baseline", 1, reference=False)
    order = yard_order(model.world)
    small = [s for s, y in zip(model.world.sectors, model.world.small_yard) if y]
    assert set(order[: len(small)]) == set(small)
    assert sorted(order) == sorted(model.world.sectors)


def test_levers_read_the_preset_values():
    model = ClassroomModel("selective_decoupling", 1, reference=False)
    values = {lever.name: lever.read(model.params, model.world) for lever in model.levers()}
    assert values["yard"] == 4
    assert values["policy.fence"] == pytest.approx(0.55)
    assert values["policy.ally_pressure"] == pytest.approx(1.0)
    assert values["programmes"] is False
    coop = ClassroomModel("coopetition", 1, reference=False)
    assert {lv.name: lv.read(coop.params, coop.world) for lv in coop.levers()}["programmes"] is True


def test_a_lever_acts_from_the_next_step_only():
    """Moving the Dutch willingness mid-run changes nothing already recorded, and from the next
    step the Netherlands complies less than in the same run without the move."""
    kept, moved = (ClassroomModel("selective_decoupling", 3, reference=False) for _ in range(2))
    for _ in range(12):
        kept.step()
        moved.step()
    nl = {lv.name: lv for lv in moved.levers()}["allies.willingness.NL"]
    moved.move(nl, -6.0)
    assert moved.history().equals(kept.history())  # recorded past untouched
    assert moved.changes[-1][:2] == (12, moved.year)
    for _ in range(8):
        kept.step()
        moved.step()
    assert moved.history()["compliance_NL"].iloc[-1] < kept.history()["compliance_NL"].iloc[-1] - 0.05
    assert moved.history()["compliance_JP"].iloc[12] == kept.history()["compliance_JP"].iloc[12]


def test_a_lever_waits_for_the_quarter_being_computed():
    """The app steps in one thread and moves levers in another: a move never lands mid-step."""
    import threading

    model = ClassroomModel("selective_decoupling", 1, reference=False)
    fence = {lv.name: lv for lv in model.levers()}["policy.fence"]
    with model._step_lock:  # as if a step were running
        mover = threading.Thread(target=model.move, args=(fence, 0.9))
        mover.start()
        mover.join(timeout=0.3)
        assert mover.is_alive() and model.params.policy.fence == pytest.approx(0.55)
    mover.join(timeout=SHUTDOWN_WAIT)  # a hang guard: the lock is free, the move goes through
    assert model.params.policy.fence == pytest.approx(0.9)
    model.step()  # and stepping still works through the lock
    assert model.steps == 1


def test_yard_lever_controls_country_wide_and_bad_values_are_refused():
    model = ClassroomModel("baseline", 1, reference=False)
    by_name = {lv.name: lv for lv in model.levers()}
    model.move(by_name["yard"], 2)
    assert model.params.policy.yard == yard_order(model.world)[:2]
    assert model.params.policy.country_wide == model.params.policy.yard == model.params.policy.fdpr
    from decouple import ConfigError

    with pytest.raises(ConfigError, match="policy.fence"):
        model.move(by_name["policy.fence"], 1.5)
    assert model.params.policy.fence == 0.0  # the bad move left the model as it was


def test_fdpr_lever_switches_the_rule_over_the_whole_yard():
    model = ClassroomModel("selective_decoupling", 1, reference=False)
    fdpr = {lv.name: lv for lv in model.levers()}["fdpr"]
    assert fdpr.read(model.params, model.world) is True
    model.move(fdpr, False)
    assert model.params.policy.fdpr == [] and fdpr.read(model.params, model.world) is False
    model.move(fdpr, True)
    assert set(model.params.policy.fdpr) == set(model.world.sectors)  # the rule applies where the yard is


def test_welfare_plot_shows_the_change_in_money_against_the_same_seeds_baseline():
    model = ClassroomModel("full_decoupling", 1)
    for _ in range(12):
        model.step()
    fig = figures.welfare(model)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "% of GDP"
    history, reference = model.history(), model.reference.reindex(model.history().index)
    lines = {line.get_label(): line for line in ax.get_lines()}
    for code, name in (("US", "US"), ("CN", "China"), ("WORLD", "World")):
        expected = 100 * (history[f"welfare_usd_{code}"] - reference[f"welfare_usd_{code}"]) / reference[f"gdp_{code}"]
        np.testing.assert_allclose(lines[name].get_ydata(), expected.to_numpy())
    assert lines["World"].get_ydata()[-1] < 0  # three years of full decoupling cost the world


def test_a_state_switched_to_its_rule_decides_and_its_decisions_are_marked():
    model = ClassroomModel("selective_decoupling", 2)
    switch = {lv.name: lv for lv in model.levers()}["adaptive_us"]
    assert switch.read(model.params, model.world) is False
    model.move(switch, True)
    while model.year < 2021:
        model.step()
    us = [d for d in model.decisions if d.state == "US"]
    assert us and {d.year for d in us} <= {2019.0, 2020.0}
    assert any(line.split(" · ")[1] == "US" for line in figures.decision_log(model))
    yard_marks = [m for m in figures.decision_marks(model) if m[2] == "US"]
    assert all(text.startswith("US yard ") for _, text, _ in yard_marks)
    # hand-set again: the US stops deciding, and the levers it last chose stay until moved
    model.move(switch, False)
    fence = model.params.policy.fence
    before = len(model.decisions)
    while model.year < 2023:
        model.step()
    assert len([d for d in model.decisions[before:] if d.state == "US"]) == 0
    assert model.params.policy.fence == fence


def test_bad_seed_text_falls_back_with_a_message():
    assert parse_seed(" 42 ") == (42, "")
    seed, message = parse_seed("forty-two")
    assert seed == 0 and "forty-two" in message and "whole number" in message
    model = ClassroomModel("baseline", "x1", reference=False)
    assert model.seed == 0 and model.input_error


def test_figures_mark_lever_moves_and_the_flow_view_adds_up():
    model = ClassroomModel("selective_decoupling", 2)
    for _ in range(4):
        model.step()
    fence = {lv.name: lv for lv in model.levers()}["policy.fence"]
    model.move(fence, 0.7)
    model.move(fence, 0.8)  # dragged through two values in one quarter: one marker, last value
    marks = figures.markers(model)
    assert marks == [(model.year, "fence 0.8", True)]
    for draw in figures.TIME_SERIES:
        fig = draw(model)
        ax = fig.axes[0]
        assert ax.get_xlabel() == "year" and ax.get_ylabel()
        assert any(list(line.get_xdata()) == [model.year, model.year] for line in ax.get_lines())  # axvline
    shares = model.flows("logic_chips")
    bought = model.market.bilateral[model.world.sector_index("logic_chips")].sum(0) > 0
    np.testing.assert_allclose(shares.sum(axis=0).to_numpy()[bought], 1.0)
    assert model.reference is not None and len(model.reference) == model.params.time.steps + 1


def test_a_projection_foretells_the_live_run_and_leaves_its_draws_alone():
    """The projection made after a lever move is the path the live run then takes, to the bit,
    and making it changes nothing in the live run (it steps a copy, random generators included)."""
    projected, plain = (ClassroomModel("selective_decoupling", 2, reference=False) for _ in range(2))
    for model in (projected, plain):
        for _ in range(10):
            model.step()
        model.move({lv.name: lv for lv in model.levers()}["allies.willingness.NL"], -6.0)
    ahead = projection.run(projected)
    assert ahead is not None and ahead.start == projected.year and ahead.moves == 1
    assert projected.steps == 10 and len(projected.history()) == 11  # the live model did not move
    projected.run()
    plain.run()
    pd.testing.assert_frame_equal(projected.history(), plain.history())
    for name in projection.KEPT:
        np.testing.assert_array_equal(ahead.table[name].to_numpy(), projected.history()[name].to_numpy()[10:])


def test_a_projection_asked_to_stop_gives_way_and_the_chart_shows_three_lines():
    model = ClassroomModel("full_decoupling", 1)
    for _ in range(4):
        model.step()
    assert projection.run(model, stop=lambda: True) is None  # overtaken by a newer move: nothing shown
    asked = iter([False] * 5 + [True] * 100)
    assert projection.run(model, stop=lambda: next(asked)) is None  # given up part-way
    ahead = projection.run(model)
    spec = projection.chart(model, ahead)
    rows = pd.DataFrame(spec["datasets"]["rows"])
    assert set(rows["line"]) == set(projection.LINES)
    dashed = rows[rows["line"] == "projection"]
    assert dashed["year"].min() == model.year and dashed["year"].max() == model.params.time.start_year + 71 / 4
    assert (rows[rows["line"] == "run so far"]["year"] <= model.year).all()
    assert spec["datasets"]["now"] == [{"year": model.year}]
    assert spec["config"]["axis"]["labelFontSize"] >= 12
    # welfare against the open baseline is zero at the start, and the same number the welfare figure draws
    welfare = rows[(rows["panel"] == projection.PANELS[3][1]) & (rows["line"] == "run so far")]
    figure = {line.get_label(): line for line in figures.welfare(model).axes[0].get_lines()}["World"]
    np.testing.assert_allclose(welfare["value"].to_numpy(), figure.get_ydata(), atol=1e-5)
    other = ClassroomModel("full_decoupling", 1, reference=False)
    assert "Projecting" in projection.status(other, ahead, pending=True)  # another model's projection is not shown


def test_vega_is_stored_under_the_names_the_widget_asks_for(tmp_path):
    (tmp_path / "vega@5.21.0" / "build").mkdir(parents=True)
    (tmp_path / "vega@5.21.0" / "build" / "vega.min.js").write_text("vega 5.21")
    (tmp_path / "vega-lite@5" / "build").mkdir(parents=True)
    (tmp_path / "vega-lite@5" / "build" / "vega-lite.min.js").write_text("already fetched")
    assert projection.vega_offline(tmp_path) == ["vega@5"]  # vega-embed: nothing shipped; vega-lite: stored already
    assert (tmp_path / "vega@5" / "build" / "vega.min.js").read_text() == "vega 5.21"
    assert (tmp_path / "vega-lite@5" / "build" / "vega-lite.min.js").read_text() == "already fetched"
    assert projection.vega_offline(tmp_path) == []


def test_demo_command_refuses_bad_input_before_starting(capsys):
    from decouple.cli import main

    assert main(["demo", "--preset", "fully_decoupled", "--no-open"]) == 2
    err = capsys.readouterr().err
    assert "--preset 'fully_decoupled'" in err and "selective_decoupling" in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["demo", "--port", str(port), "--no-open"]) == 2
    err = capsys.readouterr().err
    assert f"--port {port}" in err and "another port" in err


# ---------------------------------------------------------------- the app in a browser


def _start_demo(log_name: str, *extra: str, env: dict | None = None) -> tuple[subprocess.Popen, str, Path]:
    """Start `decouple demo` on a free port, its output in ``results/LOG_NAME``, with ``env`` added to
    its environment; wait until it answers (at most SERVER_START_WAIT seconds)."""
    port = free_port()
    exe = Path(sys.executable).parent / "decouple"
    (ROOT / "results").mkdir(exist_ok=True)
    log_path = ROOT / "results" / log_name
    with open(log_path, "w") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [str(exe), "demo", "--port", str(port), "--no-open", *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_WAIT
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, log_path
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                os.killpg(proc.pid, 9)
                pytest.fail(f"decouple demo did not start; see {log_path}")
            time.sleep(0.5)


@pytest.fixture(scope="module")
def app_url():
    server, url, _log = _start_demo("demo-server.log", "--seed", "3")
    yield url
    os.killpg(server.pid, 15)
    server.wait(timeout=SHUTDOWN_WAIT)


def _src(page, css: str) -> str:
    return page.locator(f"{css} img").first.get_attribute("src")


def _wait_for_new(page, css: str, old: str, timeout: float = BROWSER_WAIT) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = _src(page, css)
        if new and new != old:
            return new
        page.wait_for_timeout(250)
    raise AssertionError(f"the image in {css} did not change within {timeout:g} s")


def test_demo_in_a_real_browser(app_url):
    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright_api.expect.set_options(timeout=BROWSER_WAIT * 1000)  # its default, 5 s, times the machine
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(BROWSER_WAIT * 1000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app_url)

        # rendered: the preset's notes, 16 levers (10 with sliders, 6 switches), seven plots
        page.wait_for_selector(".plot-chip_shares img")
        assert "Selective (small yard)" in page.inner_text(".notes")
        assert "seed 3" in page.inner_text(".notes")
        assert page.locator(".lever").count() == 16
        assert page.locator(".lever .v-slider").count() == 10
        assert page.locator(".plot img").count() == 7
        for button in ("Reset", "Step"):
            assert page.get_by_role("button", name=button, exact=True).is_visible()

        # step twice: the step counter and the chip-market plot move
        chips = _src(page, ".plot-chip_shares")
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function("document.querySelector('.notes').innerText.includes('step 1 of')")
        chips = _wait_for_new(page, ".plot-chip_shares", chips)
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function("document.querySelector('.notes').innerText.includes('step 2 of')")
        chips = _wait_for_new(page, ".plot-chip_shares", chips)

        # move a lever mid-run: the Netherlands refuses (the lever's floor, -6 in seeds/levers.toml). Its
        # slider shows the new value and the compliance plot gets a marker at once, before any step.
        compliance = _src(page, ".plot-compliance")
        thumb = page.locator(".lever-allies-willingness-NL .v-slider__thumb-container").first
        thumb.focus()
        page.keyboard.press("Home")
        page.wait_for_function(
            "document.querySelector('.lever-allies-willingness-NL .lever-value').innerText.trim() === '-6'"
        )
        _wait_for_new(page, ".plot-compliance", compliance)

        # hand the US to its decision rule: from its next yearly review (2019) it decides, and the
        # notes list who decided what
        page.locator(".lever-adaptive_us label").click()
        expect_ = playwright_api.expect
        expect_(page.locator(".lever-adaptive_us input")).to_have_attribute("aria-checked", "true")

        # play for a while, then pause: the run goes on with the lever in force
        page.get_by_role("button", name="▶").click()
        page.wait_for_function("parseInt(document.querySelector('.notes').innerText.match(/step (\\d+) of/)[1]) >= 6")
        pause = page.get_by_role("button", name="❚❚")
        if pause.is_enabled():  # (the plots lag the play loop: the run may have reached its end)
            pause.click()
        chips = _wait_for_new(page, ".plot-chip_shares", chips)
        expect_(page.locator(".notes")).to_contain_text("Who decided what, when")
        expect_(page.locator(".notes .decisions")).to_contain_text("US ·")
        out = ROOT / "results" / "demo"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "app.png"), full_page=True)
        assert (out / "app.png").stat().st_size > 50_000

        # another preset and seed, loaded by Reset: a fresh run at step 0 with its own notes
        page.get_by_label("Preset (press Reset to load)").select_option("coopetition")
        expect = playwright_api.expect
        seed_box = page.get_by_label("Seed (press Reset to use)")
        # the preset's choice re-renders the panel: type the seed into the panel as it then is,
        # and let the server hear it (Enter) before Reset reads it
        page.wait_for_timeout(500)
        seed_box.fill("7")
        seed_box.press("Enter")
        expect(seed_box).to_have_value("7")
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.locator(".notes")).to_contain_text("Co-opetition")
        expect(page.locator(".notes")).to_contain_text("seed 7")
        expect(page.locator(".notes")).to_contain_text("step 0 of")
        # the levers now show the new preset's values
        expect(page.locator(".lever-programmes input")).to_have_attribute("aria-checked", "true")
        expect(page.locator(".lever-policy-fence .lever-value")).to_have_text("0.2")
        assert not errors, errors
        browser.close()


#: A projector's screen: the app must fit it without scrolling (issue 21).
PROJECTOR = {"width": 1280, "height": 800}
#: Texts of Mesa's SolaraViz shell and of Solara's badge the classroom page must not show.
LEFTOVERS = ("Page 0", "Use Threads", "Play Interval", "Render Interval", "Information", "runs on Solara", "Made with")
#: Smallest tick label, in CSS pixels, that reads from the back of a room.
SMALLEST_TICK_PX = 12.0
#: How often the projection test looks at the page (seconds), and how many looks it allows for
#: a projection to follow a lever move: a generous bound for a busy machine, not a speed test.
POLL = 0.1
MAX_POLLS = int(BROWSER_WAIT / POLL)

_BOX = "(e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def _inside(box, width: float, height: float) -> bool:
    left, top, right, bottom = box
    return left >= 0 and top >= 0 and right <= width and bottom <= height and right > left and bottom > top


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _projection_state(page) -> tuple[str, str]:
    """(status line, the chart's SVG) of the projection view."""
    return page.inner_text(".projection-status"), page.inner_html(".projection svg")


def _polls_until_projected(page, moves: int, before_svg: str) -> int:
    """Looks at the page every POLL seconds until the projection made after ``moves`` lever moves
    is drawn (its status says so, with nothing pending, and the chart changed); the number of looks."""
    for polls in range(1, MAX_POLLS + 1):
        status, svg = _projection_state(page)
        done = f"after {moves} lever move" in status and "Updating" not in status
        if done and svg != before_svg:
            return polls
        page.wait_for_timeout(POLL * 1000)
    raise AssertionError(f"no projection after lever move {moves} within {MAX_POLLS} looks; status: {status!r}")


def test_the_app_fits_a_1280x800_projector_and_projects_a_moved_lever_at_once(app_url):
    """At 1280×800 every lever can be moved, levers and the projection chart are on screen
    together, tick labels are at least 12 px, nothing of SolaraViz's shell or Solara's badge
    shows over a plot, and each lever move is followed by its projection to 2035, drawn dashed
    beside the run so far (issue 21). Prints the projection's delay after each move (polls of
    POLL seconds, and the seconds the server spent), which the test does not judge."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright_api.expect.set_options(timeout=BROWSER_WAIT * 1000)
    width, height = PROJECTOR["width"], PROJECTOR["height"]
    with playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport=PROJECTOR)
        page.set_default_timeout(BROWSER_WAIT * 1000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app_url)
        page.wait_for_selector(".plot-chip_shares img")
        page.wait_for_selector(".projection svg")
        _polls_until_projected(page, 0, "")  # the preset's own path, projected on arrival

        # issue 22, item 6: axe-core finds no WCAG 2.1 A/AA violation (every slider named by its
        # lever, the plots by their titles, the selects the browser's own, the page's language set
        # and zoom allowed: see the classroom app's template and ScenarioChooser)
        violations = axe_violations(page)
        assert violations == [], axe_report(violations, "classroom app at 1280x800")

        # nothing left of SolaraViz's sidebar and tabs, nor Solara's badge, is visible
        shown = page.evaluate(
            """(texts) => [...document.querySelectorAll('body *')].filter(e => {
                   const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                   return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' &&
                          [...e.childNodes].some(n => n.nodeType === 3 &&
                              texts.some(t => n.textContent.toLowerCase().includes(t.toLowerCase())));
               }).map(e => e.innerText)""",
            list(LEFTOVERS),
        )
        assert shown == [], shown
        plots = [page.locator(".projection svg").first.evaluate(_BOX)]
        plots += [img.evaluate(_BOX) for img in page.locator(".plot img").all()]
        badges = [a.evaluate(_BOX) for a in page.locator("a[href*='solara.dev']").all() if a.is_visible()]
        assert not any(_overlap(badge, plot) for badge in badges for plot in plots), (badges, plots)

        # the levers and the projection chart are on screen together, without scrolling
        levers = page.locator(".lever")
        assert levers.count() == 16
        for i in range(levers.count()):
            box = levers.nth(i).evaluate(_BOX)
            assert _inside(box, width, height), (levers.nth(i).get_attribute("class"), box)
        assert _inside(plots[0], width, height), plots[0]
        assert page.evaluate("document.scrollingElement.scrollHeight") <= height

        # tick labels: the chart's axis labels as drawn, and the plots' as their images are shown
        ticks = page.evaluate(
            """() => { const svg = document.querySelector('.projection svg');
                       const scale = svg.getBoundingClientRect().width / svg.width.baseVal.value;
                       return [...svg.querySelectorAll('.role-axis-label text')]
                           .map(t => parseFloat(getComputedStyle(t).fontSize) * scale); }"""
        )
        assert ticks and min(ticks) >= SMALLEST_TICK_PX, min(ticks)
        tick_pt = min(figures.LIVE_STYLE["xtick.labelsize"], figures.LIVE_STYLE["ytick.labelsize"])
        for plot in page.locator(".plot").all():
            inches = figures.FLOW_SIZE[0] if "plot-flows" in plot.get_attribute("class") else figures.SIZE[0]
            shown_width = plot.locator("img").first.evaluate("(e) => e.clientWidth")
            on_screen = tick_pt / 72 * shown_width / inches  # points to pixels of the image as shown
            assert on_screen >= SMALLEST_TICK_PX, (plot.get_attribute("class"), on_screen)

        # every slider has a width and moves: its printed value changes, and the projection follows
        polls, seconds, delays = [], [], []
        sliders = page.locator(".lever-slider")
        assert sliders.count() == 10
        for i in range(sliders.count()):
            lever = sliders.nth(i)
            assert lever.locator(".v-slider").first.evaluate("(e) => e.getBoundingClientRect().width") > 100
            before = lever.locator(".lever-value").inner_text()
            svg = _projection_state(page)[1]
            pressed = time.monotonic()
            thumb = lever.locator("[role=slider]").first
            at_top = thumb.get_attribute("aria-valuenow") == thumb.get_attribute("aria-valuemax")
            thumb.focus()
            page.keyboard.press("Home" if at_top else "End")
            playwright_api.expect(lever.locator(".lever-value")).not_to_have_text(before)
            polls.append(_polls_until_projected(page, i + 1, svg))
            delays.append(round(time.monotonic() - pressed, 2))  # reported, not judged
            seconds.append(float(page.inner_text(".projection-status").split("(in ")[1].split(" s")[0]))
            page.wait_for_selector(f".plot-compliance.moves-{i + 1} img")  # then the plots mark the move
        print(
            f"\nprojection after a move: {polls} polls of {POLL:g} s after the lever showed its new value; "
            f"seconds from key press to the chart drawn {delays} (median {sorted(delays)[len(delays) // 2]}); "
            f"the server's projection {seconds} s"
        )

        # the projection is drawn dashed from the present quarter; the run so far is solid
        dashes = page.evaluate(
            "() => [...document.querySelectorAll('.projection svg path')].map(p => p.getAttribute('stroke-dasharray'))"
        )
        assert "8,5" in dashes and "1,0" in dashes

        # step three years: the run so far grows solid along the dashed projection it follows, and
        # the screenshot shows run, projection and baseline once the whole page shows the quarter
        for step in range(1, 13):
            page.get_by_role("button", name="Step", exact=True).click()
            page.wait_for_function(f"document.querySelector('.run-status').innerText.includes('step {step} of')")
        page.wait_for_function("document.querySelector('.notes').innerText.includes('step 12 of')")
        page.wait_for_selector(".plot-chip_shares img")
        out = ROOT / "results" / "demo"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "app-1280x800.png"))
        assert (out / "app-1280x800.png").stat().st_size > 50_000
        assert not errors, errors
        browser.close()


# ---------------------------------------------------------------- the server's processes


def test_sigterm_to_demo_stops_its_server_and_a_shared_host_is_warned_about():
    import psutil

    proc, _url, log = _start_demo("demo-sigterm.log", "--host", "0.0.0.0")
    try:
        server = psutil.Process(proc.pid).children(recursive=True)
        assert server, "decouple demo runs the app in a server process"
        proc.terminate()  # SIGTERM to `decouple demo` itself, not to its process group
        assert proc.wait(timeout=SHUTDOWN_WAIT) == 0
        deadline = time.monotonic() + SHUTDOWN_WAIT
        while time.monotonic() < deadline and any(
            p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in server
        ):
            time.sleep(0.1)
        assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in server)
        assert "anyone who can reach it on the network" in log.read_text()
    finally:
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass


def _steps_counted(count_file: Path) -> int:
    return count_file.stat().st_size if count_file.exists() else 0


def _models_alive(model_file: Path) -> int:
    """Classroom models made and not yet freed in the server (the probe's ``+`` and ``-``)."""
    marks = model_file.read_bytes() if model_file.exists() else b""
    return marks.count(b"+") - marks.count(b"-")


def _wait_until_still(count_file: Path, guard: float) -> int:
    """The step count once it has stood still for QUIET seconds; fails if it still moves after
    ``guard`` seconds (a hang guard)."""
    started = time.monotonic()
    last, still_since = _steps_counted(count_file), time.monotonic()
    while time.monotonic() - still_since < QUIET:
        assert time.monotonic() - started < guard, f"the server still steps models {guard:g} s after the tabs closed"
        time.sleep(0.5)
        now = _steps_counted(count_file)
        if now != last:
            last, still_since = now, time.monotonic()
    return last


def test_closed_tabs_stop_computing_and_free_their_memory(tmp_path):
    """Tabs that play and are closed stop their models: the server's step count stands still long
    before the runs could have reached their end (a closed tab's session ends at once; one whose
    close the server never heard of is dropped after the cull timeout), and a second round of tabs
    does not add to the memory the first round left. Before the fix each closed tab kept its model
    (about 80 MB a tab) and the server went on stepping it to the end.

    The work is read from a step counter that tests/demo_probe loads into the server, not from its
    CPU share, so a busy machine only makes the tabs play more slowly. For the same reason the
    count after the memory wait is held to the claim (the runs never reach their end), not to the
    count of the quiet spell: CONTRIBUTING.md, "Test tiers": "No test times the machine", and a
    step queued on a loaded machine may still arrive after a quiet spell (CI saw 3 of them). The probe also paces the
    steps (STEP_PAUSE), so that the tabs close mid-run. The memory is read once the probe has seen
    the closed tabs' models freed (not after a fixed wait, which a loaded machine outlasted: CI saw
    +78 MB: a closed model that became garbage after the app's collector had stopped, which the
    app now keeps collecting while a closed model lives on), as the least over two of the app's
    rounds of handing memory back. At most HELD_BY_SOLARA closed models may be alive then, after
    either round: the closed tabs' models do not pile up."""
    import psutil

    playwright_api = pytest.importorskip("playwright.sync_api")
    run_steps = ClassroomModel("selective_decoupling", 1, reference=False).params.time.steps
    tabs = 2  # two tabs a round: each closed one that kept its model would add about 80 MB
    count_file = tmp_path / "steps"
    model_file = tmp_path / "models"
    probe = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests" / "demo_probe"), os.environ.get("PYTHONPATH")])),
        "DECOUPLE_STEP_COUNT": str(count_file),
        "DECOUPLE_MODEL_COUNT": str(model_file),
        "DECOUPLE_STEP_PAUSE": f"{STEP_PAUSE:g}",
        "SOLARA_KERNEL_CULL_TIMEOUT": f"{CULL_TIMEOUT:g}s",
    }
    proc, url, _log = _start_demo("demo-tabs.log", env=probe)
    try:
        server = psutil.Process(proc.pid).children(recursive=True)[0]
        after = []
        with playwright_api.sync_playwright() as pw:
            browser = launch_chromium(pw)
            for _round in range(2):
                pages = []
                for _ in range(tabs):
                    page = browser.new_page()
                    page.goto(url)
                    page.wait_for_selector(".plot-chip_shares img", timeout=SERVER_START_WAIT * 1000)
                    pages.append(page)
                before = _steps_counted(count_file)
                for page in pages:
                    page.get_by_role("button", name="▶").click()
                playing = time.monotonic()
                while _steps_counted(count_file) < before + 2 * tabs:  # they are playing
                    assert time.monotonic() - playing < SERVER_START_WAIT, "the tabs do not play"
                    time.sleep(0.05)
                for page in pages:  # mid-run: STEP_PAUSE makes a run last longer than this
                    page.close()
                done = _wait_until_still(count_file, STOP_GUARD) - before
                assert done < tabs * run_steps, f"{done} steps: the closed tabs' runs went on to their end"
                # the closed tabs' models are freed but for the one Solara may still hold (a hang guard)
                gone_by = time.monotonic() + STOP_GUARD
                while _models_alive(model_file) > HELD_BY_SOLARA:
                    assert time.monotonic() < gone_by, (
                        f"{_models_alive(model_file)} closed tabs' models still alive {STOP_GUARD:g} s on"
                    )
                    time.sleep(0.5)
                least, until = server.memory_info().rss, time.monotonic() + MEMORY_RETURN_WAIT
                while time.monotonic() < until:  # the least over two rounds of handing memory back
                    time.sleep(0.5)
                    least = min(least, server.memory_info().rss)
                # A quiet spell is not proof on a loaded machine (a queued step may still arrive after
                # it), so the claim is checked again on the count after the wait: the runs never end.
                done = _steps_counted(count_file) - before
                assert done < tabs * run_steps, f"{done} steps: the closed tabs' runs went on to their end"
                after.append(least)
            browser.close()
        assert after[1] < after[0] + 60e6, [f"{x / 1e6:.0f} MB" for x in after]
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=SHUTDOWN_WAIT)


def test_a_slider_echoing_the_models_own_value_is_not_a_move():
    """A state's rule (or an event) sets fence 0.484; the slider shows it snapped to its 0.05 step
    and reports 0.5 back: that is not the class's move, while a real move of one step is."""
    from decouple.demo.levers import same_value

    assert same_value(0.5, 0.484471, 0.025) and same_value(True, True) and same_value(5, 5.0, 0.5)
    assert not same_value(0.55, 0.484471, 0.025) and not same_value(False, True) and not same_value(4, 5, 0.5)
