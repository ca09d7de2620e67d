"""The Chinese lesson plan's figures (docs/roleplay.zh.md): a team's page and the facilitator's
page on a phone (390×844), in a room whose language is Chinese (`decouple play --lang zh`), after
the first round of the scripted class (docs/roleplay_class.py); then, the class played to the
end, its debrief figure in Chinese.

    .venv/bin/python docs/roleplay_screenshots_zh.py    # needs Chromium (apt-get install chromium)

writes docs/figures/roleplay_team_zh.png, docs/figures/roleplay_facilitator_zh.png and
docs/figures/roleplay_debrief_zh.png. The
server runs in this process (uvicorn in a thread, what-ifs in the same process); the pages are
drawn by Debian's Chromium through Playwright, with the Chinese font the server ships.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from decouple.i18n import language
from decouple.play.debrief import figure_png
from decouple.play.game import Game
from decouple.play.server import Room, create_app

HERE = Path(__file__).parent
FIGURES = HERE / "figures"
PHONE = {"width": 390, "height": 844}


def scripted_moves() -> dict:
    """The moves of docs/roleplay_class.py, round by round."""
    spec = importlib.util.spec_from_file_location("roleplay_class", HERE / "roleplay_class.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.MOVES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("no Chromium on this machine: apt-get install chromium", file=sys.stderr)
        return 1
    game = Game(preset="adaptive_rivalry", seed=0)
    moves = scripted_moves()
    for team, values in moves[1].items():
        game.submit(team, values, "我们将收紧高墙，并请盟友同行。" if team == "us" else "")
    game.advance()
    room = Room(game, Path(tempfile.mkdtemp()), lang="zh")
    port = free_port()
    room.public_base = base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(create_app(room, None, bound="127.0.0.1"), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    FIGURES.mkdir(exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            team = browser.new_context(viewport=PHONE).new_page()
            team.goto(f"{base}/join?room={room.code}&team={room.team_codes['us']}")
            team.wait_for_selector(".lever", timeout=60_000)
            team.wait_for_function("Number(document.body.dataset.whatif || 0) >= 1", timeout=120_000)
            team.evaluate("document.fonts.ready")
            team.screenshot(path=str(FIGURES / "roleplay_team_zh.png"))
            host = browser.new_context(viewport=PHONE).new_page()
            host.goto(f"{base}/facilitator?key={room.key}")
            host.wait_for_selector("#teams tr[data-team='us']", timeout=60_000)
            host.evaluate("document.fonts.ready")
            host.screenshot(path=str(FIGURES / "roleplay_facilitator_zh.png"))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    while not game.over:  # the rest of the scripted class, then its debrief figure in Chinese
        for team, values in moves.get(game.round + 1, {}).items():
            game.submit(team, values)
        game.advance()
    with language("zh"):
        (FIGURES / "roleplay_debrief_zh.png").write_bytes(figure_png(game))
    for name in ("roleplay_team_zh.png", "roleplay_facilitator_zh.png", "roleplay_debrief_zh.png"):
        print(FIGURES / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
